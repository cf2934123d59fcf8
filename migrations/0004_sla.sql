-- SLA notices sent to staff (once per ticket and threshold), who answered first, and the
-- daemon's own state (last successful poll).
ALTER TABLE tickets ADD COLUMN sla_warned_at INTEGER;
ALTER TABLE tickets ADD COLUMN sla_breach_noticed_at INTEGER;
ALTER TABLE tickets ADD COLUMN first_response_by TEXT;
CREATE TABLE daemon_state (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
