/* Parley's dashboard: keyboard shortcuts for reviewing, bulk selection, and the live
 * monitor's polling of its JSON twin. Progressive: every page works without it. */
(function () {
  'use strict';

  function typing(target) {
    return target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' ||
                      target.tagName === 'SELECT' || target.isContentEditable);
  }

  /* Keys: an element with data-key="a" is clicked (links, buttons) or focused (inputs). */
  document.addEventListener('keydown', function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (event.key === 'x') {
      var boxes = Array.prototype.slice.call(document.querySelectorAll('[data-select]'));
      var next = boxes.filter(function (b) { return !b.checked; })[0];
      if (next) { next.checked = true; next.focus(); }
      event.preventDefault();
      return;
    }
    var el = document.querySelector('[data-key="' + event.key + '"]');
    if (!el) return;
    event.preventDefault();
    if (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA') el.focus(); else el.click();
  });

  /* Forms: one submission each, so a double click cannot send two requests. */
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = '1';
    Array.prototype.forEach.call(form.querySelectorAll('button'), function (b) { b.disabled = true; });
  });

  /* The live monitor: refresh the table from the page's JSON twin. */
  function poll(section) {
    var url = section.getAttribute('data-poll');
    var seconds = Number(section.getAttribute('data-poll-seconds')) || 2;
    var body = section.querySelector('[data-live-table] tbody');
    var empty = section.querySelector('[data-live-empty]');
    function cell(text, numeric) {
      var td = document.createElement('td');
      if (numeric) td.className = 'num';
      td.textContent = text;
      return td;
    }
    function render(data) {
      var rows = document.createDocumentFragment();
      (data.runs || []).forEach(function (run) {
        var tr = document.createElement('tr');
        tr.setAttribute('data-run', run.run_id);
        var link = document.createElement('a');
        link.href = '/runs/' + encodeURIComponent(run.run_id);
        link.textContent = run.run_id;
        var first = document.createElement('td');
        first.appendChild(link);
        tr.appendChild(first);
        tr.appendChild(cell(run.taskname));
        tr.appendChild(cell(run.connected === null || run.connected === undefined ? '—' : String(run.connected), true));
        ['onboarding', 'waiting', 'in_task'].forEach(function (k) { tr.appendChild(cell(String(run[k]), true)); });
        tr.appendChild(cell(run.completed + ' / ' + run.target, true));
        rows.appendChild(tr);
      });
      body.replaceChildren(rows);
      if (empty) empty.hidden = (data.runs || []).length > 0;
      section.setAttribute('data-updated', String(Date.now()));
    }
    function tick() {
      fetch(url, {headers: {Accept: 'application/json'}, credentials: 'same-origin'})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) render(data); })
        .catch(function () { /* next tick tries again */ })
        .then(function () { setTimeout(tick, seconds * 1000); });
    }
    setTimeout(tick, seconds * 1000);
  }

  document.addEventListener('DOMContentLoaded', function () {
    Array.prototype.forEach.call(document.querySelectorAll('[data-poll]'), poll);
  });
}());
