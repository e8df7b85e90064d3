/* The media library from the editors: an image dropped on or pasted into
 * the Markdown body, or chosen with "Add image", is posted to /admin/media
 * (with the page's CSRF token) and its Markdown goes in at the cursor; the
 * featured image's picker fills its URL field. Errors are the server's
 * message, in the owner's language. */
(function () {
  'use strict';

  function uploader(box) {
    var form = box.closest('form');
    var status = box.querySelector('.media-status');
    var hint = status ? status.textContent : '';
    return function (file, done) {
      var fd = new FormData();
      fd.append('_csrf', form.querySelector('input[name=_csrf]').value);
      fd.append('file', file, file.name || 'image.png');
      if (status) { status.textContent = box.getAttribute('data-uploading'); status.classList.remove('error'); }
      fetch(box.getAttribute('data-media-upload-url'), {
        method: 'POST', credentials: 'same-origin', body: fd,
        headers: { 'Accept': 'application/json' }
      }).then(function (r) {
        return r.json().then(function (j) { return { ok: r.ok, j: j }; });
      }).then(function (res) {
        if (!res.ok) throw new Error(res.j.error ? res.j.error.message : 'HTTP error');
        if (status) status.textContent = hint;
        done(res.j);
      }).catch(function (e) {
        if (status) { status.textContent = e.message; status.classList.add('error'); }
      });
    };
  }

  function insertAtCursor(ta, text) {
    var s = ta.selectionStart, e = ta.selectionEnd, v = ta.value;
    var before = v.slice(0, s);
    var lead = before && !/\n$/.test(before) ? '\n' : '';
    ta.value = before + lead + text + '\n' + v.slice(e);
    var pos = (before + lead + text + '\n').length;
    ta.setSelectionRange(pos, pos);
    ta.dispatchEvent(new Event('input', { bubbles: true }));
  }

  function imageFiles(list) {
    return Array.prototype.filter.call(list || [], function (f) {
      return !f.type || f.type.indexOf('image/') === 0 || /\.hei[cf]$/i.test(f.name);
    });
  }

  function bodyBar(bar) {
    var form = bar.closest('form');
    var ta = form.querySelector('textarea[name=body]');
    var up = uploader(bar);
    var put = function (files) {
      files.forEach(function (f) { up(f, function (m) { insertAtCursor(ta, m.markdown); }); });
    };
    var picker = bar.querySelector('input[type=file]');
    picker.addEventListener('change', function () { put(imageFiles(picker.files)); picker.value = ''; });
    ta.addEventListener('dragover', function (ev) {
      if (ev.dataTransfer && Array.prototype.indexOf.call(ev.dataTransfer.types, 'Files') >= 0) {
        ev.preventDefault();
        ta.classList.add('dragging');
      }
    });
    ta.addEventListener('dragleave', function () { ta.classList.remove('dragging'); });
    ta.addEventListener('drop', function (ev) {
      var files = imageFiles(ev.dataTransfer && ev.dataTransfer.files);
      ta.classList.remove('dragging');
      if (!files.length) return;
      ev.preventDefault();
      put(files);
    });
    ta.addEventListener('paste', function (ev) {
      var files = imageFiles(ev.clipboardData && ev.clipboardData.files);
      if (!files.length) return;
      ev.preventDefault();
      put(files);
    });
  }

  function featured(box) {
    var up = uploader(box);
    var picker = box.querySelector('input[type=file]');
    var field = document.getElementById(picker.getAttribute('data-media-target'));
    picker.addEventListener('change', function () {
      var files = imageFiles(picker.files);
      if (files.length) up(files[0], function (m) { field.value = m.url; });
      picker.value = '';
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    if (!window.fetch || !window.FormData) return;
    document.querySelectorAll('.media-bar[data-media-upload-url]').forEach(bodyBar);
    document.querySelectorAll('.featured[data-media-upload-url]').forEach(featured);
  });
})();
