/*
 * user.c — staff accounts. Passwords are argon2id (libsodium via core);
 * a user is also a row of people, so the owner appears in their own network
 * (people_user_add, people/staff.c, creates both: people/ owns that table).
 */
#include <ctype.h>
#include <pthread.h>

#include "auth/auth.h"
#include "auth/auth_int.h"
#include "core/field.h"
#include "db/db.h"

/* The address rule lives in the field engine (core/field.c), so the
 * forms' email fields and the accounts refuse the same addresses. */
bool auth_email_normalize(char *email)
{
	return jm_email_normalize(email);
}

enum jm_rc auth_user_validate(char *email, const char *role, const char *password,
                              struct jm_err *err)
{
	if (!auth_email_normalize(email)) {
		jm_err_set(err, "email", "invalid email address");
		return JM_INVALID;
	}
	if (strcmp(role, "owner") != 0 && strcmp(role, "editor") != 0) {
		jm_err_set(err, "role", "role must be owner or editor");
		return JM_INVALID;
	}
	return auth_password_rule(password, err);
}

enum jm_rc auth_password_rule(const char *pw, struct jm_err *err)
{
	size_t pl = pw ? strlen(pw) : 0;
	if (pl < AUTH_PASSWORD_MIN || pl > AUTH_PASSWORD_MAX || !utf8_valid(pw, pl)) {
		if (err)
			jm_err_set(err, "password", "password must be %d to %d characters",
			           AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX);
		return JM_INVALID;
	}
	return JM_OK;
}

enum jm_rc auth_user_insert(struct db *db, int64_t person_id, const char *email, const char *name,
                            const char *role, const char *hash, int64_t *id_out)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(
	        db, &st,
	        "INSERT INTO users(person_id, email, name, role, password_hash, created_at) "
	        "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
	        "itttti", person_id, email, name, role, hash, jm_now());
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK && id_out)
		*id_out = db_col_int(st, 0);
	db_finalize(st);
	return rc == JM_OK ? JM_OK : rc;
}

enum jm_rc auth_user_prepare(char email[256], const char *name, const char *role,
                             const char *password, char hash[128], struct jm_err *err)
{
	enum jm_rc rc = auth_user_validate(email, role ? role : "", password ? password : "", err);
	if (rc)
		return rc;
	if (strlen(name) > 200 || !utf8_valid(name, strlen(name)) ||
	    utf8_has_controls(name, strlen(name))) {
		jm_err_set(err, "name", "invalid name");
		return JM_INVALID;
	}
	return jm_password_hash(password, hash);
}

enum jm_rc auth_user_person_move(struct db *db, int64_t into, int64_t from)
{
	return db_execf(db, "UPDATE users SET person_id = ? WHERE person_id = ?", "ii", into, from);
}

int64_t auth_user_count(struct db *db)
{
	struct db_stmt *st = NULL;
	if (db_prepare(db, "SELECT count(*) FROM users", &st))
		return 0;
	int64_t n = db_step(st) == JM_OK ? db_col_int(st, 0) : 0;
	db_finalize(st);
	return n;
}

/* A valid argon2id hash of a random password, verified for unknown emails
 * so that both failures cost the same time. */
static char g_dummy_hash[128];
static pthread_once_t g_dummy_once = PTHREAD_ONCE_INIT;

static void dummy_init(void)
{
	char pw[64];
	jm_random_token(pw, 24);
	if (jm_password_hash(pw, g_dummy_hash) != JM_OK)
		g_dummy_hash[0] = '\0';
}

static void fill_user(struct db_stmt *st, struct arena *a, struct auth_user *out)
{
	out->id = db_col_int(st, 0);
	out->email = db_col_dup(st, 1, a);
	out->name = db_col_dup(st, 2, a);
	out->role = db_col_dup(st, 3, a);
	out->lang = db_col_dup(st, 4, a);
}

enum jm_rc auth_login_check(struct db *db, struct arena *a, const char *email_in,
                            const char *password, struct auth_user *out)
{
	char email[256];
	snprintf(email, sizeof(email), "%s", email_in ? email_in : "");
	if (!password)
		password = "";
	bool shape_ok = auth_email_normalize(email);
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(
	        db, &st,
	        "SELECT id, email, name, role, lang, password_hash FROM users WHERE email = ?", "t",
	        email);
	if (rc)
		return rc;
	bool found = shape_ok && db_step(st) == JM_OK;
	bool ok = false;
	if (found) {
		const char *hash = db_col_text(st, 5, NULL);
		ok = hash && jm_password_verify(hash, password);
		if (ok)
			fill_user(st, a, out);
	} else {
		pthread_once(&g_dummy_once, dummy_init);
		(void)jm_password_verify(g_dummy_hash, password);
	}
	db_finalize(st);
	return ok ? JM_OK : JM_UNAUTHORIZED;
}

enum jm_rc auth_user_set_lang(struct db *db, int64_t user_id, const char *lang)
{
	if (strcmp(lang, "ja") != 0 && strcmp(lang, "en") != 0)
		return JM_INVALID;
	return db_execf(db, "UPDATE users SET lang = ? WHERE id = ?", "ti", lang, user_id);
}

/* Used by session.c and token.c. */
enum jm_rc auth_user_by_id(struct db *db, struct arena *a, int64_t id, struct auth_user *out)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(
	        db, &st, "SELECT id, email, name, role, lang FROM users WHERE id = ?", "i", id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK)
		fill_user(st, a, out);
	db_finalize(st);
	return rc == JM_OK ? JM_OK : rc == JM_DONE ? JM_NOT_FOUND : rc;
}
