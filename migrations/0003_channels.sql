-- Channels that outlive a restart: those made with /create, and what was set
-- on chat.toml's permanent ones (topic, modes, operators, bans).
CREATE TABLE channels (
    name        TEXT    PRIMARY KEY COLLATE NOCASE,
    description TEXT    NOT NULL DEFAULT '',
    -- The registered user who made it; NULL for chat.toml's channels.
    founder_id  INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    topic       TEXT,
    topic_by    TEXT,
    topic_at    INTEGER,
    -- Flags as IRC writes them, e.g. '+imnt'; key and limit beside.
    modes       TEXT    NOT NULL DEFAULT '+nt',
    channel_key TEXT,
    user_limit  INTEGER
) WITHOUT ROWID;

-- Channel operators, by account.
CREATE TABLE channel_ops (
    channel    TEXT    NOT NULL COLLATE NOCASE REFERENCES channels(name) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    PRIMARY KEY (channel, account_id)
) WITHOUT ROWID;

-- Bans ('ban') and invite exceptions ('invex'): IRC masks, or $a:<account>.
CREATE TABLE channel_masks (
    channel TEXT    NOT NULL COLLATE NOCASE REFERENCES channels(name) ON DELETE CASCADE,
    kind    TEXT    NOT NULL CHECK (kind IN ('ban', 'invex')),
    mask    TEXT    NOT NULL COLLATE NOCASE,
    set_by  TEXT    NOT NULL,
    set_at  INTEGER NOT NULL,
    -- The list's order, as the operators built it.
    position INTEGER NOT NULL,
    PRIMARY KEY (channel, kind, mask)
) WITHOUT ROWID;

-- Server-wide bans, refused at connect (addresses) or login (nicknames,
-- accounts) with their reason.
CREATE TABLE server_bans (
    mask   TEXT    PRIMARY KEY COLLATE NOCASE,
    reason TEXT    NOT NULL,
    set_by TEXT    NOT NULL,
    set_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Server operators by account (`chatd admin oper <nick>`), besides those
-- named in chat.toml.
ALTER TABLE accounts ADD COLUMN is_oper INTEGER NOT NULL DEFAULT 0;
