-- Every model call, as it happened: who asked and for what, what was sent (or its sha256), what came
-- back, the tokens, the time, the outcome and the cost. Written in its own statement outside any
-- transaction: a call that happened cost money even when the effects of its delivery are discarded.
-- No foreign keys: a trace outlives whatever it names, and a call may name a decision not yet committed.
CREATE TABLE llm_calls (
  id              uuid PRIMARY KEY,
  at              timestamptz NOT NULL,
  -- who called and why; null when the caller did not say (ChatOptions.purpose)
  role            echo_role,
  purpose         text NOT NULL CHECK (purpose ~ '^[a-z][a-z0-9_]{0,39}$'),
  message_id      uuid,
  decision_id     uuid,
  -- who answered: after a fallback, the provider that failed and the model it was asked for
  provider        text NOT NULL CHECK (char_length(provider) BETWEEN 1 AND 100),
  model           text NOT NULL CHECK (char_length(model) BETWEEN 1 AND 300),
  -- the request in full (ECHO_LLM_TRACE=full) or the sha256 of its canonical JSON (=hash)
  request         jsonb CHECK (request IS NULL OR jsonb_typeof(request) = 'object'),
  request_hash    text CHECK (request_hash IS NULL OR request_hash ~ '^[0-9a-f]{64}$'),
  response        text,
  tool_calls      jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(tool_calls) = 'array'),
  stop_reason     text,
  refusal         text,
  tokens_in       integer NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
  tokens_out      integer NOT NULL DEFAULT 0 CHECK (tokens_out >= 0),
  latency_ms      integer NOT NULL CHECK (latency_ms >= 0),
  -- attempts of the provider, retries included (at least 1)
  attempts        integer NOT NULL DEFAULT 1 CHECK (attempts >= 1),
  outcome         text NOT NULL CHECK (outcome IN ('ok', 'refusal', 'fallback', 'error')),
  error_code      text,
  error           text,
  -- USD from the price table (lambdas/core/llm-prices.ts); null when the model has no price there
  cost_usd        numeric(18, 10) CHECK (cost_usd IS NULL OR cost_usd >= 0),
  CHECK ((request IS NULL) <> (request_hash IS NULL))
);
-- a message's calls and a decision's calls, oldest first; a decision's token budget sums the latter
CREATE INDEX llm_calls_message ON llm_calls (message_id, at, id) WHERE message_id IS NOT NULL;
CREATE INDEX llm_calls_decision ON llm_calls (decision_id, at, id) WHERE decision_id IS NOT NULL;
