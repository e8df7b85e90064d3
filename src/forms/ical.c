/*
 * ical.c — what an event's confirmation carries besides its text: the
 * iCalendar invitation (RFC 5545 with the iTIP METHOD:REQUEST of RFC 5546,
 * built with libical) and the 受付票, a QR code (libqrencode) of the
 * signed check-in code drawn as a PNG (libpng).
 *
 * Times go out in UTC (…Z): every calendar shows them in its own zone.
 * The UID is stable per registration (answer id + site host), so a
 * second invitation for the same registration updates the first.
 */
#include <libical/ical.h>
#include <png.h>
#include <qrencode.h>
#include <setjmp.h>

#include "forms/event_int.h"

static struct icaltimetype utc_time(int64_t t)
{
	return icaltime_from_timet_with_zone((time_t)t, 0, icaltimezone_get_utc_timezone());
}

static void add_text(icalcomponent *ev, icalproperty *p)
{
	if (p)
		icalcomponent_add_property(ev, p);
}

/* ORGANIZER;CN=name:mailto:addr, ATTENDEE likewise. */
static icalproperty *person_prop(bool organizer, const char *name, const char *addr)
{
	char *uri = icalmemory_tmp_buffer(strlen(addr) + 8);
	snprintf(uri, strlen(addr) + 8, "mailto:%s", addr);
	icalproperty *p =
	        organizer ? icalproperty_new_organizer(uri) : icalproperty_new_attendee(uri);
	if (name && *name)
		icalproperty_add_parameter(p, icalparameter_new_cn(name));
	if (!organizer) {
		icalproperty_add_parameter(p, icalparameter_new_partstat(ICAL_PARTSTAT_ACCEPTED));
		icalproperty_add_parameter(p, icalparameter_new_role(ICAL_ROLE_REQPARTICIPANT));
	}
	return p;
}

enum jm_rc event_ical(const struct event_ical_in *in, struct buf *out)
{
	icalcomponent *cal = icalcomponent_new_vcalendar();
	icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
	icalcomponent_add_property(cal, icalproperty_new_prodid("-//jinmyaku//events//JA"));
	icalcomponent_add_property(cal, icalproperty_new_method(in->cancel ? ICAL_METHOD_CANCEL
	                                                                   : ICAL_METHOD_REQUEST));
	icalcomponent *ev = icalcomponent_new_vevent();
	icalcomponent_add_property(ev, icalproperty_new_uid(in->uid));
	icalcomponent_add_property(ev, icalproperty_new_dtstamp(utc_time(in->now)));
	icalcomponent_add_property(ev, icalproperty_new_sequence((int)in->sequence));
	if (in->starts_at)
		icalcomponent_add_property(ev, icalproperty_new_dtstart(utc_time(in->starts_at)));
	if (in->ends_at > in->starts_at)
		icalcomponent_add_property(ev, icalproperty_new_dtend(utc_time(in->ends_at)));
	add_text(ev, icalproperty_new_summary(in->title));
	if (in->location && *in->location)
		add_text(ev, icalproperty_new_location(in->location));
	if (in->description && *in->description)
		add_text(ev, icalproperty_new_description(in->description));
	if (in->url && *in->url)
		add_text(ev, icalproperty_new_url(in->url));
	icalcomponent_add_property(ev, icalproperty_new_status(in->cancel ? ICAL_STATUS_CANCELLED
	                                                                  : ICAL_STATUS_CONFIRMED));
	icalcomponent_add_property(ev, person_prop(true, in->org_name, in->org_addr));
	icalcomponent_add_property(ev, person_prop(false, in->att_name, in->att_addr));
	icalcomponent_add_component(cal, ev);
	char *s = icalcomponent_as_ical_string_r(cal);
	enum jm_rc rc = s ? buf_appends(out, s) : JM_NOMEM;
	free(s);
	icalcomponent_free(cal);
	return rc;
}

/* ---- the 受付票: a QR code as a PNG ---- */

#define QR_SCALE 6 /* pixels per module */
#define QR_QUIET 4 /* modules of white border (ISO/IEC 18004) */

static void png_to_buf(png_structp png, png_bytep data, png_size_t len)
{
	struct buf *b = png_get_io_ptr(png);
	if (buf_append(b, data, len))
		png_error(png, "too large");
}

static void png_flush_none(png_structp png)
{
	(void)png;
}

/* Draws qr into out as a 1-bit greyscale PNG. */
static enum jm_rc qr_png(const QRcode *qr, struct buf *out)
{
	int side = (qr->width + 2 * QR_QUIET) * QR_SCALE;
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	png_bytep row = xcalloc(1, (size_t)(side + 7) / 8);
	volatile enum jm_rc rc = JM_NOMEM;
	if (!png || !info)
		goto out;
	if (setjmp(png_jmpbuf(png))) {
		rc = JM_TOO_LARGE;
		goto out;
	}
	png_set_write_fn(png, out, png_to_buf, png_flush_none);
	png_set_IHDR(png, info, (png_uint_32)side, (png_uint_32)side, 1, PNG_COLOR_TYPE_GRAY,
	             PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < side; y++) {
		int my = y / QR_SCALE - QR_QUIET;
		for (int x = 0; x < side; x++) {
			int mx = x / QR_SCALE - QR_QUIET;
			bool dark = mx >= 0 && my >= 0 && mx < qr->width && my < qr->width &&
			            (qr->data[my * qr->width + mx] & 1);
			if (dark) /* 0 is black in greyscale */
				row[x / 8] &= (png_byte) ~(0x80 >> (x % 8));
			else
				row[x / 8] |= (png_byte)(0x80 >> (x % 8));
		}
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	rc = JM_OK;
out:
	png_destroy_write_struct(png ? &png : NULL, info ? &info : NULL);
	free(row);
	return rc;
}

enum jm_rc event_qr_png(const char *text, struct buf *out)
{
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!qr)
		return JM_INVALID;
	enum jm_rc rc = qr_png(qr, out);
	QRcode_free(qr);
	return rc;
}
