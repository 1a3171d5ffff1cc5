-- Registered nicknames. One row per account; never edit this file once
-- released: add a new numbered migration instead.
CREATE TABLE accounts (
    id              INTEGER PRIMARY KEY,
    -- As its owner spells it; unique ignoring ASCII case, like nicknames on line.
    nick            TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    -- argon2id PHC string: $argon2id$v=19$m=…,t=…,p=…$salt$hash
    password_hash   TEXT    NOT NULL,
    -- Unix seconds (UTC).
    created_at      INTEGER NOT NULL,
    last_login_at   INTEGER,
    -- Address (ip:port) of the last successful login.
    last_login_from TEXT,
    -- When the owner last logged out (or was disconnected).
    last_seen_at    INTEGER,
    login_count     INTEGER NOT NULL DEFAULT 0
);
