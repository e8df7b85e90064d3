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
      document.querySelectorAll('#sub-list input[name=ids], #results input[name=id]').forEach(function (c) { c.checked = all.checked; });
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

/* The phone-ready shell (issue 10): the navigation menu's toggle (without
 * JavaScript the button is a link that opens the menu by :target), the
 * IME guard (the Enter that confirms a Japanese conversion, 変換確定, never
 * submits a form or starts a search), the person picker (an ARIA 1.2
 * combobox over /admin/people/suggest; the typed text still posts as
 * "other", a chosen person adds "other_id") and the bulk bar's stage
 * select shown only for a stage change. */
(function () {
  'use strict';

  /* True for the keydown that confirms a conversion: Chrome and Firefox
   * set isComposing; Safari sends keyCode 229 after compositionend. */
  function imeEnter(ev) {
    return ev.key === 'Enter' && (ev.isComposing || ev.keyCode === 229);
  }
  window.jmImeEnter = imeEnter;

  function imeGuard() {
    window.addEventListener('keydown', function (ev) {
      var t = ev.target;
      if (!imeEnter(ev) || !t || t.tagName !== 'INPUT') return;
      ev.preventDefault();
      ev.stopPropagation();
    }, true);
  }

  function menu() {
    var btn = document.getElementById('menu-btn');
    var side = document.getElementById('sidebar');
    if (!btn || !side) return;
    function set(open) {
      side.classList.toggle('open', open);
      btn.setAttribute('aria-expanded', open ? 'true' : 'false');
    }
    btn.addEventListener('click', function (ev) {
      ev.preventDefault();
      var open = !side.classList.contains('open');
      set(open);
      var first = open && side.querySelector('.nav a');
      if (first) first.focus();
    });
    btn.addEventListener('keydown', function (ev) {
      if (ev.key === ' ') { ev.preventDefault(); btn.click(); }
    });
    document.addEventListener('keydown', function (ev) {
      if (ev.key === 'Escape' && side.classList.contains('open')) { set(false); btn.focus(); }
    });
  }

  var pickers = 0;

  function picker(input) {
    var n = ++pickers;
    var url = input.getAttribute('data-person-picker');
    var exclude = input.getAttribute('data-exclude') || '';
    var list = document.createElement('ul');
    var hidden = document.createElement('input');
    var live = document.createElement('div');
    var timer = null, seq = 0, items = [], active = -1;
    list.id = 'picker-list-' + n;
    list.className = 'picker-list';
    list.setAttribute('role', 'listbox');
    list.hidden = true;
    hidden.type = 'hidden';
    hidden.name = input.name + '_id';
    live.className = 'visually-hidden';
    live.setAttribute('role', 'status');
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', list.id);
    input.setAttribute('autocomplete', 'off');
    input.parentNode.classList.add('picker');
    input.parentNode.appendChild(list);
    input.parentNode.appendChild(live);
    input.form.appendChild(hidden);

    function close() {
      list.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
      active = -1;
    }
    function mark(i) {
      active = i;
      Array.prototype.forEach.call(list.children, function (li, k) {
        li.setAttribute('aria-selected', k === i ? 'true' : 'false');
      });
      if (i >= 0) input.setAttribute('aria-activedescendant', list.children[i].id);
      else input.removeAttribute('aria-activedescendant');
    }
    function choose(i) {
      var p = items[i];
      if (!p) return;
      input.value = p.name || p.email || ('#' + p.id);
      hidden.value = String(p.id);
      close();
    }
    function show(found) {
      items = found.filter(function (p) { return String(p.id) !== exclude; });
      list.textContent = '';
      items.forEach(function (p, i) {
        var li = document.createElement('li');
        li.id = list.id + '-' + i;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', 'false');
        li.setAttribute('data-id', String(p.id));
        var b = document.createElement('span');
        b.className = 'picker-name';
        b.textContent = p.name || p.email || ('#' + p.id);
        li.appendChild(b);
        var extra = [p.company, p.email, p.stage_label].filter(Boolean).join(' · ');
        if (extra) {
          var s = document.createElement('span');
          s.className = 'picker-sub';
          s.textContent = extra;
          li.appendChild(s);
        }
        li.addEventListener('mousedown', function (ev) { ev.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      list.hidden = items.length === 0;
      input.setAttribute('aria-expanded', items.length ? 'true' : 'false');
      live.textContent = items.length ? (input.getAttribute('data-found') || '').replace('{n}', items.length)
                                      : (input.getAttribute('data-none') || '');
      mark(-1);
    }
    function search() {
      var q = input.value.trim();
      var mine = ++seq;
      if (!q) { close(); return; }
      fetch(url + '?q=' + encodeURIComponent(q), { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (j) { if (mine === seq) show(j.items || []); })
        .catch(function () { if (mine === seq) close(); });
    }
    input.addEventListener('input', function (ev) {
      hidden.value = '';
      if (ev.isComposing) return; /* wait for the conversion to be confirmed */
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
    input.addEventListener('compositionend', function () {
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
    input.addEventListener('keydown', function (ev) {
      if (imeEnter(ev)) return;
      if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
        if (list.hidden) { search(); return; }
        ev.preventDefault();
        var k = items.length;
        mark(ev.key === 'ArrowDown' ? (active + 1) % k : (active - 1 + k) % k);
      } else if (ev.key === 'Enter' && !list.hidden && active >= 0) {
        ev.preventDefault();
        choose(active);
      } else if (ev.key === 'Escape' && !list.hidden) {
        ev.preventDefault();
        close();
      }
    });
    input.addEventListener('blur', function () { setTimeout(close, 150); });
  }

  /* The bulk bar: a stage select for a stage change, the tag box otherwise. */
  function bulkBar() {
    var op = document.getElementById('bulk-op');
    var tag = document.getElementById('bulk-tag-field');
    var stage = document.getElementById('bulk-stage-field');
    if (!op || !tag || !stage) return;
    function sync() {
      var st = op.value === 'stage';
      tag.hidden = st;
      stage.hidden = !st;
    }
    op.addEventListener('change', sync);
    sync();
  }

  /* A bulk bar whose argument boxes name their ops (data-op="tag untag"):
   * only the chosen op's boxes show (an ask's results page). */
  function bulkArgs() {
    var op = document.getElementById('bulk-op');
    var args = document.querySelectorAll('.bulk-arg[data-op]');
    if (!op || !args.length) return;
    function sync() {
      args.forEach(function (a) { a.hidden = a.dataset.op.split(' ').indexOf(op.value) < 0; });
    }
    op.addEventListener('change', sync);
    sync();
  }

  imeGuard();
  document.addEventListener('DOMContentLoaded', function () {
    menu();
    document.querySelectorAll('input[data-person-picker]').forEach(picker);
    bulkBar();
    bulkArgs();
  });
})();

/* Tabs over sections on one page (settings): a nav.tabs[data-tabs] whose
 * links point at the panels. Without JavaScript the links jump to each
 * section; with it one panel shows at a time (ARIA tabs, arrow keys), and
 * the panel holding a field error opens first with that field focused.
 * Every tab holding an error is marked (.tab-error), and a link to a field
 * (the banner's list of errors) opens that field's tab and focuses it. */
(function () {
  'use strict';

  function tabs(nav) {
    var links = Array.prototype.slice.call(nav.querySelectorAll('a[href^="#"]'));
    var panels = links.map(function (a) { return document.getElementById(a.getAttribute('href').slice(1)); });
    if (!links.length || panels.indexOf(null) >= 0) return;
    nav.setAttribute('role', 'tablist');
    function show(i, focus) {
      links.forEach(function (a, k) {
        a.setAttribute('aria-selected', k === i ? 'true' : 'false');
        a.setAttribute('tabindex', k === i ? '0' : '-1');
        a.classList.toggle('active', k === i);
        panels[k].hidden = k !== i;
      });
      if (focus) links[i].focus();
    }
    links.forEach(function (a, i) {
      a.setAttribute('role', 'tab');
      a.setAttribute('aria-controls', panels[i].id);
      panels[i].setAttribute('role', 'tabpanel');
      a.addEventListener('click', function (ev) { ev.preventDefault(); show(i, false); });
      a.addEventListener('keydown', function (ev) {
        var k = ev.key === 'ArrowRight' ? 1 : ev.key === 'ArrowLeft' ? -1 : 0;
        if (k) { ev.preventDefault(); show((i + k + links.length) % links.length, true); }
      });
    });
    panels.forEach(function (p, i) {
      links[i].classList.toggle('tab-error', !!p.querySelector('.has-error'));
    });
    document.querySelectorAll('a[href^="#set-"]').forEach(function (a) {
      var f = document.getElementById(a.getAttribute('href').slice(1));
      var i = f ? panels.findIndex(function (p) { return p.contains(f); }) : -1;
      if (i < 0) return;
      a.addEventListener('click', function (ev) { ev.preventDefault(); show(i, false); f.focus(); });
    });
    var bad = panels.findIndex(function (p) { return p.querySelector('.has-error'); });
    var start = bad >= 0 ? bad : Math.max(0, panels.findIndex(function (p) { return '#' + p.id === location.hash; }));
    show(start, false);
    if (bad >= 0) {
      var f = panels[bad].querySelector('.has-error input, .has-error select, .has-error textarea');
      if (f) f.focus();
    }
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('nav.tabs[data-tabs]').forEach(tabs);
  });
})();
