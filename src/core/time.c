/*
 * time.c — wall-clock and monotonic time, ISO 8601 (RFC 3339) and HTTP-date
 * (RFC 7231) formatting, and a strict ISO 8601 parser for user input. A
 * time typed without a zone is read in a fixed offset (jm_time_parse) or,
 * daylight saving included, in an IANA zone (jm_time_parse_zone, zone.c).
 */
#include "core.h"

#include <stdio.h>
#include <string.h>

int64_t jm_now(void)
{
	return (int64_t)time(NULL);
}

int64_t jm_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void to_tm(int64_t t, struct tm *tm)
{
	time_t tt = (time_t)t;
	gmtime_r(&tt, tm);
}

void jm_time_iso(int64_t t, char out[32])
{
	struct tm tm;
	to_tm(t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void jm_time_http(int64_t t, char out[40])
{
	struct tm tm;
	to_tm(t, &tm);
	strftime(out, 40, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

void jm_time_day(int64_t t, char out[16])
{
	struct tm tm;
	to_tm(t, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
}

/* Days since 1970-01-01 for a proleptic Gregorian date (Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* Parses s into local seconds (the wall clock read as if UTC); *has_off
 * tells whether s named its own offset, then in *off (minutes east). */
static enum jm_rc parse_local(const char *s, int64_t *local, bool *has_off, int *off)
{
	int y, mo, d, h = 0, mi = 0, sec = 0;
	size_t len = strlen(s);
	if (len < 10 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d))
		return JM_INVALID;
	const char *p = s + 10;
	if (*p == 'T' || *p == ' ') {
		if (!digits(p + 1, 2, &h) || p[3] != ':' || !digits(p + 4, 2, &mi))
			return JM_INVALID;
		p += 6;
		if (*p == ':') {
			if (!digits(p + 1, 2, &sec))
				return JM_INVALID;
			p += 3;
			if (*p == '.') /* fractional seconds are accepted and dropped */
				for (p++; *p >= '0' && *p <= '9'; p++)
					;
		}
	}
	*has_off = false;
	*off = 0;
	if (*p == 'Z') {
		*has_off = true;
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om))
			return JM_INVALID;
		*has_off = true;
		*off = (oh * 60 + om) * (*p == '-' ? -1 : 1);
		p += 6;
	}
	if (*p != '\0')
		return JM_INVALID;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || sec > 60)
		return JM_INVALID;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo == 2 && d == 29 && !leap)
		return JM_INVALID;
	*local = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec;
	return JM_OK;
}

enum jm_rc jm_time_parse(const char *s, int tz_offset_min, int64_t *out)
{
	int64_t local;
	bool has_off;
	int off;
	enum jm_rc rc = parse_local(s, &local, &has_off, &off);
	if (rc)
		return rc;
	*out = local - (int64_t)(has_off ? off : tz_offset_min) * 60;
	return JM_OK;
}

enum jm_rc jm_time_parse_zone(const char *s, const char *zone, int64_t *out)
{
	int64_t local;
	bool has_off;
	int off;
	enum jm_rc rc = parse_local(s, &local, &has_off, &off);
	if (rc)
		return rc;
	*out = has_off ? local - (int64_t)off * 60 : jm_tz_local_to_utc(zone, local);
	return JM_OK;
}

int64_t jm_time_civil(int y, int m, int d)
{
	return days_from_civil(y, (unsigned)m, (unsigned)d) * 86400;
}
