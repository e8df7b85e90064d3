/*
 * io_int.h — what the people import/export formats share (io.c for CSV,
 * vcard.c for vCard): one record per person as a format reads or writes
 * it, its checks, the two-pass import driver (check everything, then write
 * everything in one transaction) and the export walk over people.
 * Nothing outside src/network includes this header.
 */
#ifndef JM_NET_IO_INT_H
#define JM_NET_IO_INT_H

#include "network/network.h"

#define NET_IO_TAGS_MAX  50
#define NET_IO_LINKS_MAX 20
#define NET_IO_MAX_BYTES (64u << 20) /* one import file */
#define NET_IO_MAX_ROWS  200000      /* rows or cards of one file */

/* One person as a file holds it. Strings are never NULL ("" = absent)
 * and belong to the format's parser (import) or to the export walk. */
struct net_io_rec {
	int64_t line; /* import: the line the row or card starts on */
	const char *email, *name, *furigana, *company, *title, *stage, *source;
	const char *can_offer, *looking_for, *notes;
	const char *last_contact_text; /* import: "", "YYYY-MM-DD" or ISO 8601 */
	int64_t last_contact;          /* unix seconds, 0 = none (set by the check) */
	const char *tags[NET_IO_TAGS_MAX];
	size_t ntags;
	struct net_link links[NET_IO_LINKS_MAX];
	size_t nlinks;
	const char *bad; /* a problem the parser found in this record, or NULL */
};

/* Empties r (every string ""). */
void net_io_rec_clear(struct net_io_rec *r);
/* Append a tag or link; when full, mark the record bad and return false. */
bool net_io_add_tag(struct net_io_rec *r, const char *tag);
bool net_io_add_link(struct net_io_rec *r, const char *kind, const char *url);

/* Called by a parser for every record it reads. */
typedef enum jm_rc (*net_io_each_fn)(struct net_io_rec *r, void *user);
/* A format's parser: calls each for every record in data; a problem of
 * the file's structure that stops reading returns JM_INVALID with err
 * (line number in the message); problems of one record go through
 * net_io_bad and reading goes on. */
typedef enum jm_rc (*net_io_parse_fn)(const char *data, size_t len, net_io_each_fn each, void *user,
                                      struct net_import_report *rep, struct jm_err *err);
/* Records a bad row or card: skipped + 1 and "line N: why" (first 20). */
void net_io_bad(struct net_import_report *rep, int64_t line, const char *why);
/* The two passes: parse and check every record (any bad one → JM_INVALID,
 * err summing up, nothing written), then parse again and match by email
 * (update the non-empty values) or create, in one transaction. */
enum jm_rc net_io_import(struct db *db, const char *data, size_t len, net_io_parse_fn parse,
                         int64_t now, struct net_import_report *rep, struct jm_err *err) JM_WUR;

/* Calls fn for every person q selects (stage, tag, flag, source; no
 * paging), oldest first; the record lives until fn returns. */
enum jm_rc net_io_export_each(struct db *db, const struct net_people_query *q, net_io_each_fn fn,
                              void *user) JM_WUR;

/* Buffered output to a write callback. */
struct net_io_out {
	struct buf b;
	enum jm_rc (*write)(const char *p, size_t len, void *user);
	void *user;
};
/* Hands what is buffered to write once it is over `above` bytes. */
enum jm_rc net_io_flush(struct net_io_out *o, size_t above) JM_WUR;

#endif
