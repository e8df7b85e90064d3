/*
 * chart.c — the dashboard's page-view chart: an inline SVG bar chart drawn
 * in C, so the dashboard needs no JavaScript and no chart library.
 *
 * One bar per day, scaled to a "nice" maximum (1, 2 or 5 times a power of
 * ten) with three horizontal grid lines labelled 0, half and the maximum;
 * a few day labels (MM/DD) under the x axis; every bar carries a <title>
 * with its day and count, which browsers show as a tooltip and screen
 * readers read. Every text that reaches the SVG is escaped.
 */
#include "admin/admin_int.h"

#include "site/site.h"

#define CHART_W 720
#define CHART_H 220
#define PAD_L   44
#define PAD_R   8
#define PAD_T   12
#define PAD_B   28

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
	if (p * 5 >= m)
		return p * 5;
	return p * 10;
}

/* One horizontal grid line at value v with its label. */
static enum jm_rc grid_line(struct buf *out, int64_t v, int64_t max)
{
	double plot_h = CHART_H - PAD_T - PAD_B;
	double y = PAD_T + plot_h - plot_h * (double)v / (double)max;
	return buf_appendf(
	        out,
	        "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
	        "<text class=\"ylabel\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%lld</text>",
	        PAD_L, CHART_W - PAD_R, y, y, PAD_L - 6, y + 4, (long long)v);
}

/* "2026-11-29" → "11/29"; anything else is shown escaped as it is. */
static enum jm_rc day_label(struct buf *out, const char *day)
{
	if (day && strlen(day) == 10 && day[4] == '-' && day[7] == '-')
		return buf_appendf(out, "%.2s/%.2s", day + 5, day + 8);
	return view_escape(out, day ? day : "", day ? strlen(day) : 0);
}

static enum jm_rc bar(struct buf *out, const struct day_count *d, size_t i, size_t n, int64_t max,
                      const char *unit)
{
	double plot_w = CHART_W - PAD_L - PAD_R, plot_h = CHART_H - PAD_T - PAD_B;
	double slot = plot_w / (double)n;
	double h = plot_h * (double)(d->views > 0 ? d->views : 0) / (double)max;
	double x = PAD_L + slot * (double)i + slot * 0.15;
	enum jm_rc rc = buf_appends(out, "<g class=\"bar\"><title>");
	if (!rc)
		rc = view_escape(out, d->day ? d->day : "", d->day ? strlen(d->day) : 0);
	if (!rc)
		rc = buf_appendf(out, ": %lld ", (long long)d->views);
	if (!rc)
		rc = view_escape(out, unit, strlen(unit));
	if (!rc)
		rc = buf_appendf(out,
		                 "</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		                 "height=\"%.1f\" rx=\"2\"/></g>",
		                 x, PAD_T + plot_h - h, slot * 0.7, h < 0.5 && d->views ? 0.5 : h);
	return rc;
}

/* Labels under the axis: the first day, every seventh from the end, the
 * last. */
static enum jm_rc x_labels(struct buf *out, const struct day_count *days, size_t n)
{
	double slot = (double)(CHART_W - PAD_L - PAD_R) / (double)n;
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; i < n && !rc; i++) {
		size_t from_end = n - 1 - i;
		if (from_end % 7 != 0 && i != 0)
			continue;
		if (i == 0 && from_end % 7 != 0 && from_end % 7 < 3 && n > 7)
			continue; /* too close to the next label */
		rc = buf_appendf(out,
		                 "<text class=\"xlabel\" x=\"%.1f\" y=\"%d\" "
		                 "text-anchor=\"middle\">",
		                 PAD_L + slot * ((double)i + 0.5), CHART_H - 8);
		if (!rc)
			rc = day_label(out, days[i].day);
		if (!rc)
			rc = buf_appends(out, "</text>");
	}
	return rc;
}

enum jm_rc admin_chart_svg(struct buf *out, const struct day_count *days, size_t n,
                           const char *unit, const char *aria)
{
	int64_t max = 0;
	for (size_t i = 0; i < n; i++)
		if (days[i].views > max)
			max = days[i].views;
	max = nice_max(max);
	enum jm_rc rc = buf_appendf(out,
	                            "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
	                            "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
	                            CHART_W, CHART_H);
	if (!rc)
		rc = view_escape(out, aria, strlen(aria));
	if (!rc)
		rc = buf_appends(out, "\">");
	for (int k = 0; k <= 2 && !rc; k++)
		if (k != 1 || max >= 2)
			rc = grid_line(out, max * k / 2, max);
	for (size_t i = 0; i < n && !rc; i++)
		rc = bar(out, &days[i], i, n, max, unit);
	if (!rc && n)
		rc = x_labels(out, days, n);
	if (!rc)
		rc = buf_appends(out, "</svg>");
	return rc;
}
