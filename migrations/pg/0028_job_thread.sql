-- 0028: a job application's mail thread (forms/job.c). The owner mails an
-- applicant from the admin through the inbox's threaded replies: the
-- application becomes a thread there (inbox_thread_start) the first time,
-- and every later mail continues that thread, so the applicant's mail
-- program shows one conversation. NULL = never mailed.
ALTER TABLE answers ADD COLUMN message_id BIGINT REFERENCES messages(id) ON DELETE SET NULL;
