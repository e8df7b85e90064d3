/*
 * event_int.h — what event.c, event_mail.c and ical.c share (not for
 * other modules: they use forms.h).
 */
#ifndef JM_FORMS_EVENT_INT_H
#define JM_FORMS_EVENT_INT_H

#include "forms/forms.h"

/* One registration as event.c reads it. */
struct event_answer {
	int64_t id, form_id, person_id;
	char status[16]; /* confirmed | waitlisted | cancelled | expired | '' (new) */
	bool verified;
	int64_t held_until; /* 0 = not held */
	char party[16];
};

enum jm_rc event_answer_load(struct db *db, int64_t answer_id, struct event_answer *out) JM_WUR;
/* Sets status (and held_until, 0 = NULL); status_at moves only when the
 * status changes. */
enum jm_rc event_set_status(struct db *db, int64_t answer_id, const char *status,
                            int64_t held_until, int64_t now) JM_WUR;
/* Places the 懇親会 part of answer_id (status: its main place). */
enum jm_rc event_party_place(struct db *db, const struct forms_form *f, int64_t answer_id,
                             const char *status, int64_t now) JM_WUR;

#define FORMS_EVENT_BATCH 200 /* reminders per event per tick */

/* ---- event_mail.c: the mails, queued in the caller's transaction ----
 * status "confirmed": the confirmation with the invitation (.ics) and the
 * 受付票 QR; "waitlisted": the waitlist number; "promoted": a seat came
 * free; "reminder": the day is near. Nothing is queued for a person
 * without a usable address. */
enum jm_rc event_mail_placed(struct db *db, const struct forms_form *f, int64_t answer_id,
                             const char *kind, int64_t now) JM_WUR;
/* Queues the reminders of one event (a batch) and marks them sent. Own
 * transaction. */
enum jm_rc event_remind_form(struct db *db, int64_t form_id, int64_t now, int64_t *n) JM_WUR;

/* ---- ical.c ---- */
struct event_ical_in {
	const char *uid, *title, *location, *description, *url;
	const char *org_name, *org_addr; /* ORGANIZER: the site's sender */
	const char *att_name, *att_addr; /* ATTENDEE: the registrant */
	int64_t now, starts_at, ends_at, sequence;
	bool cancel; /* METHOD:CANCEL instead of REQUEST */
};
/* Appends the VCALENDAR (METHOD:REQUEST, one VEVENT) to out. */
enum jm_rc event_ical(const struct event_ical_in *in, struct buf *out) JM_WUR;
/* Appends text as a QR code (level M) drawn as a PNG to out. */
enum jm_rc event_qr_png(const char *text, struct buf *out) JM_WUR;
#endif
