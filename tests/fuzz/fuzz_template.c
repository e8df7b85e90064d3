/*
 * fuzz_template.c — libFuzzer target for the template parser and renderer.
 *
 * The input is a template named "fuzz.html", loaded beside two fixed
 * templates it may include or extend, with a small catalog for {% t %}.
 * When it parses, it is rendered in both languages with a fixed context,
 * under an output cap and a step budget so loops cannot run away. Nothing
 * may crash, leak or read out of bounds, whatever the bytes.
 */
#include "view/view_int.h"

static const char base_html[] = "<html>{% block title %}T{% endblock %}"
                                "{% block body %}{% endblock %}{% include \"part.html\" %}</html>";
static const char part_html[] = "{% for i in items %}{{ i.name }}{% if loop.last %}.{% endif %}"
                                "{% endfor %}";
static const char ja_po[] = "msgid \"nav.home\"\nmsgstr \"ホーム<\"\n";
static const char en_po[] = "msgid \"nav.home\"\nmsgstr \"Home&\"\n";

static struct i18n *catalog(void)
{
	static struct i18n *cat;
	if (!cat && i18n_from_po(ja_po, strlen(ja_po), "ja.po", en_po, strlen(en_po), "en.po", &cat,
	                         NULL) != JM_OK)
		abort();
	return cat;
}

static struct view_val *context(struct arena *a)
{
	struct view_val *c = view_map(a);
	struct view_val *items = view_list(a);
	for (int i = 0; i < 3; i++) {
		struct view_val *m = view_map(a);
		view_set_str(m, "name", i == 1 ? "<b>&\"'" : "item");
		view_set_int(m, "n", i);
		view_set(m, "self", m); /* a cycle: json must stay bounded */
		view_push(items, m);
	}
	view_set(c, "items", items);
	view_set_str(c, "s", "日本語 <x> & \"q\" \xe2\x80\xa8");
	view_set_int(c, "n", -7);
	view_set_bool(c, "b", true);
	view_set_html(c, "h", "<p>ok</p>", 9);
	view_set_str(c, "empty", "");
	view_set(c, "none", view_list(a));
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct view *v = view_new(catalog());
	struct jm_err err;
	view_add_source(v, "base.html", NULL, base_html, strlen(base_html));
	view_add_source(v, "part.html", NULL, part_html, strlen(part_html));
	view_add_source(v, "fuzz.html", NULL, (const char *)data, size);
	if (view_finish(v, &err) == JM_OK) {
		struct arena *a = arena_new(4096);
		struct view_val *ctx = context(a);
		struct buf out;
		buf_init(&out, 1 << 20);
		enum jm_rc rc = view_render_limited(v, "fuzz.html", ctx, "ja", &out, 200000);
		if (rc == JM_OK)
			buf_reset(&out);
		rc = view_render_limited(v, "fuzz.html", ctx, "en", &out, 200000);
		(void)rc; /* TOO_LARGE is a fine outcome here; crashing is not */
		buf_free(&out);
		arena_free(a);
	}
	view_free(v);
	return 0;
}
