/* admin.js — progressive enhancement for the admin UI. Everything works
 * without it: the preview button submits the editor form and the server
 * re-renders the page with the preview. With it, the preview is fetched from
 * /admin/preview (and refreshed while typing), destructive forms ask for
 * confirmation, and the new API token can be copied with one click. */
(function () {
  'use strict';

  function previewer(form) {
    var out = document.getElementById('preview');
    var body = form.querySelector('textarea[name=body]');
    var status = document.getElementById('preview-status');
    var btn = document.getElementById('btn-preview');
    if (!out || !body || !window.fetch || !window.URLSearchParams) return;
    var timer = null, seq = 0;
    function refresh() {
      var data = new URLSearchParams();
      data.set('_csrf', form.querySelector('input[name=_csrf]').value);
      data.set('body', body.value);
      var mine = ++seq;
      out.classList.add('loading');
      fetch(form.getAttribute('data-preview-url'), {
        method: 'POST', credentials: 'same-origin', body: data,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' }
      }).then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.text();
      }).then(function (html) {
        if (mine !== seq) return;
        out.innerHTML = html; /* server-rendered, sanitised Markdown */
        out.classList.remove('loading');
        if (status) status.textContent = '';
      }).catch(function (e) {
        out.classList.remove('loading');
        if (status) status.textContent = e.message;
      });
    }
    if (btn) btn.addEventListener('click', function (ev) { ev.preventDefault(); refresh(); });
    body.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 700);
    });
    if (body.value && out.querySelector('.placeholder')) refresh();
  }

  function confirmForms() {
    document.querySelectorAll('form[data-confirm]').forEach(function (f) {
      f.addEventListener('submit', function (ev) {
        if (!window.confirm(f.getAttribute('data-confirm'))) ev.preventDefault();
      });
    });
  }

  function copyButtons() {
    document.querySelectorAll('[data-copy]').forEach(function (b) {
      b.addEventListener('click', function () {
        var el = document.getElementById(b.getAttribute('data-copy'));
        if (!el || !navigator.clipboard) return;
        navigator.clipboard.writeText(el.textContent).then(function () {
          b.textContent = b.getAttribute('data-copied') || b.textContent;
        });
      });
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var form = document.getElementById('editor-form');
    if (form) previewer(form);
    confirmForms();
    copyButtons();
  });
})();
