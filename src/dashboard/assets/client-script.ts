/**
 * The dashboard's only script, served as /assets/dashboard.js (the Content-Security-Policy
 * allows no inline script). Everything works without it; it adds confirmation dialogs to the
 * action forms and live updates through server-sent events.
 */
export const CLIENT_SCRIPT = `'use strict';
(function () {
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute('data-confirm');
    if (!question) return;
    if (!window.confirm(question)) { event.preventDefault(); return; }
    var field = form.querySelector('input[name="confirm"]');
    if (field) field.value = 'yes';
  });

  var source = null;
  var busy = false;
  var again = false;
  function listen() {
    var main = document.getElementById('main');
    var url = main && main.getAttribute('data-live');
    if (source && (!url || source.url.indexOf(url) < 0)) { source.close(); source = null; }
    if (!url || source || typeof EventSource === 'undefined') return;
    source = new EventSource(url);
    source.addEventListener('change', refresh);
  }
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.href, { headers: { 'X-Pulse-Live': '1' }, credentials: 'same-origin' })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (text) {
        if (!text) return;
        var next = new DOMParser().parseFromString(text, 'text/html');
        var fresh = next.getElementById('live-region');
        var current = document.getElementById('live-region');
        if (fresh && current) current.replaceWith(document.adoptNode(fresh));
        var main = document.getElementById('main');
        var nextMain = next.getElementById('main');
        if (main && nextMain) {
          var live = nextMain.getAttribute('data-live');
          if (live) main.setAttribute('data-live', live); else main.removeAttribute('data-live');
        }
        document.documentElement.setAttribute('data-refreshed', String(Date.now()));
      })
      .catch(function () {})
      .then(function () { busy = false; listen(); if (again) { again = false; refresh(); } });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', listen); else listen();
})();
`
