/** The organization's recent activity as edges between roles (and the human), for its chart. */
export interface ActivityEdge {
  /** A role, or `human` (or another sender). */
  from: string;
  /** A role, or `human`. */
  to: string;
  count: number;
}

export interface OrganizationActivity {
  since: string;
  /** Messages delivered from a sender to a role since `since`, one per delivery. */
  messages: ActivityEdge[];
  /**
   * Decisions climbing the chain: each hop created since `since` (its owner from the owner of the
   * decision it escalated from), and each decision now waiting for a human (to `human`).
   */
  escalations: ActivityEdge[];
}

export interface OrganizationActivityStore {
  organizationActivity(since: Date): Promise<OrganizationActivity>;
}
