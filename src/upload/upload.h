/*
 * upload.h — the admin's pending imports (table import_uploads): between
 * an upload, the steps that follow it (the CSV import's column mapping)
 * and the import itself, the file, then the progress and the report (JSON
 * text, written and read by the admin), wait in the database under a
 * random id, so every step may reach another node behind a load balancer.
 * Owned by no domain: the newsletter's CSV import and the blog import
 * (import/) both keep their uploads here, each under its kind.
 *
 * Threading: any thread with its own connection; storing a file copies it
 * whole into the database, so do it on the worker pool (http_defer).
 */
#ifndef JM_UPLOAD_H
#define JM_UPLOAD_H

#include "core/core.h"

struct db;

/* Stores a new upload of kind ("csv", "wordpress", "hatena": [a-z]+) from
 * the file at path (mapped, never read into the heap; any encoding) under
 * its shown name. JM_IO when the file cannot be read. */
enum jm_rc upload_store_file(struct db *db, const char *id, const char *kind, const char *name,
                             const char *path) JM_WUR;
/* Starts an upload whose file stays with the node that runs its import at
 * once (the blog import): the row holds no bytes and is claimed already
 * (status queued). */
enum jm_rc upload_begin(struct db *db, const char *id, const char *kind, const char *name) JM_WUR;
/* Appends the uploaded bytes to out (capped: JM_TOO_LARGE); JM_NOT_FOUND
 * when there is no such upload or it was imported already. */
enum jm_rc upload_bytes(struct db *db, const char *id, struct buf *out) JM_WUR;
/* The same for the first max bytes only (a preview of a large file). */
enum jm_rc upload_head(struct db *db, const char *id, size_t max, struct buf *out) JM_WUR;
/* The upload's kind and shown name, in a; false when there is no such
 * upload. */
bool upload_info(struct db *db, struct arena *a, const char *id, const char **kind,
                 const char **name);
/* The status JSON, in a; NULL when there is no such upload or it has not
 * started. */
char *upload_status(struct db *db, struct arena *a, const char *id);
/* Replaces the status; last also drops the bytes (the import is over). */
enum jm_rc upload_set_status(struct db *db, const char *id, const char *json, bool last) JM_WUR;
/* Claims the upload for one import, setting its status to queued: JM_OK
 * for the one caller that did, JM_CONFLICT when it had started already,
 * JM_NOT_FOUND when there is no such upload. */
enum jm_rc upload_claim(struct db *db, const char *id) JM_WUR;
/* Removes the uploads nobody touched for a day (pending or reported). */
enum jm_rc upload_sweep(struct db *db, int64_t now) JM_WUR;

#endif
