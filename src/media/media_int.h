/*
 * media_int.h — between the media module's files: image.c (libvips, the
 * only file that includes vips.h) and store.c (the tables).
 */
#ifndef JM_MEDIA_INT_H
#define JM_MEDIA_INT_H

#include "media/media.h"

/* One encoded file of an image, its bytes in the arena. */
struct media_out {
	int width, height;
	const char *ext; /* "webp", "jpg" or "png" */
	const void *data;
	size_t len;
};

/* The format the first bytes of a file show, or NULL when they show none
 * we take ("jpeg", "png", "gif", "webp", "heif"). SVG, text, PDF and
 * everything else give NULL. */
const char *media_sniff(const unsigned char *p, size_t n);

/* Decodes the file at path (whose bytes media_sniff named fmt), applies
 * its EXIF orientation, checks max_pixels and MEDIA_MAX_SIDE on the
 * header before decoding anything, and encodes every variant of
 * media_variants() as WebP and as the fallback (*ext: "jpg" or "png"),
 * metadata stripped. outs has room for 2 * MEDIA_MAX_VARIANT; *W x *H is
 * the largest variant. Errors as media_add_file. */
enum jm_rc media_image_make(const char *path, const char *fmt, int64_t max_pixels, struct arena *a,
                            struct media_out *outs, size_t *nouts, int *W, int *H, const char **ext,
                            struct jm_err *err) JM_WUR;

#endif
