-- Look-alike nicknames (issue 16): each account's nickname skeleton, the
-- class of nicknames too easily taken for it (case folded; i l 1 | one
-- letter, o 0 one letter, rn as m; see skeleton() in src/hub/name.rs).
-- A new account is refused when another already has its skeleton; accounts
-- that collided before this migration keep working. The rule is Rust code,
-- so chatd fills the column at start for rows where it is NULL (these, and
-- any row an admin inserts with sqlite3).
ALTER TABLE accounts ADD COLUMN nick_skeleton TEXT;
CREATE INDEX accounts_by_skeleton ON accounts (nick_skeleton);
