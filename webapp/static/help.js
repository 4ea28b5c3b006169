// The help page: results as the visitor types, and the question form when nothing answers.
const box = document.getElementById('q'), out = document.getElementById('results');
const api = document.getElementById('search').dataset;  // the addresses, from the server's url_for
let timer = null, seq = 0;
function esc(s) { const d = document.createElement('div'); d.textContent = s; return d.innerHTML; }
async function run() {
  const q = box.value.trim(), mine = ++seq;
  if (!q) { out.innerHTML = ''; return; }
  const r = await fetch(api.searchApi + '?limit=5&q=' + encodeURIComponent(q));
  const data = await r.json();
  if (mine !== seq) return;
  if (!r.ok) { out.innerHTML = '<p class="error">' + esc(data.error.message) + '</p>'; return; }
  let html = '';
  if (data.no_match) html += '<p class="none">Похоже, готового ответа нет. · We have no article for this yet.</p>';
  ask.hidden = !data.no_match;
  for (const res of data.results) {
    const href = api.article.replace('ARTICLE', encodeURIComponent(res.id));
    html += '<div class="result"><h2><a href="' + esc(href) + '">' + esc(res.title) + '</a></h2><div>' +
            res.snippet + '</div></div>';
  }
  out.innerHTML = html;
}
box.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(run, 150); });
// No article answers: the question becomes a ticket the visitor can follow by its link.
const ask = document.getElementById('ask');
ask.addEventListener('submit', async e => {
  e.preventDefault();
  const form = new FormData(ask), q = box.value.trim(), result = document.getElementById('ask-result');
  const r = await fetch(api.ticketsApi, {method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({question: q, search_query: q, channel: 'web', name: form.get('name'),
                          email: form.get('email') || null, phone: form.get('phone') || null})});
  const data = await r.json();
  result.innerHTML = !r.ok ? '<span class="error">' + esc(data.error.message) + '</span>'
    : data.joined ? 'Добавлено к вашему открытому обращению: следите за ним по ссылке из первого ответа. · '
                  + 'Added to your open request: follow it with the link you got when you first asked.'
    : 'Обращение · Request #' + data.number + ': <a href="' + esc(data.status_url) + '">статус · status</a>';
});
document.getElementById('search').addEventListener('submit', e => { e.preventDefault(); run(); });
