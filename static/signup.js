/*
 * signup.js — gives the mail-magazine sign-up form of a cached page its
 * own signed stamp. The page cache serves one copy to every visitor, so the
 * form in it carries no stamp (a stamp signed when the cache rendered the
 * page would let a bot post at once); when the page loads, this fetches a
 * fresh one from the same origin (GET /subscribe/stamp, never cached) for
 * each form marked data-stamp. Without JavaScript the form is sent without
 * a stamp and the server answers with the /subscribe form, stamped.
 * See src/web/newsletter.c.
 */
(function () {
  'use strict';
  var SHAPE = /^\d+\.[A-Za-z0-9_-]{16}\.[0-9a-f]{32}$/;

  function stamp(form) {
    var input = form.querySelector('input[name="ts"]');
    var url = form.getAttribute('data-stamp');
    if (!input || input.value || !url) return;
    fetch(url, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.ok ? r.text() : ''; })
      .then(function (t) { if (SHAPE.test(t)) input.value = t; })
      .catch(function () { /* the server's no-stamp fallback still works */ });
  }

  function init() {
    var forms = document.querySelectorAll('form[data-stamp]');
    for (var i = 0; i < forms.length; i++) stamp(forms[i]);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
