/*
 * view.h — the template engine and the UI string catalog.
 *
 * Templates are loaded once at start from a directory (templates/) with an
 * optional override directory (DATA/theme/) whose files win by name. Every
 * template is parsed at load time; a syntax error, an unknown filter, a
 * missing include/extends target or an unknown i18n key is reported with
 * file:line by view_load, never at render time.
 *
 * Syntax (names are "site/article.html" style paths relative to the dir):
 *   {{ expr }}                 output, HTML-escaped (also safe in XML text/attrs)
 *   {{ expr | filter | ... }}  filters: raw (no escaping), url (percent-encode
 *                              a component), json (JSON literal, safe inside
 *                              <script>; lists/maps become arrays/objects,
 *                              missing is null), upper, lower (ASCII),
 *                              default("x") (when missing/null/""), length
 *                              (list/map size or string characters)
 *        expr here: path, "string" or integer
 *   {% if expr %} … {% elif expr %} … {% else %} … {% endif %}
 *        expr: path, `not x`, `x == "lit"`, `x != y`, `a and b`, `a or b`
 *        (== compares rendered text, so 3 == "3"; no parentheses)
 *        truthiness: missing/null/false/0/""/empty list or map are false
 *   {% for x in path %} … {% else %} … {% endfor %}   loop.index (1-based),
 *                              loop.index0, loop.first, loop.last,
 *                              loop.length (innermost loop) available inside
 *   {% include "partial.html" %}   same context, loop variables included
 *   {% extends "layout.html" %} + {% block name %} … {% endblock [name] %}
 *        extends must be the first tag; a child holds only blocks, each
 *        naming a block of an ancestor; a parent may itself extend
 *   {% t "key" %}              UI string for the render's language, escaped
 *   {# comment #}
 *   paths: a.b.c looks up maps, list.0 indexes lists; `lang` is the render's
 *   language ("ja"/"en"); `t.some.key` is the UI string as a value (e.g.
 *   {{ t.nav.home | upper }}); `loop` is reserved inside for.
 *   A '-' inside a tag's edge ({%- -%} {{- -}} {#- -#}) trims whitespace on
 *   that side. Missing paths render as "".
 *
 * Threading: a loaded struct view is immutable and may be shared by all
 * threads; values are built per request in an arena.
 */
#ifndef JM_VIEW_H
#define JM_VIEW_H

#include "core/core.h"

/* ---- values (built in an arena; nothing is freed separately) ---- */
struct view_val;
struct view_val *view_map(struct arena *a);
struct view_val *view_list(struct arena *a);
/* Setters copy the key but not the value: strings must live as long as the
 * arena. NULL s = null. Setting a key again replaces its value. */
void view_set_str(struct view_val *map, const char *key, const char *s);
void view_set_strn(struct view_val *map, const char *key, const char *s, size_t len);
/* A string that is already safe HTML (e.g. rendered Markdown): never escaped. */
void view_set_html(struct view_val *map, const char *key, const char *html, size_t len);
void view_set_int(struct view_val *map, const char *key, int64_t v);
void view_set_bool(struct view_val *map, const char *key, bool v);
void view_set(struct view_val *map, const char *key, struct view_val *v);
void view_push(struct view_val *list, struct view_val *v);
/* Scalars, for pushing into lists. */
struct view_val *view_str(struct arena *a, const char *s);
struct view_val *view_int(struct arena *a, int64_t v);
/* A <select>'s options: a list of {value, selected} maps, one per values[i]
 * (which must live as long as the arena), selected where it equals
 * selected (may be NULL). */
struct view_val *view_options(struct arena *a, const char *const *values, size_t n,
                              const char *selected);

/* ---- i18n catalog ----
 * Files po/ja.po and po/en.po (gettext syntax: msgid = our key, msgstr = the
 * text). Both must hold the same keys; view_load checks it. */
struct i18n;
enum jm_rc i18n_load(const char *dir, struct i18n **out, struct jm_err *err) JM_WUR;
void i18n_free(struct i18n *c);
/* Text of key in lang ("ja", "en"; anything else falls back to "ja").
 * Returns the key itself if unknown (never NULL). */
const char *i18n_get(const struct i18n *c, const char *lang, const char *key);
/* text (a catalog text) with each "{names[i]}" replaced by vals[i], as
 * plain text (the template escapes the result), in a; an unknown "{x}"
 * stays as it is. */
const char *i18n_fill(struct arena *a, const char *text, const char *const *names,
                      const char *const *vals, size_t n);
/* JM_OK when every key has a non-empty text in both languages; otherwise
 * JM_INVALID with err naming the first incomplete key and the file lacking it. */
enum jm_rc i18n_check(const struct i18n *c, struct jm_err *err) JM_WUR;
/* Picks "ja" or "en" from an Accept-Language header value (may be NULL). */
const char *i18n_pick_lang(const char *accept_language, size_t len, const char *fallback);

/* ---- templates ---- */
struct view;
/* Loads every *.html / *.xml / *.txt under dir (recursively), with files in
 * override_dir (may be NULL or missing) replacing same-named ones. The
 * catalog is used to check {% t %} keys; view keeps a pointer to it. */
enum jm_rc view_load(const char *dir, const char *override_dir, const struct i18n *cat,
                     struct view **out, struct jm_err *err) JM_WUR;
void view_free(struct view *v);
bool view_has(const struct view *v, const char *name);
/* Renders template name with ctx into out (appends). Errors: JM_NOT_FOUND
 * for an unknown template, JM_TOO_LARGE if out's cap is hit. */
enum jm_rc view_render(const struct view *v, const char *name, struct view_val *ctx,
                       const char *lang, struct buf *out) JM_WUR;

/* HTML-escape s into out (& < > " '). */
enum jm_rc view_escape(struct buf *out, const char *s, size_t len) JM_WUR;

#endif
