-- Ticket lifecycle (issue 19): the state says who must act.
--   needs_person  a customer's message waits for a person; due_at is its deadline
--   waiting       answered (a person's reply, or a canned answer that resolves): the customer's turn
--   closed        done; a customer's new message within the reopen window opens it again
ALTER TABLE tickets ADD COLUMN due_at INTEGER;          -- deadline of the message that waits (needs_person)
ALTER TABLE tickets ADD COLUMN waiting_since INTEGER;   -- when that message arrived
ALTER TABLE tickets ADD COLUMN state_since INTEGER;     -- when the ticket entered its state
ALTER TABLE tickets ADD COLUMN reason TEXT;             -- why it needs a person, when not a plain new message
ALTER TABLE tickets ADD COLUMN assignee TEXT;
ALTER TABLE tickets ADD COLUMN last_response TEXT;      -- who answered last: answer (canned) | person
ALTER TABLE tickets ADD COLUMN mirrored TEXT;           -- the state the IMAP queue folders show, if mirrored

UPDATE tickets SET status = CASE
    WHEN status = 'closed' THEN 'closed'
    WHEN first_response_at IS NULL THEN 'needs_person'
    ELSE 'waiting' END;
UPDATE tickets SET due_at = first_response_due, waiting_since = created_at WHERE status = 'needs_person';
UPDATE tickets SET state_since = COALESCE(first_response_at, last_activity);
UPDATE tickets SET last_response = CASE WHEN first_response_by IS NULL THEN 'answer' ELSE 'person' END
 WHERE first_response_at IS NOT NULL;

CREATE INDEX tickets_state_due ON tickets(status, due_at);
CREATE INDEX tickets_customer ON tickets(customer COLLATE NOCASE);
-- The tickets whose queue folder is behind their state (the mirror's work list).
CREATE INDEX tickets_unmirrored ON tickets(id) WHERE mirrored IS NOT status;

-- Every change of state, with its time and cause.
CREATE TABLE ticket_events (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    at         INTEGER NOT NULL,
    from_state TEXT,
    to_state   TEXT    NOT NULL,
    cause      TEXT    NOT NULL,
    actor      TEXT,
    detail     TEXT
);
CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id, id);
CREATE INDEX ticket_events_cause ON ticket_events(cause);

-- Internal notes: for staff, never sent.
CREATE TABLE notes (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    at         INTEGER NOT NULL,
    author     TEXT    NOT NULL,
    body       TEXT    NOT NULL
);
CREATE INDEX notes_ticket ON notes(ticket_id, id);

-- Staff's corrections of a category (`deskmail reclassify`): the second opinion learns from them.
CREATE TABLE corrections (
    id            INTEGER PRIMARY KEY,
    ticket_id     INTEGER NOT NULL REFERENCES tickets(id),
    at            INTEGER NOT NULL,
    old_category  TEXT,
    new_category  TEXT    NOT NULL,
    author        TEXT,
    language      TEXT    NOT NULL,
    text          TEXT    NOT NULL
);

-- Full-text search over subjects and customers' text. The trigram tokenizer needs no word
-- boundaries, so Chinese is searchable like English.
CREATE VIRTUAL TABLE search USING fts5(ticket_id UNINDEXED, body, tokenize = 'trigram');
INSERT INTO search (ticket_id, body) SELECT id, subject FROM tickets;
INSERT INTO search (ticket_id, body)
    SELECT ticket_id, new_text FROM messages
     WHERE ticket_id IS NOT NULL AND automated IS NULL AND new_text IS NOT NULL AND new_text != '';
