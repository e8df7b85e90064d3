/*
 * render.c — one message per delivery, by kind:
 *
 *  confirm    fixed Japanese + English text holding only the list name and
 *             the signed confirm link: nothing the sign-up form received
 *             (not even the name) ever reaches this mail;
 *  welcome    the list's welcome_subject / welcome_md;
 *  broadcast  the broadcast's subject / body_md;
 *  test       a broadcast to one address, merge fields at their fallbacks.
 *
 * Welcome, broadcast and test mails are multipart/alternative: the text
 * part is the merged Markdown, the HTML part the Markdown rendered once per
 * batch (cmark, safe mode) and then merged with escaped values, inside an
 * email-safe table layout. Both parts end with the sender's name, postal
 * address and contact and a visible unsubscribe link (特定電子メール法);
 * while any of the three or the From address is unset, these kinds are
 * refused (JM_CONFLICT) and wait — never sent with a blank footer;
 * List-Unsubscribe carries the same per-recipient signed URL (RFC 8058).
 * Charset ISO-2022-JP for lists that ask for it and, when enabled, for
 * Japanese carrier domains. The message is built by mail_build (GMime) and
 * signed by mail_dkim_sign when a key is configured.
 */
#include <jansson.h>

#include "db/db.h"
#include "mail/mail.h"
#include "newsletter/delivery_int.h"
#include "newsletter/newsletter.h"
#include "site/site.h"

#define MSG_CAP (4u << 20) /* a built message; bodies are capped at 1 MB */

/* What a batch renders again and again: the last broadcast and list. */
struct cache {
	int64_t bid, blist;
	const char *subject, *body_md, *body_html, *bstatus;
	int64_t list_id;
	const char *slug, *name, *charset, *wsubject, *wmd, *whtml;
};

/* The subscription behind a delivery. */
struct sub {
	int64_t list_id;
	const char *status, *name, *email;
};

struct lookup {
	struct db *db;
	struct arena *a;
	int64_t person_id;
	const char *name, *email;
	const unsigned char *secret; /* {{form:SLUG}}: the reader's signed link */
	const char *base_url;
};

const char *nl_envelope_from(const struct nl_mail_cfg *cfg)
{
	return *cfg->return_path ? cfg->return_path : cfg->from_addr;
}

const char *nl_form_url(struct arena *a, const char *base_url, const char *slug, const char *suffix)
{
	struct buf b = BUF_INIT;
	buf_init(&b, 4096);
	enum jm_rc rc = buf_appendf(&b, "%s/forms/", base_url ? base_url : "");
	for (const unsigned char *p = (const unsigned char *)slug; *p && !rc; p++)
		rc = *p < 0x80 && strchr("abcdefghijklmnopqrstuvwxyz0123456789-._~", *p)
		             ? buf_appendc(&b, (char)*p)
		             : buf_appendf(&b, "%%%02X", *p);
	rc = rc ? rc : buf_appends(&b, suffix ? suffix : "");
	const char *out = rc ? NULL : arena_strdup(a, buf_cstr(&b));
	buf_free(&b);
	return out;
}

/* {{form:SLUG}}: the form's page with the reader's own token (none in a
 * test mail, which has no reader). */
static const char *form_link(struct lookup *l, const char *slug)
{
	char tok[160], q[170] = "";
	if (l->person_id && l->secret) {
		nl_token_form(l->secret, slug, l->person_id, 0, tok);
		snprintf(q, sizeof(q), "?t=%s", tok);
	}
	return nl_form_url(l->a, l->base_url, slug, q);
}

static const char *person_lookup(const char *key, void *user)
{
	struct lookup *l = user;
	if (!strncmp(key, "form:", 5))
		return form_link(l, key + 5);
	if (!strcmp(key, "name"))
		return l->name;
	if (!strcmp(key, "email"))
		return l->email;
	if (!l->person_id)
		return NULL;
	struct db_stmt *st = NULL;
	const char *v = NULL;
	/* A custom field, else the person's own column a list field with that
	 * key maps onto (0011), else the column itself ({{company}}). */
	if (db_preparef(l->db, &st,
	                "SELECT value FROM person_fields WHERE person_id = ?1 AND key = ?2 "
	                "UNION ALL SELECT CASE COALESCE((SELECT person_field FROM list_fields "
	                "WHERE key = ?2 AND person_field != '' LIMIT 1), ?2) "
	                "WHEN 'furigana' THEN p.furigana WHEN 'company' THEN p.company "
	                "WHEN 'title' THEN p.title WHEN 'name' THEN p.name END "
	                "FROM people p WHERE p.id = ?1 LIMIT 1",
	                "it", l->person_id, key) != JM_OK)
		return NULL;
	if (db_step(st) == JM_OK && !db_col_null(st, 0))
		v = db_col_dup(st, 0, l->a);
	db_finalize(st);
	return v;
}

/* Mail HTML of Markdown: library images as JPEG/PNG at absolute URLs
 * (mail programs show no WebP and have no base URL). */
static char *md_html(struct nl_render_ctx *c, struct arena *a, const char *md)
{
	struct buf b = BUF_INIT;
	buf_init(&b, MSG_CAP);
	struct site_md_opts o = {.mail = true, .base_url = c->cfg->base_url};
	char *out = site_markdown_opts(md, strlen(md), &o, &b) == JM_OK
	                    ? arena_strdup(a, buf_cstr(&b))
	                    : arena_strdup(a, "");
	buf_free(&b);
	return out;
}

static enum jm_rc load_list(struct nl_render_ctx *c, struct arena *a, int64_t list_id)
{
	struct cache *k = c->cache;
	if (k->list_id == list_id && k->slug)
		return JM_OK;
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(c->db, &st,
	                            "SELECT slug, name, charset, welcome_subject, welcome_md "
	                            "FROM lists WHERE id = ?",
	                            "i", list_id);
	if (rc)
		return rc;
	if ((rc = db_step(st)) == JM_OK) {
		k->list_id = list_id;
		k->slug = db_col_dup(st, 0, a);
		k->name = db_col_dup(st, 1, a);
		k->charset = db_col_dup(st, 2, a);
		k->wsubject = db_col_dup(st, 3, a);
		k->wmd = db_col_dup(st, 4, a);
		k->whtml = md_html(c, a, k->wmd);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_NOT_FOUND : rc;
}

static enum jm_rc load_broadcast(struct nl_render_ctx *c, struct arena *a, int64_t id)
{
	struct cache *k = c->cache;
	if (k->bid == id)
		return load_list(c, a, k->blist);
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(c->db, &st,
	                            "SELECT subject, body_md, status, list_id FROM broadcasts "
	                            "WHERE id = ?",
	                            "i", id);
	if (rc)
		return rc;
	if ((rc = db_step(st)) == JM_OK) {
		k->bid = id;
		k->subject = db_col_dup(st, 0, a);
		k->body_md = db_col_dup(st, 1, a);
		k->bstatus = db_col_dup(st, 2, a);
		k->body_html = md_html(c, a, k->body_md);
		k->blist = db_col_int(st, 3);
	}
	db_finalize(st);
	if (rc)
		return rc == JM_DONE ? JM_NOT_FOUND : rc;
	return load_list(c, a, k->blist);
}

static enum jm_rc load_sub(struct nl_render_ctx *c, struct arena *a, const struct nl_job *j,
                           struct sub *s)
{
	if (j->sub_loaded) { /* read by the claim (PostgreSQL) */
		*s = (struct sub){j->sub_list, j->sub_status, j->sub_name, j->sub_email};
		return j->sub_found ? JM_OK : JM_NOT_FOUND;
	}
	int64_t id = j->subscription_id;
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(c->db, &st,
	                    "SELECT s.list_id, s.status, p.name, p.email FROM subscriptions "
	                    "s JOIN people p ON p.id = s.person_id WHERE s.id = ?",
	                    "i", id);
	if (rc)
		return rc;
	if ((rc = db_step(st)) == JM_OK) {
		s->list_id = db_col_int(st, 0);
		s->status = db_col_dup(st, 1, a);
		s->name = db_col_dup(st, 2, a);
		s->email = db_col_dup(st, 3, a);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_NOT_FOUND : rc;
}

static char *merged(struct arena *a, const char *tpl, struct lookup *l, bool html)
{
	struct buf b = BUF_INIT;
	buf_init(&b, MSG_CAP);
	char *out = nl_merge(tpl, strlen(tpl), l ? person_lookup : NULL, l, html, &b) == JM_OK
	                    ? arena_strdup(a, buf_cstr(&b))
	                    : NULL;
	buf_free(&b);
	return out;
}

static char *esc(struct arena *a, const char *s)
{
	struct buf b = BUF_INIT;
	for (; *s; s++) {
		const char *r = *s == '&'   ? "&amp;"
		                : *s == '<' ? "&lt;"
		                : *s == '>' ? "&gt;"
		                : *s == '"' ? "&quot;"
		                            : NULL;
		if (r ? buf_appends(&b, r) : buf_appendc(&b, *s))
			break;
	}
	char *out = arena_strdup(a, buf_cstr(&b));
	buf_free(&b);
	return out;
}

#define HTML_HEAD                                                                                  \
	"<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">"                        \
	"<meta name=\"viewport\" content=\"width=device-width\"><title>%s</title></head>\n"        \
	"<body style=\"margin:0;padding:0;background:#f4f4f4;\">\n"                                \
	"<table role=\"presentation\" width=\"100%%\" cellpadding=\"0\" cellspacing=\"0\" "        \
	"style=\"background:#f4f4f4;\"><tr><td align=\"center\" style=\"padding:24px 8px;\">\n"    \
	"<table role=\"presentation\" width=\"600\" cellpadding=\"0\" cellspacing=\"0\" "          \
	"style=\"max-width:600px;width:100%%;background:#ffffff;\">\n"                             \
	"<tr><td style=\"padding:24px;font-family:sans-serif;font-size:16px;line-height:1.7;"      \
	"color:#222222;\">\n"

#define HTML_FOOT                                                                                  \
	"</td></tr>\n<tr><td style=\"padding:16px 24px;font-family:sans-serif;font-size:12px;"     \
	"line-height:1.6;color:#666666;border-top:1px solid #dddddd;\">\n"                         \
	"<p>発行者 / Sender: %s<br>\n住所 / Address: %s<br>\n連絡先 / Contact: %s</p>\n"   \
	"<p><a href=\"%s\" style=\"color:#666666;\">配信停止 / Unsubscribe</a></p>\n"          \
	"</td></tr></table>\n</td></tr></table>\n</body></html>\n"

#define TEXT_FOOT                                                                                  \
	"\n\n-- \n発行者 / Sender: %s\n住所 / Address: %s\n"                                  \
	"連絡先 / Contact: %s\n配信停止 / Unsubscribe: %s\n"

/* x y z joined, without printf's cost on a whole message body. */
static char *cat3(struct arena *a, const char *x, const char *y, const char *z)
{
	size_t lx = strlen(x), ly = strlen(y), lz = strlen(z);
	char *out = arena_alloc(a, lx + ly + lz + 1);
	memcpy(out, x, lx);
	memcpy(out + lx, y, ly);
	memcpy(out + lx + ly, z, lz);
	out[lx + ly + lz] = '\0';
	return out;
}

/* A merged subject on one line: values are checked at input
 * (jm_header_value_ok), but a person's custom field may hold newlines for
 * bodies, and a subject must never fail to build because of one. */
static char *one_line(char *s)
{
	for (char *p = s; p && *p; p++)
		if (*p == '\r' || *p == '\n' || *p == '\t')
			*p = ' ';
	return s;
}

/* Fills m's subject, text and html from templates, with the legal footer. */
static enum jm_rc fill_body(struct nl_render_ctx *c, struct arena *a, struct mail_msg *m,
                            const char *subj, const char *md, const char *html, struct lookup *l,
                            const char *unsub_url, struct jm_err *err)
{
	const struct nl_mail_cfg *g = c->cfg;
	if (g->missing) { /* never a footer without the sender (特定電子メール法) */
		jm_err_set(err, "settings", "sender identity incomplete: %s", g->missing);
		return JM_CONFLICT;
	}
	m->subject = one_line(merged(a, subj, l, false));
	char *text = merged(a, md, l, false), *body = merged(a, html, l, true);
	if (!m->subject || !text || !body) {
		jm_err_set(err, "body", "message too large");
		return JM_TOO_LARGE;
	}
	m->text = cat3(a, text,
	               arena_sprintf(a, TEXT_FOOT, g->from_name, g->postal, g->contact, unsub_url),
	               "");
	char *head = arena_sprintf(a, HTML_HEAD, esc(a, m->subject));
	char *foot = arena_sprintf(a, HTML_FOOT, esc(a, g->from_name), esc(a, g->postal),
	                           esc(a, g->contact), esc(a, unsub_url));
	m->html = cat3(a, head, body, foot);
	return JM_OK;
}

static void confirm_body(struct arena *a, struct mail_msg *m, const char *list, const char *url)
{
	m->subject = arena_sprintf(a, "【%s】登録の確認 / Please confirm your subscription", list);
	m->text = arena_sprintf(
	        a,
	        "「%s」への登録を確定するには、次のリンクを開いてください（7日間有効）。\n\n%s\n\n"
	        "このメールに心当たりがない場合は、何もしないでください。登録されません。\n\n"
	        "----\n\n"
	        "To confirm your subscription to \"%s\", open this link (valid for 7 days):\n\n"
	        "%s\n\n"
	        "If you did not ask for this, ignore this mail: you will not be subscribed.\n",
	        list, url, list, url);
}

static void base_msg(struct nl_render_ctx *c, struct arena *a, struct mail_msg *m,
                     const struct nl_job *j)
{
	const struct nl_mail_cfg *g = c->cfg;
	memset(m, 0, sizeof(*m));
	m->from_name = *g->from_name ? g->from_name : g->site_title;
	m->from_addr = g->from_addr;
	m->reply_to = *g->reply_to ? g->reply_to : NULL;
	m->to_addr = j->to_addr;
	const char *at = strrchr(g->from_addr, '@');
	m->message_id_domain = at ? at + 1 : g->host;
	m->date = c->now;
	bool carrier = g->iso_carriers && mail_is_carrier_domain(j->domain);
	m->charset = carrier ? MAIL_ISO2022JP : MAIL_UTF8;
	(void)a;
}

static void list_headers(struct nl_render_ctx *c, struct arena *a, struct mail_msg *m)
{
	struct cache *k = c->cache;
	m->list_id = arena_sprintf(a, "%s <%s.%s>", k->name, k->slug, c->cfg->host);
	if (!strcmp(k->charset, "iso-2022-jp"))
		m->charset = MAIL_ISO2022JP;
}

static enum jm_rc render_confirm(struct nl_render_ctx *c, struct arena *a, const struct nl_job *j,
                                 const struct sub *s, struct mail_msg *m)
{
	if (strcmp(s->status, "pending") != 0)
		return JM_NOT_FOUND; /* confirmed or gone meanwhile */
	char tok[160];
	nl_token_confirm(c->secret, j->subscription_id, c->now, tok);
	const char *url = arena_sprintf(a, "%s/subscribe/confirm?token=%s", c->cfg->base_url, tok);
	list_headers(c, a, m);
	confirm_body(a, m, ((struct cache *)c->cache)->name, url);
	return JM_OK;
}

static const char *unsub_url(struct nl_render_ctx *c, struct arena *a, int64_t sub_id)
{
	char tok[160];
	nl_token_unsubscribe(c->secret, sub_id, tok);
	return arena_sprintf(a, "%s/unsubscribe?token=%s", c->cfg->base_url, tok);
}

/* welcome and broadcast: personalised, with List-Unsubscribe. */
static enum jm_rc render_personal(struct nl_render_ctx *c, struct arena *a, const struct nl_job *j,
                                  const struct sub *s, struct mail_msg *m, struct jm_err *err)
{
	struct cache *k = c->cache;
	if (strcmp(s->status, "active") != 0)
		return JM_NOT_FOUND; /* unsubscribed or bounced: takes effect at once */
	struct lookup l = {c->db, a, j->person_id, s->name, s->email, c->secret, c->cfg->base_url};
	bool welcome = !strcmp(j->kind, "welcome");
	if (!welcome && !strcmp(k->bstatus, "cancelled"))
		return JM_NOT_FOUND;
	if (welcome && !*k->wmd)
		return JM_NOT_FOUND;
	m->to_name = *s->name ? s->name : NULL;
	m->unsubscribe_url = unsub_url(c, a, j->subscription_id);
	list_headers(c, a, m);
	return fill_body(c, a, m, welcome ? k->wsubject : k->subject, welcome ? k->wmd : k->body_md,
	                 welcome ? k->whtml : k->body_html, &l, m->unsubscribe_url, err);
}

static enum jm_rc render_test(struct nl_render_ctx *c, struct arena *a, const struct nl_job *j,
                              struct mail_msg *m, struct jm_err *err)
{
	json_error_t je;
	json_t *p = json_loads(j->payload, 0, &je);
	int64_t bid = (int64_t)json_integer_value(json_object_get(p, "broadcast_id"));
	json_decref(p);
	enum jm_rc rc = load_broadcast(c, a, bid);
	if (rc)
		return rc;
	struct cache *k = c->cache;
	list_headers(c, a, m);
	/* A test has no subscription: the link shows the unsubscribe page's
	 * "invalid link" answer, and no List-Unsubscribe header is sent. */
	const char *url = arena_sprintf(a, "%s/unsubscribe?token=test", c->cfg->base_url);
	struct lookup l = {c->db, a, 0, NULL, NULL, NULL, c->cfg->base_url}; /* no reader */
	rc = fill_body(c, a, m, k->subject, k->body_md, k->body_html, &l, url, err);
	if (!rc)
		m->subject = arena_sprintf(a, "[TEST] %s", m->subject);
	return rc;
}

static enum jm_rc render_kind(struct nl_render_ctx *c, struct arena *a, const struct nl_job *j,
                              struct mail_msg *m, struct jm_err *err)
{
	if (!strcmp(j->kind, "test"))
		return render_test(c, a, j, m, err);
	if (!strcmp(j->kind, "notify") || !strcmp(j->kind, "reply") || !strcmp(j->kind, "event"))
		return nl_render_tx(c, a, j, m, err);
	struct sub s;
	enum jm_rc rc = load_sub(c, a, j, &s);
	if (!rc && !strcmp(j->kind, "broadcast"))
		rc = load_broadcast(c, a, j->broadcast_id);
	else if (!rc)
		rc = load_list(c, a, s.list_id);
	if (rc)
		return rc;
	if (!strcmp(j->kind, "confirm"))
		return render_confirm(c, a, j, &s, m);
	if (!strcmp(j->kind, "welcome") || !strcmp(j->kind, "broadcast"))
		return render_personal(c, a, j, &s, m, err);
	jm_err_set(err, "kind", "unknown delivery kind %s", j->kind);
	return JM_INVALID;
}

enum jm_rc nl_render(struct nl_render_ctx *c, struct arena *a, const struct nl_job *j,
                     struct buf *msg, struct jm_err *err)
{
	if (!c->cache)
		c->cache = arena_calloc(a, sizeof(struct cache));
	struct mail_msg m;
	base_msg(c, a, &m, j);
	enum jm_rc rc = render_kind(c, a, j, &m, err);
	if (rc == JM_NOT_FOUND)
		jm_err_set(err, NULL, "not sent: no longer subscribed or cancelled");
	if (rc)
		return rc;
	buf_init(msg, MSG_CAP);
	rc = mail_build(&m, msg, err);
	if (!rc && c->dkim)
		rc = mail_dkim_sign(c->dkim, msg, err);
	return rc;
}
