// Results as the visitor types: the server's own results fragment (/search/results), the same
// markup as /search renders without JavaScript. A pause of 40 ms in the typing asks (a burst of keys,
// a paste, asks once; a search takes about 20 ms); a newer question cancels the older request, and an
// answer that is not the newest is dropped.
const form = document.getElementById('search'), box = document.getElementById('q');
const out = document.getElementById('results');
const home = out.nextElementSibling;  // the topics on the home page: hidden while results show
const PAUSE_MS = 40;
let seq = 0, pending = null, timer = null;
async function run() {
  const q = box.value.trim(), mine = ++seq;
  if (pending) pending.abort();
  if (!q) { out.innerHTML = ''; if (home) home.hidden = false; return; }
  pending = new AbortController();
  let html;
  try {
    const r = await fetch(form.dataset.searchApi + '?q=' + encodeURIComponent(q),
                          {headers: {Accept: 'text/html'}, signal: pending.signal});
    html = await r.text();
  } catch (e) { return; }  // cancelled, or offline for a moment: the next keystroke tries again
  if (mine !== seq) return;
  out.innerHTML = html;
  if (home) home.hidden = true;
  out.dispatchEvent(new CustomEvent('results', {detail: {query: q}}));  // the browser test times this
  history.replaceState(null, '', form.action + '?q=' + encodeURIComponent(q));  // reload shows the same
}
box.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(run, PAUSE_MS); });
form.addEventListener('submit', e => { e.preventDefault(); clearTimeout(timer); run(); });
