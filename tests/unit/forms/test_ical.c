/* Unit tests for src/forms/ical.c: the invitation parses back with libical
 * with METHOD:REQUEST, UID, DTSTAMP, DTSTART/DTEND in UTC, ORGANIZER and
 * ATTENDEE; what a registrant or the owner typed cannot add a property (a
 * line break in a title stays text); the 受付票 is a square PNG. */
#include <libical/ical.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "forms/event_int.h"

static struct event_ical_in sample(void)
{
	struct event_ical_in in = {
	        .uid = "event-1-answer-2@example.jp",
	        .title = "出版セミナー",
	        .location = "渋谷, 会議室 A; 3F",
	        .description = "https://meet.example.jp/room",
	        .org_name = "読書会事務局",
	        .org_addr = "site@example.jp",
	        .att_name = "佐藤 花子",
	        .att_addr = "hanako@example.com",
	        .now = 1767225600,       /* 2026-01-01T00:00:00Z */
	        .starts_at = 1768557600, /* 2026-01-16T10:00:00Z */
	        .ends_at = 1768564800,
	};
	return in;
}

static icalcomponent *build(const struct event_ical_in *in)
{
	struct buf b = BUF_INIT;
	assert_int_equal(event_ical(in, &b), JM_OK);
	assert_non_null(strstr(b.ptr, "\r\n")); /* RFC 5545: CRLF lines */
	icalcomponent *cal = icalparser_parse_string(b.ptr);
	buf_free(&b);
	assert_non_null(cal);
	return cal;
}

static void test_request(void **state)
{
	(void)state;
	struct event_ical_in in = sample();
	icalcomponent *cal = build(&in);
	assert_int_equal(icalcomponent_get_method(cal), ICAL_METHOD_REQUEST);
	icalcomponent *ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	assert_non_null(ev);
	assert_string_equal(icalcomponent_get_uid(ev), in.uid);
	assert_string_equal(icalcomponent_get_summary(ev), "出版セミナー");
	assert_string_equal(icalcomponent_get_location(ev), "渋谷, 会議室 A; 3F");
	struct icaltimetype st = icalcomponent_get_dtstart(ev);
	assert_true(icaltime_is_utc(st));
	assert_int_equal(icaltime_as_timet(st), in.starts_at);
	assert_int_equal(icaltime_as_timet(icalcomponent_get_dtend(ev)), in.ends_at);
	assert_int_equal(icaltime_as_timet(icalcomponent_get_dtstamp(ev)), in.now);
	icalproperty *org = icalcomponent_get_first_property(ev, ICAL_ORGANIZER_PROPERTY);
	assert_string_equal(icalproperty_get_organizer(org), "mailto:site@example.jp");
	icalparameter *cn = icalproperty_get_first_parameter(org, ICAL_CN_PARAMETER);
	assert_string_equal(icalparameter_get_cn(cn), "読書会事務局");
	icalproperty *att = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY);
	assert_string_equal(icalproperty_get_attendee(att), "mailto:hanako@example.com");
	icalcomponent_free(cal);
}

/* A typed line break or a "METHOD:CANCEL" in a title is text of the
 * SUMMARY, never a property of its own. */
static void test_typed_text_stays_text(void **state)
{
	(void)state;
	struct event_ical_in in = sample();
	in.title = "会\r\nMETHOD:CANCEL\r\nEND:VEVENT";
	in.att_name = "x\"; ROLE=CHAIR";
	icalcomponent *cal = build(&in);
	assert_int_equal(icalcomponent_get_method(cal), ICAL_METHOD_REQUEST);
	assert_int_equal(icalcomponent_count_components(cal, ICAL_VEVENT_COMPONENT), 1);
	icalcomponent *ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	assert_non_null(strstr(icalcomponent_get_summary(ev), "METHOD:CANCEL"));
	icalcomponent_free(cal);
}

static void test_qr_png(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	assert_int_equal(event_qr_png("JM-12345-0123456789ab", &b), JM_OK);
	assert_true(b.len > 33);
	assert_memory_equal(b.ptr, "\x89PNG\r\n\x1a\n", 8);
	const unsigned char *p = (const unsigned char *)b.ptr + 16;
	uint32_t w = (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
	uint32_t h = (uint32_t)p[4] << 24 | p[5] << 16 | p[6] << 8 | p[7];
	assert_int_equal(w, h);
	assert_int_equal(w % 6, 0);                /* whole modules */
	assert_int_equal((w / 6 - 8 - 21) % 4, 0); /* a QR version's size + quiet zone */
	assert_memory_equal(b.ptr + b.len - 8, "IEND\xae\x42\x60\x82", 8);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_request),
	        cmocka_unit_test(test_typed_text_stays_text),
	        cmocka_unit_test(test_qr_png),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
