-- The bounce that reported an outgoing mail undeliverable, if any.
ALTER TABLE outbox ADD COLUMN bounced_at INTEGER;
CREATE INDEX outbox_message_id ON outbox(message_id);
