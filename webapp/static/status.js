// The request's status page: times in the visitor's own time zone, in the page's language.
const locale = document.documentElement.lang || undefined;
for (const t of document.querySelectorAll('time[datetime]')) {
  t.textContent = new Date(t.getAttribute('datetime')).toLocaleString(locale, {dateStyle: 'long', timeStyle: 'short'});
}
// The link to keep, written out whole: the server writes it relative unless KB_PUBLIC_URL is set (it
// never takes the host from the request's Host header); the browser knows the address it is on.
for (const a of document.querySelectorAll('.status-link a')) a.textContent = a.href;
