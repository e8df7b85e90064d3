-- 0029: an ask's results page lists its answers newest first, a page at a
-- time after a cursor (forms/results.c). answers_form leads with status, so
-- a page of every status would be a sort of all the form's answers; this
-- index makes it a walk.
CREATE INDEX answers_form_id ON answers(form_id, id);
