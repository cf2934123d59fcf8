-- Issue 22: a year of mail. Indexes for the queries whose cost grew with history, tallies
-- kept by triggers so that counts per state never scan the tables, raw mail compressed, and
-- what retention purged.

-- `show`: a ticket's outgoing mail; `rules replay`: the automatic mail of a message.
CREATE INDEX outbox_ticket ON outbox(ticket_id);
CREATE INDEX outbox_message_row ON outbox(message_row) WHERE message_row IS NOT NULL;
-- `sla`: compliance over the tickets due in a period (covering).
CREATE INDEX tickets_due ON tickets(first_response_due, first_response_at);
-- `rules replay --since`: processed mail in order of arrival.
CREATE INDEX messages_received ON messages(received_at, id) WHERE state = 'processed';
-- `tickets --state S`: the newest of a state without sorting all of them.
CREATE INDEX tickets_state_id ON tickets(status, id);
-- `purge`: the tickets of a state by last activity.
CREATE INDEX tickets_activity ON tickets(status, last_activity);
-- `quarantine`: the held mail without reading every message.
CREATE INDEX messages_quarantined ON messages(id) WHERE state = 'quarantined';
-- messages_spam (0006) already serves `spam`; outbox_message_id duplicates the UNIQUE index.
DROP INDEX IF EXISTS outbox_message_id;

-- Raw mail as stored: NULL as received, 'zstd' compressed (src/store/raw.rs); `raw_length`
-- is the length before compression, so listings need not decompress. Outgoing mail likewise.
ALTER TABLE messages ADD COLUMN raw_codec TEXT;
ALTER TABLE messages ADD COLUMN raw_length INTEGER;
ALTER TABLE outbox ADD COLUMN raw_codec TEXT;
-- When retention purged the raw mail and texts (`deskmail purge`); the row and its hash stay.
ALTER TABLE messages ADD COLUMN purged_at INTEGER;
ALTER TABLE outbox ADD COLUMN purged_at INTEGER;
ALTER TABLE tickets ADD COLUMN purged_at INTEGER;
CREATE INDEX tickets_purged ON tickets(purged_at) WHERE purged_at IS NOT NULL;

-- Rows per state, kept by triggers: `status` and the metrics endpoint read these instead of
-- counting a million rows.
CREATE TABLE tallies (
    tbl    TEXT    NOT NULL,
    state  TEXT    NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (tbl, state)
) WITHOUT ROWID;
INSERT INTO tallies (tbl, state, n) SELECT 'messages', state, COUNT(*) FROM messages GROUP BY state;
INSERT INTO tallies (tbl, state, n) SELECT 'outbox', state, COUNT(*) FROM outbox GROUP BY state;
INSERT INTO tallies (tbl, state, n) SELECT 'tickets', status, COUNT(*) FROM tickets GROUP BY status;

CREATE TRIGGER messages_tally_insert AFTER INSERT ON messages BEGIN
    INSERT INTO tallies (tbl, state, n) VALUES ('messages', NEW.state, 1)
        ON CONFLICT (tbl, state) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER messages_tally_delete AFTER DELETE ON messages BEGIN
    UPDATE tallies SET n = n - 1 WHERE tbl = 'messages' AND state = OLD.state;
END;
CREATE TRIGGER messages_tally_update AFTER UPDATE OF state ON messages
    WHEN OLD.state IS NOT NEW.state BEGIN
    UPDATE tallies SET n = n - 1 WHERE tbl = 'messages' AND state = OLD.state;
    INSERT INTO tallies (tbl, state, n) VALUES ('messages', NEW.state, 1)
        ON CONFLICT (tbl, state) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER outbox_tally_insert AFTER INSERT ON outbox BEGIN
    INSERT INTO tallies (tbl, state, n) VALUES ('outbox', NEW.state, 1)
        ON CONFLICT (tbl, state) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER outbox_tally_delete AFTER DELETE ON outbox BEGIN
    UPDATE tallies SET n = n - 1 WHERE tbl = 'outbox' AND state = OLD.state;
END;
CREATE TRIGGER outbox_tally_update AFTER UPDATE OF state ON outbox
    WHEN OLD.state IS NOT NEW.state BEGIN
    UPDATE tallies SET n = n - 1 WHERE tbl = 'outbox' AND state = OLD.state;
    INSERT INTO tallies (tbl, state, n) VALUES ('outbox', NEW.state, 1)
        ON CONFLICT (tbl, state) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER tickets_tally_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO tallies (tbl, state, n) VALUES ('tickets', NEW.status, 1)
        ON CONFLICT (tbl, state) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER tickets_tally_delete AFTER DELETE ON tickets BEGIN
    UPDATE tallies SET n = n - 1 WHERE tbl = 'tickets' AND state = OLD.status;
END;
CREATE TRIGGER tickets_tally_update AFTER UPDATE OF status ON tickets
    WHEN OLD.status IS NOT NEW.status BEGIN
    UPDATE tallies SET n = n - 1 WHERE tbl = 'tickets' AND state = OLD.status;
    INSERT INTO tallies (tbl, state, n) VALUES ('tickets', NEW.status, 1)
        ON CONFLICT (tbl, state) DO UPDATE SET n = n + 1;
END;
