/* Unit tests for src/http/client.c: the --trusted-proxies CIDR parser and
 * the client-address walk over X-Forwarded-For / Forwarded (included to
 * reach its statics; requests are hand-made h2o_req_t's with a fake peer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../../src/http/client.c"

static struct sockaddr_in peer4;

static socklen_t fake_peername(h2o_conn_t *conn, struct sockaddr *sa)
{
	(void)conn;
	memcpy(sa, &peer4, sizeof(peer4));
	return sizeof(peer4);
}

static const h2o_conn_callbacks_t fake_callbacks = {.get_peername = fake_peername};

/* Resolves a request from peer with the given headers (name, value pairs,
 * NULL-terminated) and trusted list. */
static void resolve(const char *trusted, const char *peer, const char *const *headers,
                    char out[INET6_ADDRSTRLEN])
{
	struct http_cidrs *t = NULL;
	struct jm_err err = {0};
	assert_int_equal(http_cidrs_parse(trusted, &t, &err), JM_OK);
	h2o_conn_t conn;
	memset(&conn, 0, sizeof(conn));
	conn.callbacks = &fake_callbacks;
	h2o_req_t hr;
	memset(&hr, 0, sizeof(hr));
	hr.conn = &conn;
	h2o_mem_init_pool(&hr.pool);
	memset(&peer4, 0, sizeof(peer4));
	peer4.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, peer, &peer4.sin_addr), 1);
	for (int i = 0; headers && headers[i]; i += 2)
		h2o_add_header_by_str(&hr.pool, &hr.headers, headers[i], strlen(headers[i]), 0,
		                      NULL, headers[i + 1], strlen(headers[i + 1]));
	http_client_resolve(t, &hr, out);
	h2o_mem_clear_pool(&hr.pool);
	http_cidrs_free(t);
}

static void test_cidr_parse(void **state)
{
	(void)state;
	struct jm_err err = {0};
	const char *good[] = {"",
	                      "127.0.0.1/32",
	                      "10.0.0.0/8, 192.168.0.0/16",
	                      "::1",
	                      "fd00::/8,127.0.0.1",
	                      "0.0.0.0/0",
	                      "2001:db8::/128"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(http_cidrs_parse(good[i], NULL, &err), JM_OK);
	const char *bad[] = {"10.0.0.0/33", "nonsense",     "10.0.0.0/", "::1/129",
	                     "1.2.3.4/8x",  "10.0.0.0/8,,", "300.1.1.1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(http_cidrs_parse(bad[i], NULL, &err), JM_INVALID);
		assert_non_null(strstr(err.msg, "invalid CIDR"));
	}
}

static void test_untrusted_peer_ignores_headers(void **state)
{
	(void)state;
	char out[INET6_ADDRSTRLEN];
	const char *h[] = {"x-forwarded-for", "1.2.3.4", "forwarded", "for=5.6.7.8", NULL};
	resolve("", "127.0.0.1", h, out);
	assert_string_equal(out, "127.0.0.1");
	resolve("10.0.0.0/8", "127.0.0.1", h, out);
	assert_string_equal(out, "127.0.0.1");
}

static void test_rightmost_untrusted_hop(void **state)
{
	(void)state;
	char out[INET6_ADDRSTRLEN];
	/* The client forged "6.6.6.6"; the proxy appended the real peer. */
	const char *h1[] = {"x-forwarded-for", "6.6.6.6, 203.0.113.7", NULL};
	resolve("127.0.0.1/32", "127.0.0.1", h1, out);
	assert_string_equal(out, "203.0.113.7");
	/* Two proxies, both trusted; several header lines are one list. */
	const char *h2[] = {"x-forwarded-for", "6.6.6.6", "x-forwarded-for",
	                    "198.51.100.1, 10.1.2.3", NULL};
	resolve("127.0.0.1, 10.0.0.0/8", "127.0.0.1", h2, out);
	assert_string_equal(out, "198.51.100.1");
	/* Everything trusted: the leftmost. */
	const char *h3[] = {"x-forwarded-for", "10.9.9.9, 10.1.1.1", NULL};
	resolve("127.0.0.0/8, 10.0.0.0/8", "127.0.0.1", h3, out);
	assert_string_equal(out, "10.9.9.9");
	/* Garbage ends the walk at the last trusted address. */
	const char *h4[] = {"x-forwarded-for", "1.1.1.1, unknown", NULL};
	resolve("127.0.0.1", "127.0.0.1", h4, out);
	assert_string_equal(out, "127.0.0.1");
	/* Ports, brackets, IPv4-mapped IPv6 come out canonical. */
	const char *h5[] = {"x-forwarded-for", "[2001:DB8::1]:4711", NULL};
	resolve("127.0.0.1", "127.0.0.1", h5, out);
	assert_string_equal(out, "2001:db8::1");
	const char *h6[] = {"x-forwarded-for", "::ffff:192.0.2.9", NULL};
	resolve("127.0.0.1", "127.0.0.1", h6, out);
	assert_string_equal(out, "192.0.2.9");
	const char *h7[] = {"x-forwarded-for", "192.0.2.10:8080", NULL};
	resolve("127.0.0.1", "127.0.0.1", h7, out);
	assert_string_equal(out, "192.0.2.10");
}

static void test_forwarded_rfc7239(void **state)
{
	(void)state;
	char out[INET6_ADDRSTRLEN];
	const char *h1[] = {"forwarded",
	                    "for=6.6.6.6, for=\"[2001:db8:cafe::17]:4711\";proto=https;by=10.0.0.1",
	                    NULL};
	resolve("127.0.0.1", "127.0.0.1", h1, out);
	assert_string_equal(out, "2001:db8:cafe::17");
	const char *h2[] = {"forwarded", "proto=http;For=192.0.2.60", NULL};
	resolve("127.0.0.1", "127.0.0.1", h2, out);
	assert_string_equal(out, "192.0.2.60");
	/* X-Forwarded-For wins when both are there. */
	const char *h3[] = {"forwarded", "for=192.0.2.60", "x-forwarded-for", "192.0.2.61", NULL};
	resolve("127.0.0.1", "127.0.0.1", h3, out);
	assert_string_equal(out, "192.0.2.61");
}

static void test_many_hops_keep_the_rightmost(void **state)
{
	(void)state;
	char out[INET6_ADDRSTRLEN];
	char xff[4096] = "";
	size_t len = 0;
	for (int i = 0; i < 200; i++)
		len += (size_t)snprintf(xff + len, sizeof(xff) - len, "%s10.0.%d.%d", i ? "," : "",
		                        i / 250, i % 250 + 1);
	len += (size_t)snprintf(xff + len, sizeof(xff) - len, ",192.0.2.77");
	const char *h[] = {"x-forwarded-for", xff, NULL};
	resolve("127.0.0.1", "127.0.0.1", h, out);
	assert_string_equal(out, "192.0.2.77");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_cidr_parse),
	        cmocka_unit_test(test_untrusted_peer_ignores_headers),
	        cmocka_unit_test(test_rightmost_untrusted_hop),
	        cmocka_unit_test(test_forwarded_rfc7239),
	        cmocka_unit_test(test_many_hops_keep_the_rightmost),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
