/* How a chat message was composed, recorded on the worker's page: timings and counts only,
 * never the keys themselves (runner/authenticity.py checks them on the server, and says what
 * each one means). One Composition per message being written; the page keeps it across the
 * input's re-renders, sends `signals(text)` with the message and starts a new one after.
 *
 * A change to the text counts as typed when a key press (without Ctrl, Alt or Meta) came
 * just before it; as pasted when it came from a paste event, which is counted there with
 * the characters the clipboard held; anything else (drag-and-drop, autofill, an extension,
 * a script setting the value or dispatching input events) is inserted, counted by how much
 * longer the text became, and so is text found at the send that no event brought. */
(function () {
  'use strict';

  var FROM_PASTE = 'insertFromPaste';

  function now() { return Math.round(performance.now()); }

  /** `options.refusePaste(text)`: when given, pastes are blocked and it is called instead. */
  function Composition(options) {
    this.options = options || {};
    this.reset();
    var self = this;
    document.addEventListener('visibilitychange', function () { self.away(document.hidden, 'hidden'); });
    window.addEventListener('blur', function () { self.away(true, 'blur'); });
    window.addEventListener('focus', function () { self.away(false, 'blur'); });
  }

  Composition.prototype.reset = function () {
    this.start = null;
    this.counts = {keys: 0, pasted_count: 0, pasted_chars: 0, inserted_chars: 0, hidden_ms: 0};
    this.awayFor = {};  // why the page is away now: 'hidden', 'blur'
    this.awaySince = null;
    this.keyPending = false;
    this.length = 0;  // the text's length when last seen, kept across re-renders of the input
  };

  Composition.prototype.begin = function () {
    if (this.start === null) this.start = now();
  };

  /** The page went away (or came back) for `why`; time away counts once composing began. */
  Composition.prototype.away = function (isAway, why) {
    if (isAway) this.awayFor[why] = true; else delete this.awayFor[why];
    var away = Object.keys(this.awayFor).length > 0;
    if (away && this.awaySince === null && this.start !== null) {
      this.awaySince = now();
    } else if (!away && this.awaySince !== null) {
      this.counts.hidden_ms += now() - this.awaySince;
      this.awaySince = null;
    }
  };

  /** Record what happens in `field` (a textarea or text input) from now on. */
  Composition.prototype.attach = function (field) {
    var self = this;
    field.addEventListener('keydown', function (event) {
      self.keyPending = !event.ctrlKey && !event.metaKey && !event.altKey &&
        (event.key.length === 1 || event.key === 'Enter' || event.key === 'Backspace' ||
         event.key === 'Delete' || event.key === 'Process' || event.isComposing);
    });
    field.addEventListener('paste', function (event) {
      var text = event.clipboardData ? event.clipboardData.getData('text/plain') : '';
      if (self.options.refusePaste) {
        event.preventDefault();
        self.options.refusePaste(text);
        return;
      }
      self.begin();
      self.counts.pasted_count += 1;
      self.counts.pasted_chars += text.length;
    });
    field.addEventListener('input', function (event) {
      var grown = field.value.length - self.length;
      self.length = field.value.length;
      if (event.inputType === FROM_PASTE && !self.options.refusePaste) {
        self.keyPending = false;
        return;  // counted by the paste event
      }
      self.begin();
      if (self.keyPending && event.isTrusted) {
        self.counts.keys += Math.max(1, grown);  // an input method may produce several characters per key
      } else if (grown > 0) {
        self.counts.inserted_chars += grown;
      }
      self.keyPending = false;
    });
  };

  /** The signals of `text`, about to be sent (runner/authenticity.py's SIGNAL_KEYS). */
  Composition.prototype.signals = function (text) {
    if (text.length > this.length) {  // set without an input event: by a script
      this.begin();
      this.counts.inserted_chars += text.length - this.length;
      this.length = text.length;
    }
    var t = now();
    var hidden = this.counts.hidden_ms + (this.awaySince !== null ? t - this.awaySince : 0);
    var composed = this.start === null ? 0 : t - this.start;
    return {
      compose_ms: composed, keys: this.counts.keys, chars: text.length,
      pasted_count: this.counts.pasted_count, pasted_chars: this.counts.pasted_chars,
      inserted_chars: this.counts.inserted_chars, hidden_ms: Math.min(hidden, composed)
    };
  };

  window.Parley.Composition = Composition;
})();
