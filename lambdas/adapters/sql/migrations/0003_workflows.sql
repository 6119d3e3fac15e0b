-- Workflows: a run waits on events it cannot predict the time of (a reply, a decision's outcome).
-- Each wait is a row keyed by what it waits for, so an event finds its run by one index lookup and
-- consuming the wait (DELETE ... RETURNING) is what makes a redelivered event a no-op.

ALTER TABLE workflow_runs ADD COLUMN idempotency_key text UNIQUE
  CHECK (idempotency_key IS NULL OR char_length(idempotency_key) BETWEEN 1 AND 200);
CREATE INDEX workflow_runs_name_created ON workflow_runs (name, created_at DESC);
CREATE INDEX workflow_runs_deadline ON workflow_runs (deadline_at) WHERE status IN ('running', 'paused');

CREATE TABLE workflow_waits (
  kind        text NOT NULL CHECK (kind IN ('reply', 'decision')),
  -- the request message whose reply is awaited, or the decision whose outcome is
  target      uuid NOT NULL,
  run_id      uuid NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
  step        text NOT NULL CHECK (char_length(step) BETWEEN 1 AND 100),
  -- the decision awaits a human: the run is paused, not stuck
  human       boolean NOT NULL DEFAULT false,
  deadline_at timestamptz,
  created_at  timestamptz NOT NULL,
  PRIMARY KEY (kind, target)
);
CREATE INDEX workflow_waits_run ON workflow_waits (run_id);
CREATE INDEX workflow_waits_deadline ON workflow_waits (deadline_at) WHERE deadline_at IS NOT NULL;

-- A workflow that ends while it waits for a human withdraws its approval item: it leaves the inbox,
-- and approving it later is refused with the reason rather than silently ignored.
ALTER TABLE human_approvals DROP CONSTRAINT human_approvals_status_check;
ALTER TABLE human_approvals ADD CONSTRAINT human_approvals_status_check
  CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn'));
