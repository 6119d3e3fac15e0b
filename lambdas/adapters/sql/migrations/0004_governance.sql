-- Governance: a role's approvals for one purpose add up within a window (a split budget escalates).
-- purpose_key: the decision's title without what tells parts apart; vendor_key: the vendor it names.
ALTER TABLE decisions ADD COLUMN purpose_key text CHECK (purpose_key IS NULL OR char_length(purpose_key) BETWEEN 1 AND 200);
ALTER TABLE decisions ADD COLUMN vendor_key text CHECK (vendor_key IS NULL OR char_length(vendor_key) BETWEEN 1 AND 200);
CREATE INDEX decisions_owner_purpose ON decisions (owner, purpose_key, completed_at) WHERE status = 'approved';
CREATE INDEX decisions_owner_vendor ON decisions (owner, vendor_key, completed_at) WHERE status = 'approved' AND vendor_key IS NOT NULL;
