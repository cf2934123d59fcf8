-- When an outgoing mail entered `sending`: unconfirmed sends are retried after a grace period.
ALTER TABLE outbox ADD COLUMN sending_since INTEGER;
