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
        /* A whole document shown in <iframe sandbox>: nothing in an
         * article runs with the admin's rights. */
        out.srcdoc = html;
        out.removeAttribute('data-empty');
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
    if (body.value && out.getAttribute('data-empty')) refresh();
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

/* Mail magazine pages: the broadcast composer's live preview (HTML and
 * plain text from /admin/broadcasts/preview), confirm on buttons with
 * data-confirm, "select all" on the subscriber list, the broadcast progress
 * (GET …/status every second until sent/cancelled) and the CSV import's
 * progress bar (the start request runs while …/status is polled). Without
 * JavaScript every page still works by plain form posts and reloads. */
(function () {
  'use strict';

  function post(url, form, extra) {
    var data = new URLSearchParams(new FormData(form));
    Object.keys(extra || {}).forEach(function (k) { data.set(k, extra[k]); });
    return fetch(url, {
      method: 'POST', credentials: 'same-origin', body: data,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' }
    });
  }

  function composer(form) {
    var html = document.getElementById('preview');
    var text = document.getElementById('preview-text');
    var body = form.querySelector('textarea[name=body]');
    var status = document.getElementById('preview-status');
    var btn = document.getElementById('btn-preview');
    if (!html || !body || !window.fetch) return;
    var timer = null, seq = 0;
    function refresh() {
      var mine = ++seq;
      html.classList.add('loading');
      post(form.getAttribute('data-preview-url'), form).then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      }).then(function (p) {
        if (mine !== seq) return;
        html.innerHTML = p.html; /* server-rendered, sanitised Markdown */
        if (text) text.textContent = p.text;
        html.classList.remove('loading');
        if (status) status.textContent = '';
      }).catch(function (e) {
        html.classList.remove('loading');
        if (status) status.textContent = e.message;
      });
    }
    if (btn) btn.addEventListener('click', function (ev) { ev.preventDefault(); refresh(); });
    body.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 700);
    });
  }

  function setBar(box, pct) {
    var bar = box.querySelector('.progress');
    if (!bar) return;
    bar.setAttribute('aria-valuenow', String(pct));
    bar.firstElementChild.style.width = pct + '%';
    var t = box.querySelector('.pct, #bc-percent');
    if (t) t.textContent = String(pct);
  }

  function broadcastProgress(box) {
    var url = box.getAttribute('data-status-url');
    var state = document.getElementById('bc-state');
    var last = state ? state.getAttribute('data-state') : '';
    function tick() {
      fetch(url, { credentials: 'same-origin' }).then(function (r) { return r.json(); })
        .then(function (s) {
          setBar(box, s.percent);
          ['sent', 'failed', 'total'].forEach(function (k) {
            var el = document.getElementById('bc-' + k);
            if (el) el.textContent = String(s[k]);
          });
          var rate = document.getElementById('bc-rate');
          if (rate) rate.textContent = s.rate.toFixed(1);
          if (s.status !== last) { window.location.reload(); return; }
          if (s.status === 'sending' || s.status === 'scheduled' || s.status === 'paused')
            setTimeout(tick, 1000);
        }).catch(function () { setTimeout(tick, 3000); });
    }
    if (last !== 'sent' && last !== 'cancelled') setTimeout(tick, 1000);
  }

  function pollImport(box, onDone) {
    var url = box.getAttribute('data-status-url');
    (function tick() {
      fetch(url, { credentials: 'same-origin' }).then(function (r) { return r.json(); })
        .then(function (s) {
          setBar(box, s.percent || 0);
          if (s.state === 'done' || s.state === 'failed') onDone();
          else setTimeout(tick, 500);
        }).catch(function () { setTimeout(tick, 2000); });
    })();
  }

  function importStart(form) {
    var box = document.getElementById('import-progress');
    if (!box || !window.fetch) return;
    box.setAttribute('data-status-url', form.getAttribute('data-status-url'));
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      form.hidden = true;
      box.hidden = false;
      var page = form.getAttribute('action');
      var finished = false;
      function done() {
        if (finished) return;
        finished = true;
        window.location.href = page;
      }
      post(page, form).then(function (r) {
        /* 422: the mapping was refused; show the server's page. */
        if (r.status === 422) return r.text().then(function (h) { document.open(); document.write(h); document.close(); });
        done();
      }).catch(done);
      pollImport(box, done);
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var f = document.getElementById('compose-form');
    if (f) composer(f);
    document.querySelectorAll('button[data-confirm]').forEach(function (b) {
      b.addEventListener('click', function (ev) {
        if (!window.confirm(b.getAttribute('data-confirm'))) ev.preventDefault();
      });
    });
    var all = document.getElementById('check-all');
    if (all) all.addEventListener('change', function () {
      document.querySelectorAll('#sub-list input[name=ids]').forEach(function (c) { c.checked = all.checked; });
    });
    /* Progress bars carry their width as data-pct (the CSP allows no
     * style attribute). */
    document.querySelectorAll('.progress > span[data-pct]').forEach(function (s) {
      s.style.width = s.getAttribute('data-pct') + '%';
    });
    var p = document.getElementById('progress');
    if (p && p.getAttribute('data-status-url')) broadcastProgress(p);
    var imp = document.getElementById('import-start');
    if (imp) importStart(imp);
    var running = document.querySelector('#import-progress[data-reload]');
    if (running) pollImport(running, function () { window.location.reload(); });
  });
})();
