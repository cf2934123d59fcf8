-- Issue 17: the learned second opinion beside the rules' decision, per message, so staff see
-- both when a canned answer was held back or a category was only suggested.
CREATE TABLE opinions (
    message_id        INTEGER PRIMARY KEY REFERENCES messages(id),
    model_category    TEXT,
    model_confidence  REAL,
    held              TEXT,
    suggested         INTEGER NOT NULL DEFAULT 0,
    -- the classification's tags, comma-separated: both categories of a two-question mail
    tags              TEXT
);
