-- The hot list: the nicknames each account wants to hear about when they log
-- in or out (/watch on the text door).
CREATE TABLE watches (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    nick       TEXT    NOT NULL COLLATE NOCASE,
    added_at   INTEGER NOT NULL,
    PRIMARY KEY (account_id, nick)
) WITHOUT ROWID;
