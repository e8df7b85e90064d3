/* Unit tests for src/core/field.c: the one field engine of forms and list
 * sign-up fields — type names, definition rules, value rules by type, at
 * the caps and one past them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/field.h"

static const char *const OPTS[] = {"はい、編集者を知っています", "いいえ"};

static struct jm_field fld(const char *type, bool required)
{
	return (struct jm_field){.key = "k",
	                         .label = "項目",
	                         .type = type,
	                         .options = OPTS,
	                         .noptions = 2,
	                         .required = required};
}

static enum jm_field_value check(const char *type, const char *v)
{
	struct jm_field f = fld(type, false);
	const char *out = NULL;
	return jm_field_value_check(&f, v, false, &out);
}

static char *repeat(const char *unit, size_t n)
{
	size_t u = strlen(unit);
	char *s = test_malloc(u * n + 1);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * u, unit, u);
	s[u * n] = '\0';
	return s;
}

static void test_type_names(void **state)
{
	(void)state;
	static const char *const names[] = {"text",     "textarea", "select", "multi",
	                                    "checkbox", "email",    "url",    "number",
	                                    "date",     "tel",      "file"};
	for (unsigned i = 0; i < JM_FIELD_NTYPES; i++) {
		enum jm_field_type t;
		assert_true(jm_field_type_parse(names[i], &t));
		assert_int_equal(t, i);
		assert_string_equal(jm_field_type_name(t), names[i]);
	}
	enum jm_field_type t;
	assert_false(jm_field_type_parse("radio", &t));
	assert_false(jm_field_type_parse("Text", &t));
	assert_false(jm_field_type_parse(NULL, &t));
	char list[200];
	jm_field_types_list(JM_FIELD_BIT(JM_FIELD_TEXT) | JM_FIELD_BIT(JM_FIELD_CHECKBOX), list,
	                    sizeof(list));
	assert_string_equal(list, "text, checkbox");
}

static void test_keys(void **state)
{
	(void)state;
	assert_true(jm_field_key_ok("company_name_2"));
	assert_true(jm_field_key_ok("abcdefghijabcdefghijabcdefghijabcdefghij")); /* 40 */
	assert_false(jm_field_key_ok("abcdefghijabcdefghijabcdefghijabcdefghijk"));
	assert_false(jm_field_key_ok(""));
	assert_false(jm_field_key_ok("Company"));
	assert_false(jm_field_key_ok("会社"));
	assert_false(jm_field_key_ok("a-b"));
	assert_false(jm_field_key_ok(NULL));
}

static void test_definitions(void **state)
{
	(void)state;
	struct jm_field f = fld("select", true);
	assert_null(jm_field_def_problem(&f, JM_FIELD_ALL));
	f.noptions = 0;
	assert_non_null(jm_field_def_problem(&f, JM_FIELD_ALL)); /* a select needs options */
	f = fld("text", false);
	assert_non_null(jm_field_def_problem(&f, JM_FIELD_ALL)); /* text takes none */
	f.noptions = 0;
	assert_null(jm_field_def_problem(&f, JM_FIELD_ALL));
	f.label = "";
	assert_non_null(jm_field_def_problem(&f, JM_FIELD_ALL));
	f.label = "a\r\nBcc: x";
	assert_non_null(jm_field_def_problem(&f, JM_FIELD_ALL));
	static const char *const twice[] = {"a", "a"};
	f = fld("multi", false);
	f.options = twice;
	assert_non_null(jm_field_def_problem(&f, JM_FIELD_ALL));
	char *lab = repeat("x", 101);
	f = fld("text", false);
	f.noptions = 0;
	f.label = lab;
	assert_non_null(jm_field_def_problem(&f, JM_FIELD_ALL));
	lab[100] = '\0';
	assert_null(jm_field_def_problem(&f, JM_FIELD_ALL));
	test_free(lab);
}

struct defs {
	struct jm_field *v;
};

static void get_def(size_t i, void *user, struct jm_field *out)
{
	*out = ((struct defs *)user)->v[i];
}

static void test_defs_check(void **state)
{
	(void)state;
	struct jm_field v[3] = {fld("select", false), fld("email", true), fld("tel", false)};
	v[1].key = "mail", v[1].noptions = 0;
	v[2].key = "phone", v[2].noptions = 0;
	struct defs d = {v};
	struct jm_err err = {0};
	assert_int_equal(jm_field_defs_check(3, 10, JM_FIELD_ALL, get_def, &d, "fields", &err),
	                 JM_OK);
	v[2].key = "mail";
	assert_int_equal(jm_field_defs_check(3, 10, JM_FIELD_ALL, get_def, &d, "fields", &err),
	                 JM_INVALID);
	assert_string_equal(err.field, "fields");
	assert_non_null(strstr(err.msg, "field 3 (mail): duplicate key"));
	v[2].key = "phone";
	assert_int_equal(jm_field_defs_check(3, 2, JM_FIELD_ALL, get_def, &d, "fields", &err),
	                 JM_INVALID);
	unsigned lists = JM_FIELD_BIT(JM_FIELD_TEXT) | JM_FIELD_BIT(JM_FIELD_SELECT) |
	                 JM_FIELD_BIT(JM_FIELD_CHECKBOX);
	assert_int_equal(jm_field_defs_check(3, 10, lists, get_def, &d, "fields", &err),
	                 JM_INVALID);
	assert_non_null(strstr(err.msg, "type must be one of text, select, checkbox"));
}

static void test_required_and_empty(void **state)
{
	(void)state;
	for (unsigned t = 0; t < JM_FIELD_NTYPES; t++) {
		struct jm_field f = fld(jm_field_type_name(t), true);
		const char *out = "x";
		assert_int_equal(jm_field_value_check(&f, "", false, &out), JM_FV_REQUIRED);
		assert_int_equal(jm_field_value_check(&f, NULL, false, &out), JM_FV_REQUIRED);
		f.required = false;
		assert_int_equal(jm_field_value_check(&f, "", false, &out), JM_FV_OK);
		assert_string_equal(out, "");
	}
}

static void test_text_lengths(void **state)
{
	(void)state;
	char *s = repeat("あ", JM_FIELD_TEXT_MAX);
	assert_int_equal(check("text", s), JM_FV_OK);
	test_free(s);
	s = repeat("あ", JM_FIELD_TEXT_MAX + 1);
	assert_int_equal(check("text", s), JM_FV_TOO_LONG);
	test_free(s);
	assert_int_equal(check("text", "a\nb"), JM_FV_TOO_LONG);
	assert_int_equal(check("text", "a\tb"), JM_FV_TOO_LONG);
	assert_int_equal(check("text", "\xff"), JM_FV_TOO_LONG);
	assert_int_equal(check("textarea", "一行目\n二行目\r\n\t三行目"), JM_FV_OK);
	assert_int_equal(check("textarea", "a\x01"), JM_FV_TOO_LONG);
	s = repeat("あ", JM_FIELD_TEXTAREA_MAX);
	assert_int_equal(check("textarea", s), JM_FV_OK);
	test_free(s);
	s = repeat("あ", JM_FIELD_TEXTAREA_MAX + 1);
	assert_int_equal(check("textarea", s), JM_FV_TOO_LONG);
	test_free(s);
}

static void test_choices(void **state)
{
	(void)state;
	assert_int_equal(check("select", "いいえ"), JM_FV_OK);
	assert_int_equal(check("select", "たぶん"), JM_FV_NOT_OPTION);
	assert_int_equal(check("multi", "いいえ"), JM_FV_OK);
	assert_int_equal(check("multi", "x"), JM_FV_NOT_OPTION);
	struct jm_field f = fld("multi", true);
	const char *both[] = {"いいえ", "はい、編集者を知っています"};
	const char *twice[] = {"いいえ", "いいえ"};
	const char *other[] = {"いいえ", "x"};
	const char *none[] = {""};
	assert_int_equal(jm_field_multi_check(&f, both, 2), JM_FV_OK);
	assert_int_equal(jm_field_multi_check(&f, twice, 2), JM_FV_NOT_OPTION);
	assert_int_equal(jm_field_multi_check(&f, other, 2), JM_FV_NOT_OPTION);
	assert_int_equal(jm_field_multi_check(&f, none, 1), JM_FV_REQUIRED);
	assert_int_equal(jm_field_multi_check(&f, NULL, 0), JM_FV_REQUIRED);
	f.required = false;
	assert_int_equal(jm_field_multi_check(&f, NULL, 0), JM_FV_OK);
}

static void test_checkbox(void **state)
{
	(void)state;
	struct jm_field f = fld("checkbox", false);
	const char *out = NULL;
	assert_int_equal(jm_field_value_check(&f, "はい", false, &out), JM_FV_OK);
	assert_string_equal(out, "1");
	assert_int_equal(jm_field_value_check(&f, "No", false, &out), JM_FV_OK);
	assert_string_equal(out, "");
	assert_int_equal(jm_field_value_check(&f, "maybe", false, &out), JM_FV_NOT_CHECKBOX);
	assert_int_equal(jm_field_value_check(&f, "maybe", true, &out), JM_FV_OK); /* a form */
	assert_string_equal(out, "1");
	f.required = true; /* an unticked required box */
	assert_int_equal(jm_field_value_check(&f, "0", false, &out), JM_FV_REQUIRED);
	assert_string_equal(jm_field_checkbox_value("✓"), "1");
	assert_string_equal(jm_field_checkbox_value("いいえ"), "");
	assert_null(jm_field_checkbox_value("?"));
}

static void test_shapes(void **state)
{
	(void)state;
	assert_int_equal(check("email", "Taro@Example.jp"), JM_FV_OK);
	assert_int_equal(check("email", "taro＠example.jp"), JM_FV_EMAIL);
	assert_int_equal(check("email", "taro@example"), JM_FV_EMAIL);
	assert_int_equal(check("email", "a b@example.jp"), JM_FV_EMAIL);
	assert_int_equal(check("url", "https://example.com/a?b=c#d"), JM_FV_OK);
	assert_int_equal(check("url", "http://例え.jp/"), JM_FV_OK);
	assert_int_equal(check("url", "javascript:alert(1)"), JM_FV_URL);
	assert_int_equal(check("url", "https://"), JM_FV_URL);
	assert_int_equal(check("url", "https://a b.com"), JM_FV_URL);
	assert_int_equal(check("url", "ftp://example.com"), JM_FV_URL);
	assert_int_equal(check("number", "42"), JM_FV_OK);
	assert_int_equal(check("number", "-3.25"), JM_FV_OK);
	assert_int_equal(check("number", "1e3"), JM_FV_NUMBER);
	assert_int_equal(check("number", "3."), JM_FV_NUMBER);
	assert_int_equal(check("number", "１２"), JM_FV_NUMBER);
	assert_int_equal(check("date", "2026-12-24"), JM_FV_OK);
	assert_int_equal(check("date", "2028-02-29"), JM_FV_OK);
	assert_int_equal(check("date", "2026-02-29"), JM_FV_DATE);
	assert_int_equal(check("date", "2026-13-01"), JM_FV_DATE);
	assert_int_equal(check("date", "2026/12/24"), JM_FV_DATE);
	assert_int_equal(check("tel", "+81 (3) 1234-5678"), JM_FV_OK);
	assert_int_equal(check("tel", "03-1234-5678"), JM_FV_OK);
	assert_int_equal(check("tel", "call me"), JM_FV_TEL);
	assert_int_equal(check("tel", "()"), JM_FV_TEL);
	assert_int_equal(check("tel", "0123456789012345678901234567890"), JM_FV_TEL);
	assert_int_equal(check("file", "12"), JM_FV_OK);
	assert_int_equal(check("file", "0"), JM_FV_FILE);
	assert_int_equal(check("file", "x.pdf"), JM_FV_FILE);
}

static void test_messages(void **state)
{
	(void)state;
	struct jm_field f = fld("email", true);
	char msg[200];
	jm_field_value_msg(&f, JM_FV_REQUIRED, msg, sizeof(msg));
	assert_string_equal(msg, "項目 is required");
	assert_string_equal(jm_field_value_code(JM_FV_NOT_OPTION), "not_option");
	assert_string_equal(jm_field_value_code(JM_FV_EMAIL), "email");
}

static void test_email_normalize(void **state)
{
	(void)state;
	char e[64] = "  Taro@Example.JP \n";
	assert_true(jm_email_normalize(e));
	assert_string_equal(e, "taro@example.jp");
	char bad[64] = "a@b";
	assert_false(jm_email_normalize(bad));
	char semi[64] = "a;b@example.jp";
	assert_false(jm_email_normalize(semi));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_type_names),
	        cmocka_unit_test(test_keys),
	        cmocka_unit_test(test_definitions),
	        cmocka_unit_test(test_defs_check),
	        cmocka_unit_test(test_required_and_empty),
	        cmocka_unit_test(test_text_lengths),
	        cmocka_unit_test(test_choices),
	        cmocka_unit_test(test_checkbox),
	        cmocka_unit_test(test_shapes),
	        cmocka_unit_test(test_messages),
	        cmocka_unit_test(test_email_normalize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
