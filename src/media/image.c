/*
 * image.c — decoding, resizing and encoding with libvips (the only file
 * that includes vips.h).
 *
 * Safety: the format is decided by our own sniffing of the first bytes
 * (media_sniff) and the file is then opened only by that format's loader,
 * never by libvips' guess from the name or the content; loaders libvips
 * marks untrusted (not fuzzed: SVG through librsvg, PDF, MATLAB…) are
 * blocked process-wide anyway. The pixel count is checked on the header,
 * before any pixel is decoded, so a small file claiming a huge image (a
 * decompression bomb) costs nothing. Saving with "strip" drops every piece
 * of metadata (EXIF with its GPS location, XMP, IPTC, ICC); the orientation
 * is applied to the pixels first (vips_thumbnail rotates by EXIF) and the
 * colours are converted to sRGB so the stripped profile is not missed.
 *
 * libvips' operation cache is off: it keys file loads on the file name,
 * and our upload files are temporary names that get reused.
 *
 * libvips is loaded with dlopen at the first image, not linked: with its
 * hundred dependencies (poppler, librsvg, ImageMagick, OpenEXR, x265…) a
 * process that links it starts about 20 MB larger (measured: a program
 * that only links it idles at 21 MB RSS against 1 MB), which every node
 * paid even when nobody uploads. vips.h is used for its types only; the
 * functions are called through the pointers below (the same names).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <vips/vips.h>

#include "media/media_int.h"

#define VIPS_LIB "libvips.so.42"

/* The libvips functions this file calls, in the order of names[] below. */
static struct {
	__typeof__(vips_init) *init;
	__typeof__(vips_version) *version;
	__typeof__(vips_error) *error;
	__typeof__(vips_error_buffer) *error_buffer;
	__typeof__(vips_error_clear) *error_clear;
	__typeof__(vips_cache_set_max) *cache_set_max;
	__typeof__(vips_block_untrusted_set) *block_untrusted_set;
	__typeof__(vips_shutdown) *shutdown;
	__typeof__(vips_jpegload) *jpegload;
	__typeof__(vips_pngload) *pngload;
	__typeof__(vips_gifload) *gifload;
	__typeof__(vips_webpload) *webpload;
	__typeof__(vips_heifload) *heifload;
	__typeof__(vips_image_get_width) *image_get_width;
	__typeof__(vips_image_get_height) *image_get_height;
	__typeof__(vips_image_get_orientation_swap) *image_get_orientation_swap;
	__typeof__(vips_image_hasalpha) *image_hasalpha;
	__typeof__(vips_webpsave_buffer) *webpsave_buffer;
	__typeof__(vips_pngsave_buffer) *pngsave_buffer;
	__typeof__(vips_jpegsave_buffer) *jpegsave_buffer;
	__typeof__(vips_image_copy_memory) *image_copy_memory;
	__typeof__(vips_image_get_fields) *image_get_fields;
	__typeof__(vips_image_remove) *image_remove;
	__typeof__(vips_thumbnail) *thumbnail;
	__typeof__(vips_array_double_new) *array_double_new;
	__typeof__(vips_flatten) *flatten;
	__typeof__(vips_area_unref) *area_unref;
} vx;
#define vips_init                       (*vx.init)
#define vips_version                    (*vx.version)
#define vips_error                      (*vx.error)
#define vips_error_buffer               (*vx.error_buffer)
#define vips_error_clear                (*vx.error_clear)
#define vips_cache_set_max              (*vx.cache_set_max)
#define vips_block_untrusted_set        (*vx.block_untrusted_set)
#define vips_shutdown                   (*vx.shutdown)
#define vips_jpegload                   (*vx.jpegload)
#define vips_pngload                    (*vx.pngload)
#define vips_gifload                    (*vx.gifload)
#define vips_webpload                   (*vx.webpload)
#define vips_heifload                   (*vx.heifload)
#define vips_image_get_width            (*vx.image_get_width)
#define vips_image_get_height           (*vx.image_get_height)
#define vips_image_get_orientation_swap (*vx.image_get_orientation_swap)
#define vips_image_hasalpha             (*vx.image_hasalpha)
#define vips_webpsave_buffer            (*vx.webpsave_buffer)
#define vips_pngsave_buffer             (*vx.pngsave_buffer)
#define vips_jpegsave_buffer            (*vx.jpegsave_buffer)
#define vips_image_copy_memory          (*vx.image_copy_memory)
#define vips_image_get_fields           (*vx.image_get_fields)
#define vips_image_remove               (*vx.image_remove)
#define vips_thumbnail                  (*vx.thumbnail)
#define vips_array_double_new           (*vx.array_double_new)
#define vips_flatten                    (*vx.flatten)
#define vips_area_unref                 (*vx.area_unref)

static pthread_once_t vips_once = PTHREAD_ONCE_INIT;
static bool vips_ok;

/* Fills vx; false (logged) when the library or a function is missing. */
static bool vips_load(void)
{
	/* The handle stays open for the life of the process. */
	void *h = dlopen(VIPS_LIB, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		log_at(LOG_ERROR, "media", "cannot load libvips: %s", dlerror());
		return false;
	}
	static const char *const names[] = {
	        "vips_init",
	        "vips_version",
	        "vips_error",
	        "vips_error_buffer",
	        "vips_error_clear",
	        "vips_cache_set_max",
	        "vips_block_untrusted_set",
	        "vips_shutdown",
	        "vips_jpegload",
	        "vips_pngload",
	        "vips_gifload",
	        "vips_webpload",
	        "vips_heifload",
	        "vips_image_get_width",
	        "vips_image_get_height",
	        "vips_image_get_orientation_swap",
	        "vips_image_hasalpha",
	        "vips_webpsave_buffer",
	        "vips_pngsave_buffer",
	        "vips_jpegsave_buffer",
	        "vips_image_copy_memory",
	        "vips_image_get_fields",
	        "vips_image_remove",
	        "vips_thumbnail",
	        "vips_array_double_new",
	        "vips_flatten",
	        "vips_area_unref",
	};
	void **slot = (void **)&vx;
	_Static_assert(sizeof(vx) == sizeof(names) / sizeof(names[0]) * sizeof(void *),
	               "one function pointer per name");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(slot[i] = dlsym(h, names[i]))) {
			log_at(LOG_ERROR, "media", "libvips lacks %s", names[i]);
			return false;
		}
	}
	return true;
}

static void vips_start(void)
{
	if (!vips_load())
		return;
	if (VIPS_INIT("jinmyaku") != 0) {
		log_at(LOG_ERROR, "media", "libvips failed to start: %s", vips_error_buffer());
		vips_error_clear();
		return;
	}
	vips_cache_set_max(0);
	vips_block_untrusted_set(TRUE);
	vips_ok = true;
}

void media_init(void)
{
	pthread_once(&vips_once, vips_start);
}

void media_shutdown(void)
{
	if (vips_ok)
		vips_shutdown();
}

const char *media_sniff(const unsigned char *p, size_t n)
{
	if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
		return "jpeg";
	if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "png";
	if (n >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0))
		return "gif";
	if (n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
		return "webp";
	/* ISO BMFF: a box "ftyp" whose major brand is one of HEIF's (an
	 * iPhone's photo is "heic"; "mif1" is the generic HEIF brand). */
	static const char *const brands[] = {"heic", "heix", "heim", "heis", "hevc",
	                                     "hevx", "mif1", "msf1", "avif"};
	if (n >= 12 && memcmp(p + 4, "ftyp", 4) == 0)
		for (size_t i = 0; i < sizeof(brands) / sizeof(brands[0]); i++)
			if (memcmp(p + 8, brands[i], 4) == 0)
				return "heif";
	return NULL;
}

/* Opens path with the loader of fmt only (header read, pixels not yet). */
static int load_as(const char *path, const char *fmt, VipsImage **out)
{
	if (!strcmp(fmt, "jpeg"))
		return vips_jpegload(path, out, NULL);
	if (!strcmp(fmt, "png"))
		return vips_pngload(path, out, NULL);
	if (!strcmp(fmt, "gif"))
		return vips_gifload(path, out, NULL);
	if (!strcmp(fmt, "webp"))
		return vips_webpload(path, out, NULL);
	return vips_heifload(path, out, NULL);
}

static enum jm_rc vips_fail(struct jm_err *err, const char *what)
{
	log_at(LOG_INFO, "media", "%s: %.200s", what, vips_error_buffer());
	vips_error_clear();
	jm_err_set(err, "corrupt", "the file could not be read as an image");
	return JM_INVALID;
}

/* Reads the header: the displayed size (after orientation) and whether the
 * fallback must be PNG (transparency, or a PNG/GIF source: drawings). */
static enum jm_rc read_header(const char *path, const char *fmt, int64_t max_pixels, int *w, int *h,
                              bool *png, struct jm_err *err)
{
	VipsImage *img = NULL;
	if (load_as(path, fmt, &img) != 0)
		return vips_fail(err, "header");
	int64_t iw = vips_image_get_width(img), ih = vips_image_get_height(img);
	bool swap = vips_image_get_orientation_swap(img);
	*png = vips_image_hasalpha(img) || !strcmp(fmt, "png") || !strcmp(fmt, "gif");
	g_object_unref(img);
	if (iw > MEDIA_MAX_SIDE || ih > MEDIA_MAX_SIDE || iw * ih > max_pixels) {
		jm_err_set(err, "pixels",
		           "the image is %lld x %lld pixels; at most %lld pixels (%d on a side) "
		           "are taken",
		           (long long)iw, (long long)ih, (long long)max_pixels, MEDIA_MAX_SIDE);
		return JM_TOO_LARGE;
	}
	*w = (int)(swap ? ih : iw);
	*h = (int)(swap ? iw : ih);
	return JM_OK;
}

/* Encodes img as ext into the arena. */
static enum jm_rc encode(VipsImage *img, const char *ext, struct arena *a, struct media_out *o)
{
	void *p = NULL;
	size_t len = 0;
	int r;
	if (!strcmp(ext, "webp"))
		r = vips_webpsave_buffer(img, &p, &len, "Q", 80, "strip", TRUE, NULL);
	else if (!strcmp(ext, "png"))
		r = vips_pngsave_buffer(img, &p, &len, "strip", TRUE, "compression", 6, NULL);
	else
		r = vips_jpegsave_buffer(img, &p, &len, "Q", 82, "strip", TRUE, "interlace", TRUE,
		                         "optimize_coding", TRUE, NULL);
	if (r != 0)
		return JM_INVALID;
	char *d = arena_alloc(a, len ? len : 1);
	memcpy(d, p, len);
	g_free(p);
	o->ext = ext;
	o->data = d;
	o->len = len;
	return JM_OK;
}

/* A copy of img in memory (the thumbnail is read sequentially, once: two
 * savers need it twice; at most 1600 pixels wide it is small) without any
 * metadata: libvips 8.14's WebP saver writes EXIF (GPS included) and XMP
 * despite "strip", so they are removed from the image before any save. */
static int strip_copy(VipsImage *img, VipsImage **out)
{
	if (!(*out = vips_image_copy_memory(img)))
		return -1;
	static const char *const prefixes[] = {"exif-", "xmp-", "iptc-", "ipct-",      "icc-",
	                                       "gif-",  "png-", "heif-", "orientation"};
	gchar **names = vips_image_get_fields(*out);
	for (gchar **n = names; n && *n; n++)
		for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
			if (!strncmp(*n, prefixes[i], strlen(prefixes[i]))) {
				vips_image_remove(*out, *n);
				break;
			}
	g_strfreev(names);
	return 0;
}

/* One width: thumbnail (rotated, resized to exactly w x h, sRGB), then
 * WebP and the fallback. A JPEG fallback of an image with transparency is
 * flattened on white. */
static enum jm_rc make_width(const char *path, int w, int h, const char *ext, struct arena *a,
                             struct media_out *o, struct jm_err *err)
{
	VipsImage *thumb = NULL, *t = NULL, *flat = NULL;
	enum jm_rc rc = JM_OK;
	if (vips_thumbnail(path, &thumb, w, "height", h, "size", VIPS_SIZE_FORCE, "export_profile",
	                   "srgb", NULL) != 0)
		return vips_fail(err, "thumbnail");
	int r = strip_copy(thumb, &t);
	g_object_unref(thumb);
	if (r != 0)
		return vips_fail(err, "copy");
	o[0].width = o[1].width = w;
	o[0].height = o[1].height = h;
	if (encode(t, "webp", a, &o[0]) != JM_OK) {
		rc = vips_fail(err, "webp");
		goto out;
	}
	VipsImage *src = t;
	if (!strcmp(ext, "jpg") && vips_image_hasalpha(t)) {
		double white[3] = {255, 255, 255};
		VipsArrayDouble *bg = vips_array_double_new(white, 3);
		r = vips_flatten(t, &flat, "background", bg, NULL);
		vips_area_unref(VIPS_AREA(bg));
		if (r != 0) {
			rc = vips_fail(err, "flatten");
			goto out;
		}
		src = flat;
	}
	if (encode(src, ext, a, &o[1]) != JM_OK)
		rc = vips_fail(err, ext);
out:
	if (flat)
		g_object_unref(flat);
	g_object_unref(t);
	return rc;
}

enum jm_rc media_image_make(const char *path, const char *fmt, int64_t max_pixels, struct arena *a,
                            struct media_out *outs, size_t *nouts, int *W, int *H, const char **ext,
                            struct jm_err *err)
{
	media_init();
	*nouts = 0;
	if (!vips_ok) {
		jm_err_set(err, NULL, "image library unavailable");
		return JM_IO;
	}
	int w = 0, h = 0;
	bool png = false;
	enum jm_rc rc = read_header(path, fmt, max_pixels, &w, &h, &png, err);
	if (rc)
		return rc;
	static const int ladder[] = MEDIA_WIDTHS;
	int top = ladder[sizeof(ladder) / sizeof(ladder[0]) - 1];
	*W = w > top ? top : w;
	*H = w > top ? (int)(((int64_t)h * top + w / 2) / w) : h;
	if (*H < 1)
		*H = 1;
	*ext = png ? "png" : "jpg";
	int ws[MEDIA_MAX_VARIANT], hs[MEDIA_MAX_VARIANT];
	size_t n = media_variants(*W, *H, ws, hs);
	for (size_t i = 0; i < n && rc == JM_OK; i++)
		rc = make_width(path, ws[i], hs[i], *ext, a, &outs[2 * i], err);
	if (rc == JM_OK)
		*nouts = 2 * n;
	return rc;
}
