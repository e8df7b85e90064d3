/* embed.js — the click-to-play YouTube facade of the public site
 * (src/site/embed.c). Until the reader clicks, nothing is loaded from
 * YouTube; the click swaps the box for the privacy-enhanced player
 * (www.youtube-nocookie.com, the one frame source the site's CSP allows).
 * Without this script the box is a plain link to the video. */
(function () {
  'use strict';
  var ID = /^[A-Za-z0-9_-]{11}$/;
  document.addEventListener('click', function (ev) {
    var a = ev.target && ev.target.closest ? ev.target.closest('.embed-youtube a') : null;
    if (!a || ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
    var box = a.parentNode;
    var id = box.getAttribute('data-youtube') || '';
    if (!ID.test(id)) return;
    ev.preventDefault();
    var f = document.createElement('iframe');
    f.src = 'https://www.youtube-nocookie.com/embed/' + id + '?autoplay=1';
    f.title = 'YouTube';
    f.setAttribute('allow', 'autoplay; encrypted-media; picture-in-picture; fullscreen');
    f.setAttribute('allowfullscreen', '');
    f.setAttribute('referrerpolicy', 'strict-origin-when-cross-origin');
    box.textContent = '';
    box.appendChild(f);
    box.classList.add('embed-playing');
  });
})();
