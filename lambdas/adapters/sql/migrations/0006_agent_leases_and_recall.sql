-- An agent leases its delivery, thinks with no transaction open, then completes it in the one
-- transaction that commits its effects, only while the lease is still its own.
ALTER TABLE deliveries ADD COLUMN lease_owner uuid;
ALTER TABLE deliveries ADD COLUMN lease_until timestamptz;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_lease_whole CHECK ((lease_owner IS NULL) = (lease_until IS NULL));

-- What an agent recalls while it thinks: memories and past decisions, by full-text search.
CREATE INDEX memories_search ON memories USING gin (to_tsvector('english', key || ' ' || content));
CREATE INDEX decisions_search ON decisions USING gin (to_tsvector('english', title || ' ' || coalesce(reason, '')));
