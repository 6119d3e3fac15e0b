-- One outbox row per message for both of its targets (EventBridge and the real-time channel), where
-- there were two: half the rows to write with the message and to delete once it is published. The
-- row says `both` until the relay publishes it; if one target fails, the row is narrowed to that one
-- (`eventbridge` or `realtime`) and waits for the sweeper with its error, as before. Rows of other
-- events (decisions, workflows) carry their payload and one target, as before. Existing rows keep
-- their meaning.
ALTER TABLE outbox DROP CONSTRAINT outbox_target_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_target_check
  CHECK (target IN ('eventbridge', 'realtime', 'both') AND (target <> 'both' OR message_id IS NOT NULL));
