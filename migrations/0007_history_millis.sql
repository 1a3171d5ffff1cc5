-- History lines keep their time to the millisecond (issue #14): IRCv3
-- server-time and chathistory name lines by their exact time. `at` stays
-- the Unix second (what retention and admins' queries use); `millis` is the
-- milliseconds within it. Lines kept before this only know their second.

ALTER TABLE history ADD COLUMN millis INTEGER NOT NULL DEFAULT 0;

-- chathistory pages through one channel's lines in id order.
CREATE INDEX history_by_channel_message_id ON history (channel, message_id);
