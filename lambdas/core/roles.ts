/**
 * The nine roles and the addressing rules. The full registry (personas, tools, authority) builds
 * on these names; everything that needs the list of roles imports it from here.
 */
export const ROLES = [
  'ceo',
  'cto',
  'chro',
  'operations_head',
  'product_manager',
  'senior_architect',
  'uiux_engineer',
  'senior_developer',
  'test_lead',
] as const;
export type Role = (typeof ROLES)[number];

export const LEADERSHIP: readonly Role[] = ['ceo', 'cto', 'chro', 'operations_head'];

/**
 * Who a message may be addressed to: one role, every role, the leadership team, or the humans
 * watching (no agent acts on those; they are for the dashboard, the CLI and workflows).
 */
export const GROUPS = ['all', 'leadership', 'human'] as const;
export type Group = (typeof GROUPS)[number];
export type Address = Role | Group;
export const ADDRESSES: readonly Address[] = [...ROLES, ...GROUPS];

/** Who may send: a role, a human (through the API or the CLI), or the system itself. */
export const NON_ROLE_SENDERS = ['human', 'system'] as const;
export type Sender = Role | (typeof NON_ROLE_SENDERS)[number];
export const SENDERS: readonly Sender[] = [...ROLES, ...NON_ROLE_SENDERS];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/**
 * The roles that must act on a message to `to` from `from`. A group excludes its sender: the CEO's
 * broadcast is for the eight others. A message to one role goes to that role, even from itself.
 */
export function recipientsOf(to: Address, from: Sender): Role[] {
  if (to === 'all') return ROLES.filter((r) => r !== from);
  if (to === 'leadership') return LEADERSHIP.filter((r) => r !== from);
  if (to === 'human') return [];
  return [to];
}
