/* Parley's worker chat page: the components that draw it and the client that speaks the
 * live-channel protocol (runner/protocol.py) over one websocket.
 *
 * Everything a worker or a partner typed is put on the page as text nodes, never as HTML.
 * A task's custom.js (loaded after this file, before DOMContentLoaded) may replace any core
 * component per agent id with Parley.registerComponents({...}). A TextResponse is given
 * `props.composition` (composition.js): one that calls `composition.attach(field)` and sends
 * `{text: t, signals: composition.signals(t)}` (then `composition.reset()`) has its messages
 * checked as typed; one that sends without signals has them flagged "no_signals".
 */
(function () {
  'use strict';

  var INPUT_STATES = ['onboarding', 'in_task'];
  var WAITING_STATES = ['accepted', 'waiting'];
  var DONE_STATES = ['done', 'partner_disconnect', 'released'];
  // After these the server has nothing more for this tab: stop reconnecting once our own
  // frames are delivered.
  var FINAL_STATES = ['returned', 'disconnect', 'timeout', 'expired', 'submitted', 'ended'];
  var STATE_TEXT = {
    connecting: 'Connecting to the task…',
    reconnecting: 'The connection was lost. Reconnecting…',
    accepted: 'Getting your task ready…',
    onboarding: 'Please complete the short introduction first.',
    waiting: 'Waiting for a partner to join. Please keep this page open.',
    in_task: '',
    done: 'The conversation is over. Press Done to submit your work.',
    partner_disconnect: 'Your partner left the conversation. Press Done to submit your work.',
    released: 'Nobody else joined in time. Press Done to submit this task; you will be paid for your time.',
    disconnect: 'You were disconnected from this task for too long.',
    timeout: 'This task timed out.',
    returned: 'You returned this task.',
    expired: 'This task is no longer available.',
    submitted: 'Your work is submitted. You can close this tab.',
    ended: 'The conversation is over. Thank you! You can close this page.'  // a local human's
  };
  var STATE_TONE = {
    connecting: 'info', reconnecting: 'warning', accepted: 'info', onboarding: 'info', waiting: 'info', in_task: 'info',
    done: 'success', submitted: 'success', ended: 'success',
    partner_disconnect: 'warning', released: 'warning', timeout: 'warning', expired: 'warning',
    disconnect: 'error', returned: 'neutral'
  };
  var SYSTEM_SENDERS = ['System', 'MTurk System', 'Parley'];
  var COLOUR = /^#[0-9a-fA-F]{6}$/;  // runner/tasks.py checks a role's color the same way
  var MAX_TEXT_CHARS = 20000;
  // runner/protocol.py's MAX_FRAME_BYTES, which the server counts in characters: a longer
  // frame is refused, or past four times that the socket is closed, and a page that sent it
  // again after every reconnect would never get on.
  var MAX_FRAME_CHARS = 65536;
  var BACKOFF_MIN_MS = 500;
  var BACKOFF_MAX_MS = 5000;

  /* ---------------------------------------------------------------- DOM helper */

  var URL_ATTRS = ['href', 'src', 'action', 'formaction', 'poster', 'xlink:href', 'cite', 'background'];
  var REFUSED_ATTRS = ['srcdoc', 'innerhtml', 'outerhtml', 'srcset'];
  var PROPERTY_ATTRS = ['value', 'checked', 'selected', 'indeterminate'];

  /** The absolute URL for an http(s) or relative address, or null for anything else
   * (javascript:, data:, vbscript:, ...). Parsed by the browser's own URL parser so
   * tricks such as "java\tscript:" are judged the way the browser would follow them. */
  function safeUrl(value) {
    if (typeof value !== 'string' || value.trim() === '') return null;
    var url;
    try {
      url = new URL(value, document.baseURI);
    } catch (err) {
      return null;
    }
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  }

  function setAttribute(el, name, value) {
    if (value === null || value === undefined || value === false) return;
    var lower = name.toLowerCase();
    if (lower.slice(0, 2) === 'on') {
      // Handlers are functions only; a string here would be an inline script.
      if (typeof value === 'function') el.addEventListener(lower.slice(2), value);
      return;
    }
    if (REFUSED_ATTRS.indexOf(lower) !== -1) return;
    if (name === 'class' || name === 'className') {
      el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : String(value);
      return;
    }
    if (name === 'style' && typeof value === 'object') {
      Object.keys(value).forEach(function (key) { el.style[key] = value[key]; });
      return;
    }
    if (name === 'dataset' && typeof value === 'object') {
      Object.keys(value).forEach(function (key) { el.dataset[key] = String(value[key]); });
      return;
    }
    if (PROPERTY_ATTRS.indexOf(lower) !== -1) {
      el[lower] = value;
      if (lower === 'value') el.setAttribute('value', String(value));
      return;
    }
    if (URL_ATTRS.indexOf(lower) !== -1) {
      var safe = safeUrl(String(value));
      if (safe !== null) el.setAttribute(name, safe);
      return;
    }
    el.setAttribute(name, value === true ? '' : String(value));
  }

  function appendChildren(el, children) {
    children.forEach(function (child) {
      if (child === null || child === undefined || child === false || child === true) return;
      if (Array.isArray(child)) {
        appendChildren(el, child);
      } else if (child instanceof Node) {
        el.appendChild(child);
      } else {
        el.appendChild(document.createTextNode(String(child)));
      }
    });
  }

  /** h('p', {class: 'x', onclick: fn}, 'text', otherNode): an element; strings become text. */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) { setAttribute(el, name, attrs[name]); });
    }
    appendChildren(el, Array.prototype.slice.call(arguments, 2));
    return el;
  }

  function isPlainObject(value) {
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  }

  function humanize(key) {
    var words = String(key).replace(/[_-]+/g, ' ').trim();
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  function asText(value) {
    if (value === null || value === undefined) return '';
    if (typeof value === 'object') return JSON.stringify(value);
    return String(value);
  }

  /* ---------------------------------------------------------------- core components */

  /** How the page names and colours an agent: the task config's `roles` entry for it
   * ({label, color}), else its id and no colour. */
  function roleOf(roles, agentId) {
    var id = agentId === null || agentId === undefined ? '' : String(agentId);
    var given = isPlainObject(roles) && isPlainObject(roles[id]) ? roles[id] : {};
    var label = typeof given.label === 'string' && given.label.trim() ? given.label : id;
    var color = typeof given.color === 'string' && COLOUR.test(given.color) ? given.color : null;
    return {id: id, label: label, color: color};
  }

  function swatch(color) {
    return color ? h('span', {class: 'parley-swatch', 'aria-hidden': 'true', style: {backgroundColor: color}}) : null;
  }

  function ChatMessage(props) {
    var message = props.message || {};
    var text = message.text;
    if (typeof text === 'number') text = String(text);
    if (typeof text !== 'string' || text === '') return null;
    var sender = message.id ? String(message.id) : 'Partner';
    if (!props.isSelf && SYSTEM_SENDERS.indexOf(sender) !== -1) {
      return h('div', {class: 'parley-message parley-message--system'},
        h('div', {class: 'parley-message__text'}, text));
    }
    var who = roleOf(props.roles, sender);
    var name = props.isSelf ? 'You' : who.label;
    return h('div', {class: ['parley-message', props.isSelf ? 'parley-message--self' : 'parley-message--other'],
                     'data-sender': sender},
      h('div', {class: 'parley-message__sender', title: who.label !== sender || props.isSelf ? who.label : null},
        swatch(who.color), name),
      h('div', {class: 'parley-message__text'}, text));
  }

  function TextResponse(props) {
    var disabled = !!props.disabled;
    var textarea = h('textarea', {
      class: 'parley-input__text',
      rows: 1,
      maxlength: MAX_TEXT_CHARS,
      placeholder: disabled ? (props.hint || '') : 'Type a message… (Enter to send, Shift+Enter for a new line)',
      'aria-label': 'Your message',
      disabled: disabled
    });
    var button = h('button', {type: 'submit', class: 'parley-button parley-button--primary', disabled: disabled}, 'Send');

    function fit() {
      textarea.style.height = 'auto';
      textarea.style.height = Math.min(textarea.scrollHeight, 180) + 'px';
    }
    var composition = props.composition;
    if (composition) composition.attach(textarea);
    function submit(event) {
      event.preventDefault();
      if (textarea.disabled || !textarea.value.trim()) return;
      var act = {text: textarea.value};
      if (composition) act.signals = composition.signals(act.text);
      if (props.send(act) !== false) {
        if (composition) composition.reset();
        textarea.value = '';
        fit();
      }
      textarea.focus();
    }
    textarea.addEventListener('input', fit);
    textarea.addEventListener('keydown', function (event) {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) submit(event);
    });
    return h('form', {class: 'parley-input', onsubmit: submit}, textarea, button);
  }

  function TaskDescription(props) {
    var body = h('div', {class: 'parley-task__body'});
    // The researcher's own HTML from task_config.py: trusted, unlike anything a worker typed.
    body.innerHTML = props.html || '';
    return h('section', {class: 'parley-task', 'aria-label': 'Task description'},
      h('h2', {class: 'parley-pane-title'}, 'Your task'), body);
  }

  function imageFrom(entry) {
    var url = typeof entry === 'string' ? entry : entry && (entry.url || entry.src);
    var caption = entry && typeof entry === 'object' ? (entry.caption || entry.alt || '') : '';
    if (!safeUrl(url)) return null;
    return h('figure', {class: 'parley-context__figure'},
      h('img', {src: url, alt: caption || 'Task image', loading: 'lazy'}),
      caption ? h('figcaption', null, String(caption)) : null);
  }

  function tableFrom(columns, rows) {
    var head = h('thead', null, h('tr', null, columns.map(function (column) {
      return h('th', {scope: 'col'}, humanize(column));
    })));
    var body = h('tbody', null, rows.map(function (row) {
      var cells = Array.isArray(row) ? row : columns.map(function (column) {
        return isPlainObject(row) ? row[column] : undefined;
      });
      return h('tr', null, columns.map(function (_, i) { return h('td', null, asText(cells[i])); }));
    }));
    return h('div', {class: 'parley-context__table-wrap'}, h('table', {class: 'parley-context__table'}, head, body));
  }

  function columnsOf(rows) {
    var columns = [];
    rows.forEach(function (row) {
      Object.keys(row).forEach(function (key) {
        if (columns.indexOf(key) === -1) columns.push(key);
      });
    });
    return columns;
  }

  /** One value of task_data, as readable text, images, tables or key/value lists. */
  function contextValue(key, value) {
    if (value === null || value === undefined || value === '') return null;
    if (key === 'image_url') return imageFrom(value);
    if (key === 'images' && Array.isArray(value)) {
      return h('div', {class: 'parley-context__images'}, value.map(imageFrom));
    }
    if (key === 'table' && isPlainObject(value) && Array.isArray(value.rows)) {
      var columns = Array.isArray(value.columns) ? value.columns.map(String) : columnsOf(value.rows.filter(isPlainObject));
      return tableFrom(columns, value.rows);
    }
    if (Array.isArray(value)) {
      if (value.length && value.every(isPlainObject)) return tableFrom(columnsOf(value), value);
      return h('ul', {class: 'parley-context__list'}, value.map(function (item) {
        return h('li', null, isPlainObject(item) || Array.isArray(item) ? contextValue(null, item) : asText(item));
      }));
    }
    if (isPlainObject(value)) {
      return h('dl', {class: 'parley-context__pairs'}, Object.keys(value).map(function (name) {
        return [h('dt', null, humanize(name)), h('dd', null, contextValue(name, value[name]) || '—')];
      }));
    }
    return h('p', {class: 'parley-context__text'}, asText(value));
  }

  function ContextView(props) {
    var data = isPlainObject(props.taskData) ? props.taskData : {};
    var sections = Object.keys(data).map(function (key) {
      var rendered = contextValue(key, data[key]);
      if (!rendered) return null;
      var titled = ['text', 'image_url', 'images', 'table'].indexOf(key) === -1;
      return h('div', {class: 'parley-context__item', 'data-key': key},
        titled ? h('h3', {class: 'parley-context__key'}, humanize(key)) : null, rendered);
    }).filter(Boolean);
    return h('section', {class: ['parley-context', sections.length ? null : 'parley-context--empty'], 'aria-label': 'Context'},
      h('h2', {class: 'parley-pane-title'}, 'Context'), sections);
  }

  function DoneButton(props) {
    if (DONE_STATES.indexOf(props.state) === -1) return null;
    var button = h('button', {
      type: 'button',
      class: 'parley-button parley-button--done',
      onclick: function () {
        button.disabled = true;
        button.textContent = 'Submitting…';
        props.onDone();
      }
    }, 'Done');
    return h('div', {class: 'parley-done'},
      h('p', {class: 'parley-done__hint'}, 'Thanks for chatting! Submit your work to finish.'), button);
  }

  var core = {
    ChatMessage: ChatMessage,
    TextResponse: TextResponse,
    TaskDescription: TaskDescription,
    ContextView: ContextView,
    DoneButton: DoneButton
  };
  var overrides = {};

  /** Parley.registerComponents({TextResponse: {'Asker': fn, 'default': fn2}, ...}).
   * ParlAI-style names ('XTextResponse') and a bare function (meaning 'default') work too. */
  function registerComponents(given) {
    Object.keys(given || {}).forEach(function (rawName) {
      var name = !core[rawName] && rawName.charAt(0) === 'X' && core[rawName.slice(1)] ? rawName.slice(1) : rawName;
      var byAgent = typeof given[rawName] === 'function' ? {'default': given[rawName]} : given[rawName];
      overrides[name] = Object.assign(overrides[name] || {}, byAgent);
    });
  }

  function componentFor(name, agentId) {
    var byAgent = overrides[name] || {};
    return (agentId != null && byAgent[agentId]) || byAgent['default'] || core[name];
  }

  function asNode(result) {
    if (result === null || result === undefined || result === false) return null;
    return result instanceof Node ? result : document.createTextNode(String(result));
  }

  /** Render component `name` for props.agentId; a custom component that throws falls back
   * to the core one, so one broken override does not leave the worker without a page. */
  function render(name, props) {
    var fn = componentFor(name, props.agentId);
    try {
      return asNode(fn(props));
    } catch (err) {
      if (fn === core[name] || !core[name]) throw err;
      console.error('Parley: custom ' + name + ' failed, using the core one', err);
      return asNode(core[name](props));
    }
  }

  /* ---------------------------------------------------------------- client */

  function randomId() {
    var bytes = new Uint8Array(12);
    if (window.crypto && window.crypto.getRandomValues) {
      window.crypto.getRandomValues(bytes);
    } else {
      for (var i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    }
    return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  function websocketUrl(path) {
    if (/^wss?:\/\//i.test(path)) return path;
    var scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    return scheme + '//' + window.location.host + (path.charAt(0) === '/' ? path : '/' + path);
  }

  /** The frame that sends an unacked item again: a form answer, or a chat message. */
  function unackedFrame(item) {
    return item.frame || {type: 'message', cid: item.cid, act: item.act};
  }

  function Client(config, ui) {
    this.config = config;
    this.ui = ui;
    this.storageKey = 'parley:' + config.token;
    this.agentId = config.agent_id || null;
    // The task role this worker plays: null before pairing and in onboarding, where the
    // agent id is not a role; a server that does not say shows the agent id.
    this.role = 'role' in config ? config.role : undefined;
    this.state = config.state || 'connecting';
    this.stateText = null;
    this.taskData = {};
    // Whose turn it is ({agentId, yours}); a task with free_chat has no turns.
    this.turn = {agentId: null, yours: false};
    this.lastSeq = 0;
    // What the message list shows: {kind: 'in'|'self', act, position, after, cid?, status?,
    // error?}. `position` is the message's place in the conversation (from its message
    // frame, or for our own from its ack); `after`, the highest position known when it
    // arrived, places a message that has none.
    this.log = [];
    this.unacked = [];      // {cid, act}, oldest first: re-sent after every (re)connect
    this.controls = [];     // done/return frames waiting for an open socket
    this.doneSent = false;
    this.formFrame = null;   // a form task's items and fields (the server's form frame)
    this.socket = null;
    this.open = false;
    this.everConnected = false;
    this.welcomed = false;   // the server has greeted this page since it loaded
    this.waitingSince = WAITING_STATES.indexOf(this.state) !== -1
      ? Date.now() - 1000 * (Number(config.waited_seconds) || 0) : null;
    this.backoff = BACKOFF_MIN_MS;
    this.reconnectTimer = null;
    this.fatal = false;      // the server refused this tab for good: no more reconnects
    this.retryTimers = {};
    this.lastHeard = 0;
    this.lastBeatSent = 0;
    this.heartbeatMs = Math.max(1, Number(config.heartbeat_seconds) || 5) * 1000;
    this.staleMs = Math.max(4 * this.heartbeatMs, 20000);
    this.restore();
  }

  Client.prototype.restore = function () {
    var saved;
    try {
      saved = JSON.parse(window.sessionStorage.getItem(this.storageKey) || 'null');
    } catch (err) {
      saved = null;
    }
    if (!isPlainObject(saved)) return;
    this.lastSeq = Number(saved.lastSeq) || 0;
    this.unacked = Array.isArray(saved.unacked) ? saved.unacked : [];
    this.log = Array.isArray(saved.log) ? saved.log : [];
    this.taskData = isPlainObject(saved.taskData) ? saved.taskData : {};
    this.agentId = this.agentId || saved.agentId || null;
    // The state the server rendered into the page is fresher than ours; keep our banner
    // text only when it describes that same state.
    if (!this.config.state && saved.state) this.state = saved.state;
    if (saved.state === this.state && typeof saved.stateText === 'string') this.stateText = saved.stateText;
    this.doneSent = !!saved.doneSent;
    this.formFrame = isPlainObject(saved.formFrame) ? saved.formFrame : null;
  };

  Client.prototype.persist = function () {
    var snapshot = {
      lastSeq: this.lastSeq, unacked: this.unacked, taskData: this.taskData, agentId: this.agentId,
      state: this.state, stateText: this.stateText, doneSent: this.doneSent, log: this.log,
      formFrame: this.formFrame
    };
    try {
      window.sessionStorage.setItem(this.storageKey, JSON.stringify(snapshot));
    } catch (err) {
      // Storage full or blocked: keeping what must be re-sent matters more than the transcript.
      try {
        snapshot.log = [];
        window.sessionStorage.setItem(this.storageKey, JSON.stringify(snapshot));
      } catch (ignored) { /* nothing more to do: the page still works, a reload loses less */ }
    }
  };

  Client.prototype.inputEnabled = function () {
    return INPUT_STATES.indexOf(this.state) !== -1 && !this.doneSent &&
      (this.config.free_chat === true || this.turn.yours);
  };

  /** Nothing more to say or hear: a final state, and our done/return frame is delivered.
   * (Unacked messages do not hold the tab open: after a final state no world reads them.) */
  Client.prototype.finished = function () {
    return this.fatal || (FINAL_STATES.indexOf(this.state) !== -1 && this.controls.length === 0);
  };

  /* -- connection */

  Client.prototype.connect = function () {
    var self = this;
    this.reconnectTimer = null;
    var socket;
    try {
      socket = new WebSocket(websocketUrl(this.config.ws_path || '/ws'));
    } catch (err) {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    this.lastHeard = Date.now();
    this.ui.connection(this.everConnected ? 'reconnecting' : 'connecting');
    socket.onopen = function () {
      self.open = true;
      self.everConnected = true;
      self.lastHeard = Date.now();
      self.ui.connection('connected');
      self.write({type: 'hello', token: self.config.token, last_seq: self.lastSeq});
      self.unacked.forEach(function (item) { self.write(unackedFrame(item)); });
      self.flushControls();
    };
    socket.onmessage = function (event) {
      self.lastHeard = Date.now();
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (err) {
        return;
      }
      if (isPlainObject(frame)) self.handle(frame);
    };
    socket.onclose = function () { self.lost(socket); };
    socket.onerror = function () { /* onclose follows and does the work */ };
  };

  /** The socket is gone (closed by either side, or judged dead): reconnect unless done. */
  Client.prototype.lost = function (socket) {
    if (socket !== this.socket) return;
    socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
    try { socket.close(); } catch (err) { /* already closed */ }
    this.socket = null;
    this.open = false;
    Object.keys(this.retryTimers).forEach(function (cid) { clearTimeout(this.retryTimers[cid]); }, this);
    this.retryTimers = {};
    if (this.finished()) {
      this.ui.connection('closed');
      return;
    }
    this.ui.connection('reconnecting');
    this.scheduleReconnect();
  };

  Client.prototype.scheduleReconnect = function () {
    if (this.reconnectTimer) return;
    var delay = this.backoff * (0.8 + Math.random() * 0.4);
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
    this.reconnectTimer = setTimeout(this.connect.bind(this), Math.min(delay, BACKOFF_MAX_MS));
  };

  Client.prototype.reconnectNow = function () {
    if (this.socket || this.finished()) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.connect();
  };

  Client.prototype.tick = function () {
    if (!this.socket) return;
    if (Date.now() - this.lastHeard > this.staleMs) {
      // Nothing heard for several heartbeats: the network is gone even if the socket
      // has not noticed yet (laptop sleep, wifi change).
      this.lost(this.socket);
      return;
    }
    if (this.open) this.beat();
  };

  Client.prototype.beat = function () {
    if (this.write({type: 'heartbeat'})) this.lastBeatSent = Date.now();
  };

  Client.prototype.write = function (frame) {
    // A socket the server has begun to close is still `open` here until its close event
    // comes; sending on it is lost (and the browser logs an error), so it counts as unsent.
    if (!this.open || !this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    try {
      this.socket.send(JSON.stringify(frame));
      return true;
    } catch (err) {
      return false;
    }
  };

  Client.prototype.flushControls = function () {
    while (this.controls.length && this.write(this.controls[0])) this.controls.shift();
  };

  Client.prototype.sendControl = function (frame) {
    this.controls.push(frame);
    this.flushControls();
  };

  /* -- frames from the server */

  Client.prototype.handle = function (frame) {
    switch (frame.type) {
      case 'welcome':
        this.backoff = BACKOFF_MIN_MS;
        this.welcomed = true;
        if (frame.conversation_id !== undefined) this.conversationId = frame.conversation_id;
        if (typeof frame.waited_seconds === 'number') this.waitingSince = Date.now() - 1000 * frame.waited_seconds;
        this.setAgent(frame.agent_id);
        if ('role' in frame) this.setRole(frame.role);
        if (typeof frame.state === 'string') {
          var keep = frame.state === this.state ? this.stateText : null;
          this.setState(frame.state, typeof frame.text === 'string' && frame.text ? frame.text : keep);
        }
        this.ui.banner();
        this.ui.renderInput();  // its hint said "Connecting…"
        break;
      case 'ack':
        this.acked(frame.cid, frame.id, frame.position);
        if (typeof frame.item_id === 'string' && this.ui.form) this.ui.form.acked(frame.item_id);
        break;
      case 'form':
        // Always shown (a replay after a reconnect says what is answered by now).
        this.newSeq(frame.seq);
        this.formFrame = frame;
        this.persist();
        if (this.ui.form) this.ui.form.show(frame);
        break;
      case 'message':
        if (!this.newSeq(frame.seq)) return;
        this.received(isPlainObject(frame.act) ? frame.act : {}, frame.position);
        break;
      case 'state':
        if (!this.newSeq(frame.seq)) return;
        this.setAgent(frame.agent_id);
        if ('role' in frame) this.setRole(frame.role);
        if (typeof frame.state === 'string') this.setState(frame.state, typeof frame.text === 'string' && frame.text ? frame.text : null);
        break;
      case 'turn':
        if (!this.newSeq(frame.seq)) return;
        this.setTurn(typeof frame.agent_id === 'string' ? frame.agent_id : null, frame.yours === true);
        break;
      case 'error':
        this.failed(frame);
        break;
      case 'heartbeat':
        // Answer the server's beat: event handlers still run in a hidden tab whose timers
        // the browser slows to one a minute. At most one answer per half period, so the
        // server's reply to our own beat does not start a ping-pong.
        if (Date.now() - this.lastBeatSent >= this.heartbeatMs / 2) this.beat();
        break;
      default:
        break;  // heartbeat, or a frame type this page does not know yet
    }
  };

  /** True (and remembered) for a seq not seen before; replays after a reconnect are skipped. */
  Client.prototype.newSeq = function (seq) {
    if (typeof seq !== 'number') return true;
    if (seq <= this.lastSeq) return false;
    this.lastSeq = seq;
    this.persist();
    return true;
  };

  Client.prototype.setAgent = function (agentId) {
    if (typeof agentId !== 'string' || !agentId || agentId === this.agentId) return;
    this.agentId = agentId;
    this.persist();
    this.ui.renderAll();
  };

  Client.prototype.setRole = function (role) {
    role = typeof role === 'string' && role ? role : null;
    if (role === this.role) return;
    this.role = role;
    this.ui.renderRole();
  };

  Client.prototype.setState = function (state, text) {
    if (this.doneSent && DONE_STATES.indexOf(state) !== -1) {
      // The server has not yet heard our done; the worker already has.
      state = 'submitted';
      text = null;
    }
    var changed = state !== this.state;
    if (changed && WAITING_STATES.indexOf(state) !== -1 && WAITING_STATES.indexOf(this.state) === -1) {
      this.waitingSince = Date.now();
    }
    this.state = state;
    this.stateText = text;
    this.persist();
    this.ui.banner();
    if (changed) {
      this.ui.renderInput();
      this.ui.renderDone();
      this.ui.turnLine();
    }
    if (this.finished() && !this.socket) this.ui.connection('closed');
  };

  /** The world now waits on `agentId` (null: on nobody yet); `yours` when that is us. */
  Client.prototype.setTurn = function (agentId, yours) {
    this.turn = {agentId: agentId, yours: yours};
    this.ui.renderInput();
    this.ui.turnLine();
  };

  /** The highest position of any message on the page (-1: none yet). */
  Client.prototype.lastPosition = function () {
    return this.log.reduce(function (most, entry) {
      return typeof entry.position === 'number' && entry.position > most ? entry.position : most;
    }, -1);
  };

  Client.prototype.received = function (act, position) {
    if (isPlainObject(act.task_data)) {
      this.taskData = Object.assign({}, this.taskData, act.task_data);
    }
    var entry = {kind: 'in', act: act, position: typeof position === 'number' ? position : null,
                 after: this.lastPosition()};
    this.log.push(entry);
    this.persist();
    this.ui.appendEntry(entry);
    if (isPlainObject(act.task_data)) {
      this.ui.renderContext();
      this.ui.renderInput();
    }
  };

  Client.prototype.entryFor = function (cid) {
    for (var i = this.log.length - 1; i >= 0; i--) {
      if (this.log[i].kind === 'self' && this.log[i].cid === cid) return this.log[i];
    }
    return null;
  };

  Client.prototype.forget = function (cid) {
    this.unacked = this.unacked.filter(function (item) { return item.cid !== cid; });
    clearTimeout(this.retryTimers[cid]);
    delete this.retryTimers[cid];
  };

  /** The server stored message `cid` as row `id` at `position`: it moves to its place. */
  Client.prototype.acked = function (cid, id, position) {
    var entry = this.entryFor(cid);
    this.forget(cid);
    if (entry) {
      entry.status = 'sent';
      entry.error = null;
      if (id !== undefined) entry.id = id;
      if (typeof position === 'number') entry.position = position;
      this.ui.placeEntry(entry);
    }
    this.persist();
    this.ui.banner();
  };

  Client.prototype.failed = function (frame) {
    var message = typeof frame.error === 'string' ? frame.error : 'Something went wrong.';
    if (frame.fatal === true) {
      // The server will never take this tab (a token it cannot verify, a session it does
      // not hold): say so and stop reconnecting.
      this.fatal = true;
      this.ui.notice('This page cannot connect to its task (' + message + '). ' +
                     'If you accepted it on a crowd marketplace, please return it there.', true);
      return;
    }
    if (typeof frame.cid !== 'string') {
      this.ui.notice(message);
      return;
    }
    var cid = frame.cid;
    var pending = this.unacked.filter(function (item) { return item.cid === cid; })[0];
    if (frame.retry === true) {
      if (pending) this.retryLater(pending);
      return;
    }
    this.forget(cid);
    if (pending && pending.frame && this.ui.form) this.ui.form.refused(pending.frame.item_id, frame);
    var entry = this.entryFor(cid);
    if (entry) {
      entry.status = 'failed';
      entry.error = message;
      this.ui.placeEntry(entry);
    }
    this.persist();
    this.ui.banner();
  };

  /** The server asked for this message again later (e.g. the store was busy). */
  Client.prototype.retryLater = function (item) {
    var self = this;
    item.attempts = (item.attempts || 0) + 1;
    var delay = Math.min(BACKOFF_MIN_MS * Math.pow(2, item.attempts), BACKOFF_MAX_MS);
    clearTimeout(this.retryTimers[item.cid]);
    this.retryTimers[item.cid] = setTimeout(function () {
      delete self.retryTimers[item.cid];
      if (self.unacked.indexOf(item) !== -1) self.write(unackedFrame(item));
    }, delay);
  };

  /* -- what the worker does */

  /** Send a form task's answers to one item; they are re-sent after a reconnect until acked. */
  /** `signals`: how each free-text answer was composed, by field name (composition.js). */
  Client.prototype.sendAnswer = function (itemId, answers, signals) {
    if (INPUT_STATES.indexOf(this.state) === -1 || this.doneSent) return false;
    var cid = randomId();
    var frame = {type: 'answer', cid: cid, item_id: itemId, answers: answers};
    if (signals && Object.keys(signals).length) frame.signals = signals;
    if (JSON.stringify(frame).length > MAX_FRAME_CHARS) {
      this.ui.notice('These answers are too large to send.');
      return false;
    }
    this.unacked.push({cid: cid, frame: frame});
    this.persist();
    this.write(frame);
    return cid;
  };

  /** Send a message (a string or a whole act). Returns its cid, or false if not sent. */
  Client.prototype.sendMessage = function (textOrAct) {
    if (!this.inputEnabled()) return false;
    var act = typeof textOrAct === 'string' ? {text: textOrAct} : Object.assign({}, textOrAct);
    act.text = act.text === undefined || act.text === null ? '' : String(act.text);
    var hasData = isPlainObject(act.task_data) && Object.keys(act.task_data).length > 0;
    if (!act.text.trim() && !hasData) return false;
    if (act.text.length > MAX_TEXT_CHARS) {
      this.ui.notice('That message is too long (at most ' + MAX_TEXT_CHARS + ' characters).');
      return false;
    }
    var cid = randomId();
    if (JSON.stringify({type: 'message', cid: cid, act: act}).length > MAX_FRAME_CHARS) {
      this.ui.notice('That message is too large to send.');
      return false;
    }
    var entry = {kind: 'self', cid: cid, act: act, status: 'pending', position: null, after: this.lastPosition()};
    this.log.push(entry);
    this.unacked.push({cid: cid, act: act});
    this.persist();
    this.ui.appendEntry(entry);
    this.write({type: 'message', cid: cid, act: act});
    if (this.config.free_chat !== true) {  // one message a turn
      this.ui.dropDraft = true;  // the box still holds what was just sent: not a draft to keep
      this.setTurn(null, false);
    }
    this.ui.banner();  // a page that is reconnecting counts what is not sent yet
    return cid;
  };

  Client.prototype.done = function () {
    if (this.doneSent) return;
    this.doneSent = true;
    this.persist();
    this.sendControl({type: 'done'});
    this.ui.renderInput();
    var submit = this.config.submit || {};
    if (submit.kind === 'form') {
      this.ui.banner('Submitting your work…', 'info');
      this.whenDelivered(this.submitForm.bind(this), 3000);
    } else if (submit.kind === 'redirect') {
      this.ui.banner('Submitting your work…', 'info');
      var url = (submit.by_state || {})[this.state] || submit.url;
      this.whenDelivered(function () { window.location.assign(url); }, 3000);
    } else {
      this.setState('submitted', null);
    }
  };

  /** Run `then` once queued frames have left the browser (or after `limitMs` regardless:
   * the worker's submission to the marketplace must not wait on our server). */
  Client.prototype.whenDelivered = function (then, limitMs) {
    var self = this;
    var started = Date.now();
    (function poll() {
      var delivered = self.controls.length === 0 && self.open && self.socket && self.socket.bufferedAmount === 0;
      if (delivered || Date.now() - started > limitMs) {
        then();
      } else {
        setTimeout(poll, 50);
      }
    })();
  };

  /** Post the marketplace's submission form: `submit.action` with `submit.fields`, both
   * from the run's provider (the page config). */
  Client.prototype.submitForm = function () {
    var submit = this.config.submit || {};
    if (!submit.action) {
      this.ui.notice('This page does not know where to submit your work. Please contact the requester.');
      return;
    }
    var fields = submit.fields || {};
    var form = h('form', {method: 'POST', action: submit.action, class: 'parley-hidden'},
      Object.keys(fields).map(function (name) {
        return h('input', {type: 'hidden', name: name, value: String(fields[name])});
      }));
    document.body.appendChild(form);
    form.submit();
  };

  Client.prototype.giveBack = function () {
    var sure = window.confirm('Return this task? You will not be paid for it, and your partner will be told you left.');
    if (!sure) return;
    this.sendControl({type: 'return'});
    this.setState('returned', null);
  };

  /* ---------------------------------------------------------------- page */

  function byId(id) {
    var el = document.getElementById(id);
    if (!el) throw new Error('Parley: the page has no #' + id);
    return el;
  }

  function Page(config) {
    this.config = config;
    this.slots = {
      title: byId('parley-title'),
      role: byId('parley-role'),
      connection: byId('parley-connection'),
      banner: byId('parley-banner'),
      task: byId('parley-task'),
      context: byId('parley-context'),
      messages: byId('parley-messages'),
      done: byId('parley-done'),
      input: byId('parley-input'),
      actions: byId('parley-actions')
    };
    this.rows = {};
    this.form = config.kind === 'form' && window.Parley.forms ? window.Parley.forms.create(this) : null;
    this.client = new Client(config, this);
    this.noticeTimer = null;
    var self = this;
    // How the message being written is composed (composition.js); kept across re-renders
    // of the input, so a draft carried over keeps its counts.
    this.composition = new window.Parley.Composition({
      refusePaste: config.paste_policy === 'refuse' ? function () { self.notice(config.paste_refused_text); } : null
    });
  }

  /** What every component is given: `role` is this worker's agent id and `is_my_turn`
   * whether they may send now (in a free chat: whenever the conversation is open). */
  Page.prototype.props = function (extra) {
    var client = this.client;
    return Object.assign({
      agentId: client.agentId, role: client.agentId, roles: this.config.roles || {},
      is_my_turn: client.inputEnabled(), taskData: client.taskData
    }, extra);
  };

  Page.prototype.roleOf = function (agentId) {
    return roleOf(this.config.roles, agentId);
  };

  Page.prototype.mount = function (slot, name, props) {
    var node = render(name, props);
    slot.replaceChildren.apply(slot, node ? [node] : []);
  };

  Page.prototype.renderAll = function () {
    this.renderRole();
    this.mount(this.slots.task, 'TaskDescription', this.props({html: this.config.task_description_html}));
    this.renderContext();
    if (this.form) {
      if (this.client.formFrame) this.form.show(this.client.formFrame);
    } else {
      this.renderMessages();
    }
    this.renderDone();
    this.renderInput();
    this.turnLine();
    this.banner();
  };

  Page.prototype.renderContext = function () {
    this.mount(this.slots.context, 'ContextView', this.props({}));
    this.slots.context.hidden = !this.slots.context.firstChild ||
      !!this.slots.context.querySelector('.parley-context--empty');
  };

  /** At the top: which role this worker plays, in the task's words and colour. */
  Page.prototype.renderRole = function () {
    var el = this.slots.role;
    var agentId = this.client.role !== undefined ? this.client.role : this.client.agentId;
    if (!agentId) {
      el.replaceChildren();
      el.hidden = true;
      return;
    }
    var role = this.roleOf(agentId);
    el.setAttribute('data-agent-id', role.id);
    el.style.setProperty('--parley-role-color', role.color || 'currentColor');
    el.replaceChildren();
    appendChildren(el, [swatch(role.color), 'You are ', h('strong', {class: 'parley-role__label'}, role.label)]);
    el.hidden = false;
  };

  /** What a closed input says: why the worker cannot type yet. */
  Page.prototype.inputHint = function () {
    var client = this.client;
    if (!client.welcomed) return 'Connecting…';
    if (WAITING_STATES.indexOf(client.state) !== -1) return 'The chat opens when your partner joins.';
    if (INPUT_STATES.indexOf(client.state) !== -1 && this.config.free_chat !== true && !client.turn.yours) {
      return client.turn.agentId ? 'Waiting for ' + this.roleOf(client.turn.agentId).label + '…' : 'Waiting for your turn…';
    }
    return '';
  };

  Page.prototype.renderInput = function () {
    var client = this.client;
    var slot = this.slots.input;
    var old = slot.querySelector('textarea, input, select, button');
    var draft = old && !this.dropDraft && (old.tagName === 'TEXTAREA' || old.type === 'text') ? old.value : '';
    this.dropDraft = false;
    // The keyboard stays with the input across turns: the box is disabled (and loses
    // focus) while the others speak, and takes it back when it opens again, unless the
    // worker has moved on to something else on the page.
    var active = document.activeElement;
    var keepFocus = slot.contains(active) || !active || active === document.body;
    this.mount(slot, 'TextResponse', this.props({
      disabled: !client.inputEnabled(),
      hint: this.inputHint(),
      send: function (textOrAct) { return client.sendMessage(textOrAct); },
      composition: this.composition
    }));
    // After the conversation there is nothing to type into: no closed box, no hint. A form
    // task has its fields under each item instead.
    slot.hidden = !!this.form || client.doneSent || DONE_STATES.concat(FINAL_STATES).indexOf(client.state) !== -1;
    var notice = byId('parley-composition-notice');
    notice.textContent = this.config.composition_notice || '';
    notice.title = notice.textContent;
    notice.hidden = slot.hidden || !notice.textContent;
    notice.onclick = function () { notice.classList.toggle('parley-composition-notice--open'); };
    if (this.form) this.form.setOpen(INPUT_STATES.indexOf(client.state) !== -1 && !client.doneSent);
    var fresh = slot.querySelector('textarea, input[type="text"], input[type="number"]');
    if (fresh && draft && !fresh.value && fresh.tagName === 'TEXTAREA') fresh.value = draft;
    if (fresh && keepFocus && !fresh.disabled && !slot.hidden) fresh.focus();
    this.renderActions();
  };

  /** Under the messages: whose turn it is, in a task that takes turns. */
  Page.prototype.turnLine = function () {
    var client = this.client;
    var el = byId('parley-turn');
    var text = '';
    if (!this.form && this.config.free_chat !== true && INPUT_STATES.indexOf(client.state) !== -1 && !client.doneSent) {
      text = client.turn.yours ? 'Your turn.'
        : client.turn.agentId ? 'Waiting for ' + this.roleOf(client.turn.agentId).label + '…' : 'Waiting…';
    }
    el.setAttribute('data-yours', client.turn.yours ? 'true' : 'false');
    el.setAttribute('data-turn', client.turn.yours ? 'yours' : client.turn.agentId || '');
    el.textContent = text;
    el.hidden = !text;
  };

  Page.prototype.renderDone = function () {
    var client = this.client;
    this.mount(this.slots.done, 'DoneButton', this.props({
      state: client.doneSent ? 'submitted' : client.state,
      onDone: function () { client.done(); }
    }));
    this.slots.done.hidden = !this.slots.done.firstChild;
    // The input it replaces may have held the keyboard: hand it to Done.
    var button = this.slots.done.querySelector('button');
    if (button && (!document.activeElement || document.activeElement === document.body)) button.focus();
  };

  Page.prototype.renderActions = function () {
    var client = this.client;
    var submit = this.config.submit || {};
    // A local human's page (submit kind 'none') has no task to give back.
    var canReturn = ['form', 'redirect', 'none'].indexOf(submit.kind) === -1 && !client.doneSent &&
      DONE_STATES.concat(FINAL_STATES).indexOf(client.state) === -1;
    this.slots.actions.replaceChildren.apply(this.slots.actions, canReturn ? [
      h('button', {type: 'button', class: 'parley-link', onclick: function () { client.giveBack(); }}, 'Return task')
    ] : []);
  };

  Page.prototype.renderMessages = function () {
    this.rows = {};
    this.slots.messages.replaceChildren();
    this.client.log.forEach(function (entry) { this.appendEntry(entry, true); }, this);
    this.scrollToEnd(true);
  };

  Page.prototype.nearEnd = function () {
    var list = this.slots.messages;
    return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  };

  Page.prototype.scrollToEnd = function (force) {
    var list = this.slots.messages;
    if (force || this.nearEnd()) list.scrollTop = list.scrollHeight;
  };

  /** Where a message goes in the one order every page shows: by its position; one the
   * server has not placed yet (our own while it is sending) at the end; one that will never
   * have a position (refused, or from outside the conversation) after the messages that
   * were there when it came. Ties keep the order the page got them in. */
  function orderKey(entry) {
    if (typeof entry.position === 'number') return [entry.position, 0];
    if (entry.kind === 'self' && (entry.status || 'pending') === 'pending') return [Infinity, 0];
    return [typeof entry.after === 'number' ? entry.after : -1, 1];
  }

  Page.prototype.comesBefore = function (a, b) {
    var ka = orderKey(a), kb = orderKey(b);
    if (ka[0] !== kb[0]) return ka[0] < kb[0];
    if (ka[1] !== kb[1]) return ka[1] < kb[1];
    return this.client.log.indexOf(a) < this.client.log.indexOf(b);
  };

  Page.prototype.appendEntry = function (entry, quiet) {
    var client = this.client;
    var isSelf = entry.kind === 'self' || (client.agentId !== null && entry.act.id === client.agentId);
    var message = entry.kind === 'self' ? Object.assign({id: client.agentId}, entry.act) : entry.act;
    var node = render('ChatMessage', this.props({message: message, isSelf: isSelf}));
    if (!node) return;
    var follow = quiet || isSelf || this.nearEnd();
    var row = h('div', {class: ['parley-row', isSelf ? 'parley-row--self' : 'parley-row--other']}, node);
    row.parleyEntry = entry;
    if (entry.kind === 'self') {
      row.setAttribute('data-cid', entry.cid);
      row.appendChild(h('div', {class: 'parley-row__status', 'aria-live': 'polite'}));
      this.rows[entry.cid] = row;
    }
    this.place(row);
    if (!quiet) this.scrollToEnd(follow);
  };

  /** Put a row where its message belongs among the rows already shown. */
  Page.prototype.place = function (row) {
    var entry = row.parleyEntry;
    var list = this.slots.messages;
    if (typeof entry.position === 'number') row.setAttribute('data-position', String(entry.position));
    if (entry.kind === 'self') this.updateStatus(entry);
    var next = null;
    for (var child = list.firstChild; child; child = child.nextSibling) {
      if (child !== row && child.parleyEntry && this.comesBefore(entry, child.parleyEntry)) {
        next = child;
        break;
      }
    }
    if (row.parentNode !== list || row.nextSibling !== next) list.insertBefore(row, next);
  };

  /** Our own message was acked (it moves to its position) or refused. */
  Page.prototype.placeEntry = function (entry) {
    var row = this.rows[entry.cid];
    if (row) this.place(row);
  };

  Page.prototype.updateStatus = function (entry) {
    var row = this.rows[entry.cid];
    if (!row) return;
    var status = entry.status || 'pending';
    row.setAttribute('data-status', status);
    var label = {pending: 'Sending…', sent: 'Sent', failed: 'Not sent: ' + (entry.error || 'unknown error')}[status];
    row.querySelector('.parley-row__status').textContent = label || '';
  };

  function clock(ms) {
    var seconds = Math.max(0, Math.round(ms / 1000));
    var minutes = Math.floor(seconds / 60);
    return minutes + ':' + ('0' + (seconds % 60)).slice(-2);
  }

  function plural(n, one, many) {
    return n + ' ' + (n === 1 ? one : many);
  }

  /** What the banner says now: the connection first (before the server greets this page,
   * and while it is lost), else the page's state in the server's words or ours. */
  Page.prototype.bannerState = function () {
    var client = this.client;
    if (!client.welcomed && !client.finished()) {
      return {state: 'connecting', text: STATE_TEXT.connecting, tone: STATE_TONE.connecting};
    }
    if (client.everConnected && !client.open && !client.finished()) {
      var unsent = client.unacked.length;
      return {state: 'reconnecting', tone: STATE_TONE.reconnecting, text: STATE_TEXT.reconnecting + ' ' + (unsent
        ? plural(unsent, 'message is', 'messages are') + ' not sent yet; ' +
          (unsent === 1 ? 'it goes' : 'they go') + ' out as soon as the connection is back.'
        : 'Everything you wrote was sent.')};
    }
    var text = client.stateText !== null && client.stateText !== undefined ? client.stateText : STATE_TEXT[client.state];
    return {state: client.state, text: text === undefined ? '' : String(text),
            tone: STATE_TONE[client.state] || 'neutral'};
  };

  /** While the worker waits for a partner: how long so far, and when the run lets them go. */
  Page.prototype.waitingTimer = function () {
    var client = this.client;
    if (WAITING_STATES.indexOf(client.state) === -1 || client.waitingSince === null) return null;
    var waited = Date.now() - client.waitingSince;
    var text = 'You have waited ' + clock(waited) + '.';
    var limit = Number(this.config.max_wait_seconds) || 0;
    if (limit > 0) {
      text += ' If nobody joins in the next ' + clock(limit * 1000 - waited) +
        ', you can submit this task and be paid for your time.';
    }
    // A timer is not read out every second (role=timer is aria-live off): the state is.
    return h('span', {class: 'parley-banner__timer', role: 'timer', 'aria-live': 'off'}, text);
  };

  /** The banner under the header, a live region that announces each state. `overrideText`
   * (with its tone) stays until the page leaves (submitting to a marketplace). */
  Page.prototype.banner = function (overrideText, overrideTone) {
    if (overrideText !== undefined) this.override = {text: overrideText, tone: overrideTone || 'info'};
    var view = this.bannerState();
    if (this.override) view = {state: view.state, text: this.override.text, tone: this.override.tone};
    var el = this.slots.banner;
    var changed = el.getAttribute('data-state') !== view.state || this.bannerText !== view.text;
    this.bannerText = view.text;
    el.setAttribute('data-state', view.state);
    el.setAttribute('data-tone', view.tone);
    var timer = this.waitingTimer();
    var old = el.querySelector('.parley-banner__timer');
    if (changed || !el.firstChild) {
      el.replaceChildren.apply(el, [h('span', {class: 'parley-banner__text'}, view.text)].concat(timer ? [' ', timer] : []));
    } else if (old && timer) {
      old.textContent = timer.textContent;  // the text above it is not announced again
    } else if (old || timer) {
      el.replaceChildren.apply(el, [el.firstChild].concat(timer ? [' ', timer] : []));
    }
    el.hidden = !view.text;
  };

  Page.prototype.connection = function (status) {
    var labels = {connecting: 'Connecting…', connected: 'Connected', reconnecting: 'Reconnecting…', closed: 'Closed'};
    var el = this.slots.connection;
    el.setAttribute('data-status', status);
    el.replaceChildren(h('span', {class: 'parley-connection__dot', 'aria-hidden': 'true'}), labels[status] || status);
    this.banner();
  };

  /** A short message about something that went wrong outside any one chat message. */
  /** A line above the input; it goes away after 10 s unless `sticky`. */
  Page.prototype.notice = function (text, sticky) {
    var self = this;
    var el = byId('parley-notice');
    el.replaceChildren(h('span', null, String(text)),
      h('button', {type: 'button', class: 'parley-link', 'aria-label': 'Dismiss', onclick: function () { el.hidden = true; }}, '×'));
    el.hidden = false;
    clearTimeout(this.noticeTimer);
    this.noticeTimer = null;
    if (!sticky) this.noticeTimer = setTimeout(function () { el.hidden = true; self.noticeTimer = null; }, 10000);
  };

  Page.prototype.start = function () {
    var client = this.client;
    var self = this;
    this.renderAll();
    this.connection('connecting');
    client.connect();
    setInterval(function () { client.tick(); }, client.heartbeatMs);
    setInterval(function () { if (self.waitingTimer()) self.banner(); }, 1000);
    window.addEventListener('online', function () { client.reconnectNow(); });
  };

  var page = null;

  function boot() {
    var holder = document.getElementById('parley-config');
    if (!holder || page) return;
    var config = JSON.parse(holder.textContent);
    page = new Page(config);
    window.Parley.page = page;
    page.start();
  }

  window.Parley = {
    h: h,
    safeUrl: safeUrl,
    core: core,
    registerComponents: registerComponents,
    render: render,
    sendMessage: function (textOrAct) { return page ? page.client.sendMessage(textOrAct) : false; },
    done: function () { if (page) page.client.done(); },
    page: null
  };

  // custom.js is loaded after this file; booting on DOMContentLoaded lets it register first.
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', boot);
  } else {
    setTimeout(boot, 0);
  }
})();
