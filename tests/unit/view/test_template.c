/* Unit tests for src/view: values, parsing, rendering, linking and view_load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "view/view_int.h"

static struct arena *A;
static struct i18n *CAT;

static const char ja_po[] = "msgid \"nav.home\"\nmsgstr \"ホーム\"\n"
                            "msgid \"x.lt\"\nmsgstr \"a<b\"\n";
static const char en_po[] = "msgid \"nav.home\"\nmsgstr \"Home\"\n"
                            "msgid \"x.lt\"\nmsgstr \"a>b\"\n";

static int setup(void **state)
{
	(void)state;
	A = arena_new(4096);
	return i18n_from_po(ja_po, strlen(ja_po), "ja.po", en_po, strlen(en_po), "en.po", &CAT,
	                    NULL) == JM_OK
	               ? 0
	               : -1;
}

static int teardown(void **state)
{
	(void)state;
	arena_free(A);
	i18n_free(CAT);
	return 0;
}

/* Builds a view from name/source pairs ending in NULL; fails the test on error. */
static struct view *mkv(const char *name, ...)
{
	struct view *v = view_new(CAT);
	va_list ap;
	va_start(ap, name);
	for (const char *n = name; n; n = va_arg(ap, const char *)) {
		const char *src = va_arg(ap, const char *);
		view_add_source(v, n, NULL, src, strlen(src));
	}
	va_end(ap);
	struct jm_err err = {0};
	enum jm_rc rc = view_finish(v, &err);
	if (rc)
		fail_msg("view_finish: %s", err.msg);
	return v;
}

/* Renders a one-template source with ctx in lang into a static buffer. */
static const char *r1(const char *src, struct view_val *ctx, const char *lang)
{
	static char out[8192];
	struct view *v = mkv("t.html", src, NULL);
	struct buf b = BUF_INIT;
	assert_int_equal(view_render(v, "t.html", ctx, lang, &b), JM_OK);
	snprintf(out, sizeof(out), "%s", buf_cstr(&b));
	buf_free(&b);
	view_free(v);
	return out;
}

/* The load error for a one-template source. */
static const char *load_err(const char *src)
{
	static struct jm_err err;
	struct view *v = NULL;
	memset(&err, 0, sizeof(err));
	assert_int_equal(view_parse_string("x.html", src, strlen(src), CAT, &v, &err), JM_INVALID);
	assert_null(v);
	return err.msg;
}

/* The load error of a set of templates (name/source pairs ending in NULL). */
static const char *set_err(const char *name, ...)
{
	static struct jm_err err;
	struct view *v = view_new(CAT);
	va_list ap;
	va_start(ap, name);
	for (const char *n = name; n; n = va_arg(ap, const char *)) {
		const char *src = va_arg(ap, const char *);
		view_add_source(v, n, NULL, src, strlen(src));
	}
	va_end(ap);
	memset(&err, 0, sizeof(err));
	assert_int_equal(view_finish(v, &err), JM_INVALID);
	view_free(v);
	return err.msg;
}

static struct view_val *item(const char *name, int64_t n)
{
	struct view_val *m = view_map(A);
	view_set_str(m, "name", name);
	view_set_int(m, "n", n);
	return m;
}

static void test_escape(void **state)
{
	(void)state;
	struct view_val *c = view_map(A);
	view_set_str(c, "s", "<a href=\"x\">&'</a>");
	assert_string_equal(r1("[{{ s }}]", c, "ja"),
	                    "[&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;]");
	struct buf b = BUF_INIT;
	assert_int_equal(view_escape(&b, "日本&語", strlen("日本&語")), JM_OK);
	assert_string_equal(buf_cstr(&b), "日本&amp;語");
	buf_free(&b);
	assert_string_equal(r1("{{ missing }}|{{ a.b.c }}|", c, "ja"), "||");
	assert_string_equal(r1("{{ s.x }}", c, "ja"), "");
}

static void test_raw_and_html(void **state)
{
	(void)state;
	struct view_val *c = view_map(A);
	view_set_str(c, "s", "<b>");
	view_set_html(c, "h", "<p>hi</p>", 9);
	assert_string_equal(r1("{{ s | raw }}{{ h }}", c, "ja"), "<b><p>hi</p>");
	assert_string_equal(r1("{{ h | upper }}", c, "ja"), "<P>HI</P>");
	view_set_str(c, "s", "again"); /* the last set wins */
	assert_string_equal(r1("{{ s }}", c, "ja"), "again");
}

static void test_scalars(void **state)
{
	(void)state;
	struct view_val *c = view_map(A);
	view_set_int(c, "n", -42);
	view_set_int(c, "big", INT64_MAX);
	view_set_bool(c, "yes", true);
	view_set_bool(c, "no", false);
	view_set_str(c, "nul", NULL);
	assert_string_equal(
	        r1("{{ n }} {{ big }} {{ yes }} {{ no }} [{{ nul }}] {{ 7 }} {{ \"l\" }}", c, "ja"),
	        "-42 9223372036854775807 true false [] 7 l");
}

static void test_filters(void **state)
{
	(void)state;
	struct view_val *c = view_map(A);
	view_set_str(c, "s", "Ab c/ç?&=~_.-");
	view_set_str(c, "js", "</script>&'\"\n\\\xe2\x80\xa8");
	view_set_str(c, "empty", "");
	view_set_str(c, "jp", "日本語");
	view_set_int(c, "zero", 0);
	struct view_val *l = view_list(A);
	view_push(l, view_str(A, "a"));
	view_push(l, view_int(A, 2));
	view_set(c, "l", l);
	assert_string_equal(r1("{{ s | upper }}|{{ s | lower }}", c, "ja"),
	                    "AB C/ç?&amp;=~_.-|ab c/ç?&amp;=~_.-");
	assert_string_equal(r1("{{ s | url }}", c, "ja"), "Ab%20c%2F%C3%A7%3F%26%3D~_.-");
	assert_string_equal(r1("{{ js | json }}", c, "ja"),
	                    "\"\\u003c/script\\u003e\\u0026\\u0027\\\"\\n\\\\\\u2028\"");
	assert_string_equal(r1("{{ zero | json }} {{ l | json }} {{ nope | json }}", c, "ja"),
	                    "0 [\"a\",2] null");
	assert_string_equal(r1("{{ nope | default(\"a<b\") }}|{{ empty | default(\"x\") }}|"
	                       "{{ zero | default(\"x\") }}|{{ s | default(\"x\") | lower }}",
	                       c, "ja"),
	                    "a&lt;b|x|0|ab c/ç?&amp;=~_.-");
	assert_string_equal(r1("{{ l | length }} {{ jp | length }} {{ nope | length }}", c, "ja"),
	                    "2 3 0");
	assert_string_equal(r1("{{ s | url | upper }}", c, "ja"), "AB%20C%2F%C3%A7%3F%26%3D~_.-");
	assert_string_equal(r1("{{- \" x \" -}}", c, "ja"), " x ");
}

static void test_json_map(void **state)
{
	(void)state;
	struct view_val *c = view_map(A);
	struct view_val *m = view_map(A);
	view_set_str(m, "k", "old");
	view_set_bool(m, "b", true);
	view_set_str(m, "k", "new");
	view_set(c, "m", m);
	assert_string_equal(r1("{{ m | json }}", c, "ja"), "{\"b\":true,\"k\":\"new\"}");
}

static void test_if(void **state)
{
	(void)state;
	struct view_val *c = view_map(A);
	view_set_str(c, "s", "a");
	view_set_int(c, "n", 3);
	view_set_int(c, "zero", 0);
	view_set_str(c, "empty", "");
	view_set(c, "nil", view_list(A));
	const char *tpl = "{% if x == \"a\" %}A{% elif x == \"b\" %}B{% else %}C{% endif %}";
	struct view_val *x = view_map(A);
	view_set_str(x, "x", "a");
	assert_string_equal(r1(tpl, x, "ja"), "A");
	view_set_str(x, "x", "b");
	assert_string_equal(r1(tpl, x, "ja"), "B");
	view_set_str(x, "x", "z");
	assert_string_equal(r1(tpl, x, "ja"), "C");
	assert_string_equal(r1("{% if s %}1{% endif %}{% if zero %}2{% endif %}"
	                       "{% if empty %}3{% endif %}{% if nil %}4{% endif %}"
	                       "{% if missing %}5{% endif %}{% if not missing %}6{% endif %}",
	                       c, "ja"),
	                    "16");
	assert_string_equal(r1("{% if n == 3 %}a{% endif %}{% if n == \"3\" %}b{% endif %}"
	                       "{% if n != 3 %}c{% endif %}{% if s != \"b\" %}d{% endif %}"
	                       "{% if missing == \"\" %}e{% endif %}{% if s == n %}f{% endif %}",
	                       c, "ja"),
	                    "abde");
	assert_string_equal(r1("{% if s and n %}a{% endif %}{% if s and zero %}b{% endif %}"
	                       "{% if zero or s %}c{% endif %}{% if zero or empty %}d{% endif %}"
	                       "{% if not not s %}e{% endif %}{% if zero or s and n %}f{% endif %}",
	                       c, "ja"),
	                    "acef");
}

static void test_for(void **state)
{
	(void)state;
	struct view_val *c = view_map(A);
	struct view_val *l = view_list(A);
	view_push(l, item("a<", 1));
	view_push(l, item("b", 2));
	view_push(l, item("c", 3));
	view_set(c, "items", l);
	view_set(c, "none", view_list(A));
	view_set_str(c, "name", "outer");
	assert_string_equal(r1("{% for i in items %}{{ loop.index }}:{{ i.name }}"
	                       "{% if loop.first %}F{% endif %}{% if loop.last %}L{% endif %}"
	                       "{% if not loop.last %},{% endif %}{% endfor %}",
	                       c, "ja"),
	                    "1:a&lt;F,2:b,3:cL");
	assert_string_equal(r1("{% for i in none %}x{% else %}empty{% endfor %}"
	                       "{% for i in missing %}x{% else %}-gone{% endfor %}"
	                       "{% for i in name %}x{% else %}-str{% endfor %}",
	                       c, "ja"),
	                    "empty-gone-str");
	assert_string_equal(r1("{% for i in items %}{{ loop.index0 }}/{{ loop.length }} "
	                       "{% endfor %}{{ items.1.name }}{{ items.9.name }}{{ name }}",
	                       c, "ja"),
	                    "0/3 1/3 2/3 bouter");
}

static void test_nested_for(void **state)
{
	(void)state;
	struct view_val *c = view_map(A);
	struct view_val *rows = view_list(A);
	for (int r = 0; r < 2; r++) {
		struct view_val *row = view_map(A);
		struct view_val *cells = view_list(A);
		for (int k = 0; k < 3; k++)
			view_push(cells, view_int(A, r * 10 + k));
		view_set(row, "cells", cells);
		view_set_int(row, "id", r);
		view_push(rows, row);
	}
	view_set(c, "rows", rows);
	assert_string_equal(r1("{% for r in rows %}[{{ loop.index }}"
	                       "{% for x in r.cells %} {{ r.id }}.{{ x }}#{{ loop.index }}"
	                       "{% endfor %} {{ loop.last }}]{% endfor %}",
	                       c, "ja"),
	                    "[1 0.0#1 0.1#2 0.2#3 false][2 1.10#1 1.11#2 1.12#3 true]");
	/* An inner loop variable shadows an outer one of the same name. */
	assert_string_equal(r1("{% for x in rows %}{% for x in x.cells %}{{ x }}{% endfor %}"
	                       "{% endfor %}",
	                       c, "ja"),
	                    "012101112");
}

static void test_include(void **state)
{
	(void)state;
	struct view *v = mkv("page.html",
	                     "<{% include \"p/part.html\" %}|{% for i in items %}"
	                     "{% include \"p/item.html\" %}{% endfor %}>",
	                     "p/part.html", "{{ title }}", "p/item.html", "({{ i.name }})", NULL);
	struct view_val *c = view_map(A);
	struct view_val *l = view_list(A);
	view_push(l, item("a", 1));
	view_push(l, item("b", 2));
	view_set(c, "items", l);
	view_set_str(c, "title", "T&");
	struct buf b = BUF_INIT;
	assert_int_equal(view_render(v, "page.html", c, "ja", &b), JM_OK);
	assert_string_equal(buf_cstr(&b), "<T&amp;|(a)(b)>");
	assert_true(view_has(v, "p/item.html"));
	assert_false(view_has(v, "nope.html"));
	assert_int_equal(view_render(v, "nope.html", c, "ja", &b), JM_NOT_FOUND);
	buf_free(&b);
	view_free(v);
}

static void test_extends(void **state)
{
	(void)state;
	struct view *v = mkv(
	        "base.html",
	        "<title>{% block title %}Site{% endblock %}</title>"
	        "<main>{% block content %}base content{% endblock content %}</main>"
	        "<footer>{% block footer %}(c){% endblock %}</footer>",
	        "mid.html",
	        "{% extends \"base.html\" %}\n"
	        "{% block content %}mid[{% block inner %}mid inner{% endblock %}]{% endblock %}\n",
	        "leaf.html",
	        "{# a comment first #}{% extends \"mid.html\" %}\n"
	        "{% block title %}{{ name }} - Site{% endblock %}\n"
	        "{% block inner %}leaf inner {% include \"part.html\" %}{% endblock %}\n",
	        "part.html", "{% block title %}part{% endblock %}", NULL);
	struct view_val *c = view_map(A);
	view_set_str(c, "name", "N");
	struct buf b = BUF_INIT;
	assert_int_equal(view_render(v, "leaf.html", c, "ja", &b), JM_OK);
	assert_string_equal(buf_cstr(&b), "<title>N - Site</title><main>mid[leaf inner part]</main>"
	                                  "<footer>(c)</footer>");
	buf_reset(&b);
	assert_int_equal(view_render(v, "mid.html", c, "ja", &b), JM_OK);
	assert_string_equal(buf_cstr(&b), "<title>Site</title><main>mid[mid inner]</main>"
	                                  "<footer>(c)</footer>");
	buf_reset(&b);
	assert_int_equal(view_render(v, "base.html", c, "ja", &b), JM_OK);
	assert_string_equal(buf_cstr(&b), "<title>Site</title><main>base content</main>"
	                                  "<footer>(c)</footer>");
	buf_free(&b);
	view_free(v);
}

static void test_t(void **state)
{
	(void)state;
	const char *src = "{% t \"nav.home\" %}|{% t \"x.lt\" %}|{{ t.nav.home | upper }}|"
	                  "{{ t.x.lt }}|{{ lang }}";
	assert_string_equal(r1(src, NULL, "ja"), "ホーム|a&lt;b|ホーム|a&lt;b|ja");
	assert_string_equal(r1(src, NULL, "en"), "Home|a&gt;b|HOME|a&gt;b|en");
	assert_string_equal(r1(src, NULL, "fr"), "ホーム|a&lt;b|ホーム|a&lt;b|ja");
	assert_string_equal(r1(src, NULL, NULL), "ホーム|a&lt;b|ホーム|a&lt;b|ja");
	/* Without a catalog, {% t %} renders its key. */
	struct view *v = NULL;
	assert_int_equal(view_parse_string("n.html", "{% t \"k.k\" %}", 13, NULL, &v, NULL), JM_OK);
	struct buf b = BUF_INIT;
	assert_int_equal(view_render(v, "n.html", NULL, "en", &b), JM_OK);
	assert_string_equal(buf_cstr(&b), "k.k");
	buf_free(&b);
	view_free(v);
}

static void test_trim(void **state)
{
	(void)state;
	struct view_val *c = view_map(A);
	view_set_str(c, "a", "A");
	assert_string_equal(r1("<x>\n  {%- if a -%}\n  {{ a }}\n  {%- endif %}\n</x>", c, "ja"),
	                    "<x>A\n</x>");
	assert_string_equal(r1("a  {#- c -#}  b {{- a -}} c", c, "ja"), "abAc");
	assert_string_equal(r1("{ {x} } {a", c, "ja"), "{ {x} } {a");
}

static void test_load_errors(void **state)
{
	(void)state;
	assert_string_equal(load_err("a\n{% if x %}\nb"), "x.html:2: unclosed {% if %}");
	assert_string_equal(load_err("{% if x %}{% else %}\n"), "x.html:1: unclosed {% if %}");
	assert_string_equal(load_err("\n\n{% for x in y %}"), "x.html:3: unclosed {% for %}");
	assert_string_equal(load_err("{% block b %}"), "x.html:1: unclosed {% block %}");
	assert_string_equal(load_err("a\nb\n{{ x | nope }}"), "x.html:3: unknown filter 'nope'");
	assert_string_equal(load_err("{{ x | default }}"),
	                    "x.html:1: filter 'default' takes 1 argument(s)");
	assert_string_equal(load_err("{% include \"nope.html\" %}"),
	                    "x.html:1: include of missing template 'nope.html'");
	assert_string_equal(load_err("{% extends \"nope.html\" %}"),
	                    "x.html:1: extends missing template 'nope.html'");
	assert_string_equal(load_err("\n{% t \"no.such\" %}"),
	                    "x.html:2: unknown i18n key 'no.such'");
	assert_string_equal(load_err("\n\n{{ t.no.such }}"),
	                    "x.html:3: unknown i18n key 'no.such'");
	assert_string_equal(load_err("ok\n{% endif %}"), "x.html:2: unexpected {% endif %}");
	assert_string_equal(load_err("{% for a in b %}{% endif %}{% endfor %}"),
	                    "x.html:1: unexpected {% endif %}");
	assert_string_equal(load_err("{% else %}"), "x.html:1: unexpected {% else %}");
	assert_string_equal(load_err("{% frob %}"), "x.html:1: unknown tag {% frob %}");
	assert_string_equal(load_err("\n{{ x "), "x.html:2: unclosed {{");
	assert_string_equal(load_err("{% if x"), "x.html:1: unclosed {%");
	assert_string_equal(load_err("{# x"), "x.html:1: unclosed {#");
	assert_string_equal(load_err("{{ \"abc }}"), "x.html:1: unterminated string");
	assert_string_equal(load_err("{{ x y }}"), "x.html:1: expected '|' or '}}'");
	assert_string_equal(load_err("{{ x ; }}"), "x.html:1: unexpected ';' in tag");
	assert_string_equal(load_err("{% if %}{% endif %}"),
	                    "x.html:1: expected a name, string or number");
	assert_string_equal(load_err("{% for loop in x %}{% endfor %}"),
	                    "x.html:1: 'loop' is reserved");
	assert_string_equal(load_err("{% block a %}{% endblock b %}"),
	                    "x.html:1: {% endblock b %} closes block 'a'");
	assert_string_equal(load_err("{% block a %}{% endblock %}\n{% block a %}{% endblock %}"),
	                    "x.html:2: block 'a' defined twice");
	assert_string_equal(load_err("{{ a }}{% extends \"x.html\" %}"),
	                    "x.html:1: {% extends %} must be the first tag");
	assert_string_equal(load_err("{% include \"x.html\" %}"),
	                    "x.html:1: include cycle through 'x.html'");
	assert_string_equal(load_err("{% endif x %}"), "x.html:1: unexpected {% endif %}");
}

static void test_link_errors(void **state)
{
	(void)state;
	assert_string_equal(set_err("a.html", "{% extends \"b.html\" %}", "b.html",
	                            "\n{% extends \"a.html\" %}", NULL),
	                    "a.html:1: extends cycle through 'b.html'");
	assert_string_equal(set_err("a.html", "{% include \"b.html\" %}", "b.html",
	                            "x\n{% include \"a.html\" %}", NULL),
	                    "b.html:2: include cycle through 'a.html'");
	assert_string_equal(set_err("base.html", "{% block a %}{% endblock %}", "c.html",
	                            "{% extends \"base.html\" %}\nstray", NULL),
	                    "c.html:1: only {% block %} may follow {% extends %}");
	assert_string_equal(set_err("base.html", "{% block a %}{% endblock %}", "c.html",
	                            "{% extends \"base.html\" %}\n{% block b %}{% endblock %}",
	                            NULL),
	                    "c.html:2: block 'b' is not in 'base.html' or its parents");
}

static void test_too_large(void **state)
{
	(void)state;
	struct view_val *c = view_map(A);
	struct view_val *l = view_list(A);
	for (int i = 0; i < 1000; i++)
		view_push(l, view_int(A, i));
	view_set(c, "l", l);
	struct view *v = mkv("big.html", "{% for i in l %}<li>{{ i }}</li>{% endfor %}", NULL);
	struct buf b;
	buf_init(&b, 4096);
	assert_int_equal(buf_appends(&b, "head"), JM_OK);
	assert_int_equal(view_render(v, "big.html", c, "ja", &b), JM_TOO_LARGE);
	assert_string_equal(buf_cstr(&b), "head"); /* restored on failure */
	buf_free(&b);
	buf_init(&b, 0);
	assert_int_equal(view_render(v, "big.html", c, "ja", &b), JM_OK);
	assert_int_equal(b.len, 9 * 1000 + 10 + 180 + 2700);
	buf_free(&b);
	buf_init(&b, 1 << 20);
	assert_int_equal(view_render_limited(v, "big.html", c, "ja", &b, 100), JM_TOO_LARGE);
	buf_free(&b);
	view_free(v);
}

/* ---- view_load from directories ---- */

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_view_load(void **state)
{
	(void)state;
	char root[] = "/tmp/jm-view-XXXXXX";
	assert_non_null(mkdtemp(root));
	char tdir[600], odir[600], sub[700];
	snprintf(tdir, sizeof(tdir), "%s/templates", root);
	snprintf(odir, sizeof(odir), "%s/theme", root);
	snprintf(sub, sizeof(sub), "%s/site", tdir);
	assert_int_equal(mkdir(tdir, 0700), 0);
	assert_int_equal(mkdir(odir, 0700), 0);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/site", odir);
	assert_int_equal(mkdir(sub, 0700), 0);
	write_file(tdir, "layout.html", "[{% block body %}{% endblock %}]");
	write_file(tdir, "site/page.html",
	           "{% extends \"layout.html\" %}{% block body %}{% include \"site/p.txt\" %}"
	           "{% endblock %}");
	write_file(tdir, "site/p.txt", "orig");
	write_file(tdir, "notes.md", "{% broken");
	write_file(odir, "site/p.txt", "{% t \"nav.home\" %}");
	write_file(odir, "feed.xml", "<feed/>");
	struct view *v = NULL;
	struct jm_err err = {0};
	assert_int_equal(view_load(tdir, odir, CAT, &v, &err), JM_OK);
	assert_true(view_has(v, "site/page.html"));
	assert_true(view_has(v, "feed.xml"));
	assert_false(view_has(v, "notes.md"));
	struct buf b = BUF_INIT;
	assert_int_equal(view_render(v, "site/page.html", NULL, "en", &b), JM_OK);
	assert_string_equal(buf_cstr(&b), "[Home]");
	buf_free(&b);
	view_free(v);
	assert_int_equal(view_load(tdir, "/nonexistent", CAT, &v, &err), JM_OK);
	view_free(v);
	write_file(tdir, "site/bad.html", "line1\nline2\n{% if x %}\n");
	assert_int_equal(view_load(tdir, NULL, CAT, &v, &err), JM_INVALID);
	assert_null(v);
	char want[800];
	snprintf(want, sizeof(want), "%s/site/bad.html:3: unclosed {%% if %%}", tdir);
	assert_string_equal(err.msg, want);
	assert_int_equal(view_load("/nonexistent/dir", NULL, CAT, &v, &err), JM_IO);
	nftw(root, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* The project's own templates and catalog load cleanly. */
static void test_project_templates(void **state)
{
	(void)state;
	struct i18n *cat = NULL;
	struct view *v = NULL;
	struct jm_err err = {0};
	if (i18n_load(JM_SOURCE_ROOT "/po", &cat, &err))
		fail_msg("%s", err.msg);
	if (view_load(JM_SOURCE_ROOT "/templates", NULL, cat, &v, &err))
		fail_msg("%s", err.msg);
	view_free(v);
	i18n_free(cat);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_escape),
	        cmocka_unit_test(test_raw_and_html),
	        cmocka_unit_test(test_scalars),
	        cmocka_unit_test(test_filters),
	        cmocka_unit_test(test_json_map),
	        cmocka_unit_test(test_if),
	        cmocka_unit_test(test_for),
	        cmocka_unit_test(test_nested_for),
	        cmocka_unit_test(test_include),
	        cmocka_unit_test(test_extends),
	        cmocka_unit_test(test_t),
	        cmocka_unit_test(test_trim),
	        cmocka_unit_test(test_load_errors),
	        cmocka_unit_test(test_link_errors),
	        cmocka_unit_test(test_too_large),
	        cmocka_unit_test(test_view_load),
	        cmocka_unit_test(test_project_templates),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
