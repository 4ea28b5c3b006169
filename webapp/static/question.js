// Typing is not asking: every keystroke of one question carries the same question id, so the server
// logs one question with its last text. A pause of 2 s starts a new one, and so does whatever the
// page says ends a question (a submit, an opened result, a registered call): `Question.next()`.
// Loaded before help.js and console.js, which share it.
const Question = (() => {
  const PAUSE = 2000;
  const fresh = () => Array.from(crypto.getRandomValues(new Uint8Array(8)),
                                 b => b.toString(16).padStart(2, '0')).join('');
  let id = fresh(), lastKey = 0;
  return {
    typed() {  // a keystroke: the id of the question it belongs to
      const now = Date.now();
      if (lastKey && now - lastKey > PAUSE) id = fresh();
      lastKey = now;
      return id;
    },
    get id() { return id; },
    next() { id = fresh(); lastKey = 0; },
  };
})();
