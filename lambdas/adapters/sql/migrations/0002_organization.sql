-- The organization: agent health, and what decisions need beyond the foundation.

-- One row per role once it has run: last activity and health. A role whose runs keep failing is
-- degraded (left out of quorums) until a run succeeds again.
CREATE TABLE agents (
  role                 echo_role PRIMARY KEY,
  status               text NOT NULL DEFAULT 'healthy' CHECK (status IN ('healthy', 'degraded')),
  consecutive_failures integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
  runs                 bigint NOT NULL DEFAULT 0 CHECK (runs >= 0),
  failures             bigint NOT NULL DEFAULT 0 CHECK (failures >= 0),
  last_seen_at         timestamptz NOT NULL,
  last_outcome         text NOT NULL CHECK (last_outcome IN ('processed', 'duplicate', 'failed')),
  last_error           text
);

ALTER TABLE decisions ADD COLUMN domain text CHECK (domain IS NULL OR char_length(domain) BETWEEN 1 AND 100);
-- who opened a collaborative decision through a broadcast: the broadcast whose joiners take part
ALTER TABLE decisions ADD COLUMN broadcast_id uuid REFERENCES messages (id);
CREATE INDEX decisions_broadcast ON decisions (broadcast_id) WHERE broadcast_id IS NOT NULL;
CREATE INDEX decisions_message ON decisions (message_id) WHERE message_id IS NOT NULL;

-- a human approval names the decision it resolves and, once resolved, who did it
CREATE INDEX human_approvals_status_created ON human_approvals (status, created_at DESC);

-- memories are found by key prefix and by tags; sessions by role
CREATE INDEX memories_updated ON memories (updated_at DESC);
