-- Issue 22: the search index records which texts hold each trigram, not where in them
-- (detail=none), and keeps no per-text sizes (columnsize=0: those serve ranking, which
-- `tickets --search` does not do). Searching is only `body LIKE '%word%'`, which SQLite
-- checks against the stored text anyway; the index is a fifth of the size, and so is the
-- merging of its segments that every indexed mail pays for, which grows with the history.
CREATE VIRTUAL TABLE search_compact USING fts5(
    ticket_id UNINDEXED, body, tokenize = 'trigram', detail = none, columnsize = 0
);
INSERT INTO search_compact (rowid, ticket_id, body) SELECT rowid, ticket_id, body FROM search;
DROP TABLE search;
ALTER TABLE search_compact RENAME TO search;
