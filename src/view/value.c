/*
 * value.c — the values templates render: strings, safe HTML, integers,
 * booleans, maps and lists, all allocated in a request arena.
 *
 * Maps keep their entries in insertion order and setting a key appends;
 * lookups scan from the end so the last value set wins. That keeps building
 * a map linear no matter how many keys it gets, and maps are small enough
 * for a scan to beat hashing. Lists and maps grow by doubling inside the
 * arena; the abandoned arrays are released with the arena. Keys are copied
 * (callers build them in stack buffers); values are not.
 */
#include "view/view_int.h"

static struct view_val *val_new(struct arena *a, enum vv_type type)
{
	struct view_val *v = arena_calloc(a, sizeof(*v));
	v->type = type;
	return v;
}

struct view_val *view_map(struct arena *a)
{
	struct view_val *v = val_new(a, VV_MAP);
	v->u.c.a = a;
	return v;
}

struct view_val *view_list(struct arena *a)
{
	struct view_val *v = val_new(a, VV_LIST);
	v->u.c.a = a;
	return v;
}

struct view_val *view_str(struct arena *a, const char *s)
{
	if (!s)
		return val_new(a, VV_NULL);
	struct view_val *v = val_new(a, VV_STR);
	v->u.s = str_from(s, strlen(s));
	return v;
}

struct view_val *view_int(struct arena *a, int64_t i)
{
	struct view_val *v = val_new(a, VV_INT);
	v->u.i = i;
	return v;
}

/* Makes room for one more entry or item, doubling inside the arena. */
static void container_grow(struct view_val *c, size_t elem)
{
	if (c->u.c.n < c->u.c.cap)
		return;
	size_t ncap = c->u.c.cap ? c->u.c.cap * 2 : 8;
	void *old = c->type == VV_MAP ? (void *)c->u.c.ents : (void *)c->u.c.items;
	void *p = arena_alloc(c->u.c.a, ncap * elem);
	if (c->u.c.n)
		memcpy(p, old, c->u.c.n * elem);
	if (c->type == VV_MAP)
		c->u.c.ents = p;
	else
		c->u.c.items = p;
	c->u.c.cap = ncap;
}

void view_set(struct view_val *map, const char *key, struct view_val *v)
{
	if (!map || map->type != VV_MAP || !key)
		return;
	container_grow(map, sizeof(struct vv_ent));
	struct vv_ent *e = &map->u.c.ents[map->u.c.n++];
	e->klen = strlen(key);
	e->key = arena_strndup(map->u.c.a, key, e->klen);
	e->v = v;
}

void view_push(struct view_val *list, struct view_val *v)
{
	if (!list || list->type != VV_LIST)
		return;
	container_grow(list, sizeof(struct view_val *));
	list->u.c.items[list->u.c.n++] = v;
}

struct view_val *view_options(struct arena *a, const char *const *values, size_t n,
                              const char *selected)
{
	struct view_val *list = view_list(a);
	for (size_t i = 0; i < n; i++) {
		struct view_val *m = view_map(a);
		view_set_str(m, "value", values[i]);
		view_set_bool(m, "selected", selected && strcmp(selected, values[i]) == 0);
		view_push(list, m);
	}
	return list;
}

void view_set_strn(struct view_val *map, const char *key, const char *s, size_t len)
{
	if (!map || map->type != VV_MAP)
		return;
	struct view_val *v = val_new(map->u.c.a, s ? VV_STR : VV_NULL);
	if (s)
		v->u.s = str_from(s, len);
	view_set(map, key, v);
}

void view_set_str(struct view_val *map, const char *key, const char *s)
{
	view_set_strn(map, key, s, s ? strlen(s) : 0);
}

void view_set_html(struct view_val *map, const char *key, const char *html, size_t len)
{
	if (!map || map->type != VV_MAP)
		return;
	struct view_val *v = val_new(map->u.c.a, html ? VV_HTML : VV_NULL);
	if (html)
		v->u.s = str_from(html, len);
	view_set(map, key, v);
}

void view_set_int(struct view_val *map, const char *key, int64_t i)
{
	if (!map || map->type != VV_MAP)
		return;
	struct view_val *v = val_new(map->u.c.a, VV_INT);
	v->u.i = i;
	view_set(map, key, v);
}

void view_set_bool(struct view_val *map, const char *key, bool b)
{
	if (!map || map->type != VV_MAP)
		return;
	struct view_val *v = val_new(map->u.c.a, VV_BOOL);
	v->u.b = b;
	view_set(map, key, v);
}

const struct view_val *view_val_get(const struct view_val *map, const char *key, size_t klen)
{
	if (!map || map->type != VV_MAP)
		return NULL;
	for (size_t i = map->u.c.n; i-- > 0;) {
		const struct vv_ent *e = &map->u.c.ents[i];
		if (e->klen == klen && memcmp(e->key, key, klen) == 0)
			return e->v;
	}
	return NULL;
}

bool view_val_truthy(const struct view_val *v)
{
	if (!v)
		return false;
	switch (v->type) {
	case VV_NULL: return false;
	case VV_STR:
	case VV_HTML: return v->u.s.len > 0;
	case VV_INT: return v->u.i != 0;
	case VV_BOOL: return v->u.b;
	case VV_MAP:
	case VV_LIST: return v->u.c.n > 0;
	}
	return false;
}
