-- A dead letter keeps at most a bounded prefix of the body it rejected (the whole of a small one),
-- with the size and the sha256 of the whole body, so a hostile caller cannot fill the table with
-- megabytes per refusal, and the body can still be recognized.
ALTER TABLE dead_letters
  ADD COLUMN body_bytes     bigint CHECK (body_bytes IS NULL OR body_bytes >= 0),
  ADD COLUMN body_sha256    text CHECK (body_sha256 IS NULL OR body_sha256 ~ '^[0-9a-f]{64}$'),
  ADD COLUMN body_truncated boolean NOT NULL DEFAULT false;
