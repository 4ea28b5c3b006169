// The request's status page: times in the visitor's own time zone, in the page's language.
const locale = document.documentElement.lang || undefined;
for (const t of document.querySelectorAll('time[datetime]')) {
  t.textContent = new Date(t.getAttribute('datetime')).toLocaleString(locale, {dateStyle: 'long', timeStyle: 'short'});
}
