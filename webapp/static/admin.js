// Admin pages: copy a secret shown once to the clipboard, and ask before a form marked data-confirm
// (revoke a token, deactivate an operator) is sent.
(function () {
  "use strict";

  function selectAll(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var secret = document.getElementById(button.getAttribute("data-copy"));
    if (!secret) { return; }
    var label = button.textContent;
    secret.addEventListener("focus", function () { selectAll(secret); });
    button.addEventListener("click", function () {
      var text = secret.textContent.trim();
      var done = function () {
        button.textContent = button.getAttribute("data-copied") || label;
        window.setTimeout(function () { button.textContent = label; }, 2000);
      };
      var fallback = function () {
        selectAll(secret);  // at least selected, ready for Ctrl+C
        if (document.execCommand("copy")) { done(); }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, fallback);
      } else {
        fallback();
      }
    });
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
