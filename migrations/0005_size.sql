-- The size of a mail at its source, when it differs from the bytes kept in `raw`: a mail
-- over the size limit is quarantined with its header only, and `deskmail quarantine` shows
-- its full size. NULL means `length(raw)`.
ALTER TABLE messages ADD COLUMN size INTEGER;
