/*
 * admin_int.h — internals shared by the files of src/admin: the page
 * renderer, small request helpers and the route handlers each file
 * implements. Nothing outside src/admin includes this header.
 *
 * Every admin page is rendered through admin_render, which adds the signed-in
 * user, the CSRF token, the UI language and the active navigation entry to
 * the template context and answers text/html with Cache-Control: no-store.
 */
#ifndef JM_ADMIN_INT_H
#define JM_ADMIN_INT_H

#include "admin/admin.h"
#include "core/core.h"
#include "http/http.h"
#include "view/view.h"

struct auth_user;
struct site_settings;

/* A fresh template context for req, allocated in req->arena. nav names the
 * active navigation entry ("dashboard", "articles", "settings", "tokens")
 * or NULL. */
struct view_val *admin_ctx(struct req *req, const char *nav);
/* Renders templates/<tpl> with ctx and sends it with status. */
void admin_render(struct req *req, int status, const char *tpl, struct view_val *ctx);
/* A small error page (status, i18n message key) in the admin layout. */
void admin_error(struct req *req, int status, const char *msg_key);
/* True for JM_OK; otherwise answers 404 (JM_NOT_FOUND) or 500 (logged as
 * what) and returns false. */
bool admin_check(struct req *req, enum jm_rc rc, const char *what);
/* UI text of key in the request's language. */
const char *admin_t(const struct req *req, const char *key);

/* Replaces a domain error message (English, technical) with the UI text
 * of key prefix + err->field when the catalog has one, else with
 * fallback_key. Keeps err->field. */
void admin_err_localize(const struct req *req, struct jm_err *err, const char *prefix,
                        const char *fallback_key);

/* Parses the request body form; on failure answers 400 (bad UTF-8 or
 * encoding) or 413 and returns false. */
bool admin_form(struct req *req, struct form *out);
/* The {id} route parameter as a positive integer; answers 404 and returns
 * false when it is not one. */
bool admin_param_id(struct req *req, int64_t *out);
/* The signed-in user (NULL on login/setup pages). */
const struct auth_user *admin_user(const struct req *req);
/* True when next is a safe local admin path to redirect to. */
bool admin_safe_next(const char *next);
/* Formats t in the site's zone as "YYYY-MM-DD HH:MM" (sep ' ') or
 * "YYYY-MM-DDTHH:MM" (sep 'T', for datetime-local inputs). "" for 0. */
const char *admin_time_fmt(struct arena *a, int64_t t, int tz_offset_min, char sep);
/* Loads the site settings into out; on failure answers 500 and returns
 * false. */
bool admin_settings(struct req *req, struct site_settings *out);
/* Creates a session for user_id, sets the cookie and redirects 303 to
 * location (login and setup). */
void admin_session_start(struct req *req, int64_t user_id, const char *location);
/* Answers 500 after logging what failed. */
void admin_fail(struct req *req, const char *what, enum jm_rc rc);
/* Autosave (static/editor.js posts the editor's form with autosave=1): true
 * when f asks for it; the answers are JSON, {"error":{…}} with status, or
 * {"id","url","saved_at":"HH:MM" in the site's zone} where url is the
 * stored item's editor (the form's next action). */
bool admin_autosave_asked(const struct form *f);
void admin_autosave_error(struct req *req, int status, const struct jm_err *err);
void admin_autosave_ok(struct req *req, const char *url, int64_t id);

/* ---- chart.c ---- */
struct day_count;
/* Appends an inline SVG bar chart of n days to out. unit is the word after
 * the count in each bar's <title> ("views"); aria is the chart's label. */
enum jm_rc admin_chart_svg(struct buf *out, const struct day_count *days, size_t n,
                           const char *unit, const char *aria) JM_WUR;

/* ---- handlers ---- */
void admin_setup_get(struct req *req);
void admin_setup_post(struct req *req);
void admin_login_get(struct req *req);
void admin_login_post(struct req *req);
void admin_logout_post(struct req *req);
void admin_lang_post(struct req *req);
void admin_dashboard_get(struct req *req);
void admin_articles_list(struct req *req);
void admin_article_new(struct req *req);
void admin_article_create(struct req *req);
void admin_article_edit(struct req *req);
void admin_article_save(struct req *req);
void admin_article_delete(struct req *req);
void admin_preview_post(struct req *req);
void admin_settings_get(struct req *req);
void admin_settings_post(struct req *req);
void admin_settings_test_mail(struct req *req);
void admin_tokens_get(struct req *req);
/* checkin.c: an event's check-in list, scan page and fans → 知り合い */
void admin_checkin_get(struct req *req);
void admin_checkin_post(struct req *req);
void admin_checkin_scan(struct req *req);
void admin_checkin_fans_get(struct req *req);
void admin_checkin_fans_post(struct req *req);
/* form_files.c: /admin/forms/files/{id}, a file sent with an answer. */
void admin_form_files_routes(struct router *r);
/* blog_import.c: /admin/blog-import (WordPress / はてな exports). */
void admin_blog_import_routes(struct router *r);
/* categories.c. The tree shown flat: "– " per level below the top. */
const char *admin_category_indent(int depth);
void admin_categories_get(struct req *req);
void admin_categories_post(struct req *req);
void admin_category_delete(struct req *req);
void admin_tokens_post(struct req *req);
void admin_token_revoke(struct req *req);

/* ---- the mail magazine (newsletter_*.c) ---- */
/* Registers every /admin/lists, /admin/subscribers, /admin/imports and
 * /admin/broadcasts route. */
void admin_nl_routes(struct router *r);
void admin_nl_subscriber_routes(struct router *r);
void admin_nl_import_routes(struct router *r);
void admin_nl_broadcast_routes(struct router *r);
/* One import message in the request's language (in req->arena): "{line}
 * 行目: " when w has a line, then the catalog's import.err.<code> (a
 * refused row) or import.fail.<code> (fail: the whole file) with {field}
 * and {detail} filled in, and for an email the reason err.email.<detail>.
 * Shared by the reader and the people import. (newsletter_import.c) */
const char *admin_import_msg(struct req *req, const struct jm_row_err *w, bool fail);
/* When err is about the field "email", replaces its message with why
 * value is not an address (err.email.<jm_email_problem>): a full-width ＠
 * is named as such. (newsletter_import.c) */
void admin_err_email(struct req *req, struct jm_err *err, const char *value);
/* A non-negative decimal of at most 15 digits. */
bool admin_nl_int(const char *s, int64_t *out);
/* Every list as {id, name, slug, selected} for a <select>; *first_id (may
 * be NULL) gets the first list's id, 0 when there is none. */
struct view_val *admin_nl_list_options(struct req *req, int64_t selected, int64_t *first_id);
/* The ?done= flash word after a redirect ([a-z_]+), or NULL. */
const char *admin_nl_flash(struct req *req);

/* ---- accounts (login.c, account.c, users.c) ---- */
/* /admin/login/2fa: the sign-in's second step (login.c). */
void admin_login_routes(struct router *r);
/* /admin/account: the password, the sessions, two-factor (account.c). */
void admin_account_routes(struct router *r);
/* /admin/users (owner), /admin/forgot, /admin/reset, /admin/invite (users.c). */
void admin_users_routes(struct router *r);
/* /admin/backup.tar.gz: the backup archive as a download (backup.c). */
void admin_backup_routes(struct router *r);

/* ---- the inbox (inbox.c) ---- */
/* Registers /admin/inbox, /admin/inbox/{id} and its reply/status posts. */
void admin_inbox_routes(struct router *r);

/* フォーム (forms.c): /admin/forms, the builder and delete. */
void admin_forms_routes(struct router *r);

/* The media library (media.c): /admin/media and the editors' uploads. */
void admin_media_routes(struct router *r);
/* The library page with status and an error message (NULL: none). */
void admin_media_page(struct req *req, int status, const char *error);
void admin_media_upload(struct req *req);

/* ---- the trash and article revisions (trash.c) ---- */
void admin_trash_routes(struct router *r);
/* Sets "revisions" (the newest few: id, at, author, title) and
 * "revisions_count" in the editor's ctx; nothing when they cannot be read. */
void admin_editor_revisions(struct req *req, struct view_val *ctx, int64_t id, int tz);

/* ---- reports and the network map (reports.c) ---- */
/* Registers /admin/reports, /admin/reports/circle, /admin/map and
 * /admin/map.svg. */
void admin_reports_routes(struct router *r);

/* ---- forms: an ask's results (form_results.c) ---- */
/* /admin/forms/{id}/answers, …/answers/bulk, …/answers.csv */
void admin_form_results_routes(struct router *r);

/* ---- people and the network (people.c, person.c) ---- */
struct net_person;
struct net_person_input;
/* Registers every /admin/people route but import/export (people_io.c). */
void admin_people_routes(struct router *r);
/* /admin/people/export.csv, export.vcf and import (people_io.c). */
void admin_people_io_routes(struct router *r);
void admin_person_routes(struct router *r);
/* UI label of a stage (読者, ファン, 知り合い, 人脈); the name itself when unknown. */
const char *admin_people_stage_label(const struct req *req, const char *stage);
/* Every stage as {value, label, selected} for a <select>. */
struct view_val *admin_people_stage_options(struct req *req, const char *selected);
/* Reads the person form (new/edit) into in (arena strings). create adds
 * stage. False with err (field + UI message) on input the form itself
 * rejects before the domain sees it. */
bool admin_people_read_form(struct req *req, const struct form *f, bool create,
                            struct net_person_input *in, struct jm_err *err);
/* Renders person_form.html: id 0 = new. Values come from f (after an
 * error), else from p (edit), else defaults. */
void admin_people_form_page(struct req *req, int status, int64_t id, const struct form *f,
                            const struct net_person *p, const struct jm_err *err);
/* One timeline entry as a view map {kind, kind_label, title (in the UI
 * language: stage names, interaction kinds, introductions as a sentence),
 * amount, detail, at, ref_id, other_id} (person.c). */
struct net_event;
struct view_val *admin_person_event_val(struct req *req, const struct net_event *e, int tz);
/* The person a form names in `field` (picker.c): the picker's choice
 * (`<field>_id`), else the typed text — an id ("42", "#42"), an email, or
 * a name that exactly one person has. false with err (field, UI text) and,
 * for an ambiguous or unknown name, *cands (view list of {id, label}, may
 * be NULL) to choose from. */
bool admin_people_resolve(struct req *req, const struct form *f, const char *field, int64_t *id,
                          struct jm_err *err, struct view_val **cands);
void admin_picker_routes(struct router *r);
/* The custom fields of list list_id (0 = of every list, each key once) as
 * options {value, label "会社名（company）", selected}; a selected key no
 * list defines is kept as an option of its own (picker.c). */
struct view_val *admin_field_options(struct req *req, int64_t list_id, const char *selected);
/* A person's or a consent's source ("admin", "contact", "import file=…",
 * a sign-up page path…) in the UI language; unknown values as they are. */
const char *admin_source_label(struct req *req, const char *raw);

/* ---- job posts (form_jobs.c): the pipeline board, the applicant card,
 * mail to applicants, announcing and closing a post. ---- */
void admin_form_jobs_routes(struct router *r);

#endif
