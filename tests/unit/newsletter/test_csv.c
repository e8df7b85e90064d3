/* Unit tests for src/newsletter/csv.c: UTF-8 (with BOM) and Shift_JIS
 * import, encoding errors, bad rows with line numbers, broken quotes and
 * empty files importing nothing, duplicates merged, opt-in mode, batches
 * with progress, the export round trip, select/checkbox values checked as
 * the sign-up form checks them, and the spreadsheet formula guard. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <iconv.h>
#include <cmocka.h>

#include "core/core.h"
#include "newsletter/nl_int.h"
#include "nl_test.h"
#include "../site/site_testdb.h"

static const unsigned char SECRET[32] = "0123456789abcdef0123456789abcdef";

static const char *MAP3[] = {NULL, NULL, "company"};

static struct nl_import_opts opts(int64_t list)
{
	return (struct nl_import_opts){.list_id = list,
	                               .encoding = NL_ENC_AUTO,
	                               .col_email = 0,
	                               .col_name = 1,
	                               .has_header = true,
	                               .source = "import:test.csv"};
}

static void on_progress(int64_t done, int64_t total, void *user)
{
	assert_true(done <= total);
	(*(int *)user)++;
}

static enum jm_rc import(struct db *db, const char *data, size_t len,
                         const struct nl_import_opts *o, struct nl_import_report *rep,
                         struct jm_err *err)
{
	int calls = 0;
	memset(err, 0, sizeof(*err));
	return nl_import_csv(db, SECRET, data, len, o, on_progress, &calls, rep, err);
}

static void test_utf8_bom(void **state)
{
	struct db *db = *state;
	int64_t list = make_list(db, "news", true, NULL, true);
	const char csv[] = "\xEF\xBB\xBF"
	                   "email,name,company\r\n"
	                   "Taro@Example.JP,山田 太郎,人脈社\r\n"
	                   "hanako@example.jp,\"佐藤, \"\"花子\"\"\",\r\n";
	struct nl_import_opts o = opts(list);
	o.field_keys = MAP3;
	o.ncols_mapped = 3;
	o.tag = "セミナー";
	struct nl_import_report rep;
	struct jm_err err;
	assert_int_equal(import(db, csv, sizeof(csv) - 1, &o, &rep, &err), JM_OK);
	assert_int_equal(rep.detected, NL_ENC_UTF8);
	assert_int_equal(rep.rows, 2);
	assert_int_equal(rep.imported, 2);
	assert_int_equal(rep.skipped, 0);
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM people WHERE email = 'taro@example.jp' "
	                       "AND name = '山田 太郎'",
	                       0),
	                 1);
	assert_int_equal(q_int(db, "SELECT count(*) FROM people WHERE name = '佐藤, \"花子\"'", 0),
	                 1);
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM subscriptions WHERE status = 'active' "
	                       "AND consent_source = 'import:test.csv' "
	                       "AND consent_text = 'メルマガの受信に同意します' AND list_id = ?",
	                       list),
	                 2);
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM person_fields WHERE key = 'company' "
	                       "AND value = '人脈社'",
	                       0),
	                 1);
	assert_int_equal(q_int(db, "SELECT count(*) FROM person_tags WHERE tag = 'セミナー'", 0),
	                 2);
	assert_int_equal(q_int(db, "SELECT count(*) FROM person_events WHERE kind = 'imported'", 0),
	                 2);
	assert_int_equal(q_int(db, "SELECT count(*) FROM deliveries", 0), 0);
}

/* UTF-8 text → CP932 bytes (caller frees). */
static char *to_sjis(const char *utf8, size_t *len)
{
	iconv_t cd = iconv_open("CP932", "UTF-8");
	assert_true(cd != (iconv_t)-1);
	size_t inleft = strlen(utf8), outleft = inleft * 2 + 16;
	char *out = malloc(outleft), *o = out, *in = (char *)utf8;
	assert_true(iconv(cd, &in, &inleft, &o, &outleft) != (size_t)-1);
	iconv_close(cd);
	*len = (size_t)(o - out);
	return out;
}

static void test_shift_jis(void **state)
{
	struct db *db = *state;
	int64_t list = make_list(db, "news", true, NULL, false);
	size_t len = 0;
	char *sj = to_sjis("メール,氏名\r\nichiro@example.jp,鈴木 一郎\r\n"
	                   "jiro@example.jp,高橋 次郎（ﾀｶﾊｼ）\r\n",
	                   &len);
	assert_false(utf8_valid(sj, len));
	struct nl_import_opts o = opts(list);
	struct nl_import_report rep;
	struct jm_err err;
	assert_int_equal(import(db, sj, len, &o, &rep, &err), JM_OK);
	assert_int_equal(rep.detected, NL_ENC_SJIS);
	assert_int_equal(rep.imported, 2);
	assert_int_equal(q_int(db, "SELECT count(*) FROM people WHERE name = '鈴木 一郎'", 0), 1);
	assert_int_equal(
	        q_int(db, "SELECT count(*) FROM people WHERE name = '高橋 次郎（ﾀｶﾊｼ）'", 0), 1);
	/* forced: the same file as UTF-8 is refused, as SJIS accepted */
	o.encoding = NL_ENC_UTF8;
	assert_int_equal(import(db, sj, len, &o, &rep, &err), JM_INVALID);
	assert_string_equal(err.field, "file");
	o.encoding = NL_ENC_SJIS;
	assert_int_equal(import(db, sj, len, &o, &rep, &err), JM_OK);
	assert_int_equal(rep.merged, 2);
	free(sj);
}

static void test_wrong_encoding(void **state)
{
	struct db *db = *state;
	int64_t list = make_list(db, "news", true, NULL, false);
	const char bin[] = "email,name\nx@example.jp,\x81\x20\xff\xfe\n";
	struct nl_import_opts o = opts(list);
	struct nl_import_report rep;
	struct jm_err err;
	assert_int_equal(import(db, bin, sizeof(bin) - 1, &o, &rep, &err), JM_INVALID);
	assert_non_null(strstr(err.msg, "not UTF-8 or Shift_JIS"));
	o.encoding = NL_ENC_SJIS;
	assert_int_equal(import(db, bin, sizeof(bin) - 1, &o, &rep, &err), JM_INVALID);
	assert_int_equal(q_int(db, "SELECT count(*) FROM people", 0), 0);
}

static void test_bad_rows(void **state)
{
	struct db *db = *state;
	int64_t list = make_list(db, "news", true, NULL, false);
	const char csv[] = "email,name\n"                  /* 1 */
	                   "ok1@example.jp,一\n"           /* 2 */
	                   "not-an-email,二\n"             /* 3 */
	                   "\n"                            /* 4: blank, ignored */
	                   "ok2@example.jp,三,extra\n"     /* 5 */
	                   "ok3@example.jp,\"複数\n行\"\n" /* 6-7: name with a newline */
	                   "ok4@example.jp,四\n";          /* 8 */
	struct nl_import_opts o = opts(list);
	struct nl_import_report rep;
	struct jm_err err;
	assert_int_equal(import(db, csv, sizeof(csv) - 1, &o, &rep, &err), JM_OK);
	assert_int_equal(rep.rows, 5);
	assert_int_equal(rep.imported, 2);
	assert_int_equal(rep.skipped, 3);
	assert_int_equal(rep.nerrors, 3);
	assert_string_equal(rep.errors[0], "line 3: invalid email");
	assert_string_equal(rep.errors[1], "line 5: expected 2 columns, found 3");
	assert_string_equal(rep.errors[2], "line 6: invalid name");
	assert_int_equal(q_int(db, "SELECT count(*) FROM people", 0), 2);
	assert_int_equal(q_int(db, "SELECT count(*) FROM people WHERE email = 'ok4@example.jp'", 0),
	                 1);
}

static void test_broken_quote(void **state)
{
	struct db *db = *state;
	int64_t list = make_list(db, "news", true, NULL, false);
	const char unterminated[] = "email,name\na@example.jp,ok\nb@example.jp,\"open\nc@x.jp,z\n";
	struct nl_import_opts o = opts(list);
	struct nl_import_report rep;
	struct jm_err err;
	assert_int_equal(import(db, unterminated, sizeof(unterminated) - 1, &o, &rep, &err),
	                 JM_INVALID);
	assert_non_null(strstr(err.msg, "line 3"));
	const char stray[] = "email,name\na@example.jp,ok\nb@example.jp,bro\"ken\n";
	assert_int_equal(import(db, stray, sizeof(stray) - 1, &o, &rep, &err), JM_INVALID);
	assert_non_null(strstr(err.msg, "line 3"));
	assert_int_equal(q_int(db, "SELECT count(*) FROM people", 0), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM subscriptions", 0), 0);
}

static void test_empty(void **state)
{
	struct db *db = *state;
	int64_t list = make_list(db, "news", true, NULL, false);
	struct nl_import_opts o = opts(list);
	struct nl_import_report rep;
	struct jm_err err;
	assert_int_equal(import(db, "", 0, &o, &rep, &err), JM_INVALID);
	assert_string_equal(err.field, "file");
	assert_int_equal(import(db, "\xEF\xBB\xBF\r\n\r\n", 7, &o, &rep, &err), JM_INVALID);
	o.list_id = 999;
	assert_int_equal(import(db, "a@b.jp\n", 7, &o, &rep, &err), JM_NOT_FOUND);
	o.list_id = list;
	o.col_email = -1;
	assert_int_equal(import(db, "a@b.jp\n", 7, &o, &rep, &err), JM_INVALID);
	assert_string_equal(err.field, "col_email");
}

static void test_duplicates_and_optin(void **state)
{
	struct db *db = *state;
	int64_t list = make_list(db, "news", true, NULL, false);
	struct jm_err err = {0};
	int64_t pid = 0;
	assert_int_equal(nl_subscriber_add(db, list, "known@example.jp", "", &pid, &err), JM_OK);
	const char csv[] = "known@example.jp,既知\n"
	                   "new@example.jp,\n"
	                   "NEW@example.jp,新人\n"
	                   "other@example.jp,他\n";
	struct nl_import_opts o = opts(list);
	o.has_header = false;
	o.send_optin = true;
	struct nl_import_report rep;
	assert_int_equal(import(db, csv, sizeof(csv) - 1, &o, &rep, &err), JM_OK);
	assert_int_equal(rep.rows, 4);
	assert_int_equal(rep.imported, 2);
	assert_int_equal(rep.merged, 2);
	assert_int_equal(q_int(db, "SELECT count(*) FROM people", 0), 3);
	/* empty names are filled from later rows; the known one stays active */
	assert_int_equal(q_int(db, "SELECT count(*) FROM people WHERE name = '新人'", 0), 1);
	assert_int_equal(q_int(db, "SELECT count(*) FROM people WHERE name = '既知'", 0), 1);
	assert_int_equal(
	        q_int(db, "SELECT count(*) FROM subscriptions WHERE status = 'pending'", 0), 2);
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM deliveries WHERE kind = 'confirm' AND "
	                       "state = 'queued' AND domain = 'example.jp'",
	                       0),
	                 2);
}

static void test_batches(void **state)
{
	struct db *db = *state;
	int64_t list = make_list(db, "news", true, NULL, false);
	struct buf b = BUF_INIT;
	assert_int_equal(buf_appends(&b, "email,name\n"), JM_OK);
	for (int i = 0; i < 12000; i++)
		assert_int_equal(buf_appendf(&b, "user%d@example.jp,読者%d\n", i, i), JM_OK);
	struct nl_import_opts o = opts(list);
	struct nl_import_report rep;
	struct jm_err err = {0};
	int calls = 0;
	assert_int_equal(
	        nl_import_csv(db, SECRET, b.ptr, b.len, &o, on_progress, &calls, &rep, &err),
	        JM_OK);
	assert_int_equal(rep.imported, 12000);
	assert_int_equal(calls, 3);
	assert_int_equal(q_int(db, "SELECT count(*) FROM subscriptions WHERE list_id = ?", list),
	                 12000);
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM people_fts WHERE people_fts MATCH "
	                       "'\"r11\" AND \"999\" AND \"99@\"'",
	                       0),
	                 1);
	buf_free(&b);
}

static enum jm_rc collect(const char *p, size_t len, void *user)
{
	return buf_append(user, p, len);
}

static void test_export_round_trip(void **state)
{
	struct db *db = *state;
	int64_t list = make_list(db, "news", true, NULL, true);
	const char csv[] = "email,name,company\n"
	                   "a@example.jp,\"山田, \"\"太郎\"\"\",人脈社\n"
	                   "b@example.jp,佐藤,\n";
	struct nl_import_opts o = opts(list);
	o.field_keys = MAP3;
	o.ncols_mapped = 3;
	struct nl_import_report rep;
	struct jm_err err;
	assert_int_equal(import(db, csv, sizeof(csv) - 1, &o, &rep, &err), JM_OK);
	struct buf out = BUF_INIT;
	assert_int_equal(nl_export_csv(db, list, true, collect, &out), JM_OK);
	const char *s = buf_cstr(&out);
	assert_memory_equal(s, "\xEF\xBB\xBF\"email\",\"name\",\"status\"", 26);
	assert_non_null(strstr(s, "\"consent_text\",\"company\",\"interest\",\"agree\"\r\n"));
	assert_non_null(strstr(s, "\"a@example.jp\",\"山田, \"\"太郎\"\"\",\"active\""));
	assert_non_null(strstr(s, "\"import:test.csv\""));
	assert_non_null(strstr(s, "\"人脈社\",\"\",\"\"\r\n"));

	/* the export imports back into another list unchanged */
	int64_t list2 = make_list(db, "copy", true, NULL, true);
	o.list_id = list2;
	static const char *map12[12] = {[9] = "company"};
	o.field_keys = map12;
	o.ncols_mapped = 12;
	assert_int_equal(import(db, out.ptr, out.len, &o, &rep, &err), JM_OK);
	assert_int_equal(rep.rows, 2);
	assert_int_equal(rep.merged, 2);
	assert_int_equal(rep.skipped, 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM subscriptions WHERE list_id = ?", list2),
	                 2);
	assert_int_equal(q_int(db, "SELECT count(*) FROM people WHERE name = '山田, \"太郎\"'", 0),
	                 1);
	struct buf out2 = BUF_INIT;
	assert_int_equal(nl_export_csv(db, list2, false, collect, &out2), JM_OK);
	assert_true(out2.len > 100);
	assert_memory_equal(out2.ptr, "\"email\"", 7);
	buf_free(&out);
	buf_free(&out2);
}

static int64_t field_count(struct db *db, const char *email, const char *key, const char *value)
{
	struct db_stmt *st = NULL;
	assert_int_equal(db_preparef(db, &st,
	                             "SELECT count(*) FROM person_fields f JOIN people p ON "
	                             "p.id = f.person_id WHERE p.email = ? AND f.key = ? AND "
	                             "f.value = ?",
	                             "ttt", email, key, value),
	                 JM_OK);
	assert_int_equal(db_step(st), JM_OK);
	int64_t n = db_col_int(st, 0);
	db_finalize(st);
	return n;
}

static void test_checkbox_spellings(void **state)
{
	(void)state;
	const char *yes[] = {"1", "true", "TRUE", "Yes", "y", "on", "はい", "✓", "✔", "○", "１"};
	const char *no[] = {"", "0", "false", "FALSE", "No", "off", "いいえ", "×", "０"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_string_equal(nl_checkbox_value(yes[i]), "1");
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_string_equal(nl_checkbox_value(no[i]), "");
	assert_null(nl_checkbox_value("maybe"));
	assert_null(nl_checkbox_value("2"));
	assert_null(nl_checkbox_value(" yes"));
	/* the sign-up form counts any other value of a ticked box as ticked;
	 * the import refuses it */
	struct nl_field cb = {.key = "agree", .label = "同意", .type = "checkbox"};
	const char *out = NULL;
	assert_int_equal(nl_field_check(&cb, "agreed", true, &out), NL_VALUE_OK);
	assert_string_equal(out, "1");
	assert_int_equal(nl_field_check(&cb, "agreed", false, &out), NL_VALUE_NOT_CHECKBOX);
	assert_int_equal(nl_field_check(&cb, "いいえ", true, &out), NL_VALUE_OK);
	assert_string_equal(out, "");
	cb.required = true;
	assert_int_equal(nl_field_check(&cb, "no", false, &out), NL_VALUE_REQUIRED);
	static const char *o2[] = {"出版", "採用"};
	struct nl_field sel = {
	        .key = "k", .label = "k", .type = "select", .options = o2, .noptions = 2};
	assert_int_equal(nl_field_check(&sel, "採用", false, &out), NL_VALUE_OK);
	assert_int_equal(nl_field_check(&sel, "", false, &out), NL_VALUE_OK);
	assert_int_equal(nl_field_check(&sel, "出", false, &out), NL_VALUE_NOT_OPTION);
	sel.required = true;
	assert_int_equal(nl_field_check(&sel, "", false, &out), NL_VALUE_REQUIRED);
}

static const char *MAP5[] = {NULL, NULL, "company", "interest", "agree"};

static void test_choices_checked(void **state)
{
	struct db *db = *state;
	int64_t list = make_list(db, "news", true, NULL, true);
	const char csv[] = "email,name,company,interest,agree\n" /* 1 */
	                   "a@example.jp,一,甲社,出版,はい\n"    /* 2 */
	                   "b@example.jp,二,,不明,yes\n"         /* 3: not an option */
	                   "c@example.jp,三,丙社,,✓\n"           /* 4: empty select */
	                   "d@example.jp,四,丁社,採用,maybe\n"   /* 5: not a checkbox */
	                   "e@example.jp,五,,その他,FALSE\n"     /* 6 */
	                   "f@example.jp,六,,出版社,0\n";        /* 7: not an option */
	struct nl_import_opts o = opts(list);
	o.field_keys = MAP5;
	o.ncols_mapped = 5;
	struct nl_import_report rep;
	struct jm_err err;
	assert_int_equal(import(db, csv, sizeof(csv) - 1, &o, &rep, &err), JM_OK);
	assert_int_equal(rep.rows, 6);
	assert_int_equal(rep.imported, 3);
	assert_int_equal(rep.skipped, 3);
	assert_int_equal(rep.nerrors, 3);
	assert_string_equal(rep.errors[0], "line 3: field interest: not one of the options");
	assert_non_null(strstr(rep.errors[1], "line 5: field agree: not a checkbox value"));
	assert_string_equal(rep.errors[2], "line 7: field interest: not one of the options");
	/* a bad row brings in nothing of itself, not even its good fields */
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM people WHERE email IN ('b@example.jp', "
	                       "'d@example.jp', 'f@example.jp')",
	                       0),
	                 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM person_fields WHERE value = '丁社'", 0),
	                 0);
	/* checkbox values stored as a sign-up stores them */
	assert_int_equal(field_count(db, "a@example.jp", "agree", "1"), 1);
	assert_int_equal(field_count(db, "a@example.jp", "interest", "出版"), 1);
	assert_int_equal(field_count(db, "c@example.jp", "agree", "1"), 1);
	assert_int_equal(field_count(db, "c@example.jp", "interest", ""), 1);
	assert_int_equal(field_count(db, "e@example.jp", "agree", ""), 1);
	/* text fields keep the import's old rule: a required one may be empty */
	assert_int_equal(field_count(db, "e@example.jp", "company", ""), 1);

	/* a required select: empty is a bad row */
	static const char *opts2[] = {"出版", "採用"};
	struct nl_field f = {.key = "interest",
	                     .label = "興味",
	                     .type = "select",
	                     .options = opts2,
	                     .noptions = 2,
	                     .required = true};
	assert_int_equal(nl_list_set_fields(db, list, &f, 1, &err), JM_OK);
	static const char *map3[] = {NULL, NULL, "interest"};
	o.field_keys = map3;
	o.ncols_mapped = 3;
	const char csv2[] = "email,name,interest\ng@example.jp,七,\nh@example.jp,八,採用\n";
	assert_int_equal(import(db, csv2, sizeof(csv2) - 1, &o, &rep, &err), JM_OK);
	assert_int_equal(rep.imported, 1);
	assert_int_equal(rep.nerrors, 1);
	assert_string_equal(rep.errors[0], "line 2: field interest: required");
	assert_int_equal(field_count(db, "h@example.jp", "interest", "採用"), 1);
}

/* nl_csv_cell: libcsv's quoting, the guard, the separator, a cell past the
 * stack scratch. */
static void test_csv_cell(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	assert_int_equal(nl_csv_cell(&b, "a,b", 3, false), JM_OK);
	assert_int_equal(nl_csv_cell(&b, "say \"hi\"", 8, false), JM_OK);
	assert_int_equal(nl_csv_cell(&b, NULL, 0, false), JM_OK);
	assert_int_equal(nl_csv_cell(&b, "=1+1", 4, true), JM_OK);
	assert_string_equal(buf_cstr(&b), "\"a,b\",\"say \"\"hi\"\"\",\"\",\"'=1+1\"\r\n");
	buf_reset(&b);
	char big[3000];
	memset(big, '"', sizeof(big));
	assert_int_equal(nl_csv_cell(&b, big, sizeof(big), true), JM_OK);
	assert_int_equal(b.len, 2 * sizeof(big) + 2 + 2);
	buf_free(&b);
}

static void test_formula_guard(void **state)
{
	(void)state;
	const char *guarded[] = {"=1+1", "+81 3-1234-5678", "-5", "@SUM(A1)", "\tx", "\rx", "'=x",
	                         "''+y"};
	const char *plain[] = {"", "x", "'", "''", "'quoted", "it's", "'81", "a=b", " =x", "＝x"};
	for (size_t i = 0; i < sizeof(guarded) / sizeof(guarded[0]); i++)
		assert_true(nl_csv_needs_guard(guarded[i], strlen(guarded[i])));
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		assert_false(nl_csv_needs_guard(plain[i], strlen(plain[i])));
	/* the import strips only the export's apostrophe */
	assert_int_equal(nl_csv_guard_len("'=1+1", 5), 1);
	assert_int_equal(nl_csv_guard_len("''=1", 4), 1);
	assert_int_equal(nl_csv_guard_len("'quoted", 7), 0);
	assert_int_equal(nl_csv_guard_len("'", 1), 0);
	assert_int_equal(nl_csv_guard_len("=1", 2), 0);
	assert_int_equal(nl_csv_guard_len("", 0), 0);
	/* export → import gives every value back */
	const char *all[] = {"=1+1", "'=x", "''+y", "'quoted", "'", "x", "-", "@"};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		char cellbuf[16];
		size_t n = strlen(all[i]);
		bool g = nl_csv_needs_guard(all[i], n);
		snprintf(cellbuf, sizeof(cellbuf), "%s%s", g ? "'" : "", all[i]);
		size_t k = strlen(cellbuf);
		size_t drop = nl_csv_guard_len(cellbuf, k);
		assert_int_equal(k - drop, n);
		assert_memory_equal(cellbuf + drop, all[i], n);
	}
}

static void test_export_guard_round_trip(void **state)
{
	struct db *db = *state;
	int64_t list = make_list(db, "news", true, NULL, true);
	struct jm_err err = {0};
	int64_t pid = 0;
	const char *evil = "=HYPERLINK(\"http://evil.example/\",\"見る\")";
	assert_int_equal(nl_subscriber_add(db, list, "x@example.jp", evil, &pid, &err), JM_OK);
	assert_int_equal(nl_subscriber_add(db, list, "y@example.jp", "'=既に", &pid, &err), JM_OK);
	assert_int_equal(nl_subscriber_add(db, list, "z@example.jp", "'quoted", &pid, &err), JM_OK);
	exec_ok(db, "INSERT INTO person_fields(person_id, key, value) SELECT id, 'company', "
	            "'+81-3-1234-5678' FROM people WHERE email = 'x@example.jp'");
	exec_ok(db, "INSERT INTO person_fields(person_id, key, value) SELECT id, 'interest', "
	            "'出版' FROM people WHERE email = 'x@example.jp'");
	struct buf out = BUF_INIT;
	assert_int_equal(nl_export_csv(db, list, false, collect, &out), JM_OK);
	const char *s = buf_cstr(&out);
	assert_non_null(strstr(s, "\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"見る\"\")\""));
	assert_non_null(strstr(s, "\"'+81-3-1234-5678\""));
	assert_non_null(strstr(s, "\"''=既に\""));
	assert_non_null(strstr(s, "\"'quoted\""));
	assert_null(strstr(s, ",\"=")); /* no cell starts with a formula */
	assert_null(strstr(s, ",\"+"));

	/* forget the values, import the export: the originals come back */
	exec_ok(db, "UPDATE people SET name = ''");
	exec_ok(db, "DELETE FROM person_fields");
	struct nl_import_opts o = opts(list);
	static const char *map12[12] = {[9] = "company", [10] = "interest", [11] = "agree"};
	o.field_keys = map12;
	o.ncols_mapped = 12;
	struct nl_import_report rep;
	assert_int_equal(import(db, out.ptr, out.len, &o, &rep, &err), JM_OK);
	assert_int_equal(rep.skipped, 0);
	assert_int_equal(rep.merged, 3);
	struct db_stmt *st = NULL;
	assert_int_equal(db_prepare(db, "SELECT name FROM people ORDER BY email", &st), JM_OK);
	const char *want[] = {evil, "'=既に", "'quoted"};
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(db_step(st), JM_OK);
		assert_string_equal(db_col_text(st, 0, NULL), want[i]);
	}
	db_finalize(st);
	assert_int_equal(field_count(db, "x@example.jp", "company", "+81-3-1234-5678"), 1);
	assert_int_equal(field_count(db, "x@example.jp", "interest", "出版"), 1);
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_utf8_bom, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_shift_jis, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_wrong_encoding, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_bad_rows, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_broken_quote, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_empty, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_duplicates_and_optin, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_batches, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_export_round_trip, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test(test_checkbox_spellings),
	        cmocka_unit_test_setup_teardown(test_choices_checked, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test(test_formula_guard),
	        cmocka_unit_test(test_csv_cell),
	        cmocka_unit_test_setup_teardown(test_export_guard_round_trip, site_testdb_setup,
	                                        site_testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
