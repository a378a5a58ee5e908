/* Custom frontend demo: each role gets its own response component.
 * - Answerer: a number input (the world still checks, since a page can be bypassed).
 * - Evaluator: Approve / Reject buttons, enabled once the world sends task_data
 *   {evaluate: true}; they send task_data {evaluation: 'approve' | 'reject'}.
 * - Asker: the core chat box (no override).
 * The Evaluator's context pane is the core one without the `evaluate` flag. */
(function () {
  'use strict';
  const h = Parley.h;

  function NumberResponse(props) {
    const input = h('input', {type: 'number', step: 'any', class: 'parley-input__text demo-number',
      placeholder: 'Your answer (a number)', 'aria-label': 'Your answer, as a number'});
    const send = h('button', {type: 'button', class: 'parley-button parley-button--primary demo-send'}, 'Send');
    input.disabled = Boolean(props.disabled);
    send.disabled = Boolean(props.disabled);
    const submit = () => {
      const value = String(input.value).trim();
      if (value === '' || !Number.isFinite(Number(value))) {
        return;
      }
      if (props.send(value) !== false) {
        input.value = '';
      }
    };
    send.addEventListener('click', submit);
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        submit();
      }
    });
    return h('div', {class: 'parley-input demo-response'}, input, send);
  }

  function EvaluationResponse(props) {
    const data = props.taskData || {};
    const ready = Boolean(data.evaluate) && !props.disabled;
    const choice = (label, evaluation) => {
      const el = h('button', {type: 'button', class: 'parley-button demo-' + evaluation}, label);
      el.disabled = !ready;
      el.addEventListener('click', () => props.send({
        text: 'I ' + evaluation + ' this conversation.',
        task_data: {evaluation: evaluation},
      }));
      return el;
    };
    const hint = ready
      ? 'Did the Answerer answer every question sensibly?'
      : 'Follow the conversation; you will decide at the end.';
    return h('div', {class: 'demo-response'},
      h('p', {class: 'demo-hint'}, hint),
      h('div', {style: {display: 'flex', gap: '0.5rem'}}, choice('Approve', 'approve'), choice('Reject', 'reject')));
  }

  function EvaluatorContext(props) {
    const taskData = Object.assign({}, props.taskData);
    delete taskData.evaluate;
    return Parley.core.ContextView(Object.assign({}, props, {taskData: taskData}));
  }

  Parley.registerComponents({
    TextResponse: {Answerer: NumberResponse, Evaluator: EvaluationResponse},
    ContextView: {Evaluator: EvaluatorContext},
  });
}());
