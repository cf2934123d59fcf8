-- The receiving servers' verdicts (issue 23). `withheld`: why automatic mail was withheld from
-- a mail that would otherwise have had one ('spam' or 'authentication'), NULL when it was not;
-- `verdict`: what was believed of the spam filter and the authentication results, on one line,
-- for `deskmail show`. Spam is kept with state 'spam' and no ticket until `deskmail spam
-- --release` takes it in as a customer's mail.
ALTER TABLE messages ADD COLUMN withheld TEXT;
ALTER TABLE messages ADD COLUMN verdict TEXT;
CREATE INDEX messages_withheld ON messages(withheld) WHERE withheld IS NOT NULL;
CREATE INDEX messages_spam ON messages(id) WHERE state = 'spam';
