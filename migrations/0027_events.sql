-- 0027: events (issue 11): the scheduler looks for unconfirmed holds whose
-- 24 hours ran out every tick (forms/event.c forms_event_tick); this keeps
-- that look to the few held rows instead of every answer.
CREATE INDEX answers_held ON answers(held_until) WHERE held_until IS NOT NULL;
