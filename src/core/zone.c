/*
 * zone.c — IANA time zones (Asia/Tokyo, Europe/Berlin …): the offset from
 * UTC of a zone at an instant, a wall-clock time read in a zone, the zone
 * names the settings page offers, and a check that a name is a zone.
 *
 * ICU's calendar (ucal, libicui18n) does the work: it carries its own copy
 * of the tz database, and a UCalendar opened per call is owned by the
 * calling thread, so nothing here touches the process-wide TZ variable or
 * localtime's static state (setenv("TZ") while other threads call
 * localtime is undefined behaviour). Like fold.c, ICU is loaded with dlopen
 * on first use, by the same rules (the soname and the exported names carry
 * ICU's major version, taken from the headers the program was built with).
 * A few zones with a long-fixed offset (UTC, Asia/Tokyo …) are answered
 * from a table and never load ICU; without ICU only they are known, so a
 * Japanese site keeps working; the failure is logged once.
 *
 * Invariants: every function is thread-safe and allocation-free for the
 * caller; an unknown zone name is never guessed (jm_tz_valid is false,
 * offsets fall back to UTC).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <unicode/ucal.h>
#include <unicode/uenum.h>
#include <unicode/uversion.h>

#include "core/core.h"

#define ZONE_ID_MAX 64 /* longest IANA name is 32 bytes */
#define ZONES_MAX   1000

#define ICU_STR_(x) #x
#define ICU_STR(x)  ICU_STR_(x)
#define ICU_I18N    "libicui18n.so." ICU_STR(U_ICU_VERSION_MAJOR_NUM)
#define ICU_UC      "libicuuc.so." ICU_STR(U_ICU_VERSION_MAJOR_NUM)

static struct {
	__typeof__(ucal_open) *open;
	__typeof__(ucal_close) *close;
	__typeof__(ucal_setMillis) *set_millis;
	__typeof__(ucal_get) *get;
	__typeof__(ucal_getCanonicalTimeZoneID) *canonical;
	__typeof__(ucal_openTimeZoneIDEnumeration) *open_ids;
	__typeof__(uenum_next) *enum_next;
	__typeof__(uenum_close) *enum_close;
} cal;

static pthread_once_t cal_once = PTHREAD_ONCE_INIT;
static bool cal_ok;

static bool load_syms(void *h, void **slot, const char *const *names, size_t n, const char *lib)
{
	for (size_t i = 0; i < n; i++) {
		if (!(slot[i] = dlsym(h, names[i]))) {
			log_at(LOG_ERROR, "core", "%s lacks %s, time zones are limited", lib,
			       names[i]);
			return false;
		}
	}
	return true;
}

static void cal_load(void)
{
	/* The handles stay open for the life of the process. */
	void *h18 = dlopen(ICU_I18N, RTLD_NOW | RTLD_LOCAL);
	void *huc = dlopen(ICU_UC, RTLD_NOW | RTLD_LOCAL);
	if (!h18 || !huc) {
		log_at(LOG_ERROR, "core", "cannot load ICU, time zones are limited: %s", dlerror());
		return;
	}
	static const char *const n18[] = {
	        ICU_STR(ucal_open),
	        ICU_STR(ucal_close),
	        ICU_STR(ucal_setMillis),
	        ICU_STR(ucal_get),
	        ICU_STR(ucal_getCanonicalTimeZoneID),
	        ICU_STR(ucal_openTimeZoneIDEnumeration),
	};
	static const char *const nuc[] = {ICU_STR(uenum_next), ICU_STR(uenum_close)};
	void **slot = (void **)&cal; /* the members are in the order of n18[] then nuc[] */
	_Static_assert(sizeof(cal) == (sizeof(n18) + sizeof(nuc)) / sizeof(char *) * sizeof(void *),
	               "one function pointer per name");
	cal_ok = load_syms(h18, slot, n18, sizeof(n18) / sizeof(n18[0]), ICU_I18N) &&
	         load_syms(huc, slot + sizeof(n18) / sizeof(n18[0]), nuc,
	                   sizeof(nuc) / sizeof(nuc[0]), ICU_UC);
}

static bool cal_ready(void)
{
	pthread_once(&cal_once, cal_load);
	return cal_ok;
}

/* ASCII zone name → UTF-16; false when it is not a plausible name. */
static bool to_uchars(const char *zone, UChar out[ZONE_ID_MAX], int32_t *n)
{
	size_t len = zone ? strlen(zone) : 0;
	if (len == 0 || len >= ZONE_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)zone[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '/' || c == '_' || c == '-' || c == '+'))
			return false;
		out[i] = c;
	}
	*n = (int32_t)len;
	return true;
}

/* Zones whose offset has been fixed since a known instant (no daylight
 * saving, no change of offset since then): for an instant from then on
 * they are answered without ICU, so the default zone (Asia/Tokyo) never
 * loads it — ICU's libraries would add some 5 MiB to an idle server's RSS.
 * They are also what is known when ICU cannot be loaded. */
static const struct fixed_zone {
	const char *name;
	int offset_min;
	int64_t since; /* unix seconds */
} fixed_zones[] = {
        {"UTC", 0, INT64_MIN},
        {"Etc/UTC", 0, INT64_MIN},
        {"Asia/Tokyo", 540, -577962000},   /* JST without DST since 1951-09-08 */
        {"Asia/Seoul", 540, 600000000},    /* KST without DST since 1988 */
        {"Asia/Shanghai", 480, 700000000}, /* CST without DST since 1991 */
        {"Asia/Taipei", 480, 315532800},   /* without DST since 1980 */
};

/* The fixed offset of zone at t, in minutes; false when zone is not one of
 * fixed_zones or t is before its offset was fixed. */
static bool fixed_offset(const char *zone, int64_t t, int *off)
{
	for (size_t i = 0; zone && i < sizeof(fixed_zones) / sizeof(fixed_zones[0]); i++)
		if (!strcmp(zone, fixed_zones[i].name) && t >= fixed_zones[i].since)
			return (*off = fixed_zones[i].offset_min), true;
	return false;
}

/* Without ICU: the fixed zones, at any instant (their current offset). */
static bool fallback_offset(const char *zone, int *off)
{
	return fixed_offset(zone, INT64_MAX, off);
}

bool jm_tz_valid(const char *zone)
{
	UChar id[ZONE_ID_MAX], canon[ZONE_ID_MAX];
	int32_t n;
	int off;
	if (!to_uchars(zone, id, &n))
		return false;
	if (fallback_offset(zone, &off) || !cal_ready())
		return fallback_offset(zone, &off);
	UBool system = 0;
	UErrorCode st = U_ZERO_ERROR;
	cal.canonical(id, n, canon, ZONE_ID_MAX, &system, &st);
	return U_SUCCESS(st) && system;
}

int jm_tz_offset(const char *zone, int64_t t)
{
	UChar id[ZONE_ID_MAX];
	int32_t n;
	int off = 0;
	if (fixed_offset(zone, t, &off))
		return off;
	if (!cal_ready() || !to_uchars(zone, id, &n)) {
		fallback_offset(zone, &off);
		return off;
	}
	UErrorCode st = U_ZERO_ERROR;
	UCalendar *c = cal.open(id, n, "en_US_POSIX", UCAL_GREGORIAN, &st);
	if (U_SUCCESS(st))
		cal.set_millis(c, (UDate)t * 1000.0, &st);
	int32_t ms = U_SUCCESS(st) ? cal.get(c, UCAL_ZONE_OFFSET, &st) : 0;
	int32_t dst = U_SUCCESS(st) ? cal.get(c, UCAL_DST_OFFSET, &st) : 0;
	if (c)
		cal.close(c);
	if (U_FAILURE(st)) {
		fallback_offset(zone, &off);
		return off;
	}
	return (ms + dst) / 60000;
}

int64_t jm_tz_local_to_utc(const char *zone, int64_t local)
{
	/* The offsets a day before and after (two transitions are never a day
	 * apart) give the two candidates; one that its own offset confirms is
	 * the answer. In an autumn overlap both are: the earlier instant wins
	 * (the first 02:30). In a spring-forward gap neither is: the offset
	 * before the jump reads 02:30 that never happened as 03:30. */
	int ob = jm_tz_offset(zone, local - 86400), oa = jm_tz_offset(zone, local + 86400);
	int64_t tb = local - (int64_t)ob * 60, ta = local - (int64_t)oa * 60;
	if (ob == oa)
		return tb;
	bool vb = jm_tz_offset(zone, tb) == ob, va = jm_tz_offset(zone, ta) == oa;
	if (vb && va)
		return tb < ta ? tb : ta;
	return va && !vb ? ta : tb;
}

static int name_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static const char **zone_names;
static size_t zone_count;
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

/* Canonical location zones (no aliases, no Etc/GMT+n) plus UTC, sorted. */
static void names_load(void)
{
	static const char *const fallback[] = {"Asia/Tokyo", "UTC"};
	zone_names = xcalloc(ZONES_MAX + 1, sizeof(*zone_names));
	UErrorCode st = U_ZERO_ERROR;
	UEnumeration *e = cal_ready()
	                          ? cal.open_ids(UCAL_ZONE_TYPE_CANONICAL_LOCATION, NULL, NULL, &st)
	                          : NULL;
	const char *s;
	int32_t len;
	while (e && U_SUCCESS(st) && zone_count < ZONES_MAX &&
	       (s = cal.enum_next(e, &len, &st)) != NULL)
		zone_names[zone_count++] = xstrndup(s, (size_t)len);
	if (e)
		cal.enum_close(e);
	if (zone_count == 0)
		for (size_t i = 0; i < sizeof(fallback) / sizeof(fallback[0]); i++)
			zone_names[zone_count++] = fallback[i];
	else
		zone_names[zone_count++] = "UTC";
	qsort(zone_names, zone_count, sizeof(*zone_names), name_cmp);
}

const char *const *jm_tz_names(size_t *n)
{
	pthread_once(&names_once, names_load);
	*n = zone_count;
	return zone_names;
}
