// The request's status page.
// Show times in the visitor's own time zone.
for (const t of document.querySelectorAll('time[datetime]')) {
  t.textContent = new Date(t.getAttribute('datetime')).toLocaleString([], {dateStyle: 'medium', timeStyle: 'short'});
}
