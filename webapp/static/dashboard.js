/* Parley's dashboard: keyboard shortcuts for reviewing (per selected worker), bulk selection, and the live
 * monitor's polling of its JSON twin. Progressive: every page works without it. */
(function () {
  'use strict';

  function typing(target) {
    return target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' ||
                      target.tagName === 'SELECT' || target.isContentEditable);
  }

  /* Keys: an element with data-key="a" (or "s j": either key) is clicked (links, buttons)
   * or focused (inputs). Inside a [data-key-scope] (one worker's card) only the selected
   * scope's elements answer: digits 1-9 select a scope, w the next one. Esc leaves a field. */
  function keyed(key) {
    var selector = '[data-key~="' + CSS.escape(key) + '"]';
    var scope = document.querySelector('[data-key-scope][aria-current="true"]');
    return (scope && scope.querySelector(selector)) ||
      document.querySelector(selector + ':not([data-key-scope] *)');
  }

  function select(scope) {
    Array.prototype.forEach.call(document.querySelectorAll('[data-key-scope]'), function (s) {
      if (s === scope) s.setAttribute('aria-current', 'true'); else s.removeAttribute('aria-current');
    });
  }

  document.addEventListener('click', function (event) {
    var scope = event.target.closest && event.target.closest('[data-key-scope]');
    if (scope) select(scope);
  });

  function selectByKey(key) {
    var scopes = Array.prototype.slice.call(document.querySelectorAll('[data-key-scope]'));
    var current = scopes.indexOf(document.querySelector('[data-key-scope][aria-current="true"]'));
    var chosen = key === 'w' ? scopes[(current + 1) % scopes.length]
      : /^[1-9]$/.test(key) ? scopes[Number(key) - 1] : null;
    if (!chosen) return false;
    select(chosen);
    chosen.scrollIntoView({block: 'nearest'});
    return true;
  }

  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && typing(event.target)) {
      event.target.blur();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (event.key === 'x') {
      var boxes = Array.prototype.slice.call(document.querySelectorAll('[data-select]'));
      var next = boxes.filter(function (b) { return !b.checked; })[0];
      if (next) { next.checked = true; next.focus(); }
      event.preventDefault();
      return;
    }
    if (selectByKey(event.key)) {
      event.preventDefault();
      return;
    }
    var el = keyed(event.key);
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
