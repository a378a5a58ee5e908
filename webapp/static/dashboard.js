/* Parley's dashboard: keyboard shortcuts for reviewing (per selected worker), bulk selection, and the
 * live pages' refresh. Progressive: every page works without it. */
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

  /* Live pages (the monitor, a live conversation): every few seconds the page is read again
   * and each [data-live-region] (by id) takes the fresh one's content, so what the server
   * renders on load and on refresh is the same template. */
  function poll(root) {
    var seconds = Number(root.getAttribute('data-poll-seconds')) || 2;
    function refresh(html) {
      var fresh = new DOMParser().parseFromString(html, 'text/html');
      Array.prototype.forEach.call(root.querySelectorAll('[data-live-region]'), function (region) {
        var update = fresh.getElementById(region.id);
        if (update) region.replaceChildren.apply(region, Array.prototype.slice.call(update.childNodes));
      });
      root.setAttribute('data-updated', String(Date.now()));
    }
    function tick() {
      fetch(window.location.href, {headers: {Accept: 'text/html'}, credentials: 'same-origin'})
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html) refresh(html); })
        .catch(function () { /* next tick tries again */ })
        .then(function () { setTimeout(tick, seconds * 1000); });
    }
    setTimeout(tick, seconds * 1000);
  }

  document.addEventListener('DOMContentLoaded', function () {
    Array.prototype.forEach.call(document.querySelectorAll('[data-poll]'), poll);
  });
}());
