/** Approve or reject a decision that waits for a human: a reason, two buttons, the answer. */
import { post } from './api.js';
import { authority, authorityForm } from './authority.js';
import { h } from './dom.js';

let forms = 0;

/**
 * The form for one decision. `onDone(decision)` gets the decision as it is after the human's word;
 * `announce(text)` says it to screen readers; `withAuthority`: show the authority form while none is set.
 */
export function resolveForm(decisionId, { onDone, announce, label = 'this decision', withAuthority = true }) {
  const id = `reason-${++forms}`;
  const reason = h('textarea', { id, name: 'reason', rows: 2, required: true, maxlength: 2000 });
  const result = h('p', { class: 'result', role: 'status' });
  const buttons = [
    h('button', { type: 'submit', value: 'approve', class: 'approve' }, 'Approve'),
    h('button', { type: 'submit', value: 'reject', class: 'reject' }, 'Reject'),
  ];
  const needAuthority = h('div', { class: 'needs-authority' });
  const showAuthority = () => {
    needAuthority.replaceChildren(...(withAuthority && !authority.ready() ? [authorityForm()] : []));
  };
  const off = authority.onChange(() => (needAuthority.isConnected ? showAuthority() : off()));
  const form = h(
    'form',
    {
      class: 'resolve',
      'aria-label': `Approve or reject ${label}`,
      onsubmit: async (e) => {
        e.preventDefault();
        const verb = e.submitter?.value === 'reject' ? 'reject' : 'approve';
        if (!reason.value.trim()) {
          result.textContent = 'Say why: the reason is recorded with your name.';
          reason.focus();
          return;
        }
        for (const b of buttons) b.disabled = true;
        result.textContent = `${verb === 'approve' ? 'Approving' : 'Rejecting'}…`;
        try {
          const { decision } = await post(
            `/decisions/${decisionId}/${verb}`,
            { reason: reason.value.trim() },
            { human: true },
          );
          result.textContent = `${decision.status === 'approved' ? 'Approved' : 'Rejected'}: ${decision.reason}`;
          announce?.(`${label}: ${decision.status}`);
          off();
          onDone?.(decision);
        } catch (error) {
          result.textContent = `Not done: ${error.message}`;
          for (const b of buttons) b.disabled = false;
          if (error.status === 401) showAuthority();
        }
      },
    },
    h('label', { for: id }, 'Reason (recorded with your name)'),
    reason,
    h('div', { class: 'actions' }, buttons),
    result,
  );
  showAuthority();
  return h('div', { class: 'resolve-box' }, needAuthority, form);
}
