/* Deal or No Deal: the context pane shows the items and this worker's private values (and
 * any open proposal); the response area adds allocation selectors and the Propose /
 * Accept / Reject / No deal buttons under the core chat box.
 *
 * The world sends task_data: items {book: n, ...}, values {book: v, ...},
 * pending_proposal {they_keep, you_get, your_points} or null, my_proposal {...} or null,
 * and at the end outcome and your_points. */
(function () {
  'use strict';
  const h = Parley.h;
  const ITEMS = ['book', 'hat', 'ball'];

  function present(items) {
    return ITEMS.filter((item) => items && item in items);
  }

  function describe(allocation) {
    const parts = present(allocation)
      .filter((item) => allocation[item] > 0)
      .map((item) => allocation[item] + ' ' + item + (allocation[item] === 1 ? '' : 's'));
    return parts.length ? parts.join(', ') : 'nothing';
  }

  function pointsText(n) {
    return n + (n === 1 ? ' point' : ' points');
  }

  function worth(allocation, values) {
    return present(allocation).reduce((sum, item) => sum + allocation[item] * (values[item] || 0), 0);
  }

  function ContextView(props) {
    const data = props.taskData || {};
    const items = data.items || {};
    const values = data.values || {};
    const rows = present(items).map((item) => h('tr', {},
      h('td', {}, item + 's'), h('td', {}, String(items[item])), h('td', {}, String(values[item]))));
    const children = [
      h('h2', {class: 'parley-pane-title'}, 'Items to divide'),
      h('table', {class: 'parley-context__table dnd-items'},
        h('thead', {}, h('tr', {}, h('th', {}, 'Item'), h('th', {}, 'Count'), h('th', {}, 'Your value (each)'))),
        h('tbody', {}, ...rows)),
    ];
    if (data.pending_proposal) {
      const offer = data.pending_proposal;
      children.push(h('p', {class: 'dnd-offer'},
        'Your partner offers you ' + describe(offer.you_get) + ', worth ' +
        pointsText(offer.your_points) + ' to you. Accept or reject it below.'));
    }
    if (data.my_proposal) {
      children.push(h('p', {class: 'dnd-offer'},
        'You proposed to keep ' + describe(data.my_proposal) + ' (worth ' +
        pointsText(worth(data.my_proposal, values)) + ' to you). Waiting for an answer.'));
    }
    if (data.outcome) {
      children.push(h('p', {class: 'dnd-outcome'},
        (data.outcome === 'deal' ? 'Deal! ' : 'No deal. ') + 'You scored ' + pointsText(data.your_points || 0) + '.'));
    }
    return h('section', {class: 'parley-context dnd-context', 'aria-label': 'Items and your values'}, ...children);
  }

  function button(label, enabled, onClick) {
    const el = h('button', {type: 'button', class: 'parley-button dnd-button'}, label);
    el.disabled = !enabled;
    el.addEventListener('click', onClick);
    return el;
  }

  function TextResponse(props) {
    const data = props.taskData || {};
    const items = data.items || {};
    const values = data.values || {};
    const open = !props.disabled && !data.outcome;
    const selectors = {};
    const pickers = present(items).map((item) => {
      const options = [];
      for (let n = 0; n <= items[item]; n += 1) {
        options.push(h('option', {value: String(n)}, String(n)));
      }
      const select = h('select', {name: 'keep-' + item, 'aria-label': 'How many ' + item + 's you keep'}, ...options);
      select.disabled = !open;
      selectors[item] = select;
      return h('label', {class: 'dnd-picker'}, 'Keep ' + item + 's: ', select);
    });
    const keep = () => {
      const chosen = {};
      present(items).forEach((item) => { chosen[item] = parseInt(selectors[item].value, 10) || 0; });
      return chosen;
    };

    const propose = button('Propose', open, () => {
      const mine = keep();
      const theirs = {};
      present(items).forEach((item) => { theirs[item] = items[item] - mine[item]; });
      props.send({
        text: 'I propose: I keep ' + describe(mine) + '; you get ' + describe(theirs) + '.',
        task_data: {proposal: mine},
      });
    });
    const canAnswer = open && Boolean(data.pending_proposal);
    const accept = button('Accept', canAnswer, () => props.send({text: 'I accept your proposal.', task_data: {response: 'accept'}}));
    const reject = button('Reject', canAnswer, () => props.send({text: 'I reject your proposal.', task_data: {response: 'reject'}}));
    const noDeal = button('No deal', open, () => props.send({text: 'No deal.', task_data: {no_deal: true}}));
    const preview = h('span', {class: 'dnd-preview'});
    const showWorth = () => { preview.textContent = 'worth ' + pointsText(worth(keep(), values)) + ' to you'; };
    Object.values(selectors).forEach((select) => select.addEventListener('change', showWorth));
    showWorth();

    const row = {display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: '0.5rem', marginTop: '0.5rem'};
    return h('div', {class: 'dnd-response'},
      Parley.core.TextResponse(props),
      h('div', {class: 'dnd-deal', style: row}, ...pickers, preview, propose),
      h('div', {class: 'dnd-answer', style: row}, accept, reject, noDeal));
  }

  Parley.registerComponents({
    ContextView: {'default': ContextView},
    TextResponse: {'default': TextResponse},
  });
}());
