-- SASL SCRAM-SHA-256 (RFC 5802, RFC 7677) for IRC clients (issue 14): the
-- argon2 hash in accounts can't answer a SCRAM exchange, so each account
-- gets its SCRAM credential beside it. The server keeps only what RFC 5802
-- §3 says it keeps: the salt, the iteration count, StoredKey (SHA-256 of
-- the ClientKey) and ServerKey; never the password or the salted password.
-- Written at registration and at each password change; an account from
-- before this table gets its row at its next password login.
CREATE TABLE scram_credentials (
    account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    salt       BLOB    NOT NULL,
    iterations INTEGER NOT NULL,
    stored_key BLOB    NOT NULL,
    server_key BLOB    NOT NULL
);
