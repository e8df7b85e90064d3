/* Unit tests for src/view/i18n.c: the .po reader, completeness check,
 * lookups, the project's own catalog, Accept-Language picking and
 * placeholder filling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "view/view_int.h"

/* Loads a catalog from two strings; returns rc and keeps err's message. */
static enum jm_rc from(const char *ja, const char *en, struct i18n **out, struct jm_err *err)
{
	memset(err, 0, sizeof(*err));
	return i18n_from_po(ja, strlen(ja), "po/ja.po", en, strlen(en), "po/en.po", out, err);
}

static void test_parse(void **state)
{
	(void)state;
	const char *ja = "# comment\n"
	                 "msgid \"\"\nmsgstr \"\"\n\"Language: ja\\n\"\n\n"
	                 "#, flags\n"
	                 "msgid \"a.b\"\n"
	                 "msgstr \"一行目\\n\"\n"
	                 "  \"二行目 \\\"引用\\\" \\\\\"\n"
	                 "\n"
	                 "msgid \"long\"\n\"key\"\nmsgstr \"x\"\n";
	const char *en = "msgid \"longkey\"\r\nmsgstr \"y\"\r\nmsgid \"a.b\"\nmsgstr \"AB\"\n";
	struct i18n *c = NULL;
	struct jm_err err;
	if (from(ja, en, &c, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(i18n_get(c, "ja", "a.b"), "一行目\n二行目 \"引用\" \\");
	assert_string_equal(i18n_get(c, "en", "a.b"), "AB");
	assert_string_equal(i18n_get(c, "ja", "longkey"), "x");
	assert_string_equal(i18n_get(c, "en", "longkey"), "y");
	assert_string_equal(i18n_get(c, "fr", "longkey"), "x");
	assert_string_equal(i18n_get(c, NULL, "longkey"), "x");
	assert_string_equal(i18n_get(c, "en", "nope"), "nope");
	assert_string_equal(i18n_get(NULL, "en", "nope"), "nope");
	assert_true(i18n_has(c, "a.b", 3));
	assert_false(i18n_has(c, "a.bc", 4));
	assert_false(i18n_has(c, "a", 1));
	assert_false(i18n_has(c, "", 0));
	assert_int_equal(i18n_check(c, &err), JM_OK);
	i18n_free(c);
	i18n_free(NULL);
}

static void test_incomplete(void **state)
{
	(void)state;
	struct i18n *c = (struct i18n *)1;
	struct jm_err err;
	const char *both = "msgid \"k.one\"\nmsgstr \"1\"\nmsgid \"k.two\"\nmsgstr \"2\"\n";
	const char *one = "msgid \"k.one\"\nmsgstr \"1\"\n";
	assert_int_equal(from(both, one, &c, &err), JM_INVALID);
	assert_null(c);
	assert_string_equal(err.msg, "po/en.po: key 'k.two' is missing");
	assert_string_equal(err.field, "k.two");
	assert_int_equal(from(one, both, &c, &err), JM_INVALID);
	assert_string_equal(err.msg, "po/ja.po: key 'k.two' is missing");
	assert_int_equal(from(both, "msgid \"k.one\"\nmsgstr \"1\"\nmsgid \"k.two\"\nmsgstr \"\"\n",
	                      &c, &err),
	                 JM_INVALID);
	assert_string_equal(err.msg, "po/en.po: key 'k.two' has an empty msgstr");
}

static void test_syntax_errors(void **state)
{
	(void)state;
	static const struct {
		const char *ja, *msg;
	} cases[] = {
	        {"msgid \"a\"\nmsgstr \"1\"\n\nmsgid \"a\"\nmsgstr \"2\"\n",
	         "po/ja.po:4: duplicate key 'a'"},
	        {"msgstr \"1\"\n", "po/ja.po:1: msgstr without msgid"},
	        {"msgid \"a\"\nmsgid \"b\"\nmsgstr \"\"\n", "po/ja.po:2: msgid without msgstr"},
	        {"msgid \"a\"\n", "po/ja.po:1: msgid without msgstr"},
	        {"msgid \"a\"\nmsgstr \"1\\q\"\n", "po/ja.po:2: unknown escape"},
	        {"msgid \"a\nmsgstr \"1\"\n", "po/ja.po:1: unterminated string"},
	        {"msgid a\n", "po/ja.po:1: expected a quoted string"},
	        {"msgid \"a\" x\n", "po/ja.po:1: text after the closing quote"},
	        {"\"orphan\"\n", "po/ja.po:1: string outside an entry"},
	        {"msgctxt \"c\"\n",
	         "po/ja.po:1: unsupported line (only msgid, msgstr, \"...\" and # comments)"},
	        {"msgid \"a\"\nmsgstr \"\xff\"\n", "po/ja.po:2: file is not valid UTF-8"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct i18n *c = NULL;
		struct jm_err err;
		assert_int_equal(from(cases[i].ja, "msgid \"a\"\nmsgstr \"A\"\n", &c, &err),
		                 JM_INVALID);
		assert_null(c);
		assert_string_equal(err.msg, cases[i].msg);
	}
}

/* The project's catalog loads and is complete; view_load refuses templates
 * naming keys it lacks. */
static void test_project_catalog(void **state)
{
	(void)state;
	struct i18n *c = NULL;
	struct jm_err err = {0};
	if (i18n_load(JM_SOURCE_ROOT "/po", &c, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(i18n_check(c, &err), JM_OK);
	assert_string_equal(i18n_get(c, "ja", "nav.home"), "ホーム");
	assert_string_equal(i18n_get(c, "en", "nav.home"), "Home");
	assert_string_equal(i18n_get(c, "en", "login.submit"), "Log in");
	struct view *v = NULL;
	const char *src = "{% t \"nav.home\" %}{% t \"common.save\" %}";
	assert_int_equal(view_parse_string("a.html", src, strlen(src), c, &v, &err), JM_OK);
	view_free(v);
	i18n_free(c);
	assert_int_equal(i18n_load("/nonexistent", &c, &err), JM_IO);
	assert_null(c);
}

static void test_pick_lang(void **state)
{
	(void)state;
	static const struct {
		const char *header, *fallback, *want;
	} cases[] = {
	        {"en-US,en;q=0.9,ja;q=0.8", "ja", "en"},
	        {"ja,en;q=0.5", "en", "ja"},
	        {"ja-JP", "en", "ja"},
	        {"fr-FR,fr;q=0.9", "ja", "ja"},
	        {"fr-FR,fr;q=0.9", "en", "en"},
	        {"fr,en;q=0.1", "ja", "en"},
	        {"en;q=0.2, ja;q=0.7", "en", "ja"},
	        {"en;q=0.7, ja;q=0.7", "ja", "en"},
	        {"EN-gb", "ja", "en"},
	        {"ja;q=0, en;q=0.1", "ja", "en"},
	        {"ja;q=0", "en", "en"},
	        {"*", "en", "en"},
	        {"", "ja", "ja"},
	        {"eng,jav", "en", "en"},
	        {"en;q=2, ja;q=0.3", "en", "ja"},
	        {"en;q=0.9x, ja;q=0.3", "en", "ja"},
	        {"en;q=1.000", "ja", "en"},
	        {"en;level=1", "ja", "ja"},
	        {",,, ;q=,en", "ja", "en"},
	        {"ja", NULL, "ja"},
	        {"xx", NULL, "ja"},
	        {"xx", "de", "ja"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *h = cases[i].header;
		const char *got = i18n_pick_lang(h, strlen(h), cases[i].fallback);
		if (strcmp(got, cases[i].want))
			fail_msg("'%s' fallback %s: got %s, want %s", h, cases[i].fallback, got,
			         cases[i].want);
	}
	assert_string_equal(i18n_pick_lang(NULL, 0, "en"), "en");
	assert_string_equal(i18n_pick_lang("en,ja", 2, "ja"), "en"); /* honours len */
	assert_string_equal(i18n_pick_lang("ja,en", 1, "en"), "en"); /* "j" is no language */
}

/* Placeholders: each named one replaced, unknown ones and a lone brace
 * kept, a name that is a prefix of another told apart. */
static void test_fill(void **state)
{
	(void)state;
	struct arena *a = arena_new(1024);
	const char *const names[] = {"line", "field", "lines"};
	const char *const vals[] = {"3", "メール", "9"};
	assert_string_equal(i18n_fill(a, "{line}行目の「{field}」: {lines}件", names, vals, 3),
	                    "3行目の「メール」: 9件");
	assert_string_equal(i18n_fill(a, "{other} {line", names, vals, 3), "{other} {line");
	assert_string_equal(i18n_fill(a, "", names, vals, 3), "");
	assert_string_equal(i18n_fill(a, "{line}", names, vals, 0), "{line}");
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse),         cmocka_unit_test(test_incomplete),
	        cmocka_unit_test(test_syntax_errors), cmocka_unit_test(test_project_catalog),
	        cmocka_unit_test(test_pick_lang),     cmocka_unit_test(test_fill),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
