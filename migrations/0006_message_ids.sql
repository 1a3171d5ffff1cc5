-- Every chat line has a message id, given by the hub (issue #13): IRCv3
-- msgid and chathistory, and a browser that reconnects, name lines by it.
-- The ids increase with every line and never repeat, across restarts too.

ALTER TABLE history ADD COLUMN message_id INTEGER;
-- Lines kept before ids existed get their row number: unique, in the order
-- they were said, and below every id the hub hands out (those start at the
-- wall clock's microseconds since 1970).
UPDATE history SET message_id = id;
CREATE UNIQUE INDEX history_by_message_id ON history (message_id);

-- The highest id the hub may have handed out: it reserves ahead, so that
-- after a restart it goes on above every id of lines nothing stores
-- (private ones, channels without history), even if the clock was set back.
-- One row at most.
CREATE TABLE message_ids (
    only     INTEGER PRIMARY KEY CHECK (only = 1),
    reserved INTEGER NOT NULL
);
