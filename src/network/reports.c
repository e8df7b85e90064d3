/*
 * reports.c — the network's two reports and the funnel chart.
 *
 * Funnel: people per stage now, and per month of the last twelve (months
 * in the site's time zone) how many moved up into fan, acquaintance and
 * network. A move up is a stage_changes row whose to-stage ranks above its
 * from-stage; a person created directly at a stage (from '') counts as
 * moving into it, so a business card typed in as an acquaintance shows up
 * in that month. The rows come from a range scan of stage_changes_at.
 *
 * Circle review (the yearly check): the people the owner met, ate, called
 * or did a deal with in a calendar year of the site's zone against the
 * year before. The counts per person and year come from circle_years, a
 * rollup kept by triggers in the site's zone (migration 0005): two short
 * key ranges instead of every interaction of two years (the bench's
 * 500,000 interactions: ~250,000 rows scanned before). For another zone
 * (a caller that passes one) a covering range scan of interactions_at is
 * counted here instead. Per person in a hash table, then names by primary
 * key in chunks and the split into kept / new / dropped.
 * "Same faces" means more than half of this year's circle was already
 * there last year.
 *
 * The chart is an inline SVG (no script, no external resources) whose every
 * text is XML-escaped; each bar carries a <title> for tooltips and screen
 * readers, and the whole chart a <title> summing up the counts.
 */
#include "network/network.h"
#include "network/people_int.h"

#include "db/db.h"

#define FUNNEL_MONTHS 12

/* Days since 1970-01-01 of a proleptic Gregorian date (m 1..12). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* Unix time of local midnight on the first of month m of year y in zone. */
static int64_t month_start(int64_t y, unsigned m, const char *zone)
{
	return jm_tz_local_to_utc(zone, days_from_civil(y, m, 1) * 86400);
}

static enum jm_rc stage_counts(struct db *db, int64_t counts[4])
{
	struct db_stmt *st = NULL;
	/* The owner is "me", not a person at a stage of their own funnel. */
	enum jm_rc rc = db_prepare(
	        db,
	        "SELECT stage, count(*) FROM people WHERE " NET_NOT_OWNER("id") " GROUP BY stage",
	        &st);
	if (rc)
		return rc;
	while ((rc = db_step(st)) == JM_OK) {
		int r = net_stage_rank(db_col_text(st, 0, NULL));
		if (r >= 0)
			counts[r] = db_col_int(st, 1);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

/* Index of the month holding t among bounds[0..n] (n months), or -1. */
static int month_of(const int64_t *bounds, int n, int64_t t)
{
	for (int i = 0; i < n; i++)
		if (t >= bounds[i] && t < bounds[i + 1])
			return i;
	return -1;
}

static void count_move(struct net_funnel_month *m, const char *from, const char *to)
{
	int rt = net_stage_rank(to), rf = from && *from ? net_stage_rank(from) : -1;
	if (rt <= rf)
		return;
	if (rt == 1)
		m->to_fan++;
	else if (rt == 2)
		m->to_acquaintance++;
	else if (rt == 3)
		m->to_network++;
}

static enum jm_rc monthly_moves(struct db *db, const int64_t *bounds, struct net_funnel *out)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT created_at, from_stage, to_stage FROM stage_changes "
	                            "WHERE created_at >= ? AND created_at < ? "
	                            "AND to_stage IN ('fan', 'acquaintance', 'network') "
	                            "AND " NET_NOT_OWNER("person_id"),
	                            "ii", bounds[0], bounds[FUNNEL_MONTHS]);
	if (rc)
		return rc;
	while ((rc = db_step(st)) == JM_OK) {
		int i = month_of(bounds, FUNNEL_MONTHS, db_col_int(st, 0));
		if (i >= 0)
			count_move(&out->months[i], db_col_text(st, 1, NULL),
			           db_col_text(st, 2, NULL));
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

/* "YYYY-MM" into out (8 bytes). */
static void month_label(char out[8], int64_t y, unsigned m)
{
	char tmp[48];
	int n = snprintf(tmp, sizeof(tmp), "%04lld-%02u", (long long)y, m);
	memcpy(out, tmp, n > 7 ? 7 : (size_t)n);
	out[n > 7 ? 7 : n] = '\0';
}

enum jm_rc net_report_funnel(struct db *db, struct arena *a, int64_t now, const char *zone,
                             struct net_funnel *out)
{
	memset(out, 0, sizeof(*out));
	if (!jm_tz_valid(zone))
		return JM_INVALID;
	time_t local = (time_t)(now + (int64_t)jm_tz_offset(zone, now) * 60);
	struct tm tm;
	if (!gmtime_r(&local, &tm))
		return JM_INVALID;
	/* Months counted from year 0: the current one is the last of twelve. */
	int64_t cur = (int64_t)(tm.tm_year + 1900) * 12 + tm.tm_mon;
	int64_t bounds[FUNNEL_MONTHS + 1];
	out->months = arena_calloc(a, FUNNEL_MONTHS * sizeof(*out->months));
	out->nmonths = FUNNEL_MONTHS;
	for (int i = 0; i <= FUNNEL_MONTHS; i++) {
		int64_t mi = cur - (FUNNEL_MONTHS - 1) + i;
		int64_t y = mi / 12;
		unsigned m = (unsigned)(mi % 12) + 1;
		bounds[i] = month_start(y, m, zone);
		if (i < FUNNEL_MONTHS)
			month_label(out->months[i].month, y, m);
	}
	enum jm_rc rc = stage_counts(db, out->counts);
	if (!rc)
		rc = monthly_moves(db, bounds, out);
	return rc;
}

/* ---- the funnel chart ---- */

#define SVG_W      720
#define ROW_H      30
#define ROW_GAP    6
#define LABEL_W    120
#define CHART_TOP  (4 * (ROW_H + ROW_GAP) + 24)
#define CHART_H    200
#define CHART_PADL 44
#define CHART_PADR 8
#define SVG_H      (CHART_TOP + CHART_H + 56)

/* Fill colours per stage (net_stages order); the map uses the same. */
static const char *const stage_fill[4] = {"#cbd5e1", "#7dd3fc", "#fcd34d", "#6ee7b7"};

/* XML-escapes s (NULL = "") into out: & < > " '. */
static enum jm_rc xml_text(struct buf *out, const char *s)
{
	enum jm_rc rc = JM_OK;
	for (const char *p = s ? s : ""; *p && !rc; p++) {
		switch (*p) {
		case '&': rc = buf_appends(out, "&amp;"); break;
		case '<': rc = buf_appends(out, "&lt;"); break;
		case '>': rc = buf_appends(out, "&gt;"); break;
		case '"': rc = buf_appends(out, "&quot;"); break;
		case '\'': rc = buf_appends(out, "&#39;"); break;
		default: rc = buf_appendc(out, *p);
		}
	}
	return rc;
}

/* The smallest 1/2/5 × 10^k that is >= m (at least 1). */
static int64_t nice_max(int64_t m)
{
	int64_t p = 1;
	if (m <= 1)
		return 1;
	while (p <= INT64_MAX / 10 && p * 10 < m)
		p *= 10;
	if (p >= m)
		return p;
	if (p * 2 >= m)
		return p * 2;
	return p * 5 >= m ? p * 5 : p * 10;
}

/* The chart's accessible name: "label count, label count, …". */
static enum jm_rc svg_open(struct buf *out, const struct net_funnel *f, const char *const lab[4])
{
	enum jm_rc rc =
	        buf_appendf(out,
	                    "<svg class=\"chart funnel\" xmlns=\"http://www.w3.org/2000/svg\" "
	                    "viewBox=\"0 0 %d %d\" role=\"img\" "
	                    "aria-labelledby=\"funnel-title\"><title id=\"funnel-title\">",
	                    SVG_W, SVG_H);
	for (int i = 0; i < 4 && !rc; i++) {
		rc = xml_text(out, lab[i]);
		if (!rc)
			rc = buf_appendf(out, " %lld%s", (long long)f->counts[i],
			                 i < 3 ? ", " : "");
	}
	if (!rc)
		rc = buf_appends(out, "</title>");
	return rc;
}

/* One funnel row: the label on the left, a centred bar whose width is
 * proportional to the count, the count on the bar. */
static enum jm_rc funnel_row(struct buf *out, int i, int64_t count, int64_t max, const char *label)
{
	double span = SVG_W - LABEL_W - 8, w = 24 + (span - 24) * (double)count / (double)max;
	double x = LABEL_W + (span - w) / 2, y = 8 + i * (ROW_H + ROW_GAP);
	enum jm_rc rc = buf_appends(out, "<g class=\"funnel-row\"><title>");
	if (!rc)
		rc = xml_text(out, label);
	if (!rc)
		rc = buf_appendf(out,
		                 ": %lld</title><text x=\"8\" y=\"%.1f\" font-size=\"13\" "
		                 "fill=\"#334155\">",
		                 (long long)count, y + ROW_H / 2.0 + 5);
	if (!rc)
		rc = xml_text(out, label);
	if (!rc)
		rc = buf_appendf(out,
		                 "</text><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" "
		                 "rx=\"4\" fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\" "
		                 "text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\" "
		                 "fill=\"#0f172a\">%lld</text></g>",
		                 x, y, w, ROW_H, stage_fill[i], LABEL_W + span / 2,
		                 y + ROW_H / 2.0 + 5, (long long)count);
	return rc;
}

static enum jm_rc funnel_rows(struct buf *out, const struct net_funnel *f, const char *const lab[4])
{
	int64_t max = 1;
	enum jm_rc rc = JM_OK;
	for (int i = 0; i < 4; i++)
		if (f->counts[i] > max)
			max = f->counts[i];
	for (int i = 0; i < 4 && !rc; i++)
		rc = funnel_row(out, i, f->counts[i] > 0 ? f->counts[i] : 0, max, lab[i]);
	return rc;
}

static int64_t month_move(const struct net_funnel_month *m, int k)
{
	return k == 0 ? m->to_fan : k == 1 ? m->to_acquaintance : m->to_network;
}

/* Horizontal grid lines at 0, half and the maximum, labelled. */
static enum jm_rc month_grid(struct buf *out, int64_t max)
{
	enum jm_rc rc = JM_OK;
	for (int k = 0; k <= 2 && !rc; k++) {
		if (k == 1 && max < 2)
			continue;
		int64_t v = max * k / 2;
		double y = CHART_TOP + CHART_H - CHART_H * (double)v / (double)max;
		rc = buf_appendf(
		        out,
		        "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
		        "stroke=\"#e2e8f0\"/><text x=\"%d\" y=\"%.1f\" "
		        "text-anchor=\"end\" font-size=\"11\" fill=\"#64748b\">%lld</text>",
		        CHART_PADL, SVG_W - CHART_PADR, y, y, CHART_PADL - 6, y + 4, (long long)v);
	}
	return rc;
}

/* One month: three bars (into fan, acquaintance, network) and its label. */
static enum jm_rc month_group(struct buf *out, const struct net_funnel_month *m, size_t i, size_t n,
                              int64_t max, const char *const lab[4])
{
	double slot = (double)(SVG_W - CHART_PADL - CHART_PADR) / (double)n, bw = slot * 0.8 / 3;
	double x0 = CHART_PADL + slot * (double)i + slot * 0.1;
	enum jm_rc rc = JM_OK;
	for (int k = 0; k < 3 && !rc; k++) {
		int64_t v = month_move(m, k);
		double h = CHART_H * (double)v / (double)max;
		rc = buf_appends(out, "<g class=\"move\"><title>");
		if (!rc)
			rc = xml_text(out, m->month);
		if (!rc)
			rc = buf_appends(out, " → ");
		if (!rc)
			rc = xml_text(out, lab[k + 1]);
		if (!rc)
			rc = buf_appendf(out,
			                 ": %lld</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			                 "height=\"%.1f\" fill=\"%s\" stroke=\"#475569\" "
			                 "stroke-width=\"0.5\"/></g>",
			                 (long long)v, x0 + bw * k, CHART_TOP + CHART_H - h, bw, h,
			                 stage_fill[k + 1]);
	}
	if (!rc)
		rc = buf_appendf(
		        out,
		        "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\" "
		        "fill=\"#64748b\">",
		        CHART_PADL + slot * ((double)i + 0.5), CHART_TOP + CHART_H + 16);
	if (!rc)
		rc = xml_text(out, m->month);
	if (!rc)
		rc = buf_appends(out, "</text>");
	return rc;
}

/* The legend under the monthly chart: one swatch per target stage. */
static enum jm_rc legend(struct buf *out, const char *const lab[4])
{
	enum jm_rc rc = JM_OK;
	for (int k = 0; k < 3 && !rc; k++) {
		int x = CHART_PADL + k * 160, y = CHART_TOP + CHART_H + 32;
		rc = buf_appendf(out,
		                 "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\" "
		                 "stroke=\"#475569\" stroke-width=\"0.5\"/><text x=\"%d\" y=\"%d\" "
		                 "font-size=\"12\" fill=\"#334155\">→ ",
		                 x, y, stage_fill[k + 1], x + 18, y + 11);
		if (!rc)
			rc = xml_text(out, lab[k + 1]);
		if (!rc)
			rc = buf_appends(out, "</text>");
	}
	return rc;
}

enum jm_rc net_funnel_svg(const struct net_funnel *f, const char *const stage_labels[4],
                          struct buf *out)
{
	const char *lab[4];
	for (int i = 0; i < 4; i++)
		lab[i] = stage_labels && stage_labels[i] ? stage_labels[i] : net_stages[i];
	int64_t max = 0;
	for (size_t i = 0; i < f->nmonths; i++)
		for (int k = 0; k < 3; k++)
			if (month_move(&f->months[i], k) > max)
				max = month_move(&f->months[i], k);
	max = nice_max(max);
	enum jm_rc rc = svg_open(out, f, lab);
	if (!rc)
		rc = funnel_rows(out, f, lab);
	if (!rc)
		rc = month_grid(out, max);
	for (size_t i = 0; i < f->nmonths && !rc; i++)
		rc = month_group(out, &f->months[i], i, f->nmonths, max, lab);
	if (!rc)
		rc = legend(out, lab);
	if (!rc)
		rc = buf_appends(out, "</svg>");
	return rc;
}

/* ---- circle review ---- */

struct circle_row {
	struct net_circle_person p; /* p.id == 0: an empty slot of the table */
	int64_t cur, prev;
};

/* Meetings per person, in an open-addressing table keyed by person id:
 * aggregating here instead of GROUP BY spares SQLite a sorter over every
 * interaction of the two years, which is most of the report's time. */
struct circle_tab {
	struct circle_row *slot;
	size_t cap, n; /* cap: a power of two, kept at least twice n */
};

static struct circle_row *tab_get(struct circle_tab *t, int64_t id)
{
	size_t mask = t->cap - 1, i = (size_t)((uint64_t)id * 0x9E3779B97F4A7C15u >> 17) & mask;
	while (t->slot[i].p.id && t->slot[i].p.id != id)
		i = (i + 1) & mask;
	return &t->slot[i];
}

static void tab_add(struct circle_tab *t, int64_t id, bool cur, int64_t count)
{
	if (2 * (t->n + 1) > t->cap) {
		struct circle_tab old = *t;
		t->cap = old.cap ? old.cap * 2 : 1024;
		t->slot = xcalloc(t->cap, sizeof(*t->slot));
		t->n = 0;
		for (size_t i = 0; i < old.cap; i++)
			if (old.slot[i].p.id) {
				*tab_get(t, old.slot[i].p.id) = old.slot[i];
				t->n++;
			}
		free(old.slot);
	}
	struct circle_row *r = tab_get(t, id);
	if (!r->p.id) {
		r->p.id = id;
		t->n++;
	}
	if (cur)
		r->cur += count;
	else
		r->prev += count;
}

/* One range scan of interactions_at over [t0, t2); t1 splits the years.
 * For a time zone other than the site's (the rollup's). */
static enum jm_rc circle_scan(struct db *db, int64_t t0, int64_t t1, int64_t t2,
                              struct circle_tab *t)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT person_id, happened_at FROM interactions "
	                            "WHERE happened_at >= ? AND happened_at < ? "
	                            "AND kind IN ('meeting', 'meal', 'call', 'deal')",
	                            "ii", t0, t2);
	if (rc)
		return rc;
	while ((rc = db_step(st)) == JM_OK)
		tab_add(t, db_col_int(st, 0), db_col_int(st, 1) >= t1, 1);
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

/* The one text value sql selects into out (64 bytes): the zone
 * circle_years is kept in (circle_zone, migration 0007) or the site's. */
static enum jm_rc rollup_zone(struct db *db, const char *sql, char out[64])
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_prepare(db, sql, &st);
	out[0] = '\0';
	if (rc == JM_OK && (rc = db_step(st)) == JM_OK)
		snprintf(out, 64, "%s", db_col_text(st, 0, NULL));
	db_finalize(st);
	return rc == JM_OK || rc == JM_DONE ? JM_OK : rc;
}

/* The calendar year of a unix time shifted by ? minutes: strftime on
 * SQLite; PostgreSQL has no strftime and reads it off a UTC timestamp. */
#define YEAR_SQLITE "CAST(strftime('%Y', happened_at + 60 * ?, 'unixepoch') AS INTEGER)"
#define YEAR_PG                                                                                    \
	"CAST(EXTRACT(YEAR FROM to_timestamp(happened_at + 60 * ?) AT TIME ZONE 'UTC') AS BIGINT)"
#define ROLLUP_SQL(YEAR)                                                                           \
	"INSERT INTO circle_years(year, person_id, n) SELECT " YEAR ", person_id, count(*) "       \
	"FROM interactions WHERE kind IN ('meeting', 'meal', 'call', 'deal') GROUP BY 1, 2"

/* Rebuilds circle_years in zone (the site's, which changed): the year of
 * an interaction is read with the zone's offset at new year, as the
 * triggers of migration 0007 do. */
static enum jm_rc rollup_rebuild(struct db *db, const char *zone, int year)
{
	int off = jm_tz_offset(zone, month_start(year, 1, zone));
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	rc = db_execf(db, "UPDATE circle_zone SET zone = ?, newyear_offset_min = ? WHERE id = 1",
	              "ti", zone, (int64_t)off);
	if (!rc)
		rc = db_exec(db, "DELETE FROM circle_years");
	if (!rc)
		rc = db_execf(db, DB_SQL(db, ROLLUP_SQL(YEAR_SQLITE), ROLLUP_SQL(YEAR_PG)), "i",
		              (int64_t)off);
	if (!rc)
		rc = db_commit(db);
	if (rc)
		db_rollback(db);
	return rc;
}

/* True when the rollup answers for zone: it is kept in it, or zone is the
 * site's (then the rollup moves to it). */
static enum jm_rc rollup_usable(struct db *db, const char *zone, int year, bool *ok)
{
	char kept[64], site[64];
	enum jm_rc rc = rollup_zone(db, "SELECT zone FROM circle_zone WHERE id = 1", kept);
	*ok = !rc && strcmp(kept, zone) == 0;
	if (!rc && !*ok)
		rc = rollup_zone(db,
		                 "SELECT COALESCE((SELECT value FROM settings "
		                 "WHERE key = 'timezone'), 'Asia/Tokyo')",
		                 site);
	if (rc || *ok || strcmp(site, zone) != 0)
		return rc;
	rc = rollup_rebuild(db, zone, year);
	*ok = rc == JM_OK;
	return rc;
}

/* The two years from the rollup, with names: two short ranges of its key. */
static enum jm_rc circle_rollup(struct db *db, struct arena *a, int year, struct circle_tab *t)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT c.person_id, c.year, c.n, p.name, p.company, p.stage "
	                            "FROM circle_years c JOIN people p ON p.id = c.person_id "
	                            "WHERE c.year IN (?, ?)",
	                            "ii", (int64_t)year - 1, (int64_t)year);
	if (rc)
		return rc;
	while ((rc = db_step(st)) == JM_OK) {
		int64_t id = db_col_int(st, 0);
		tab_add(t, id, db_col_int(st, 1) == year, db_col_int(st, 2));
		struct circle_row *r = tab_get(t, id);
		if (!r->p.name) {
			r->p.name = db_col_dup(st, 3, a);
			r->p.company = db_col_dup(st, 4, a);
			r->p.stage = db_col_dup(st, 5, a);
		}
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

#define NAMES_CHUNK 256

/* Name, company and stage of ids[0..n) (n <= NAMES_CHUNK), by primary key.
 * The SQL is built on the stack: same text, so the statement cache hits. */
static enum jm_rc circle_names_chunk(struct db *db, struct arena *a, struct circle_tab *t,
                                     const int64_t *ids, size_t n)
{
	char q[80 + NAMES_CHUNK * 2];
	size_t k = (size_t)snprintf(q, 80,
	                            "SELECT id, name, company, stage FROM people "
	                            "WHERE id IN (?");
	for (size_t i = 1; i < n; i++) {
		q[k++] = ',';
		q[k++] = '?';
	}
	q[k++] = ')';
	q[k] = '\0';
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_prepare(db, q, &st);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		db_bind_int(st, (int)i + 1, ids[i]);
	while ((rc = db_step(st)) == JM_OK) {
		struct circle_row *r = tab_get(t, db_col_int(st, 0));
		r->p.name = db_col_dup(st, 1, a);
		r->p.company = db_col_dup(st, 2, a);
		r->p.stage = db_col_dup(st, 3, a);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

static int row_order(const void *x, const void *y)
{
	const struct circle_row *a = x, *b = y;
	if (a->cur != b->cur)
		return a->cur > b->cur ? -1 : 1;
	if (a->prev != b->prev)
		return a->prev > b->prev ? -1 : 1;
	return (a->p.id > b->p.id) - (a->p.id < b->p.id);
}

/* The people of the table with their names, most met first. People
 * deleted since the scan (no name found) are left out. */
static enum jm_rc circle_rows(struct db *db, struct arena *a, struct circle_tab *t,
                              struct circle_row **rows, size_t *n)
{
	int64_t ids[NAMES_CHUNK];
	size_t k = 0;
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; i < t->cap && !rc; i++) {
		if (t->slot[i].p.id && !t->slot[i].p.name) /* the rollup brings names */
			ids[k++] = t->slot[i].p.id;
		if (k == NAMES_CHUNK || (k && i + 1 == t->cap)) {
			rc = circle_names_chunk(db, a, t, ids, k);
			k = 0;
		}
	}
	*rows = xmalloc((t->n ? t->n : 1) * sizeof(**rows));
	*n = 0;
	for (size_t i = 0; i < t->cap && !rc; i++)
		if (t->slot[i].p.id && t->slot[i].p.name)
			(*rows)[(*n)++] = t->slot[i];
	if (*n)
		qsort(*rows, *n, sizeof(**rows), row_order);
	return rc;
}

/* Splits the rows (already in display order) into the three lists. */
static void circle_split(struct arena *a, const struct circle_row *rows, size_t n,
                         struct net_circle *out)
{
	size_t nk = 0, na = 0, nd = 0;
	int64_t network = 0;
	for (size_t i = 0; i < n; i++) {
		nk += rows[i].cur && rows[i].prev;
		na += rows[i].cur && !rows[i].prev;
		nd += !rows[i].cur && rows[i].prev;
	}
	out->kept = arena_calloc(a, (nk ? nk : 1) * sizeof(*out->kept));
	out->added = arena_calloc(a, (na ? na : 1) * sizeof(*out->added));
	out->dropped = arena_calloc(a, (nd ? nd : 1) * sizeof(*out->dropped));
	for (size_t i = 0; i < n; i++) {
		struct net_circle_person p = rows[i].p;
		p.count = rows[i].cur ? rows[i].cur : rows[i].prev;
		if (rows[i].cur)
			network += net_stage_rank(p.stage) == 3;
		if (rows[i].cur && rows[i].prev)
			out->kept[out->nkept++] = p;
		else if (rows[i].cur)
			out->added[out->nadded++] = p;
		else
			out->dropped[out->ndropped++] = p;
	}
	out->this_year = (int64_t)(out->nkept + out->nadded);
	out->last_year = (int64_t)(out->nkept + out->ndropped);
	if (out->this_year)
		out->network_share_pct = (network * 100 + out->this_year / 2) / out->this_year;
	out->same_faces = out->this_year > 0 && (int64_t)out->nkept * 2 > out->this_year;
}

enum jm_rc net_report_circle(struct db *db, struct arena *a, int year, const char *zone,
                             struct net_circle *out)
{
	memset(out, 0, sizeof(*out));
	if (year < 1970 || year > 9999 || !jm_tz_valid(zone))
		return JM_INVALID;
	out->year = year;
	int64_t t0 = month_start(year - 1, 1, zone);
	int64_t t1 = month_start(year, 1, zone);
	int64_t t2 = month_start(year + 1, 1, zone);
	struct circle_tab tab = {0};
	struct circle_row *rows = NULL;
	size_t n = 0;
	bool use_rollup = false;
	enum jm_rc rc = rollup_usable(db, zone, year, &use_rollup);
	if (!rc)
		rc = use_rollup ? circle_rollup(db, a, year, &tab)
		                : circle_scan(db, t0, t1, t2, &tab);
	if (!rc && tab.n)
		rc = circle_rows(db, a, &tab, &rows, &n);
	if (!rc)
		circle_split(a, rows, n, out);
	free(rows);
	free(tab.slot);
	return rc;
}
