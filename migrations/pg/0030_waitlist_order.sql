-- 0030 (PostgreSQL): an event's waitlist order (issue 11). queue_pos is an answer's
-- place in its form's waitlist, taken from the form's counter (the largest
-- queue_pos + 1) each time the answer joins the waitlist, under the form's
-- row lock. A stranger whose held seat ran out and who confirms later joins
-- the back of the waitlist, behind everyone who registered meanwhile; the
-- answer id alone would have put them ahead. Existing waiting answers keep
-- their order (queue_pos = id).
ALTER TABLE answers ADD COLUMN queue_pos BIGINT NOT NULL DEFAULT 0;
UPDATE answers SET queue_pos = id WHERE status = 'waitlisted';
