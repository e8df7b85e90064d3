/*
 * names.c — the media library's file names and URLs, and the widths of an
 * image's variants: pure functions (no database, no libvips), so pages and
 * mails render an image's variants from its URL alone.
 *
 * A name is <key>-<w>x<h>.<ext>: key MEDIA_KEY_LEN lowercase hex digits,
 * w and h positive decimals of at most five digits without a leading
 * zero, ext webp, jpg or png. Nothing else is a name (no '/', no "..").
 */
#include "media/media.h"

size_t media_variants(int W, int H, int *widths, int *heights)
{
	static const int ladder[] = MEDIA_WIDTHS;
	size_t n = 0;
	for (size_t i = 0; i < sizeof(ladder) / sizeof(ladder[0]); i++)
		if (ladder[i] < W && n < MEDIA_MAX_VARIANT - 1) {
			widths[n] = ladder[i];
			int h = (int)(((int64_t)H * ladder[i] + W / 2) / W);
			heights[n++] = h < 1 ? 1 : h;
		}
	widths[n] = W;
	heights[n++] = H;
	return n;
}

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Reads a positive decimal number of at most 5 digits ending at stop. */
static const char *read_dim(const char *p, char stop, int *out)
{
	int v = 0, digits = 0;
	for (; *p >= '0' && *p <= '9' && digits < 6; p++, digits++)
		v = v * 10 + (*p - '0');
	if (digits == 0 || digits > 5 || *p != stop || v < 1 || p[-digits] == '0')
		return NULL;
	*out = v;
	return p + 1;
}

bool media_url_parse(const char *url, char key[MEDIA_KEY_LEN + 1], int *w, int *h, const char **ext)
{
	if (!url)
		return false;
	const char *m = strstr(url, "/media/");
	const char *name = m ? m + 7 : url;
	if (m && (strchr(name, '/') || (m != url && !strstr(url, "://"))))
		return false;
	if (strlen(name) < MEDIA_KEY_LEN + 6 || !all_hex(name, MEDIA_KEY_LEN) ||
	    name[MEDIA_KEY_LEN] != '-')
		return false;
	const char *p = read_dim(name + MEDIA_KEY_LEN + 1, 'x', w);
	p = p ? read_dim(p, '.', h) : NULL;
	if (!p)
		return false;
	static const char *const exts[] = {"webp", "jpg", "png"};
	for (size_t i = 0; i < 3; i++)
		if (!strcmp(p, exts[i])) {
			memcpy(key, name, MEDIA_KEY_LEN);
			key[MEDIA_KEY_LEN] = '\0';
			*ext = exts[i];
			return true;
		}
	return false;
}

bool media_file_name_ok(const char *name)
{
	char key[MEDIA_KEY_LEN + 1];
	int w, h;
	const char *ext;
	return name && !strchr(name, '/') && media_url_parse(name, key, &w, &h, &ext);
}

const char *media_ctype(const char *name)
{
	const char *dot = name ? strrchr(name, '.') : NULL;
	if (!dot)
		return NULL;
	if (!strcmp(dot, ".webp"))
		return "image/webp";
	if (!strcmp(dot, ".jpg"))
		return "image/jpeg";
	if (!strcmp(dot, ".png"))
		return "image/png";
	return NULL;
}
