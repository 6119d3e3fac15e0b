-- A delivery that keeps failing is retried by catch-up with a growing delay, and given up after a
-- number of attempts (lambdas/core/agent.ts, DeliveryRetry). `retry_at`: catch-up leaves it until
-- then. `gave_up_at`: catch-up leaves it for good (the failure is dead-lettered); a person's retry
-- clears both. The delivery stays pending: it was never processed.
ALTER TABLE deliveries ADD COLUMN retry_at timestamptz;
ALTER TABLE deliveries ADD COLUMN gave_up_at timestamptz;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_gave_up_pending CHECK (gave_up_at IS NULL OR status = 'pending');

-- catch-up: what a role may try now, the least tried first
DROP INDEX deliveries_pending;
CREATE INDEX deliveries_pending ON deliveries (role, attempts, created_at)
  WHERE status = 'pending' AND gave_up_at IS NULL;
