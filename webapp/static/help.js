// Results as the visitor types: the server's own results fragment (/search/results), the same
// markup as /search renders without JavaScript. Every keystroke asks at once (a search takes about
// 25 ms, less than the gap between two keys of a person typing); only the newest answer is drawn
// (fragments.js).
const form = document.getElementById('search'), box = document.getElementById('q');
const out = document.getElementById('results');
const home = out.nextElementSibling;  // the topics on the home page: hidden while results show
const results = Fragments.latest();
// Every "Ask a question" link of the page carries the question being typed, as the server's own do.
function carry(q) {
  for (const link of document.querySelectorAll('a[data-with-question]'))
    link.href = form.dataset.ask + (q ? '?q=' + encodeURIComponent(q) : '');
}
// One question however many keystrokes (question.js); a submit or an opened result starts a new one.
async function run() {
  const q = box.value.trim(), asked = Question.typed();
  if (!q) { results.cancel(); out.innerHTML = ''; carry(''); if (home) home.hidden = false; return; }
  const answer = await results.get(form.dataset.searchApi + '?q=' + encodeURIComponent(q) + '&qid=' + asked);
  if (!answer) return;
  out.innerHTML = answer.html;
  carry(q);
  if (home) home.hidden = true;
  out.dispatchEvent(new CustomEvent('results', {detail: {query: q}}));  // the browser test times this
  history.replaceState(null, '', form.action + '?qid=' + asked + '&q=' + encodeURIComponent(q));  // reload shows the same
}
box.addEventListener('input', run);
form.addEventListener('submit', e => { e.preventDefault(); run().then(() => Question.next()); });
out.addEventListener('click', e => {  // a result opened or a person asked: it learns the question; the next is new
  const link = e.target.closest('a[href]');
  if (!link) return;
  const url = new URL(link.href, location.href);
  if (url.searchParams.has('q') && (url.pathname.startsWith('/articles/') || url.pathname === form.dataset.ask)) {
    url.searchParams.set('qid', Question.id);
    link.href = url.toString();
  }
  setTimeout(() => Question.next(), 0);
});
window.addEventListener('pageshow', e => { if (e.persisted) Question.next(); });
