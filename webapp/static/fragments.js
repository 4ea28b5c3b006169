// The parts of a page that the server's own fragments redraw as one types (results, an answer, a
// caller's earlier tickets): the fragments are the markup the page renders without JavaScript. A
// newer request aborts the one before it, and an answer that is not the newest is never drawn.
// Loaded before help.js, desk.js and console.js, which share it.
const Fragments = (() => {
  // The answer of `url` as {ok, status, html}; X-Requested-With tells the server a script asks.
  async function load(url, init) {
    const r = await fetch(url, Object.assign({headers: {Accept: 'text/html', 'X-Requested-With': 'fetch'}},
                                             init || {}));
    return {ok: r.ok, status: r.status, html: await r.text()};
  }
  // One part of the page: get(url) gives the answer, or null when a newer get (or cancel) came after
  // it, or when it failed (aborted, or offline for a moment).
  function latest() {
    let seq = 0, pending = null;
    function cancel() {
      seq++;
      if (pending) pending.abort();
      pending = null;
    }
    async function get(url) {
      cancel();
      const mine = seq, controller = pending = new AbortController();
      try {
        const answer = await load(url, {signal: controller.signal});
        return mine === seq ? answer : null;
      } catch (e) {
        return null;
      }
    }
    return {get, cancel};
  }
  return {load, latest};
})();
