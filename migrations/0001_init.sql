-- deskmail schema, version 1. Times are Unix seconds (UTC).

CREATE TABLE tickets (
    id                  INTEGER PRIMARY KEY,
    customer            TEXT    NOT NULL,
    customer_name       TEXT    NOT NULL DEFAULT '',
    subject             TEXT    NOT NULL,
    category            TEXT,
    priority            TEXT    NOT NULL DEFAULT 'normal',
    status              TEXT    NOT NULL DEFAULT 'open',
    language            TEXT    NOT NULL,
    created_at          INTEGER NOT NULL,
    first_response_due  INTEGER NOT NULL,
    first_response_at   INTEGER,
    last_activity       INTEGER NOT NULL
);

-- Every mail taken from the source, with its raw bytes so it can be processed again.
CREATE TABLE messages (
    id            INTEGER PRIMARY KEY,
    hash          TEXT    NOT NULL UNIQUE,
    raw           BLOB    NOT NULL,
    origin        TEXT    NOT NULL,
    received_at   INTEGER NOT NULL,
    message_id    TEXT,
    from_address  TEXT,
    from_name     TEXT,
    subject       TEXT,
    language      TEXT,
    charset       TEXT,
    lossy         INTEGER NOT NULL DEFAULT 0,
    new_text      TEXT,
    quoted_text   TEXT,
    automated     TEXT,
    category      TEXT,
    rule          TEXT,
    action        TEXT,
    ticket_id     INTEGER REFERENCES tickets(id),
    state         TEXT    NOT NULL,           -- processed | quarantined
    error         TEXT
);
CREATE INDEX messages_message_id ON messages(message_id);
CREATE INDEX messages_ticket ON messages(ticket_id);

-- Outgoing mail, committed with the incoming mail that caused it.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER REFERENCES tickets(id),
    message_row INTEGER REFERENCES messages(id),
    kind        TEXT    NOT NULL,             -- ack | answer | escalated
    template    TEXT    NOT NULL,
    recipient   TEXT    NOT NULL,
    message_id  TEXT    NOT NULL UNIQUE,
    subject     TEXT    NOT NULL,
    raw         BLOB    NOT NULL,
    state       TEXT    NOT NULL DEFAULT 'pending',   -- pending | sending | sent | failed
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_try    INTEGER NOT NULL,
    last_error  TEXT,
    created_at  INTEGER NOT NULL,
    sent_at     INTEGER
);
CREATE INDEX outbox_due ON outbox(state, next_try);
CREATE INDEX outbox_recipient ON outbox(recipient, created_at);

CREATE TABLE mailbox_state (
    mailbox      TEXT PRIMARY KEY,
    uidvalidity  INTEGER NOT NULL,
    last_uid     INTEGER NOT NULL
);

CREATE TABLE suppressions (
    address  TEXT PRIMARY KEY,
    until    INTEGER NOT NULL,
    reason   TEXT    NOT NULL
);
