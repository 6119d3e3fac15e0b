-- ECHO schema: the database is the record. Rules live here too: foreign keys, CHECKs on every
-- enum and amount, unique idempotency keys and votes, and an index for every query the system makes.

CREATE DOMAIN echo_role AS text
  CHECK (VALUE IN ('ceo', 'cto', 'chro', 'operations_head', 'product_manager', 'senior_architect',
                   'uiux_engineer', 'senior_developer', 'test_lead'));

CREATE DOMAIN echo_sender AS text
  CHECK (VALUE IN ('ceo', 'cto', 'chro', 'operations_head', 'product_manager', 'senior_architect',
                   'uiux_engineer', 'senior_developer', 'test_lead', 'human', 'system'));

CREATE DOMAIN echo_usd AS numeric(16, 2) CHECK (VALUE >= 0);

-- Messages ---------------------------------------------------------------------------------------

CREATE TABLE messages (
  id              uuid PRIMARY KEY,
  seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  from_role       echo_sender NOT NULL,
  to_address      text NOT NULL CHECK (to_address IN ('ceo', 'cto', 'chro', 'operations_head', 'product_manager',
                    'senior_architect', 'uiux_engineer', 'senior_developer', 'test_lead', 'all', 'leadership', 'human')),
  type            text NOT NULL CHECK (type IN ('request', 'response', 'notification', 'broadcast', 'escalation',
                    'participation', 'vote', 'decision', 'error')),
  subject         text NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 500),
  content         jsonb NOT NULL CHECK (jsonb_typeof(content) = 'object'),
  metadata        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  priority        text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'critical')),
  recipients      jsonb NOT NULL CHECK (jsonb_typeof(recipients) = 'array'),
  in_reply_to     uuid REFERENCES messages (id),
  idempotency_key text UNIQUE CHECK (char_length(idempotency_key) BETWEEN 1 AND 200),
  created_at      timestamptz NOT NULL
);
-- listings: by recipient address, by sender, replies to a message; all newest first by seq
CREATE INDEX messages_to_seq ON messages (to_address, seq);
CREATE INDEX messages_from_seq ON messages (from_role, seq);
CREATE INDEX messages_in_reply_to ON messages (in_reply_to) WHERE in_reply_to IS NOT NULL;

-- One row per recipient role: acknowledgement is per recipient, never per message.
CREATE TABLE deliveries (
  message_id   uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  role         echo_role NOT NULL,
  status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processed')),
  attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error   text,
  created_at   timestamptz NOT NULL,
  processed_at timestamptz,
  PRIMARY KEY (message_id, role),
  CHECK ((status = 'processed') = (processed_at IS NOT NULL))
);
-- catch-up: a role's unprocessed deliveries, oldest first
CREATE INDEX deliveries_pending ON deliveries (role, created_at) WHERE status = 'pending';

-- Fan-out still to do. A row is deleted once published; `available_at` is a lease: the relay that
-- wrote it publishes right after commit, the sweeper takes whatever is left once the lease ran out.
-- A message's fan-out is rebuilt from the message row; other events carry their payload.
CREATE TABLE outbox (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_id   uuid REFERENCES messages (id) ON DELETE CASCADE,
  target       text NOT NULL CHECK (target IN ('eventbridge', 'realtime')),
  payload      jsonb CHECK (jsonb_typeof(payload) = 'object'),
  attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error   text,
  created_at   timestamptz NOT NULL,
  available_at timestamptz NOT NULL,
  CHECK ((message_id IS NULL) <> (payload IS NULL))
);
CREATE INDEX outbox_available ON outbox (available_at, id);

-- Commands that were rejected, kept with the reason and the input as it came.
CREATE TABLE dead_letters (
  id         uuid PRIMARY KEY,
  seq        bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  source     text NOT NULL CHECK (source IN ('ingest', 'api', 'bus', 'agent', 'relay')),
  reason     text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 2000),
  field      text,
  payload    jsonb,
  raw        text,
  created_at timestamptz NOT NULL,
  CHECK (payload IS NOT NULL OR raw IS NOT NULL)
);
CREATE INDEX dead_letters_source_seq ON dead_letters (source, seq);

-- Agents -----------------------------------------------------------------------------------------

-- Every run of an agent: what it processed, how it ended, how long it took.
CREATE TABLE agent_activity (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  role        echo_role NOT NULL,
  message_id  uuid REFERENCES messages (id) ON DELETE CASCADE,
  outcome     text NOT NULL CHECK (outcome IN ('processed', 'duplicate', 'failed')),
  error       text,
  duration_ms integer NOT NULL CHECK (duration_ms >= 0),
  at          timestamptz NOT NULL,
  CHECK ((outcome = 'failed') = (error IS NOT NULL))
);
CREATE INDEX agent_activity_role_at ON agent_activity (role, at DESC);
CREATE INDEX agent_activity_message ON agent_activity (message_id);

-- Decisions --------------------------------------------------------------------------------------

CREATE TABLE decisions (
  id              uuid PRIMARY KEY,
  parent_id       uuid REFERENCES decisions (id),
  type            text NOT NULL CHECK (char_length(type) BETWEEN 1 AND 100),
  category        text CHECK (category IS NULL OR char_length(category) BETWEEN 1 AND 100),
  mode            text NOT NULL CHECK (mode IN ('autonomous', 'collaborative', 'hierarchical', 'human')),
  status          text NOT NULL CHECK (status IN ('pending', 'voting', 'approved', 'rejected', 'escalated',
                    'awaiting_human', 'expired')),
  owner           echo_role,
  initiator       echo_sender NOT NULL,
  title           text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 500),
  budget_usd      echo_usd,
  confidence      double precision CHECK (confidence BETWEEN 0 AND 1),
  reason          text,
  participants    jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(participants) = 'array'),
  consensus_score double precision CHECK (consensus_score BETWEEN 0 AND 1),
  outcome         jsonb,
  context         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(context) = 'object'),
  message_id      uuid REFERENCES messages (id),
  deadline_at     timestamptz,
  version         integer NOT NULL DEFAULT 0 CHECK (version >= 0),
  created_at      timestamptz NOT NULL,
  completed_at    timestamptz,
  CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE INDEX decisions_status_created ON decisions (status, created_at DESC);
CREATE INDEX decisions_parent ON decisions (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX decisions_owner_created ON decisions (owner, created_at DESC);
CREATE INDEX decisions_deadline ON decisions (deadline_at) WHERE status = 'voting';

CREATE TABLE decision_votes (
  decision_id uuid NOT NULL REFERENCES decisions (id) ON DELETE CASCADE,
  voter       echo_role NOT NULL,
  vote        text NOT NULL CHECK (vote IN ('approve', 'reject', 'abstain')),
  confidence  double precision NOT NULL CHECK (confidence BETWEEN 0 AND 1),
  rationale   text NOT NULL DEFAULT '',
  cast_at     timestamptz NOT NULL,
  PRIMARY KEY (decision_id, voter)
);

CREATE TABLE human_approvals (
  id          uuid PRIMARY KEY,
  decision_id uuid NOT NULL UNIQUE REFERENCES decisions (id) ON DELETE CASCADE,
  status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
  reason      text NOT NULL,
  principal   text,
  resolution  text,
  created_at  timestamptz NOT NULL,
  resolved_at timestamptz,
  CHECK ((status = 'pending') = (resolved_at IS NULL)),
  CHECK (status = 'pending' OR principal IS NOT NULL)
);
CREATE INDEX human_approvals_pending ON human_approvals (created_at) WHERE status = 'pending';

-- Memory and consultation -------------------------------------------------------------------------

CREATE TABLE memories (
  key        text PRIMARY KEY CHECK (char_length(key) BETWEEN 1 AND 200),
  content    text NOT NULL,
  tags       jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(tags) = 'array'),
  author     echo_sender NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX memories_tags ON memories USING gin (tags);

CREATE TABLE llm_sessions (
  id           uuid PRIMARY KEY,
  role         echo_role NOT NULL,
  turns        jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(turns) = 'array'),
  tokens_used  integer NOT NULL DEFAULT 0 CHECK (tokens_used >= 0),
  created_at   timestamptz NOT NULL,
  last_used_at timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL
);
CREATE INDEX llm_sessions_role_used ON llm_sessions (role, last_used_at DESC);

-- Workflows --------------------------------------------------------------------------------------

CREATE TABLE workflow_runs (
  id           uuid PRIMARY KEY,
  name         text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  status       text NOT NULL CHECK (status IN ('running', 'paused', 'completed', 'failed', 'cancelled')),
  steps        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(steps) = 'object'),
  context      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(context) = 'object'),
  version      integer NOT NULL DEFAULT 0 CHECK (version >= 0),
  deadline_at  timestamptz,
  error        text,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  completed_at timestamptz
);
CREATE INDEX workflow_runs_status_created ON workflow_runs (status, created_at DESC);
