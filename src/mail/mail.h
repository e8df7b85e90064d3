/*
 * mail.h — what other modules see of mail/: MIME parsing and building
 * through GMime, DKIM and SMTP. Only mail/ includes GMime; no GMime type
 * crosses this header.
 *
 * So far: multipart/form-data request bodies (RFC 7578), which are MIME and
 * therefore parsed by GMime rather than by hand.
 */
#ifndef JM_MAIL_H
#define JM_MAIL_H

#include "core/core.h"

/* One part of a multipart/form-data body. Every pointer is arena-owned and
 * NUL-terminated. */
struct mail_part {
	const char *name;     /* form field name: valid UTF-8, no NUL */
	const char *filename; /* NULL for a plain field; "" for an empty file input;
	                         untrusted: never use it as a path */
	const char *ctype;    /* lowercase "type/subtype" of the part; "text/plain"
	                         when absent for a field, "application/octet-stream"
	                         for a file */
	const char *data;     /* decoded content (binary for files) */
	size_t len;           /* byte length of data, without the NUL */
};

/* Parses a multipart/form-data body.
 *   content_type  the request's Content-Type header value; must be
 *                 multipart/form-data with a boundary parameter
 *   body, len     the request entity (already capped by the server)
 *   max_parts     at most this many parts are accepted
 *   parts   OUT   arena array of *nparts parts in body order
 *   err           optional detail (field names the bad part when known)
 * Returns JM_OK; JM_INVALID for a missing boundary, a malformed or
 * truncated body, a nested multipart, a part without a form-data name, or a
 * field (not a file) whose value is not UTF-8 or holds a NUL; JM_TOO_LARGE
 * when there are more than max_parts parts. Nothing is allocated outside
 * the arena once the call returns. Thread-safe (GMime is initialised once,
 * on first use). */
enum jm_rc mail_multipart_parse(struct arena *a, const char *content_type, const char *body,
                                size_t len, size_t max_parts, struct mail_part **parts,
                                size_t *nparts, struct jm_err *err) JM_WUR;

/* Releases GMime's global state. Call at most once, at process exit, and
 * only when nothing else uses mail/ (tests, to keep leak checkers quiet). */
void mail_shutdown(void);

#endif
