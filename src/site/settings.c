/*
 * settings.c — the site settings table (STYLE.md 13: configuration is one
 * table) and its storage in the `settings` key/value table.
 *
 * Invariants: only keys from the table are ever stored; every stored value
 * passed its type's validator (URLs are http(s) without spaces or quotes,
 * the SMTP relay smtp:// or smtps://, the time zone an IANA name ICU knows,
 * booleans are stored as "1"/"0", integers within their bounds). A save
 * either stores every given pair or none. Every write to the table bumps
 * settings_gen in the same transaction (triggers, migration 0007): a
 * delivery worker in any process compares that number before each claim,
 * so a change reaches every worker before its next batch. Machine state never
 * lives here (migration 0006 moved the digest's last day to digest_state).
 *
 * The relay password may be part of smtp_url (smtp://user:pass@host): it is
 * never shown back (site_smtp_url_public), and saving the URL as shown —
 * without the password — keeps the stored one.
 */
#include <stddef.h>

#include "core/core.h"
#include "db/db.h"
#include "media/media.h"
#include "site/site.h"

bool site_featured_image_ok(const char *url)
{
	char key[MEDIA_KEY_LEN + 1];
	int w, h;
	const char *ext;
	return !url || !*url ||
	       (!strncmp(url, "/media/", 7) && media_url_parse(url, key, &w, &h, &ext));
}

static const struct setting_def defs[] = {
        {"title", SET_STR, "jinmyaku", 120, "setting.title", "site"},
        {"description", SET_STR, "", 300, "setting.description", "site"},
        {"base_url", SET_URL, "", 300, "setting.base_url", "site"},
        {"lang", SET_LANG, "ja", 2, "setting.lang", "site"},
        {"owner_name", SET_STR, "", 120, "setting.owner_name", "profile"},
        {"profile_md", SET_TEXT, "", 20000, "setting.profile_md", "profile"},
        {"topics", SET_STR, "", 300, "setting.topics", "profile"},
        {"sns_x", SET_URL, "", 300, "setting.sns_x", "sns"},
        {"sns_youtube", SET_URL, "", 300, "setting.sns_youtube", "sns"},
        {"sns_instagram", SET_URL, "", 300, "setting.sns_instagram", "sns"},
        {"sns_note", SET_URL, "", 300, "setting.sns_note", "sns"},
        {"sns_facebook", SET_URL, "", 300, "setting.sns_facebook", "sns"},
        {"sns_github", SET_URL, "", 300, "setting.sns_github", "sns"},
        /* Pictures of the site (group "images"): the default og:image of
         * pages without a featured image, the header logo, the favicon. */
        {"site_image", SET_MEDIA, "", 200, "setting.site_image", "images"},
        {"site_logo", SET_MEDIA, "", 200, "setting.site_logo", "images"},
        {"site_favicon", SET_MEDIA, "", 200, "setting.site_favicon", "images"},
        {"allow_raw_html", SET_BOOL, "0", 1, "setting.allow_raw_html", "advanced"},
        {"per_page", SET_INT, "10", 100, "setting.per_page", "advanced"},
        {"timezone", SET_ZONE, "Asia/Tokyo", 64, "setting.timezone", "advanced"},
        /* Mail magazine sending (newsletter/worker.c reads these). */
        {"mail_from_name", SET_STR, "", 120, "setting.mail_from_name", "mail"},
        {"mail_from_addr", SET_STR, "", 254, "setting.mail_from_addr", "mail"},
        {"mail_reply_to", SET_STR, "", 254, "setting.mail_reply_to", "mail"},
        {"sender_postal_address", SET_STR, "", 300, "setting.sender_postal_address", "mail"},
        {"sender_contact", SET_STR, "", 300, "setting.sender_contact", "mail"},
        {"return_path", SET_STR, "", 254, "setting.return_path", "mail"},
        {"smtp_url", SET_SMTP, "", 300, "setting.smtp_url", "mail"},
        {"smtp_user", SET_STR, "", 200, "setting.smtp_user", "mail"},
        {"smtp_password", SET_STR, "", 200, "setting.smtp_password", "mail"}, /* never shown */
        {"smtp_connections", SET_INT, "4", 64, "setting.smtp_connections", "mail"},
        {"rate_per_sec", SET_INT, "20", 10000, "setting.rate_per_sec", "mail"},
        {"cap_per_hour", SET_INT, "0", 100000000, "setting.cap_per_hour", "mail"},
        {"cap_per_day", SET_INT, "0", 100000000, "setting.cap_per_day", "mail"},
        {"domain_rates", SET_STR,
         "docomo.ne.jp=1,ezweb.ne.jp=1,au.com=1,softbank.ne.jp=1,i.softbank.jp=1", 1000,
         "setting.domain_rates", "mail"},
        {"send_window", SET_STR, "", 11, "setting.send_window", "mail"},
        {"iso2022jp_carriers", SET_BOOL, "0", 1, "setting.iso2022jp_carriers", "mail"},
        {"dkim_domain", SET_STR, "", 253, "setting.dkim_domain", "mail"},
        {"dkim_selector", SET_STR, "", 63, "setting.dkim_selector", "mail"},
        /* The contact form and inbox (inbox/). Categories: one per line. */
        {"contact_categories", SET_TEXT, "情報提供\n仕事のご依頼\n取材\nその他", 2000,
         "setting.contact_categories", "inbox"},
        {"contact_notify_to", SET_STR, "", 254, "setting.contact_notify_to", "inbox"},
        /* Optional: a fixed acknowledgement to the sender (never what they
         * sent, so the form cannot relay spam), and a confirmation step. */
        {"contact_autoreply_subject", SET_STR, "お問い合わせを受け付けました", 200,
         "setting.contact_autoreply_subject", "inbox"},
        {"contact_autoreply_text", SET_TEXT, "", 2000, "setting.contact_autoreply_text", "inbox"},
        {"contact_confirm", SET_BOOL, "0", 1, "setting.contact_confirm", "inbox"},
        /* Keep in touch (network/touch.c): days between contacts per stage, 0 = none. */
        {"touch_days_reader", SET_INT, "0", 3650, "setting.touch_days_reader", "network"},
        {"touch_days_fan", SET_INT, "0", 3650, "setting.touch_days_fan", "network"},
        {"touch_days_acquaintance", SET_INT, "180", 3650, "setting.touch_days_acquaintance",
         "network"},
        {"touch_days_network", SET_INT, "90", 3650, "setting.touch_days_network", "network"},
        {"digest_enabled", SET_BOOL, "0", 1, "setting.digest_enabled", "network"},
        {"digest_to", SET_STR, "", 254, "setting.digest_to", "network"},
};
#define NDEFS (sizeof(defs) / sizeof(defs[0]))

/* Where each string setting lands in struct site_settings. */
static const struct {
	const char *key;
	size_t off;
} str_fields[] = {
        {"title", offsetof(struct site_settings, title)},
        {"description", offsetof(struct site_settings, description)},
        {"base_url", offsetof(struct site_settings, base_url)},
        {"lang", offsetof(struct site_settings, lang)},
        {"owner_name", offsetof(struct site_settings, owner_name)},
        {"profile_md", offsetof(struct site_settings, profile_md)},
        {"topics", offsetof(struct site_settings, topics)},
        {"sns_x", offsetof(struct site_settings, sns_x)},
        {"sns_youtube", offsetof(struct site_settings, sns_youtube)},
        {"sns_instagram", offsetof(struct site_settings, sns_instagram)},
        {"sns_note", offsetof(struct site_settings, sns_note)},
        {"sns_facebook", offsetof(struct site_settings, sns_facebook)},
        {"sns_github", offsetof(struct site_settings, sns_github)},
        {"site_image", offsetof(struct site_settings, site_image)},
        {"site_logo", offsetof(struct site_settings, site_logo)},
        {"site_favicon", offsetof(struct site_settings, site_favicon)},
};

const struct setting_def *site_setting_defs(size_t *n)
{
	*n = NDEFS;
	return defs;
}

static const struct setting_def *find_def(const char *key)
{
	for (size_t i = 0; i < NDEFS; i++)
		if (strcmp(defs[i].key, key) == 0)
			return &defs[i];
	return NULL;
}

/* Lower bound of an integer setting (the table holds only the maximum). */
static long int_min(const struct setting_def *d)
{
	if (strcmp(d->key, "per_page") == 0)
		return 1;
	if (strcmp(d->key, "smtp_connections") == 0)
		return 1;
	return 0;
}

static bool parse_long(const char *s, long *out)
{
	char *end = NULL;
	if (!*s)
		return false;
	long v = strtol(s, &end, 10);
	if (*end || v < -100000000L || v > 100000000L)
		return false;
	*out = v;
	return true;
}

static bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "true", "on", "yes"};
	static const char *const no[] = {"0", "false", "off", "no", ""};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcmp(s, yes[i]) == 0)
			return (*out = true);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (strcmp(s, no[i]) == 0)
			return !(*out = false);
	return false;
}

/* An absolute http(s) URL with a host and no space, quote or angle bracket. */
static bool valid_url(const char *s)
{
	const char *rest;
	if (strncmp(s, "https://", 8) == 0)
		rest = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		rest = s + 7;
	else
		return false;
	if (!*rest || *rest == '/' || *rest == ':' || *rest == '?' || *rest == '#')
		return false;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c == 0x7F || c == '"' || c == '\'' || c == '<' || c == '>' ||
		    c == '\\' || c == '`')
			return false;
	}
	return true;
}

/* The query an smtp_url may end in: "starttls=1|required" and
 * "insecure_plaintext_auth=1", joined by '&' (mail/smtp.c reads them). */
static bool smtp_query_ok(const char *q)
{
	static const char *const opts[] = {"starttls=1", "starttls=required",
	                                   "insecure_plaintext_auth=1"};
	while (*q) {
		size_t n = strcspn(q, "&"), i = 0;
		while (i < sizeof(opts) / sizeof(opts[0]) &&
		       !(strlen(opts[i]) == n && strncmp(q, opts[i], n) == 0))
			i++;
		if (i == sizeof(opts) / sizeof(opts[0]))
			return false;
		q += n + (q[n] == '&');
	}
	return true;
}

/* smtp://[user[:pass]@]host[:port][/name][?opts] or smtps://…; "" = none. */
static bool valid_smtp_url(const char *s, const char **why)
{
	const char *rest = !strncmp(s, "smtp://", 7)    ? s + 7
	                   : !strncmp(s, "smtps://", 8) ? s + 8
	                                                : NULL;
	*why = "scheme";
	if (!*s)
		return true;
	if (!rest)
		return false;
	*why = "value";
	const char *at = strchr(rest, '@'), *host = at ? at + 1 : rest;
	if (!*host || strchr("/:?#", *host) || strpbrk(s, " \t\"'<>\\`"))
		return false;
	const char *q = strchr(rest, '?');
	*why = "query";
	return !q || smtp_query_ok(q + 1);
}

/* Shapes the mail settings need beyond their type: an address has one '@'
 * and no space; send_window is "HH:MM-HH:MM"; domain_rates is
 * "domain=n,…" with n from 1 to 1000. */
static bool mail_shape_ok(const char *key, const char *v)
{
	if (!*v)
		return true;
	if (!strcmp(key, "mail_from_addr") || !strcmp(key, "mail_reply_to") ||
	    !strcmp(key, "return_path")) {
		const char *at = strchr(v, '@');
		return at && at != v && at[1] && !strchr(at + 1, '@') && !strpbrk(v, " <>\"\t");
	}
	if (!strcmp(key, "send_window")) {
		int h1, m1, h2, m2, n = 0;
		return sscanf(v, "%2d:%2d-%2d:%2d%n", &h1, &m1, &h2, &m2, &n) == 4 &&
		       n == (int)strlen(v) && n == 11 && h1 <= 24 && h2 <= 24 && m1 < 60 && m2 < 60;
	}
	if (!strcmp(key, "domain_rates")) {
		for (const char *p = v; *p;) {
			const char *eq = strchr(p, '=');
			char *end = NULL;
			long r = eq ? strtol(eq + 1, &end, 10) : 0;
			if (!eq || eq == p || end == eq + 1 || r < 1 || r > 1000 ||
			    (*end && *end != ','))
				return false;
			p = *end ? end + 1 : end;
		}
	}
	return true;
}

/* Checks val against d; on success *norm is the text to store. */
static enum jm_rc validate_one(const struct setting_def *d, const char *val, const char **norm,
                               struct jm_err *err)
{
	size_t len = strlen(val);
	*norm = val;
	if (!utf8_valid(val, len)) {
		jm_err_set(err, d->key, "not valid UTF-8");
		return JM_INVALID;
	}
	bool ok = true;
	const char *why = "value";
	long iv = 0;
	bool bv = false;
	switch (d->type) {
	case SET_STR:
		ok = len <= d->max_len && jm_header_value_ok(val, len); /* may reach a header */
		break;
	case SET_TEXT: ok = len <= d->max_len && !utf8_has_controls(val, len); break;
	case SET_URL: ok = len <= d->max_len && (len == 0 || valid_url(val)); break;
	case SET_MEDIA: ok = len <= d->max_len && site_featured_image_ok(val); break;
	case SET_LANG: ok = strcmp(val, "ja") == 0 || strcmp(val, "en") == 0; break;
	case SET_ZONE: ok = jm_tz_valid(val); break;
	case SET_SMTP:
		ok = len <= d->max_len && !utf8_has_controls(val, len) && valid_smtp_url(val, &why);
		break;
	case SET_BOOL:
		ok = parse_bool(val, &bv);
		*norm = bv ? "1" : "0";
		break;
	case SET_INT:
		ok = parse_long(val, &iv) && iv >= int_min(d) && iv <= (long)d->max_len;
		break;
	}
	if (ok && !strcmp(d->group, "mail"))
		ok = mail_shape_ok(d->key, val);
	if (!ok) {
		if (!strcmp(why, "scheme"))
			jm_err_set(err, d->key, "%s must start with smtp:// or smtps://", d->key);
		else if (!strcmp(why, "query"))
			jm_err_set(err, d->key,
			           "%s: unknown option (starttls=1, starttls=required, "
			           "insecure_plaintext_auth=1)",
			           d->key);
		else
			jm_err_set(err, d->key, "invalid value for %s", d->key);
		return JM_INVALID;
	}
	return JM_OK;
}

/* Where the password of an smtp_url sits: [*pw, *end) after its ':' (empty
 * when the userinfo has none); false when the URL carries no userinfo. */
static bool url_password(const char *url, const char **pw, const char **end)
{
	const char *p = strstr(url, "://");
	if (!p)
		return false;
	p += 3;
	const char *auth_end = p + strcspn(p, "/?#"), *at = NULL;
	for (const char *q = p; q < auth_end; q++)
		if (*q == '@')
			at = q;
	if (!at)
		return false;
	const char *colon = memchr(p, ':', (size_t)(at - p));
	*pw = colon ? colon + 1 : at;
	*end = at;
	return true;
}

bool site_smtp_url_has_password(const char *url)
{
	const char *pw, *end;
	return url && url_password(url, &pw, &end) && end > pw;
}

const char *site_smtp_url_public(struct arena *a, const char *url)
{
	const char *pw, *end;
	if (!url || !url_password(url, &pw, &end) || end == pw)
		return url ? url : "";
	return arena_sprintf(a, "%.*s%s", (int)(pw - 1 - url), url, end);
}

/* An smtp_url saved as it was shown (its password left out) keeps the
 * stored password: *v becomes the stored URL. */
static void keep_smtp_password(struct db *db, struct arena *a, const char **v)
{
	const char *old = site_setting_get(db, a, "smtp_url");
	if (!site_smtp_url_has_password(old) || site_smtp_url_has_password(*v))
		return;
	if (strcmp(site_smtp_url_public(a, old), *v) == 0)
		*v = old;
}

enum jm_rc site_settings_check(const char *const *keys, const char *const *vals, size_t n,
                               struct jm_err *errs, size_t *nbad)
{
	*nbad = 0;
	if (n > NDEFS * 4) {
		jm_err_set(&errs[(*nbad)++], NULL, "too many settings");
		return JM_INVALID;
	}
	for (size_t i = 0; i < n; i++) {
		const struct setting_def *d = find_def(keys[i]);
		const char *norm;
		if (!d)
			jm_err_set(&errs[(*nbad)++], keys[i], "unknown setting");
		else if (validate_one(d, vals[i] ? vals[i] : "", &norm, &errs[*nbad]))
			(*nbad)++;
	}
	return *nbad ? JM_INVALID : JM_OK;
}

enum jm_rc site_settings_save(struct db *db, const char *const *keys, const char *const *vals,
                              size_t n, struct jm_err *err)
{
	struct jm_err *errs = xcalloc(n ? n : 1, sizeof(*errs));
	size_t nbad = 0;
	enum jm_rc rc = site_settings_check(keys, vals, n, errs, &nbad);
	if (rc && err)
		*err = errs[0];
	free(errs);
	if (rc)
		return rc;
	const char **norm = xcalloc(n ? n : 1, sizeof(*norm));
	struct arena *a = arena_new(1024);
	for (size_t i = 0; i < n; i++) {
		rc = validate_one(find_def(keys[i]), vals[i] ? vals[i] : "", &norm[i], err);
		if (rc) /* checked above: cannot happen */
			goto out;
		if (find_def(keys[i])->type == SET_SMTP)
			keep_smtp_password(db, a, &norm[i]);
	}
	rc = db_begin(db);
	if (rc)
		goto out;
	for (size_t i = 0; i < n && !rc; i++)
		rc = db_execf(db,
		              "INSERT INTO settings(key, value) VALUES (?, ?) "
		              "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
		              "tt", keys[i], norm[i]);
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		jm_err_set(err, NULL, "could not save settings");
	}
out:
	arena_free(a);
	free(norm);
	return site_content_written(db, rc);
}

enum jm_rc site_settings_gen(struct db *db, int64_t *gen)
{
	return db_query_int(db, gen, 0, "SELECT gen FROM settings_gen WHERE id = 1", "");
}

const char *site_setting_get(struct db *db, struct arena *a, const char *key)
{
	const struct setting_def *d = find_def(key);
	const char *val = d ? d->def : "";
	struct db_stmt *st = NULL;
	if (db_preparef(db, &st, "SELECT value FROM settings WHERE key = ?", "t", key) != JM_OK)
		return val;
	if (db_step(st) == JM_OK)
		val = db_col_dup(st, 0, a);
	db_finalize(st);
	return val;
}

/* Stores one value (already in the arena) into the snapshot. */
static void apply_value(struct site_settings *out, const char *key, const char *val)
{
	for (size_t i = 0; i < sizeof(str_fields) / sizeof(str_fields[0]); i++) {
		if (strcmp(str_fields[i].key, key) == 0) {
			*(const char **)((char *)out + str_fields[i].off) = val;
			return;
		}
	}
	long v = 0;
	bool b = false;
	if (strcmp(key, "allow_raw_html") == 0 && parse_bool(val, &b))
		out->allow_raw_html = b;
	else if (strcmp(key, "per_page") == 0 && parse_long(val, &v) && v >= 1 && v <= 100)
		out->per_page = (int)v;
	else if (strcmp(key, "timezone") == 0 && jm_tz_valid(val))
		out->tz = val;
}

enum jm_rc site_settings_load(struct db *db, struct arena *a, struct site_settings *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < NDEFS; i++)
		apply_value(out, defs[i].key, defs[i].def);
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_prepare(db, "SELECT key, value FROM settings", &st);
	if (rc)
		return rc;
	while ((rc = db_step(st)) == JM_OK) {
		const char *key = db_col_text(st, 0, NULL);
		if (key && find_def(key))
			apply_value(out, key, db_col_dup(st, 1, a));
	}
	db_finalize(st);
	out->tz_offset_min = jm_tz_offset(out->tz, jm_now());
	return rc == JM_DONE ? JM_OK : rc;
}

const char *site_base_url(struct arena *a, const struct site_settings *s, const char *override,
                          const char *listen)
{
	const char *b = override && *override ? override : s->base_url;
	if (!b || !*b)
		return arena_sprintf(a, "http://%s", listen);
	size_t n = strlen(b);
	while (n && b[n - 1] == '/')
		n--;
	return arena_strndup(a, b, n);
}

/* ---- the refusal, in words (shared by the admin page, the API, the CLI) ---- */

bool site_setting_is_secret(const char *key)
{
	return key && strstr(key, "password") != NULL;
}

const struct setting_def *site_setting_def(const char *key)
{
	return key ? find_def(key) : NULL;
}

/* The catalog key of the reason a value of d was refused. */
static const char *reason_key(struct arena *a, const struct setting_def *d, const char *val)
{
	switch (d->type) {
	case SET_URL: return "admin.settings.err_url";
	case SET_INT: return "admin.settings.err_int";
	case SET_ZONE: return "admin.settings.err_zone";
	case SET_SMTP:
		return val && strncmp(val, "smtp://", 7) && strncmp(val, "smtps://", 8)
		               ? "admin.settings.err_smtp_scheme"
		               : "admin.settings.err_smtp";
	case SET_LANG: return "admin.settings.err_lang";
	case SET_BOOL: return "admin.settings.err_value";
	case SET_MEDIA: return "admin.settings.err_media";
	case SET_STR:
	case SET_TEXT: break;
	}
	if (!strcmp(d->group, "mail") && strstr(d->key, "addr"))
		/* for an address, what is wrong with it (a full-width ＠ …) */
		return val ? arena_sprintf(a, "err.email.%s", jm_email_problem(val))
		           : "admin.settings.err_addr";
	return "admin.settings.err_value";
}

const char *site_setting_refusal(site_text_fn t, const void *tctx, const char *lang,
                                 struct arena *a, const struct jm_err *err, const char *val,
                                 const char **why)
{
	const struct setting_def *d = err->field[0] ? find_def(err->field) : NULL;
	*why = t(tctx, lang, d ? reason_key(a, d, val) : "admin.err.invalid");
	if (!d)
		return *why;
	const char *label = t(tctx, lang, d->label_key);
	bool ja = !lang || strcmp(lang, "en") != 0;
	return ja ? arena_sprintf(a, "「%s」: %s", label, *why)
	          : arena_sprintf(a, "%s: %s", label, *why);
}
