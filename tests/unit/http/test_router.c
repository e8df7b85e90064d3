/* Unit tests for src/http/router.c: precedence, parameters, 404 vs 405,
 * HEAD, percent-decoding and trailing slashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "http/http.h"

static void h_home(struct req *req)
{
	(void)req;
}
static void h_article(struct req *req)
{
	(void)req;
}
static void h_article_new(struct req *req)
{
	(void)req;
}
static void h_article_edit(struct req *req)
{
	(void)req;
}
static void h_article_post(struct req *req)
{
	(void)req;
}
static void h_tag(struct req *req)
{
	(void)req;
}
static void h_static(struct req *req)
{
	(void)req;
}
static void h_admin(struct req *req)
{
	(void)req;
}
static void h_admin_slash(struct req *req)
{
	(void)req;
}
static void h_head(struct req *req)
{
	(void)req;
}
static void h_user_post(struct req *req)
{
	(void)req;
}
static void h_user_any(struct req *req)
{
	(void)req;
}

struct fixture {
	struct router *r;
	struct arena *a;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->r = router_new();
	f->a = arena_new(1024);
	router_add(f->r, "GET", "/", h_home, 1);
	router_add(f->r, "GET", "/articles/{slug}", h_article, 2);
	router_add(f->r, "GET", "/articles/new", h_article_new, 3);
	router_add(f->r, "GET", "/articles/{slug}/edit", h_article_edit, 4);
	router_add(f->r, "POST", "/articles/{slug}", h_article_post, 5);
	router_add(f->r, "GET", "/tags/{tag}", h_tag, 6);
	router_add(f->r, "GET", "/static/{path*}", h_static, 7);
	router_add(f->r, "GET", "/admin", h_admin, 8);
	router_add(f->r, "GET", "/feed.xml", h_head, 9);
	router_add(f->r, "HEAD", "/feed.xml", h_head, 10);
	/* A literal that only answers POST, shadowing a GET parameter route. */
	router_add(f->r, "POST", "/users/me", h_user_post, 11);
	router_add(f->r, "GET", "/users/{id}", h_user_any, 12);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	router_free(f->r);
	arena_free(f->a);
	free(f);
	return 0;
}

struct result {
	http_handler_fn fn;
	struct route_params p;
	unsigned flags;
	bool mismatch, bad;
};

static struct result match(struct fixture *f, const char *method, const char *path)
{
	struct result res = {.flags = 999, .mismatch = true, .bad = true};
	res.fn = router_match(f->r, str_from(method, strlen(method)), str_from(path, strlen(path)),
	                      f->a, &res.p, &res.flags, &res.mismatch, &res.bad);
	return res;
}

static void test_root_and_literal(void **state)
{
	struct result m = match(*state, "GET", "/");
	assert_ptr_equal(m.fn, h_home);
	assert_int_equal(m.flags, 1);
	assert_int_equal(m.p.n, 0);
	assert_false(m.mismatch);
	assert_false(m.bad);
	assert_ptr_equal(match(*state, "GET", "/feed.xml").fn, h_head);
}

static void test_literal_beats_param(void **state)
{
	struct result m = match(*state, "GET", "/articles/new");
	assert_ptr_equal(m.fn, h_article_new);
	assert_int_equal(m.p.n, 0);
	m = match(*state, "GET", "/articles/hello-world");
	assert_ptr_equal(m.fn, h_article);
	assert_int_equal(m.flags, 2);
	assert_int_equal(m.p.n, 1);
	assert_true(str_eq(m.p.name[0], "slug"));
	assert_string_equal(m.p.val[0].p, "hello-world");
	/* The literal "new" has no /edit child, so matching backtracks to {slug}. */
	m = match(*state, "GET", "/articles/new/edit");
	assert_ptr_equal(m.fn, h_article_edit);
	assert_string_equal(m.p.val[0].p, "new");
}

static void test_backtrack_on_method(void **state)
{
	/* POST-only literal /users/me must not hide GET /users/{id}. */
	struct result m = match(*state, "GET", "/users/me");
	assert_ptr_equal(m.fn, h_user_any);
	assert_string_equal(m.p.val[0].p, "me");
	m = match(*state, "POST", "/users/me");
	assert_ptr_equal(m.fn, h_user_post);
	m = match(*state, "POST", "/users/42");
	assert_null(m.fn);
	assert_true(m.mismatch);
}

static void test_rest_param(void **state)
{
	struct result m = match(*state, "GET", "/static/css/site.css");
	assert_ptr_equal(m.fn, h_static);
	assert_int_equal(m.flags, 7);
	assert_true(str_eq(m.p.name[0], "path"));
	assert_string_equal(m.p.val[0].p, "css/site.css");
	m = match(*state, "GET", "/static/a");
	assert_string_equal(m.p.val[0].p, "a");
	/* The rest must not be empty. */
	m = match(*state, "GET", "/static/");
	assert_null(m.fn);
	assert_false(m.mismatch);
	assert_null(match(*state, "GET", "/static").fn);
}

static void test_404_vs_405(void **state)
{
	struct result m = match(*state, "GET", "/nope");
	assert_null(m.fn);
	assert_false(m.mismatch);
	assert_false(m.bad);
	m = match(*state, "DELETE", "/articles/x");
	assert_null(m.fn);
	assert_true(m.mismatch);
	m = match(*state, "POST", "/");
	assert_null(m.fn);
	assert_true(m.mismatch);
	/* Methods are case-sensitive (RFC 9110 section 9.1). */
	m = match(*state, "get", "/");
	assert_null(m.fn);
	assert_true(m.mismatch);
	/* An empty segment does not match {slug}: 404, not a handler call. */
	m = match(*state, "GET", "/articles/");
	assert_null(m.fn);
	assert_false(m.mismatch);
	assert_null(match(*state, "GET", "articles/x").fn);
	assert_null(match(*state, "GET", "").fn);
}

static void test_head(void **state)
{
	struct result m = match(*state, "HEAD", "/articles/abc");
	assert_ptr_equal(m.fn, h_article);
	assert_string_equal(m.p.val[0].p, "abc");
	/* An explicit HEAD route wins over the GET one. */
	m = match(*state, "HEAD", "/feed.xml");
	assert_ptr_equal(m.fn, h_head);
	assert_int_equal(m.flags, 10);
	/* HEAD does not fall back to POST. */
	router_add(((struct fixture *)*state)->r, "POST", "/subscribe", h_home, 0);
	m = match(*state, "HEAD", "/subscribe");
	assert_null(m.fn);
	assert_true(m.mismatch);
}

static void test_decoded_params(void **state)
{
	struct result m = match(*state, "GET", "/tags/%E6%97%A5%E6%9C%AC");
	assert_ptr_equal(m.fn, h_tag);
	assert_string_equal(m.p.val[0].p, "日本");
	assert_int_equal(m.p.val[0].len, strlen("日本"));
	/* Lower-case hex, '+' kept, raw UTF-8 accepted. */
	m = match(*state, "GET", "/tags/a%2fb+c");
	assert_string_equal(m.p.val[0].p, "a/b+c");
	m = match(*state, "GET", "/tags/東京");
	assert_string_equal(m.p.val[0].p, "東京");
	m = match(*state, "GET", "/static/%E6%97%A5/x%20y");
	assert_string_equal(m.p.val[0].p, "日/x y");
}

static void test_bad_params(void **state)
{
	static const char *const bad[] = {
	        "/tags/%ff", "/tags/%E6%97", "/tags/%zz",         "/tags/%4",
	        "/tags/a%",  "/tags/%00",    "/static/ok/%C0%AF",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct result m = match(*state, "GET", bad[i]);
		assert_null(m.fn);
		assert_true(m.bad);
		assert_false(m.mismatch);
		assert_int_equal(m.p.n, 0);
	}
	/* A bad escape in a literal position is simply not found. */
	struct result m = match(*state, "GET", "/%ff");
	assert_null(m.fn);
	assert_false(m.bad);
}

static void test_trailing_slash(void **state)
{
	struct fixture *f = *state;
	assert_ptr_equal(match(f, "GET", "/admin").fn, h_admin);
	struct result m = match(f, "GET", "/admin/");
	assert_null(m.fn);
	assert_false(m.mismatch);
	assert_null(match(f, "GET", "/articles/x/").fn);
	router_add(f->r, "GET", "/admin/", h_admin_slash, 0);
	assert_ptr_equal(match(f, "GET", "/admin/").fn, h_admin_slash);
	assert_ptr_equal(match(f, "GET", "/admin").fn, h_admin);
}

static void test_many_routes_and_params(void **state)
{
	(void)state;
	struct router *r = router_new();
	struct arena *a = arena_new(1024);
	char pat[64];
	for (int i = 0; i < 100; i++) {
		snprintf(pat, sizeof(pat), "/r%d/{a}/x/{b}", i);
		router_add(r, "GET", pat, h_home, (unsigned)i);
	}
	router_add(r, "GET", "/{a}/{b}/{c}/{d}", h_tag, 1000);
	struct route_params p;
	unsigned flags = 0;
	bool mm, bad;
	struct str get = STR_LIT("GET");
	assert_ptr_equal(router_match(r, get, STR_LIT("/r57/one/x/two"), a, &p, &flags, &mm, &bad),
	                 h_home);
	assert_int_equal(flags, 57);
	assert_int_equal(p.n, 2);
	struct req req = {.params = p};
	assert_string_equal(req_param(&req, "a"), "one");
	assert_string_equal(req_param(&req, "b"), "two");
	assert_null(req_param(&req, "c"));
	assert_ptr_equal(router_match(r, get, STR_LIT("/r57/1/2/3"), a, &p, &flags, &mm, &bad),
	                 h_tag);
	assert_int_equal(p.n, 4);
	assert_true(str_eq(p.name[3], "d"));
	assert_string_equal(p.val[3].p, "3");
	router_free(r);
	router_free(NULL);
	arena_free(a);
}

/* router_add_flags ORs flags into exactly the named route: the same
 * method and pattern, parameter names aside; other methods and the
 * literal sibling keep theirs. */
static void test_add_flags(void **state)
{
	struct fixture *f = *state;
	router_add_flags(f->r, "POST", "/articles/{id}", 64);
	router_add_flags(f->r, "GET", "/static/{p*}", 128);
	router_add_flags(f->r, "GET", "/", 256);
	assert_int_equal(match(f, "POST", "/articles/x").flags, 5 | 64);
	assert_int_equal(match(f, "GET", "/articles/x").flags, 2);
	assert_int_equal(match(f, "GET", "/articles/new").flags, 3);
	assert_int_equal(match(f, "GET", "/static/a/b.css").flags, 7 | 128);
	assert_int_equal(match(f, "GET", "/").flags, 1 | 256);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_root_and_literal, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_literal_beats_param, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_backtrack_on_method, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_rest_param, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_404_vs_405, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_head, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_decoded_params, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bad_params, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_trailing_slash, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_add_flags, setup, teardown),
	        cmocka_unit_test(test_many_routes_and_params),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
