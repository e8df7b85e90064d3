/*
 * touch.c — keep in touch: who is due for a call or a meal, and the daily
 * digest mail that tells the owner.
 *
 * A person is due when their interval is set and their last contact (or,
 * never contacted, the day they reached their stage, or were created) is
 * older than it. The interval is the person's own touch_days, else the
 * stage's setting touch_days_<stage>; blocked people are never due, and
 * neither is the owner's own person row (the "me" of the network, not a
 * contact to keep in touch with).
 *
 * Indexed at any size: for each stage with an interval, the contacted
 * people are one range of people_stage_contact walked oldest first and
 * the never-contacted ones its NULL range; the people with an interval of
 * their own come from the partial index people_touch_days. Each source
 * gives at most max rows in due order, so the first max of their merge
 * are the most overdue overall.
 *
 * The digest is sent at most once per local day (the site's time zone): the
 * day is claimed in digest_state (migration 0006) by one conditional
 * update before the mail is queued, so two schedulers never both send;
 * if queueing fails the claim is given back.
 */
#include <jansson.h>

#include "network/people_int.h"

#include "auth/auth.h"
#include "newsletter/newsletter.h"
#include "site/site.h"

#define NOT_OWNER NET_NOT_OWNER("p.id")

#define DAY         86400
#define DIGEST_MAX  50 /* people listed in one digest */
#define DIGEST_TEXT (256 * 1024)
#define DAYS_MAX    3650

struct due {
	struct net_person p;
	int64_t due_at; /* when the interval ran out */
};

struct due_set {
	struct arena *a;
	struct due *v;
	size_t n, cap, max;
	int64_t total;
};

/* The stage's interval in days from its setting (0 = no reminder). */
static int64_t stage_days(struct db *db, struct arena *a, const char *stage)
{
	char key[40];
	snprintf(key, sizeof(key), "touch_days_%s", stage);
	const char *s = site_setting_get(db, a, key);
	char *end = NULL;
	long v = strtol(s, &end, 10);
	if (end == s || *end || v < 0 || v > DAYS_MAX)
		v = !strcmp(stage, "network") ? 90 : !strcmp(stage, "acquaintance") ? 180 : 0;
	return v;
}

/* Adds the rows of st: the person's columns, then the base time, then the
 * interval in days. */
static enum jm_rc collect(struct db_stmt *st, struct due_set *d)
{
	enum jm_rc rc;
	while ((rc = db_step(st)) == JM_OK) {
		d->v = arena_grow(d->a, d->v, d->n, &d->cap, sizeof(*d->v));
		struct due *e = &d->v[d->n++];
		net_person_row(st, 0, d->a, &e->p);
		e->due_at = db_col_int(st, NET_PERSON_NCOLS) +
		            db_col_int(st, NET_PERSON_NCOLS + 1) * DAY;
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

static enum jm_rc count_into(struct db_stmt *st, int64_t *total)
{
	enum jm_rc rc = db_step(st);
	if (rc == JM_OK)
		*total += db_col_int(st, 0);
	db_finalize(st);
	return rc == JM_OK ? JM_OK : JM_DB;
}

/* The people of one stage whose stage interval (days) has run out. */
static enum jm_rc due_stage(struct db *db, const char *stage, int64_t days, int64_t now,
                            struct due_set *d)
{
	int64_t cutoff = now - days * DAY, max = (int64_t)d->max;
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(
	        db, &st,
	        "SELECT (SELECT count(*) FROM people p WHERE p.stage = ? AND p.last_contact_at < ? "
	        "AND p.touch_days IS NULL AND p.blocked = 0 AND " NOT_OWNER
	        ") + (SELECT count(*) FROM people p "
	        "WHERE p.stage = ? AND p.last_contact_at IS NULL AND COALESCE(p.stage_at, "
	        "p.created_at) < ? AND p.touch_days IS NULL AND p.blocked = 0 AND " NOT_OWNER ")",
	        "titi", stage, cutoff, stage, cutoff);
	if (rc || (rc = count_into(st, &d->total)) || max == 0)
		return rc;
	rc = db_preparef(db, &st,
	                 "SELECT " NET_PERSON_COLS_LIST ", p.last_contact_at, ? FROM people p "
	                 "WHERE p.stage = ? AND p.last_contact_at < ? AND p.touch_days IS NULL "
	                 "AND p.blocked = 0 AND " NOT_OWNER
	                 " ORDER BY p.last_contact_at, p.id LIMIT ?",
	                 "itii", days, stage, cutoff, max);
	if (rc || (rc = collect(st, d)))
		return rc;
	rc = db_preparef(db, &st,
	                 "SELECT " NET_PERSON_COLS_LIST ", COALESCE(p.stage_at, p.created_at) AS "
	                 "since, ? FROM people p WHERE p.stage = ? AND p.last_contact_at IS NULL "
	                 "AND COALESCE(p.stage_at, p.created_at) < ? AND p.touch_days IS NULL "
	                 "AND p.blocked = 0 AND " NOT_OWNER " ORDER BY since, p.id LIMIT ?",
	                 "itii", days, stage, cutoff, max);
	return rc ? rc : collect(st, d);
}

/* The people with their own interval whose interval has run out. */
static enum jm_rc due_own(struct db *db, int64_t now, struct due_set *d)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(
	        db, &st,
	        "SELECT count(*) FROM people p WHERE p.touch_days IS NOT NULL AND p.blocked = 0 "
	        "AND " NOT_OWNER " "
	        "AND COALESCE(p.last_contact_at, p.stage_at, p.created_at) + p.touch_days * ? < ?",
	        "ii", (int64_t)DAY, now);
	if (rc || (rc = count_into(st, &d->total)) || d->max == 0)
		return rc;
	rc = db_preparef(
	        db, &st,
	        "SELECT " NET_PERSON_COLS_LIST ", COALESCE(p.last_contact_at, p.stage_at, "
	        "p.created_at) AS since, p.touch_days FROM people p WHERE p.touch_days "
	        "IS NOT NULL AND p.blocked = 0 AND " NOT_OWNER
	        " AND COALESCE(p.last_contact_at, p.stage_at, "
	        "p.created_at) + p.touch_days * ? < ? ORDER BY COALESCE(p.last_contact_at, "
	        "p.stage_at, p.created_at) + p.touch_days * ?, p.id LIMIT ?",
	        "iiii", (int64_t)DAY, now, (int64_t)DAY, (int64_t)d->max);
	return rc ? rc : collect(st, d);
}

static int cmp_due(const void *x, const void *y)
{
	const struct due *a = x, *b = y;
	if (a->due_at != b->due_at)
		return a->due_at < b->due_at ? -1 : 1;
	return a->p.id < b->p.id ? -1 : a->p.id > b->p.id;
}

enum jm_rc net_touch_due(struct db *db, struct arena *a, int64_t now, size_t max,
                         struct net_person **out, size_t *n, int64_t *total)
{
	struct due_set d = {.a = a, .max = max > 100000 ? 100000 : max};
	enum jm_rc rc = JM_OK;
	*out = NULL;
	*n = 0;
	*total = 0;
	for (int i = 0; i < 4 && !rc; i++) {
		int64_t days = stage_days(db, a, net_stages[i]);
		if (days > 0)
			rc = due_stage(db, net_stages[i], days, now, &d);
	}
	if (!rc)
		rc = due_own(db, now, &d);
	if (rc)
		return rc;
	if (d.n)
		qsort(d.v, d.n, sizeof(*d.v), cmp_due);
	size_t k = d.n < d.max ? d.n : d.max;
	struct net_person *v = k ? arena_alloc(a, k * sizeof(*v)) : NULL;
	for (size_t i = 0; i < k; i++)
		v[i] = d.v[i].p;
	*out = v;
	*n = k;
	*total = d.total;
	return JM_OK;
}

/* ---- the daily digest ---- */

static bool setting_on(const char *v)
{
	return !strcmp(v, "1") || !strcmp(v, "on") || !strcmp(v, "true");
}

/* The site zone's offset at now, in minutes. */
static int tz_minutes(struct db *db, struct arena *a, int64_t now)
{
	return jm_tz_offset(site_setting_get(db, a, "timezone"), now);
}

/* The digest's address (digest_to, else the owner's account) and the
 * owner's person id (0 when none); JM_NOT_FOUND when there is none. */
static enum jm_rc digest_to(struct db *db, struct arena *a, char addr[320], int64_t *pid)
{
	const char *to = site_setting_get(db, a, "digest_to");
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_prepare(db,
	                           "SELECT email, COALESCE(person_id, 0) FROM users "
	                           "WHERE role = 'owner' ORDER BY id LIMIT 1",
	                           &st);
	if (rc)
		return rc;
	rc = db_step(st);
	*pid = rc == JM_OK ? db_col_int(st, 1) : 0;
	if (rc == JM_OK && !*to)
		to = db_col_dup(st, 0, a);
	db_finalize(st);
	if (rc != JM_OK && rc != JM_DONE)
		return rc;
	size_t n = strlen(to);
	if (n == 0 || n >= 320)
		return JM_NOT_FOUND;
	memcpy(addr, to, n + 1);
	return auth_email_normalize(addr) ? JM_OK : JM_NOT_FOUND;
}

/* Texts around a number: pre + N + post. */
struct digest_words {
	const char *subject[2], *intro[2], *more[2], *last, *never, *stages[4];
};
static const struct digest_words words_ja = {
        {"連絡の時期です（", "人）"},
        {"しばらく連絡していない人が", "人います。近況を聞いてみましょう。\n\n"},
        {"ほか", "人\n"},
        "最後の連絡",
        "なし",
        {"読者", "ファン", "知り合い", "人脈"}};
static const struct digest_words words_en = {
        {"Time to get in touch (", ")"},
        {"", " people have not heard from you for a while. Time to catch up.\n\n"},
        {"and ", " more\n"},
        "last contact",
        "never",
        {"reader", "fan", "acquaintance", "network"}};

static enum jm_rc digest_line(struct buf *b, const struct digest_words *w,
                              const struct net_person *p, const char *base, int tz)
{
	char day[16] = "";
	if (p->last_contact_at)
		jm_time_day(p->last_contact_at + (int64_t)tz * 60, day);
	int r = net_stage_rank(p->stage);
	enum jm_rc rc = buf_appendf(b, "- %s", *p->name ? p->name : p->email);
	if (!rc && *p->company)
		rc = buf_appendf(b, " (%s)", p->company);
	if (!rc)
		rc = buf_appendf(b, " [%s] %s: %s\n  %s/admin/people/%lld\n",
		                 r >= 0 ? w->stages[r] : p->stage, w->last, *day ? day : w->never,
		                 base, (long long)p->id);
	return rc;
}

/* Builds the payload JSON {"subject", "text"} (heap string, free()). */
static enum jm_rc digest_payload(struct db *db, struct arena *a, const struct net_person *v,
                                 size_t n, int64_t total, char **out)
{
	const char *lang = site_setting_get(db, a, "lang");
	const struct digest_words *w = !strcmp(lang, "en") ? &words_en : &words_ja;
	const char *base = site_setting_get(db, a, "base_url");
	size_t bl = strlen(base);
	while (bl && base[bl - 1] == '/')
		bl--;
	base = arena_strndup(a, base, bl);
	int tz = tz_minutes(db, a, jm_now());
	struct buf b = BUF_INIT;
	buf_init(&b, DIGEST_TEXT);
	enum jm_rc rc = buf_appendf(&b, "%s%lld%s", w->intro[0], (long long)total, w->intro[1]);
	for (size_t i = 0; i < n && !rc; i++)
		rc = digest_line(&b, w, &v[i], base, tz);
	if (!rc && total > (int64_t)n)
		rc = buf_appendf(&b, "%s%lld%s", w->more[0], (long long)(total - (int64_t)n),
		                 w->more[1]);
	json_t *j = rc ? NULL
	               : json_pack("{s:s, s:s}", "subject",
	                           arena_sprintf(a, "%s%lld%s", w->subject[0], (long long)total,
	                                         w->subject[1]),
	                           "text", buf_cstr(&b));
	*out = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	buf_free(&b);
	if (rc)
		return rc;
	return *out ? JM_OK : JM_NOMEM;
}

/* Claims today for the digest: true when this call moved last_day to day
 * (nobody sent today's yet). */
static enum jm_rc claim_day(struct db *db, const char *day, bool *won)
{
	enum jm_rc rc = db_execf(db,
	                         "UPDATE digest_state SET last_day = ?1 WHERE id = 1 AND "
	                         "last_day != ?1",
	                         "t", day);
	*won = !rc && db_changes(db) > 0;
	return rc;
}

static enum jm_rc digest_send(struct db *db, struct arena *a, int64_t now, const char *day,
                              const char *prev, bool *queued)
{
	struct net_person *v = NULL;
	size_t n = 0;
	int64_t total = 0, pid = 0, did = 0;
	char addr[320];
	char *payload = NULL;
	bool won = false;
	enum jm_rc rc = net_touch_due(db, a, now, DIGEST_MAX, &v, &n, &total);
	if (rc || total == 0)
		return rc;
	if ((rc = digest_payload(db, a, v, n, total, &payload)))
		return rc;
	rc = claim_day(db, day, &won);
	/* Without an address the day is used up too: one warning a day. */
	if (!rc && won && digest_to(db, a, addr, &pid)) {
		log_at(LOG_WARN, "network", "digest: no valid digest_to and no owner address");
	} else if (!rc && won) {
		rc = nl_queue_tx(db, "notify", pid, addr, payload, now, &did);
		*queued = rc == JM_OK;
		/* Give the day back so the next run tries again. */
		if (rc && db_execf(db, "UPDATE digest_state SET last_day = ? WHERE id = 1", "t",
		                   prev) != JM_OK)
			log_at(LOG_WARN, "network", "digest: could not release the day");
	}
	free(payload);
	return rc;
}

/* The day the digest last went out ("" = never). */
static enum jm_rc last_day(struct db *db, struct arena *a, const char **out)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_prepare(db, "SELECT last_day FROM digest_state WHERE id = 1", &st);
	if (rc)
		return rc;
	rc = db_step(st);
	*out = rc == JM_OK ? db_col_dup(st, 0, a) : "";
	db_finalize(st);
	return rc == JM_OK || rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc net_touch_digest(struct db *db, int64_t now, bool *queued)
{
	*queued = false;
	struct arena *a = arena_new(16384);
	enum jm_rc rc = JM_OK;
	if (!setting_on(site_setting_get(db, a, "digest_enabled")))
		goto out;
	char day[16];
	jm_time_day(now + (int64_t)tz_minutes(db, a, now) * 60, day);
	const char *prev = "";
	if ((rc = last_day(db, a, &prev)))
		goto out;
	if (!strcmp(prev, day))
		goto out;
	rc = digest_send(db, a, now, day, prev, queued);
out:
	arena_free(a);
	return rc;
}
