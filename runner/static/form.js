/* A form task on the worker's page: each item (its HTML, rendered on the server from the
 * task's sandboxed, autoescaped template) with the task's fields under it and a Submit per
 * item. Answers are checked here first with the same rules and sentences as the server
 * (runner/forms/answers.py); the server checks again, and a field it refuses shows its
 * sentence the same way. chat.js creates this view when the page config's kind is "form". */
(function () {
  'use strict';

  var h = window.Parley.h;
  var REQUIRED_TEXT = 'This answer is required.';

  function isEmpty(value) {
    return value === null || value === undefined || (Array.isArray(value) && value.length === 0) ||
      (typeof value === 'string' && !value.trim());
  }

  function values(field) {
    return field.options.map(function (o) { return o.value; });
  }

  function turnsOf(field, data) {
    var turns = data ? data[field.dialog_key] : null;
    return Array.isArray(turns) ? turns : [];
  }

  function fmt(n) {
    return String(Number(n));
  }

  /** The sentence for one field's answer (the server's, word for word), or ''. */
  function problem(field, value, data) {
    if (isEmpty(value)) return field.required ? REQUIRED_TEXT : '';
    switch (field.type) {
      case 'text':
      case 'long_text':
        var length = value.trim().length;
        if (length < field.min_length) return 'Please write at least ' + field.min_length + ' characters (you wrote ' + length + ').';
        if (length > field.max_length) return 'Please write at most ' + field.max_length + ' characters (you wrote ' + length + ').';
        return '';
      case 'single_choice':
        return values(field).indexOf(value) === -1 ? 'Please choose one of the options.' : '';
      case 'multiple_choice':
        var low = field.min_choices, high = field.max_choices;
        if (value.length < low || value.length > high) {
          return low === high ? 'Please choose exactly ' + low + '.'
            : low ? 'Please choose between ' + low + ' and ' + high + ' options.'
              : 'Please choose at most ' + high + ' options.';
        }
        return '';
      case 'likert':
        return value >= 1 && value <= field.scale ? '' : 'Please choose a point of the scale, 1 to ' + field.scale + '.';
      case 'slider':
        if (value < field.min || value > field.max) return 'Please choose a number from ' + fmt(field.min) + ' to ' + fmt(field.max) + '.';
        return '';
      case 'turn_labels':
        var count = turnsOf(field, data).length;
        if (value.length !== count || value.some(function (v) { return !v; })) return 'Please label each of the ' + count + ' turns.';
        return '';
      default:
        return '';
    }
  }

  function optionLabel(option) {
    return option.label || option.value;
  }

  function turnText(turn) {
    if (turn && typeof turn === 'object') {
      var who = turn.speaker || turn.id || '';
      return (who ? who + ': ' : '') + String(turn.text === undefined ? '' : turn.text);
    }
    return String(turn);
  }

  /** Inputs for one field; `read()` answers its value (null when left empty). A free-text
   * field's input is recorded by `composition` (composition.js), as a chat message's is. */
  function widget(field, key, data, composition) {
    var id = key + '-' + field.name;
    var choice = function (type, option, name, label) {
      return h('label', {class: 'parley-field__option'},
        h('input', {type: type, name: name, value: option}), ' ', label);
    };
    var inputs, read;
    switch (field.type) {
      case 'text':
        inputs = h('input', {type: 'text', id: id, class: 'parley-field__input', maxlength: String(field.max_length)});
        read = function () { return inputs.value; };
        composition.attach(inputs);
        break;
      case 'long_text':
        inputs = h('textarea', {id: id, rows: '4', class: 'parley-field__input', maxlength: String(field.max_length)});
        read = function () { return inputs.value; };
        composition.attach(inputs);
        break;
      case 'single_choice':
      case 'multiple_choice':
        var type = field.type === 'single_choice' ? 'radio' : 'checkbox';
        inputs = h('div', {class: 'parley-field__options', id: id},
          field.options.map(function (o) { return choice(type, o.value, id, optionLabel(o)); }));
        read = function () {
          var checked = Array.prototype.filter.call(inputs.querySelectorAll('input'), function (i) { return i.checked; })
            .map(function (i) { return i.value; });
          return type === 'radio' ? (checked[0] || null) : checked;
        };
        break;
      case 'likert':
        var points = [];
        for (var n = 1; n <= field.scale; n++) points.push(n);
        inputs = h('div', {class: 'parley-field__options parley-field__options--scale', id: id}, points.map(function (p) {
          return choice('radio', String(p), id, field.labels ? p + ' ' + field.labels[p - 1] : String(p));
        }));
        read = function () {
          var picked = inputs.querySelector('input:checked');
          return picked ? Number(picked.value) : null;
        };
        break;
      case 'slider':
        var range = h('input', {type: 'range', id: id, min: String(field.min), max: String(field.max), step: String(field.step),
                                class: 'parley-field__range'});
        var shown = h('output', {class: 'parley-field__value', for: id}, 'not set');
        var touched = false;
        range.addEventListener('input', function () { touched = true; shown.textContent = range.value; });
        inputs = h('div', {class: 'parley-field__slider'}, range, ' ', shown);
        read = function () { return touched ? Number(range.value) : null; };
        break;
      case 'turn_labels':
        var selects = turnsOf(field, data).map(function (turn, i) {
          var select = h('select', {class: 'parley-field__turn-label', 'aria-label': 'Label of turn ' + (i + 1)},
            [h('option', {value: ''}, 'Choose…')].concat(field.options.map(function (o) {
              return h('option', {value: o.value}, optionLabel(o));
            })));
          return {row: h('li', {class: 'parley-turn-label'}, h('span', {class: 'parley-turn-label__text'}, turnText(turn)), select),
                  select: select};
        });
        inputs = h('ol', {class: 'parley-field__turns', id: id}, selects.map(function (s) { return s.row; }));
        read = function () {
          var labels = selects.map(function (s) { return s.select.value; });
          return labels.every(function (v) { return !v; }) ? [] : labels;
        };
        break;
      default:
        inputs = h('span', null, '');
        read = function () { return null; };
    }
    return {inputs: inputs, read: read};
  }

  function FormView(page) {
    this.page = page;
    this.items = {};      // item id -> {el, fields: {name: {read, error}}, submit, status}
    this.answered = {};
    this.open = true;
    var pane = document.getElementById('parley-messages');
    this.el = h('div', {class: 'parley-form', id: 'parley-form'});
    pane.parentNode.insertBefore(this.el, pane);
  }

  FormView.prototype.show = function (frame) {
    var self = this;
    (frame.answered || []).forEach(function (id) { self.answered[id] = true; });
    this.fields = Array.isArray(frame.fields) ? frame.fields : [];
    this.items = {};
    this.el.replaceChildren.apply(this.el, (frame.items || []).map(function (item, n) {
      return self.renderItem(item, n + 1, frame.items.length);
    }));
    this.setOpen(this.open);
  };

  FormView.prototype.renderItem = function (item, number, count) {
    var self = this;
    var key = 'item-' + number;
    var view = {data: item.data || {}, fields: {}};
    var content = h('div', {class: 'parley-form-item__content'});
    // The server rendered this HTML from the task's template in Jinja's sandbox, escaping
    // every value of the item; the page's CSP still runs no script it might hold.
    var parsed = new DOMParser().parseFromString(String(item.html || ''), 'text/html');
    content.replaceChildren.apply(content, Array.prototype.slice.call(parsed.body.childNodes));
    var config = this.page.config || {};
    var fieldEls = this.fields.map(function (field) {
      var error = h('p', {class: 'parley-field__error', role: 'alert', hidden: true});
      var composition = new window.Parley.Composition({
        refusePaste: config.paste_policy === 'refuse' ? function () {
          error.textContent = config.paste_refused_text;
          error.hidden = false;
        } : null
      });
      var made = widget(field, key, view.data, composition);
      view.fields[field.name] = {read: made.read, error: error, composition: composition};
      return h('div', {class: 'parley-field', 'data-field': field.name, 'data-type': field.type},
        h('div', {class: 'parley-field__label', id: key + '-' + field.name + '-label'},
          field.label, field.required ? '' : h('span', {class: 'parley-field__optional'}, ' (optional)')),
        field.help ? h('p', {class: 'parley-field__help'}, field.help) : '',
        made.inputs, error);
    });
    view.status = h('p', {class: 'parley-form-item__status', role: 'status'});
    view.submit = h('button', {type: 'button', class: 'parley-button parley-form-item__submit',
                               onclick: function () { self.submit(item.item_id); }}, 'Submit');
    view.el = h('section', {class: 'parley-form-item', 'data-item-id': item.item_id, 'aria-label': 'Item ' + number + ' of ' + count},
      h('h2', {class: 'parley-form-item__title'}, 'Item ' + number + ' of ' + count), content,
      h('div', {class: 'parley-form-item__fields'}, fieldEls), h('div', {class: 'parley-form-item__actions'}, view.submit, view.status));
    this.items[item.item_id] = view;
    if (this.answered[item.item_id]) this.markAnswered(item.item_id);
    return view.el;
  };

  FormView.prototype.answersOf = function (view) {
    var answers = {};
    this.fields.forEach(function (field) { answers[field.name] = view.fields[field.name].read(); });
    return answers;
  };

  FormView.prototype.showProblems = function (view, problems) {
    Object.keys(view.fields).forEach(function (name) {
      var error = view.fields[name].error;
      error.textContent = problems[name] || '';
      error.hidden = !problems[name];
      error.parentNode.setAttribute('data-invalid', problems[name] ? 'true' : 'false');
    });
  };

  FormView.prototype.submit = function (itemId) {
    var view = this.items[itemId];
    if (!view || this.answered[itemId]) return;
    var answers = this.answersOf(view);
    var problems = {};
    this.fields.forEach(function (field) {
      var text = problem(field, answers[field.name], view.data);
      if (text) problems[field.name] = text;
    });
    this.showProblems(view, problems);
    if (Object.keys(problems).length) {
      view.status.textContent = 'Some answers need another look.';
      return;
    }
    var signals = {};
    this.fields.forEach(function (field) {
      var text = answers[field.name];
      if ((field.type === 'text' || field.type === 'long_text') && typeof text === 'string' && text) {
        signals[field.name] = view.fields[field.name].composition.signals(text);
      }
    });
    if (this.page.client.sendAnswer(itemId, answers, signals)) {
      view.submit.disabled = true;
      view.status.textContent = 'Saving…';
    }
  };

  FormView.prototype.acked = function (itemId) {
    this.answered[itemId] = true;
    this.markAnswered(itemId);
  };

  FormView.prototype.markAnswered = function (itemId) {
    var view = this.items[itemId];
    if (!view) return;
    this.showProblems(view, {});
    view.el.setAttribute('data-answered', 'true');
    view.status.textContent = 'Submitted. Thank you.';
    view.el.querySelectorAll('input, textarea, select, button').forEach(function (el) { el.disabled = true; });
  };

  /** The server refused answers: its sentence for each field, or for the whole item. */
  FormView.prototype.refused = function (itemId, frame) {
    var view = this.items[itemId];
    if (!view) return;
    this.showProblems(view, frame.fields && typeof frame.fields === 'object' ? frame.fields : {});
    view.status.textContent = typeof frame.error === 'string' ? frame.error : 'These answers were not saved.';
    view.submit.disabled = !this.open;
  };

  FormView.prototype.setOpen = function (open) {
    this.open = open;
    var self = this;
    Object.keys(this.items).forEach(function (id) {
      if (!self.answered[id]) self.items[id].submit.disabled = !open;
    });
  };

  window.Parley.forms = {create: function (page) { return new FormView(page); }, problem: problem};
})();
