// The ticket page's inline article search: as the operator types, the server's results fragment
// (/desk/articles?q=) is drawn under the box, only the newest (fragments.js). Choosing a result
// fills the article id. Without JavaScript the box stays hidden and the operator types the id.
const box = document.getElementById('article-search');
if (box) {
  const input = document.getElementById('article-q'), out = document.getElementById('article-results');
  const target = document.getElementById('article_id');
  const found = Fragments.latest();
  async function run() {
    const q = input.value.trim();
    if (!q) { found.cancel(); out.innerHTML = ''; return; }
    const answer = await found.get(box.dataset.url + '?q=' + encodeURIComponent(q) +
                                   (box.dataset.lang ? '&lang=' + box.dataset.lang : ''));
    if (answer) out.innerHTML = answer.html;
  }
  box.hidden = false;
  input.addEventListener('input', run);
  input.addEventListener('keydown', e => { if (e.key === 'Enter') { e.preventDefault(); run(); } });
  out.addEventListener('click', e => {
    const use = e.target.closest('[data-article-id]');
    if (!use) return;
    target.value = use.dataset.articleId;
    for (const li of out.querySelectorAll('li')) li.classList.toggle('chosen', li.contains(use));
    target.focus();
  });
  // Opening the solve box runs the search for what the customer searched for.
  const details = document.getElementById('solve-box');
  if (details) details.addEventListener('toggle', () => { if (details.open && !out.innerHTML) run(); });
  if (details && details.open) run();
}
