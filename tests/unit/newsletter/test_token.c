/* Unit tests for src/newsletter/token.c: signed confirm and unsubscribe
 * tokens — valid, tampered, wrong kind, wrong secret, expired — and the
 * forms' tokens, signed for one context (a form's slug). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/core.h"
#include "newsletter/newsletter.h"

static const unsigned char SECRET[32] = "0123456789abcdef0123456789abcdef";
static const unsigned char OTHER[32] = "fedcba9876543210fedcba9876543210";

static void test_confirm_valid(void **state)
{
	(void)state;
	char tok[128];
	int64_t id = 0, now = 1800000000;
	nl_token_confirm(SECRET, 42, now, tok);
	assert_true(strncmp(tok, "c.", 2) == 0);
	assert_null(strpbrk(tok, "+/= &?"));
	assert_int_equal(nl_token_check(SECRET, "confirm", tok, now + 10, &id), JM_OK);
	assert_int_equal(id, 42);
	id = 0;
	assert_int_equal(nl_token_check(SECRET, "c", tok, now + NL_CONFIRM_TTL, &id), JM_OK);
	assert_int_equal(id, 42);
}

static void test_confirm_expired(void **state)
{
	(void)state;
	char tok[128];
	int64_t id = 0, now = 1800000000;
	nl_token_confirm(SECRET, 7, now, tok);
	assert_int_equal(nl_token_check(SECRET, "confirm", tok, now + NL_CONFIRM_TTL + 1, &id),
	                 JM_NOT_FOUND);
	assert_int_equal(id, 0);
	/* issued in the future (clock games) is not ours */
	assert_int_equal(nl_token_check(SECRET, "confirm", tok, now - 3600, &id), JM_INVALID);
}

static void test_tampered(void **state)
{
	(void)state;
	char tok[128], bad[128];
	int64_t id = 0, now = 1800000000;
	nl_token_confirm(SECRET, 42, now, tok);
	/* flip each character in turn: never accepted */
	for (size_t i = 0; tok[i]; i++) {
		memcpy(bad, tok, sizeof(bad));
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		assert_int_not_equal(nl_token_check(SECRET, "confirm", bad, now, &id), JM_OK);
	}
	assert_int_equal(nl_token_check(OTHER, "confirm", tok, now, &id), JM_INVALID);
	assert_int_equal(nl_token_check(SECRET, "unsubscribe", tok, now, &id), JM_INVALID);
	assert_int_equal(nl_token_check(SECRET, "confirm", "", now, &id), JM_INVALID);
	assert_int_equal(nl_token_check(SECRET, "confirm", NULL, now, &id), JM_INVALID);
	assert_int_equal(nl_token_check(SECRET, "confirm", "c..", now, &id), JM_INVALID);
	char longer[256];
	snprintf(longer, sizeof(longer), "%sx", tok);
	assert_int_equal(nl_token_check(SECRET, "confirm", longer, now, &id), JM_INVALID);
	assert_int_equal(id, 0);
}

static void test_unsubscribe(void **state)
{
	(void)state;
	char tok[128], again[128];
	int64_t id = 0;
	nl_token_unsubscribe(SECRET, 99, tok);
	nl_token_unsubscribe(SECRET, 99, again);
	assert_string_equal(tok, again); /* stable: the same link in every mail */
	assert_true(strncmp(tok, "u.", 2) == 0);
	/* never expires */
	assert_int_equal(nl_token_check(SECRET, "unsubscribe", tok, INT64_C(4000000000), &id),
	                 JM_OK);
	assert_int_equal(id, 99);
	assert_int_equal(nl_token_check(SECRET, "confirm", tok, 0, &id), JM_INVALID);
	char other[128];
	nl_token_unsubscribe(SECRET, 100, other);
	assert_string_not_equal(tok, other);
}

static void test_form(void **state)
{
	(void)state;
	char tok[128], conf[128], un[128];
	int64_t id = 0, issued = -1;
	nl_token_form(SECRET, "ask-1", 7, 0, tok);
	assert_true(strncmp(tok, "f.", 2) == 0);
	assert_null(strpbrk(tok, "+/= &?"));
	assert_int_equal(nl_token_form_check(SECRET, "ask-1", tok, &id, &issued), JM_OK);
	assert_int_equal(id, 7);
	assert_int_equal(issued, 0);
	/* another form, another secret, another kind, a changed byte */
	assert_int_equal(nl_token_form_check(SECRET, "ask-2", tok, &id, &issued), JM_INVALID);
	assert_int_equal(nl_token_form_check(OTHER, "ask-1", tok, &id, &issued), JM_INVALID);
	nl_token_unsubscribe(SECRET, 7, un);
	assert_int_equal(nl_token_form_check(SECRET, "ask-1", un, &id, &issued), JM_INVALID);
	nl_token_form(SECRET, "/confirm", 7, 1800000000, conf);
	assert_int_equal(nl_token_form_check(SECRET, "ask-1", conf, &id, &issued), JM_INVALID);
	assert_int_equal(nl_token_form_check(SECRET, "/confirm", conf, &id, &issued), JM_OK);
	assert_int_equal(issued, 1800000000);
	tok[3] = tok[3] == 'A' ? 'B' : 'A';
	assert_int_equal(nl_token_form_check(SECRET, "ask-1", tok, &id, &issued), JM_INVALID);
	assert_int_equal(nl_token_form_check(SECRET, "ask-1", NULL, &id, &issued), JM_INVALID);
	assert_int_equal(nl_token_form_check(SECRET, "ask-1", "f..", &id, &issued), JM_INVALID);
}

int main(void)
{
	if (jm_crypto_init() != JM_OK)
		return 1;
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_confirm_valid), cmocka_unit_test(test_confirm_expired),
	        cmocka_unit_test(test_tampered),      cmocka_unit_test(test_unsubscribe),
	        cmocka_unit_test(test_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
