-- What is said while people are away: channel history replayed on join,
-- memos (private messages kept for registered users who were off line), and
-- each account's ignore list.

CREATE TABLE history (
    id      INTEGER PRIMARY KEY,
    channel TEXT    NOT NULL COLLATE NOCASE,
    at      INTEGER NOT NULL,
    nick    TEXT    NOT NULL,
    text    TEXT    NOT NULL,
    -- 1 for a /me action.
    action  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX history_by_channel ON history (channel, id);

CREATE TABLE memos (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    sender     TEXT    NOT NULL,
    text       TEXT    NOT NULL,
    sent_at    INTEGER NOT NULL,
    -- Set once delivered at a login.
    read       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX memos_by_account ON memos (account_id, id);

CREATE TABLE ignores (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    nick       TEXT    NOT NULL COLLATE NOCASE,
    added_at   INTEGER NOT NULL,
    PRIMARY KEY (account_id, nick)
) WITHOUT ROWID;
