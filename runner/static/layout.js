/* The worker chat page on a narrow screen (a phone): the left pane, with the task description
 * and the context, folds into a drawer under a toggle button at the top, so the message list
 * and the input keep the screen. chat.css decides the layout below its breakpoint; this file
 * adds the button, opens and closes the drawer, and marks the button "New" when the
 * description or the context changes while the drawer is closed.
 *
 * It reads only the page's markup (#parley-task, #parley-context and their pane): chat.js
 * renders into them and knows nothing of the drawer.
 */
(function () {
  'use strict';

  // chat.css's narrow-window breakpoint; the two must agree.
  var NARROW = window.matchMedia('(max-width: 800px)');

  function element(tag, className, text) {
    var el = document.createElement(tag);
    el.className = className;
    if (text) el.textContent = text;
    return el;
  }

  function Drawer(pane, task, context) {
    this.pane = pane;
    this.task = task;
    this.context = context;
    if (!pane.id) pane.id = 'parley-drawer';
    pane.setAttribute('data-drawer', 'closed');
    pane.tabIndex = -1;  // a tap on its text puts the focus in it, where Escape closes it

    this.label = element('span', 'parley-drawer-toggle__label');
    this.cue = element('span', 'parley-drawer-toggle__cue', 'New');
    this.cue.hidden = true;
    this.button = element('button', 'parley-drawer-toggle');
    this.button.type = 'button';
    this.button.id = 'parley-drawer-toggle';
    this.button.setAttribute('aria-controls', pane.id);
    this.button.setAttribute('aria-expanded', 'false');
    this.button.append(this.label, this.cue, element('span', 'parley-drawer-toggle__chevron'));
    this.button.lastChild.setAttribute('aria-hidden', 'true');
    pane.parentNode.insertBefore(this.button, pane);

    // What the worker has had in front of them; a change to anything else is news.
    this.seen = '';
    this.relabel();
    this.look();
  }

  Drawer.prototype.isOpen = function () {
    return this.button.getAttribute('aria-expanded') === 'true';
  };

  Drawer.prototype.shown = function () {
    return this.task.textContent + '\u0000' + (this.context.hidden ? '' : this.context.textContent);
  };

  /** The pane is in view (a wide window, or the drawer open): the worker has seen it. */
  Drawer.prototype.look = function () {
    if (NARROW.matches && !this.isOpen()) return;
    this.seen = this.shown();
    this.cue.hidden = true;
  };

  Drawer.prototype.changed = function () {
    this.relabel();
    if (NARROW.matches && !this.isOpen()) {
      this.cue.hidden = this.shown() === this.seen;
    } else {
      this.look();
    }
  };

  Drawer.prototype.relabel = function () {
    this.label.textContent = this.context.hidden ? 'Your task' : 'Your task and context';
  };

  Drawer.prototype.set = function (open) {
    this.button.setAttribute('aria-expanded', open ? 'true' : 'false');
    this.pane.setAttribute('data-drawer', open ? 'open' : 'closed');
    if (open) {
      this.pane.scrollTop = 0;
      this.look();
    }
  };

  function start() {
    var task = document.getElementById('parley-task');
    var context = document.getElementById('parley-context');
    var pane = task && task.parentElement;
    if (!pane || !context || context.parentElement !== pane || document.getElementById('parley-drawer-toggle')) return;
    var drawer = new Drawer(pane, task, context);
    drawer.button.addEventListener('click', function () { drawer.set(!drawer.isOpen()); });
    // Escape closes the drawer from its toggle or from anywhere inside it.
    document.addEventListener('keydown', function (event) {
      var from = document.activeElement;
      var inside = from === drawer.button || pane.contains(from);
      if (event.key === 'Escape' && inside && NARROW.matches && drawer.isOpen()) {
        drawer.set(false);
        drawer.button.focus();
      }
    });
    new MutationObserver(function () { drawer.changed(); }).observe(pane, {
      childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ['hidden']
    });
    NARROW.addEventListener('change', function () { drawer.look(); });
  }

  // The script tag sits after the panes, so they exist already; chat.js fills them on
  // DOMContentLoaded, by which time the observer watches.
  start();
})();
