/* editor.js — the article and broadcast editors' safety nets and Markdown
 * toolbar (progressive enhancement: without it the forms still save).
 *
 *  - Autosave: a draft article or broadcast (form[data-autosave]) is posted
 *    with autosave=1 to its own URL 3 s after typing stops, through the same
 *    validation as a save; no action is sent, so it never publishes or
 *    sends. Nothing is saved while the field named by data-autosave-needs
 *    (default title) is empty. The answer's time shows as 「保存しました
 *    HH:MM」. A new item becomes its answer's url after its first autosave.
 *  - Leaving with unsaved changes asks first (beforeunload), except after
 *    they were saved (autosave, or the form's own submit).
 *  - The Markdown toolbar (#md-toolbar, templates/admin/md_toolbar.html):
 *    heading, bold, link, list and image act on the selection of #body;
 *    one tab stop with arrow keys between buttons (WAI-ARIA toolbar);
 *    Ctrl/Cmd+B and Ctrl/Cmd+K in the textarea. */
(function () {
  'use strict';

  var AUTOSAVE_MS = 3000;

  /* ---- unsaved changes ---- */

  function snapshot(form) {
    var parts = [];
    form.querySelectorAll('input[name], textarea[name], select[name]').forEach(function (el) {
      if (el.type === 'hidden' || el.type === 'file') return;
      if ((el.type === 'checkbox' || el.type === 'radio') && !el.checked) return;
      parts.push(el.name + '=' + el.value);
    });
    return parts.join('\u0000');
  }

  function guard(form) {
    var state = { saved: snapshot(form), submitting: false };
    form.addEventListener('submit', function () { state.submitting = true; });
    window.addEventListener('beforeunload', function (ev) {
      if (state.submitting || snapshot(form) === state.saved) return undefined;
      ev.preventDefault();
      ev.returnValue = '';
      return '';
    });
    return state;
  }

  /* ---- autosave ---- */

  function autosave(form, state) {
    var out = document.getElementById('autosave-status');
    if (!form.hasAttribute('data-autosave') || !window.fetch || !window.FormData) return;
    var timer = null, busy = false, again = false;
    function show(text, bad) {
      if (!out) return;
      out.textContent = text;
      out.classList.toggle('error', !!bad);
    }
    function run() {
      if (busy) { again = true; return; }
      var snap = snapshot(form);
      if (snap === state.saved || state.submitting) return;
      var title = form.querySelector('[name=' + (form.getAttribute('data-autosave-needs') || 'title') + ']');
      if (title && !title.value.trim()) return; /* nothing to name it by yet */
      var data = new FormData(form);
      data.set('autosave', '1');
      busy = true;
      show(form.getAttribute('data-autosave-saving'));
      fetch(form.getAttribute('action'), {
        method: 'POST', credentials: 'same-origin', body: new URLSearchParams(data),
        headers: { 'Accept': 'application/json' }
      }).then(function (r) {
        return r.json().then(function (j) { return { ok: r.ok, j: j }; });
      }).then(function (res) {
        if (!res.ok) throw new Error(res.j && res.j.error ? res.j.error.message : '');
        state.saved = snap;
        if (form.getAttribute('action') !== res.j.url) {
          form.setAttribute('action', res.j.url);
          if (window.history && history.replaceState) history.replaceState(null, '', res.j.url);
        }
        show(form.getAttribute('data-autosave-saved').replace('{time}', res.j.saved_at));
        form.dispatchEvent(new CustomEvent('jm:autosaved', { detail: res.j }));
      }).catch(function (e) {
        show(form.getAttribute('data-autosave-failed') + (e.message ? ': ' + e.message : ''), true);
      }).then(function () {
        busy = false;
        if (again) { again = false; schedule(); }
      });
    }
    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(run, AUTOSAVE_MS);
    }
    form.addEventListener('input', schedule);
    form.addEventListener('change', schedule);
  }

  /* ---- the Markdown toolbar ---- */

  function replaceSel(ta, before, text, after, selFrom, selTo) {
    var s = ta.selectionStart, e = ta.selectionEnd;
    ta.focus();
    ta.setRangeText(before + text + after, s, e, 'end');
    var base = s + before.length;
    ta.setSelectionRange(base + selFrom, base + selTo);
    ta.dispatchEvent(new Event('input', { bubbles: true }));
  }

  /* Prefixes every line the selection touches (toggles when all have it). */
  function prefixLines(ta, prefix, re) {
    var v = ta.value, s = ta.selectionStart, e = ta.selectionEnd;
    var from = v.lastIndexOf('\n', s - 1) + 1;
    var to = v.indexOf('\n', e > s && v[e - 1] === '\n' ? e - 1 : e);
    if (to < 0) to = v.length;
    var lines = v.slice(from, to).split('\n');
    var all = lines.every(function (l) { return re.test(l); });
    var out = lines.map(function (l) { return all ? l.replace(re, '') : prefix + l.replace(re, ''); });
    ta.focus();
    ta.setRangeText(out.join('\n'), from, to, 'select');
    ta.dispatchEvent(new Event('input', { bubbles: true }));
  }

  function apply(ta, kind, L) {
    var sel = ta.value.slice(ta.selectionStart, ta.selectionEnd);
    if (kind === 'heading') return prefixLines(ta, '## ', /^#{1,6} /);
    if (kind === 'list') return prefixLines(ta, '- ', /^[-*] /);
    if (kind === 'bold') {
      var b = sel || L;
      return replaceSel(ta, '**', b, '**', 0, b.length);
    }
    if (kind === 'link' || kind === 'image') {
      var t = sel || L, url = 'https://';
      var pre = kind === 'image' ? '![' : '[';
      /* The URL is selected, ready to be typed over. */
      return replaceSel(ta, pre, t + '](' + url, ')', t.length + 2, t.length + 2 + url.length);
    }
    return undefined;
  }

  function toolbar() {
    var bar = document.getElementById('md-toolbar');
    var ta = bar && document.getElementById(bar.getAttribute('aria-controls'));
    if (!bar || !ta || !ta.setRangeText) return;
    var buttons = Array.prototype.slice.call(bar.querySelectorAll('button[data-md]'));
    var text = bar.getAttribute('data-text') || '';
    bar.hidden = false;
    buttons.forEach(function (b, i) {
      b.addEventListener('click', function () { apply(ta, b.getAttribute('data-md'), text); });
      b.addEventListener('keydown', function (ev) {
        var k = ev.key, j = i;
        if (k === 'ArrowRight') j = (i + 1) % buttons.length;
        else if (k === 'ArrowLeft') j = (i - 1 + buttons.length) % buttons.length;
        else if (k === 'Home') j = 0;
        else if (k === 'End') j = buttons.length - 1;
        else return;
        ev.preventDefault();
        buttons[i].tabIndex = -1;
        buttons[j].tabIndex = 0;
        buttons[j].focus();
      });
    });
    ta.addEventListener('keydown', function (ev) {
      if (!(ev.ctrlKey || ev.metaKey) || ev.altKey || ev.isComposing) return;
      var k = ev.key.toLowerCase();
      if (k === 'b' || k === 'k') {
        ev.preventDefault();
        apply(ta, k === 'b' ? 'bold' : 'link', text);
      }
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var form = document.getElementById('editor-form') || document.getElementById('compose-form');
    if (form) autosave(form, guard(form));
    toolbar();
  });
})();
