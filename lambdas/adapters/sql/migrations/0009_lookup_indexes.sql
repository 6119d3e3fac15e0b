-- What a person asks for without reading every row.
--
-- A conversation's messages about its decisions (votes asked and cast, escalations, outcomes) name
-- the decision in their metadata or content: found through these, where the thread read every
-- message. Partial: a message without a decision costs its insert nothing more than the check.
CREATE INDEX messages_metadata_decision ON messages ((metadata->>'decisionId'))
  WHERE (metadata->>'decisionId') IS NOT NULL;
CREATE INDEX messages_content_decision ON messages ((content->>'decisionId'))
  WHERE (content->>'decisionId') IS NOT NULL;

-- An id given by its last characters (the random tail listings show): its hex reversed, in byte
-- order, so a suffix is a range. (A prefix is a range of the primary key itself. Messages are named
-- by `#seq` and get no such index: one more on every insert of the message path.)
CREATE INDEX decisions_id_tail ON decisions ((reverse(replace(id::text, '-', '')) COLLATE "C"));
CREATE INDEX human_approvals_id_tail ON human_approvals ((reverse(replace(id::text, '-', '')) COLLATE "C"));
CREATE INDEX workflow_runs_id_tail ON workflow_runs ((reverse(replace(id::text, '-', '')) COLLATE "C"));
CREATE INDEX dead_letters_id_tail ON dead_letters ((reverse(replace(id::text, '-', '')) COLLATE "C"));
