/*
 * log.c — one key=value line per event on stderr. log_at() checks the level
 * before evaluating its arguments. Never log secrets or message bodies.
 */
#include "core.h"

#include <pthread.h>
#include <stdio.h>

enum log_level log_min_level = LOG_INFO;

void log_write(enum log_level lvl, const char *module, const char *fmt, ...)
{
	static const char *const names[] = {"debug", "info", "warn", "error"};
	char ts[32];
	jm_time_iso(jm_now(), ts);
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	flockfile(stderr);
	fprintf(stderr, "ts=%s level=%s module=%s %s\n", ts, names[lvl], module, msg);
	funlockfile(stderr);
}
