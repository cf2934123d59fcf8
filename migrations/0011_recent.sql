-- Issue 22: the per-address daily limit of automatic mail counts the automatic mail of the
-- last day, from a table that keeps only the last two days: it stays the size of two days'
-- traffic however long the history grows. The outbox's index by recipient it replaces grew
-- with every mail ever sent, and at a million stored mails each new mail dirtied a page of
-- it somewhere (814 of the 7,302 pages one pass of 1,000 mails wrote back).
CREATE TABLE recent_automatic (
    recipient  TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX recent_automatic_recipient ON recent_automatic(recipient, created_at);
CREATE INDEX recent_automatic_created ON recent_automatic(created_at);
-- The automatic kinds are OutKind::AUTOMATIC; 172800 s is RECENT_AUTOMATIC_SECONDS
-- (src/store/outbox.rs). Older rows go as new ones come, against the new row's time, so a
-- clock set back deletes nothing that is still needed.
CREATE TRIGGER outbox_recent_automatic AFTER INSERT ON outbox
WHEN NEW.kind IN ('ack', 'answer', 'escalated') BEGIN
    DELETE FROM recent_automatic WHERE created_at < NEW.created_at - 172800;
    INSERT INTO recent_automatic (recipient, created_at) VALUES (NEW.recipient, NEW.created_at);
END;
INSERT INTO recent_automatic (recipient, created_at)
    SELECT recipient, created_at FROM outbox
    WHERE kind IN ('ack', 'answer', 'escalated')
      AND created_at >= (SELECT MAX(created_at) FROM outbox) - 172800;
DROP INDEX outbox_recipient;
