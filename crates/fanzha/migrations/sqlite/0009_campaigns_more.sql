-- Campaigns, more (issue 7): the index of acknowledged deliveries per person (gap finder: "no
-- acknowledged campaign in the last N days", "victims who never acknowledged one of their fraud
-- type") only holds acknowledged deliveries. The fan-out writes a million unacknowledged rows at
-- once; it no longer maintains this index for each of them — a row enters it when its person
-- acknowledges. Both queries compare acknowledged_at, which implies it is not null, so the partial
-- index serves them.
DROP INDEX campaign_deliveries_person;
CREATE INDEX campaign_deliveries_acked ON campaign_deliveries(person, acknowledged_at) WHERE acknowledged_at IS NOT NULL;
