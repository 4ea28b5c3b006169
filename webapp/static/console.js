// The operator console (webapp/staff/console.py): keyboard first, and fast. Every keystroke asks the
// server for the results fragment (only the newest answer is drawn: fragments.js), ArrowUp/ArrowDown choose a result, Enter opens it beside its
// operator notes, c (or Alt+C) copies the answer as plain text, l (or Alt+L) opens the other
// language, Alt+R (or r outside a text field; the hint shows Alt+R, which also works from the search box,
// where the operator is) goes to the call form, Escape comes back to the search box. Everything the
// script fetches is the same markup the page renders without JavaScript.
'use strict';
document.documentElement.classList.add('js');

const search = document.getElementById('search'), box = document.getElementById('q');
const out = document.getElementById('results'), panel = document.getElementById('answer-panel');
const call = document.getElementById('call'), past = document.getElementById('history');
const placeholder = document.getElementById('answer-placeholder').innerHTML;
const results = Fragments.latest(), answers = Fragments.latest(), callers = Fragments.latest();
let active = -1, questionEdited = false;

const field = name => document.querySelector('#call-form [name="' + name + '"]');
const hits = () => Array.from(out.querySelectorAll('.hit'));
const typing = el => el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
const plainClick = e => !(e.ctrlKey || e.metaKey || e.shiftKey || e.altKey || e.button);

// --- the address follows what is on screen, so a reload (or a colleague) sees the same -------------
function remember() {
  const params = new URLSearchParams(), q = box.value.trim(), id = field('article_id') && field('article_id').value;
  if (q) params.set('q', q);
  if (id) params.set('article', id);
  const query = params.toString();
  history.replaceState(null, '', search.action + (query ? '?' + query : ''));
}

// --- results as the operator types -----------------------------------------------------------------
function syncQuestion() {
  const question = field('question'), asked = field('search_query');
  if (asked) asked.value = box.value.trim();
  if (question && !questionEdited) question.value = box.value;
}

// One question however many keystrokes (question.js); an opened answer or a registered call starts a new one.
async function run() {
  const q = box.value.trim(), asked = Question.typed();
  syncQuestion();
  if (!q) { results.cancel(); out.innerHTML = ''; delete out.dataset.query; select(-1); remember(); return; }
  const answer = await results.get(search.dataset.results + '?q=' + encodeURIComponent(q) + '&qid=' + asked);
  if (!answer) return;
  const chosen = active >= 0 && hits()[active] ? hits()[active].dataset.id : null;
  out.innerHTML = answer.html;
  out.dataset.query = q;
  select(hits().findIndex(hit => hit.dataset.id === chosen));  // a chosen article stays chosen
  out.dispatchEvent(new CustomEvent('results', {detail: {query: q}}));  // the browser test times this
  remember();
}

function select(i) {
  const list = hits();
  active = list.length ? Math.max(-1, Math.min(i, list.length - 1)) : -1;
  list.forEach((hit, n) => hit.setAttribute('aria-selected', String(n === active)));
  if (active >= 0) {
    box.setAttribute('aria-activedescendant', list[active].id);
    list[active].scrollIntoView({block: 'nearest'});
  } else {
    box.removeAttribute('aria-activedescendant');
  }
}

// --- the answer panel --------------------------------------------------------------------------------
function setArticle(id, title, lang) {
  const linked = field('article_id'), line = document.getElementById('call-article');
  if (linked) linked.value = id || '';
  if (!line) return;
  line.textContent = '';
  if (id) {
    const name = document.createElement('strong');
    name.textContent = title;
    if (lang) name.lang = lang;
    line.append(line.dataset.label + ' ', name);
  } else {
    line.textContent = line.dataset.none;
  }
}

async function openArticle(id, focus) {
  const path = id.split('/').map(encodeURIComponent).join('/');
  const answer = await answers.get(search.dataset.article + path + '?q=' + encodeURIComponent(box.value.trim()) +
                                   '&qid=' + Question.id);
  if (!answer) return;
  Question.next();  // an answer opened: whatever is typed next is another question
  if (!answer.ok) return;
  panel.innerHTML = answer.html;
  const article = document.getElementById('answer-view');
  setArticle(article.dataset.id, article.dataset.title, article.querySelector('h2').lang);
  if (focus) article.focus({preventScroll: true});
  panel.dispatchEvent(new CustomEvent('answer', {detail: {id: article.dataset.id}}));
  remember();
}

function openActive() {
  const list = hits(), hit = list[active >= 0 ? active : 0];
  if (hit) { select(list.indexOf(hit)); openArticle(hit.dataset.id, true); }
}

function otherLanguage() {
  const other = document.getElementById('other-lang');
  if (other) openArticle(other.dataset.id, true);
}

// --- copying the answer as plain text ----------------------------------------------------------------
let copiedTimer = null;

function copyWithSelection(text) {  // for a page served over plain http, where there is no clipboard API
  const area = document.createElement('textarea'), back = document.activeElement;
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'offscreen';
  document.body.append(area);
  area.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
  area.remove();
  if (back) back.focus({preventScroll: true});
  return ok;
}

function copyAnswer() {
  const plain = document.getElementById('answer-plain'), status = document.getElementById('copied');
  if (!plain || !status) return;
  const text = plain.content.textContent.trim();
  const done = ok => {
    status.textContent = ok ? status.dataset.done : status.dataset.failed;
    status.classList.toggle('failed', !ok);
    status.classList.add('on');
    clearTimeout(copiedTimer);
    copiedTimer = setTimeout(() => { status.textContent = ''; status.classList.remove('on'); }, 2500);
    panel.dispatchEvent(new CustomEvent('copied', {detail: {ok}}));
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(() => done(true), () => done(copyWithSelection(text)));
  } else {
    done(copyWithSelection(text));
  }
}

// --- the caller's earlier tickets, as the contact is typed -------------------------------------------
let contactTimer = null;

function lookUpCaller() {
  clearTimeout(contactTimer);
  contactTimer = setTimeout(async () => {
    const contact = field('contact') ? field('contact').value.trim() : '';
    if (!contact) { callers.cancel(); past.innerHTML = ''; past.hidden = true; return; }
    const answer = await callers.get(search.dataset.customer + '?contact=' + encodeURIComponent(contact));
    if (!answer) return;
    past.innerHTML = answer.html;
    past.hidden = !answer.html.trim();
    past.dispatchEvent(new CustomEvent('history'));
  }, 250);
}

// --- registering the call: posted here, the form fragment swapped in ---------------------------------
async function register(form) {
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  let answer;
  try {
    answer = await Fragments.load(form.action, {method: 'POST', body: new FormData(form)});
  } catch (e) {
    HTMLFormElement.prototype.submit.call(form);  // the page's own way: post and come back
    return;
  }
  if ((answer.status !== 200 && answer.status !== 400) || !answer.html.includes('id="call-form"')) {
    HTMLFormElement.prototype.submit.call(form);  // refused or broken: let the page say why
    return;
  }
  call.innerHTML = answer.html;
  if (answer.ok) {  // the next caller: a clean console
    questionEdited = false;
    Question.next();
    box.value = '';
    results.cancel();
    out.innerHTML = '';
    select(-1);
    panel.innerHTML = placeholder;
    past.innerHTML = '';
    past.hidden = true;
    remember();
    box.focus();
    call.dispatchEvent(new CustomEvent('registered'));
  } else {
    const bad = call.querySelector('[aria-invalid=true]') || field('contact');
    if (bad) bad.focus();
  }
}

// --- wiring ------------------------------------------------------------------------------------------
box.addEventListener('input', run);
search.addEventListener('submit', e => { e.preventDefault(); openActive(); });

out.addEventListener('click', e => {
  const hit = e.target.closest('.hit');
  if (!hit || !plainClick(e)) return;
  e.preventDefault();
  select(hits().indexOf(hit));
  openArticle(hit.dataset.id, true);
});

panel.addEventListener('click', e => {
  if (e.target.closest('#copy')) { copyAnswer(); return; }
  const other = e.target.closest('#other-lang');
  if (other && plainClick(e)) { e.preventDefault(); otherLanguage(); }
});

call.addEventListener('input', e => {
  if (e.target.name === 'question') questionEdited = e.target.value !== box.value;
  if (e.target.name === 'contact') lookUpCaller();
});
call.addEventListener('submit', e => {
  if (e.target.id !== 'call-form') return;
  e.preventDefault();
  register(e.target);
});

document.addEventListener('keydown', e => {
  const target = e.target, inField = typing(target);
  if (e.key === 'Escape') {
    e.preventDefault();
    box.focus();
    box.select();
    return;
  }
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && target.closest && target.closest('#call-form')) {
    e.preventDefault();
    document.getElementById('call-form').requestSubmit();
    return;
  }
  if (target === box && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
    e.preventDefault();
    select(e.key === 'ArrowDown' ? active + 1 : Math.max(active - 1, -1));
    return;
  }
  if (target === box && e.key === 'Enter') {
    e.preventDefault();
    openActive();
    return;
  }
  // Letter keys act only outside text fields (so typing is never taken); with Alt they act anywhere.
  // By the key's place (e.code), so they work with the Russian layout too.
  const alt = e.altKey && !e.ctrlKey && !e.metaKey && !e.shiftKey;
  const bare = !e.altKey && !e.ctrlKey && !e.metaKey && !inField;
  if (!alt && !bare) return;
  if (e.code === 'KeyC') { e.preventDefault(); copyAnswer(); }
  else if (e.code === 'KeyL') { e.preventDefault(); otherLanguage(); }
  else if (e.code === 'KeyR' && field('contact')) { e.preventDefault(); field('contact').focus(); }
  else if (bare && (e.key === '/' || e.code === 'Slash')) { e.preventDefault(); box.focus(); box.select(); }
  else if (bare && (e.key === 'ArrowDown' || e.key === 'ArrowUp') && target.closest && target.closest('#results')) {
    e.preventDefault();
    box.focus();
    select(e.key === 'ArrowDown' ? active + 1 : active - 1);
  }
});

box.focus();
box.setSelectionRange(box.value.length, box.value.length);
