// checkin.js — the check-in scan page (/admin/forms/{id}/checkin/scan):
// reads the 受付票's QR code with the phone's camera through the browser's
// BarcodeDetector and posts it in the page's form. Without BarcodeDetector
// (or a camera) the form still takes a typed or pasted code.
(function () {
  'use strict';
  var form = document.getElementById('scan-form');
  var input = document.getElementById('scan-code');
  var video = document.getElementById('scan-video');
  var start = document.getElementById('scan-start');
  if (!form || !input || !video || !start) return;
  if (!('BarcodeDetector' in window) || !navigator.mediaDevices) return;
  var detector;
  try { detector = new window.BarcodeDetector({ formats: ['qr_code'] }); } catch (e) { return; }
  var sent = false;
  function tick() {
    if (sent) return;
    detector.detect(video).then(function (codes) {
      for (var i = 0; i < codes.length; i++) {
        var v = (codes[i].rawValue || '').trim();
        if (/^JM-\d+-[0-9a-f]+$/i.test(v)) {
          sent = true;
          input.value = v;
          form.submit();
          return;
        }
      }
      requestAnimationFrame(tick);
    }, function () { setTimeout(tick, 300); });
  }
  function run() {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false })
      .then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        start.hidden = true;
        return video.play();
      }).then(tick, function () { start.hidden = false; });
  }
  start.hidden = false;
  start.addEventListener('click', run);
  run();
})();
