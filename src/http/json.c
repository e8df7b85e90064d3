/*
 * json.c — JSON error bodies for the API, built with jansson so every
 * message is escaped correctly.
 */
#include <jansson.h>

#include "http/http_int.h"

void http_json_error_body(struct buf *b, const char *code, const char *msg, const char *field)
{
	json_t *e = json_pack("{s:s, s:s}", "code", code, "message", msg ? msg : "");
	if (field && *field)
		json_object_set_new(e, "field", json_string(field));
	json_t *root = json_pack("{s:o}", "error", e);
	char *s = json_dumps(root, JSON_COMPACT);
	if (!s || buf_appends(b, s) != JM_OK)
		buf_reset(b);
	free(s);
	json_decref(root);
}
