/* Unit tests for src/network/vcard.c (and the shared import driver of
 * io_rec.c): vCard 3.0 and 4.0 export → import round trips with Japanese
 * text, escaping of , ; \ and newlines, folding at 75 octets that never
 * splits a UTF-8 sequence, CRLF, cards from other programs (LF, tab folds,
 * groups, quoted parameters, several cards), matching by email, and broken
 * files refused with a line number and nothing imported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/core.h"
#include "db/db.h"
#include "network/network.h"
#include "../site/site_testdb.h"

#define NOW 1790000000

static enum jm_rc to_buf(const char *p, size_t len, void *user)
{
	return buf_append(user, p, len);
}

static int64_t count(struct db *db, const char *sql)
{
	struct db_stmt *st = NULL;
	assert_int_equal(db_prepare(db, sql, &st), JM_OK);
	assert_int_equal(db_step(st), JM_OK);
	int64_t n = db_col_int(st, 0);
	db_finalize(st);
	return n;
}

/* The text of one column of the person with this email ("" when none). */
static char *get(struct db *db, const char *email, const char *sql)
{
	struct db_stmt *st = NULL;
	assert_int_equal(db_preparef(db, &st, sql, "t", email), JM_OK);
	enum jm_rc rc = db_step(st);
	char *s = xstrdup(rc == JM_OK && db_col_text(st, 0, NULL) ? db_col_text(st, 0, NULL) : "");
	db_finalize(st);
	return s;
}

static void expect(struct db *db, const char *email, const char *sql, const char *want)
{
	char *got = get(db, email, sql);
	assert_string_equal(got, want);
	free(got);
}

static const char NOTES[] = "一行目, 二行目; バックスラッシュ\\ 終わり\n"
                            "二段落目はとても長い文章で、折り返しの位置がちょうど日本語の"
                            "文字の途中に来るように十分な長さにしてあります。";

/* A person with everything a card holds, through SQL. */
static void seed(struct db *db)
{
	assert_int_equal(
	        db_execf(db,
	                 "INSERT INTO people(id, email, name, furigana, company, title, stage, "
	                 "can_offer, looking_for, notes_md, created_at, updated_at) VALUES (1, "
	                 "'yamada@example.jp', '山田 太郎', 'やまだ たろう', '出版社; 編集部, "
	                 "東京', "
	                 "'編集長', 'network', '企画の相談', '若手の書き手', ?, 1, 1)",
	                 "t", NOTES),
	        JM_OK);
	assert_int_equal(db_exec(db, "INSERT INTO person_tags(person_id, tag) VALUES "
	                             "(1, '出版'), (1, 'セミナー'), (1, 'a,b')"),
	                 JM_OK);
	assert_int_equal(db_exec(db, "INSERT INTO person_links(person_id, kind, url, position) "
	                             "VALUES (1, 'site', 'https://example.jp/a;b', 0), "
	                             "(1, 'x', 'https://x.com/yamada', 1), "
	                             "(1, 'ブログ', 'https://note.com/y', 2)"),
	                 JM_OK);
	assert_int_equal(db_exec(db, "INSERT INTO people(id, email, name, created_at, updated_at) "
	                             "VALUES (2, 'noname@example.jp', '', 1, 1)"),
	                 JM_OK);
}

/* Every physical line: ≤ 75 octets, valid UTF-8 on its own, CRLF. */
static void check_lines(const char *p, size_t n)
{
	size_t lines = 0;
	while (n) {
		const char *crlf = memmem(p, n, "\r\n", 2);
		assert_non_null(crlf);
		size_t k = (size_t)(crlf - p);
		assert_true(k <= 75);
		assert_true(utf8_valid(p, k));
		assert_null(memchr(p, '\n', k));
		lines++;
		p += k + 2;
		n -= k + 2;
	}
	assert_true(lines > 10);
}

static void check_person(struct db *db)
{
	const char *e = "yamada@example.jp";
	expect(db, e, "SELECT name FROM people WHERE email = ?", "山田 太郎");
	expect(db, e, "SELECT furigana FROM people WHERE email = ?", "やまだ たろう");
	expect(db, e, "SELECT company FROM people WHERE email = ?", "出版社; 編集部, 東京");
	expect(db, e, "SELECT title FROM people WHERE email = ?", "編集長");
	expect(db, e, "SELECT stage FROM people WHERE email = ?", "network");
	expect(db, e, "SELECT notes_md FROM people WHERE email = ?", NOTES);
	expect(db, e, "SELECT can_offer FROM people WHERE email = ?", "企画の相談");
	expect(db, e,
	       "SELECT group_concat(tag, '|') FROM (SELECT tag FROM person_tags t JOIN people p "
	       "ON p.id = t.person_id WHERE p.email = ? ORDER BY tag)",
	       "a,b|セミナー|出版");
	expect(db, e,
	       "SELECT group_concat(kind || '=' || url, '|') FROM (SELECT kind, url FROM "
	       "person_links l JOIN people p ON p.id = l.person_id WHERE p.email = ? "
	       "ORDER BY position)",
	       "site=https://example.jp/a;b|x=https://x.com/yamada|ブログ=https://note.com/y");
	expect(db, "noname@example.jp", "SELECT name FROM people WHERE email = ?", "");
}

static void round_trip(struct db *db, int version)
{
	struct buf out;
	struct net_import_report rep;
	struct jm_err err = {0};
	buf_init(&out, 0);
	seed(db);
	assert_int_equal(net_people_export_vcard(db, NULL, version, to_buf, &out), JM_OK);
	check_lines(out.ptr, out.len);
	assert_non_null(strstr(out.ptr, version == 3 ? "VERSION:3.0\r\n" : "VERSION:4.0\r\n"));
	assert_non_null(strstr(out.ptr, "ORG:出版社\\; 編集部\\, 東京\r\n"));
	assert_non_null(strstr(out.ptr, "X-PHONETIC-LAST-NAME:やまだ\r\n"));
	assert_non_null(strstr(out.ptr, "URL;TYPE=x:https://x.com/yamada\r\n"));
	assert_non_null(strstr(out.ptr, "CATEGORIES:a\\,b,セミナー,出版\r\n"));
	assert_non_null(strstr(out.ptr, version == 3
	                                        ? "SORT-STRING:やまだ たろう\r\n"
	                                        : "N;SORT-AS=\"やまだ たろう\":山田;太郎;;;\r\n"));
	assert_non_null(strstr(out.ptr, "NOTE:一行目\\, 二行目\\; バックスラッシュ\\\\ 終わり\\n"));
	assert_int_equal(db_exec(db, "DELETE FROM people"), JM_OK);
	assert_int_equal(net_people_import_vcard(db, out.ptr, out.len, NOW, &rep, &err), JM_OK);
	assert_int_equal(rep.created, 2);
	assert_int_equal(rep.rows, 2);
	check_person(db);
	/* Again: both people match by email and nothing changes. */
	assert_int_equal(net_people_import_vcard(db, out.ptr, out.len, NOW, &rep, &err), JM_OK);
	assert_int_equal(rep.created, 0);
	assert_int_equal(rep.updated, 0);
	assert_int_equal(rep.skipped, 2);
	assert_int_equal(count(db, "SELECT count(*) FROM people"), 2);
	check_person(db);
	buf_free(&out);
}

static void test_round_trip_v3(void **state)
{
	round_trip(*state, 3);
}

static void test_round_trip_v4(void **state)
{
	round_trip(*state, 4);
}

/* A long line of 3-byte characters after a 1-byte prefix: every fold
 * point falls where a naive cut would split a character. */
static void test_fold_never_splits_utf8(void **state)
{
	struct db *db = *state;
	struct buf out, note;
	buf_init(&out, 0);
	buf_init(&note, 0);
	assert_int_equal(buf_appends(&note, "x"), JM_OK);
	for (int i = 0; i < 300; i++)
		assert_int_equal(buf_appends(&note, i % 7 ? "あ" : "🎌"), JM_OK);
	assert_int_equal(db_execf(db,
	                          "INSERT INTO people(email, name, notes_md, created_at, "
	                          "updated_at) VALUES ('f@example.jp', 'F', ?, 1, 1)",
	                          "t", note.ptr),
	                 JM_OK);
	for (int v = 3; v <= 4; v++) {
		buf_reset(&out);
		assert_int_equal(net_people_export_vcard(db, NULL, v, to_buf, &out), JM_OK);
		assert_true(out.len > 900);
		size_t n = out.len;
		const char *p = out.ptr;
		while (n) {
			const char *crlf = memmem(p, n, "\r\n", 2);
			assert_non_null(crlf);
			assert_true(crlf - p <= 75);
			assert_true(utf8_valid(p, (size_t)(crlf - p)));
			n -= (size_t)(crlf - p) + 2;
			p = crlf + 2;
		}
	}
	struct net_import_report rep;
	struct jm_err err = {0};
	assert_int_equal(db_exec(db, "DELETE FROM people"), JM_OK);
	assert_int_equal(net_people_import_vcard(db, out.ptr, out.len, NOW, &rep, &err), JM_OK);
	expect(db, "f@example.jp", "SELECT notes_md FROM people WHERE email = ?", note.ptr);
	buf_free(&out);
	buf_free(&note);
}

/* What other programs write: LF endings, tab folds, groups, quoted and
 * bare parameters, 2.1-style TYPE, several cards, unknown properties. */
static void test_foreign_cards(void **state)
{
	struct db *db = *state;
	static const char card[] =
	        "\xEF\xBB\xBF"
	        "BEGIN:VCARD\nVERSION:3.0\nN:佐藤;花子;;;\nX-PHONETIC-LAST-NAME:さとう\n"
	        "X-PHONETIC-FIRST-NAME:はなこ\nORG:ABC商事;営業部\n"
	        "item1.EMAIL;type=INTERNET;type=pref:Hanako@Example.JP\n"
	        "item2.URL;TYPE=\"pref,WORK\":https://abc.example.jp/\n"
	        "TEL;TYPE=CELL:090-0000-0000\nPHOTO;ENCODING=b;TYPE=JPEG:AAAA\n"
	        "NOTE:折り返し\n\tの続き\nCATEGORIES:取引先,\n  営業\nEND:VCARD\n"
	        "\n"
	        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Jane "
	        "Doe\r\nN;SORT-AS=\"Doe,Jane\":Doe;Jane;;;\r\n"
	        "EMAIL;PREF=1:jane@example.com\r\nEND:VCARD\r\n";
	struct net_import_report rep;
	struct jm_err err = {0};
	assert_int_equal(net_people_import_vcard(db, card, sizeof(card) - 1, NOW, &rep, &err),
	                 JM_OK);
	assert_int_equal(rep.created, 2);
	const char *e = "hanako@example.jp";
	expect(db, e, "SELECT name FROM people WHERE email = ?", "佐藤 花子");
	expect(db, e, "SELECT furigana FROM people WHERE email = ?", "さとう はなこ");
	expect(db, e, "SELECT company FROM people WHERE email = ?", "ABC商事 営業部");
	expect(db, e, "SELECT notes_md FROM people WHERE email = ?", "折り返しの続き");
	expect(db, e, "SELECT stage || '/' || source FROM people WHERE email = ?", "reader/import");
	expect(db, e,
	       "SELECT group_concat(tag, '|') FROM (SELECT tag FROM person_tags t JOIN people p "
	       "ON p.id = t.person_id WHERE p.email = ? ORDER BY tag)",
	       "取引先|営業");
	expect(db, e,
	       "SELECT kind || '=' || url FROM person_links l JOIN people p ON p.id = l.person_id "
	       "WHERE p.email = ?",
	       "work=https://abc.example.jp/");
	expect(db, "jane@example.com", "SELECT furigana FROM people WHERE email = ?", "Doe Jane");
	/* An update fills what changed and keeps the rest. */
	static const char upd[] =
	        "BEGIN:VCARD\nVERSION:4.0\nFN:佐藤 花子\nEMAIL:hanako@example.jp\n"
	        "TITLE:部長\nCATEGORIES:新規\nEND:VCARD\n";
	assert_int_equal(net_people_import_vcard(db, upd, sizeof(upd) - 1, NOW, &rep, &err), JM_OK);
	assert_int_equal(rep.updated, 1);
	expect(db, e, "SELECT title || '/' || company FROM people WHERE email = ?",
	       "部長/ABC商事 営業部");
	expect(db, e,
	       "SELECT count(*) FROM person_tags t JOIN people p ON p.id = t.person_id "
	       "WHERE p.email = ?",
	       "3");
}

static void refused(struct db *db, const char *data, const char *want)
{
	struct net_import_report rep;
	struct jm_err err = {0};
	int64_t before = count(db, "SELECT count(*) FROM people");
	enum jm_rc rc = net_people_import_vcard(db, data, strlen(data), NOW, &rep, &err);
	if (rc != JM_INVALID || !strstr(err.msg, want))
		fail_msg("expected \"%s\", got rc=%s msg=\"%s\"", want, jm_rc_name(rc), err.msg);
	assert_int_equal(count(db, "SELECT count(*) FROM people"), before);
}

#define OK_CARD "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nEMAIL:a@example.jp\r\nEND:VCARD\r\n"

static void test_broken_files_refused(void **state)
{
	struct db *db = *state;
	refused(db, "", "line 1: no BEGIN:VCARD");
	refused(db, "\r\n\r\n", "no BEGIN:VCARD");
	refused(db, "email,name\r\na@example.jp,A\r\n", "line 1: text outside a card");
	refused(db, OK_CARD "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:B\r\n", "line 6: card not closed");
	refused(db, OK_CARD "BEGIN:VCARD\r\nVERSION:3.0\r\nBEGIN:VCARD\r\n",
	        "line 8: BEGIN:VCARD inside a card");
	refused(db, OK_CARD "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:B\r\nEND:VCARD\r\n",
	        "line 7: unsupported vCard version");
	refused(db, OK_CARD "BEGIN:VCARD\r\nVERSION:3.0\r\nno colon here\r\nEND:VCARD\r\n",
	        "line 8: not a vCard line");
	refused(db, OK_CARD "BEGIN:VCARD\r\nVERSION:3.0\r\nFN;TYPE=\"open:x\r\nEND:VCARD\r\n",
	        "line 8: not a vCard line");
	refused(db, OK_CARD "END:VCARD\r\n", "line 6: text outside a card");
	refused(db, OK_CARD "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:\xff\xfe\r\nEND:VCARD\r\n",
	        "line 8: not UTF-8");
	/* Cards that parse but hold bad values: every one is reported. */
	refused(db,
	        OK_CARD
	        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:B\r\nEMAIL:not-an-address\r\nEND:VCARD\r\n"
	        "BEGIN:VCARD\r\nVERSION:4.0\r\nTITLE:no name\r\nEND:VCARD\r\n",
	        "line 6: invalid email (and 1 more bad rows); nothing was imported");
	refused(db, OK_CARD "BEGIN:VCARD\r\nFN:B\r\nEND:VCARD\r\n", "line 6: no VERSION");
	refused(db, OK_CARD "BEGIN:VCARD\r\nVERSION:3.0\r\nFN;CHARSET=SHIFT_JIS:B\r\nEND:VCARD\r\n",
	        "line 6: only UTF-8");
	refused(db, OK_CARD "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:B\r\nURL:ftp://x\r\nEND:VCARD\r\n",
	        "line 6: invalid link");
	refused(db,
	        OK_CARD
	        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:B\r\nX-JINMYAKU-STAGE:boss\r\nEND:VCARD\r\n",
	        "line 6: unknown stage");
	assert_int_equal(count(db, "SELECT count(*) FROM people"), 0);
}

/* A logical line over the cap is refused, not buffered without end. */
static void test_line_cap(void **state)
{
	struct db *db = *state;
	size_t n = (1u << 20) + 100;
	char *big = xmalloc(n + 64);
	int k = snprintf(big, n + 64, "BEGIN:VCARD\r\nVERSION:3.0\r\nNOTE:");
	memset(big + k, 'a', n);
	memcpy(big + k + n, "\r\nEND:VCARD\r\n", 14);
	refused(db, big, "line 3: line too long");
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_round_trip_v3, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_round_trip_v4, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_fold_never_splits_utf8, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_foreign_cards, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_broken_files_refused, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_line_cap, site_testdb_setup,
	                                        site_testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
