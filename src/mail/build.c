/*
 * build.c — outgoing messages: one whole RFC 5322 message per recipient,
 * built with GMime 3 (RFC 2045/2046 MIME, RFC 2047 encoded words for the
 * Subject and display names, RFC 2369/2919 List-* headers, RFC 8058
 * one-click unsubscribe).
 *
 * Two charsets. UTF-8: GMime picks quoted-printable or base64 per part.
 * ISO-2022-JP (RFC 1468, for Japanese feature phones): the bodies are
 * converted with iconv and sent 7bit, lines wrapped to at most 76 bytes;
 * the Subject, display names and List-Id phrase become "B" encoded words
 * that GMime places as raw header values (its own encoder picks "Q" for
 * ISO-2022-JP and can overrun RFC 2047's 75-character word). Characters
 * ISO-2022-JP cannot hold become their JIS twin or "?" (jis_fallback).
 *
 * Invariants: every header input is checked before anything is built — a CR,
 * LF or other control character in a name, subject, address or URL gives
 * JM_INVALID naming the field, so nothing the caller passes can start a
 * header of its own (STYLE.md 12). The output always uses CRLF line ends.
 * Every GMime object is released before returning; the only shared state is
 * the format options, created once and read-only afterwards, so mail_build
 * is thread-safe.
 */
#include <gmime/gmime.h>
#include <iconv.h>
#include <pthread.h>
#include <strings.h>

#include "mail/mail_int.h"

#define JIS_WIDTH   76  /* RFC 2045 line length, in encoded bytes */
#define JIS_MAX_RUN 900 /* an unbreakable ASCII run is cut here (RFC 5322: 998) */
#define JIS_WORD                                                                                   \
	36 /* ISO-2022-JP bytes per encoded word: 48 in base64, so                                 \
	  "Subject: =?ISO-2022-JP?B?...?=" fits in 76 */

static pthread_once_t fmt_once = PTHREAD_ONCE_INIT;
static GMimeFormatOptions *crlf_format; /* read-only once made; never freed */

static void fmt_init(void)
{
	mail_gmime_init();
	crlf_format = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(crlf_format, GMIME_NEWLINE_FORMAT_DOS);
}

/* ---- input checks ---- */

/* True when s is UTF-8 without control characters (tab allowed): nothing in
 * it can end a header line. */
static bool header_text_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return false;
	return utf8_valid(s, strlen(s));
}

/* True when s is printable ASCII; spaces only when allowed. */
static bool header_ascii_ok(const char *s, bool spaces)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p >= 0x7f || (*p == ' ' && !spaces))
			return false;
	return true;
}

static bool domain_ok(const char *d)
{
	if (!*d || strlen(d) > 253)
		return false;
	for (const char *p = d; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			return false;
	return true;
}

static enum jm_rc bad(struct jm_err *err, const char *field, const char *why)
{
	jm_err_set(err, field, "%s: %s", field, why);
	return JM_INVALID;
}

static enum jm_rc check_addrs(const struct mail_msg *m, struct jm_err *err)
{
	if (!m->from_addr || !mail_addr_valid(m->from_addr))
		return bad(err, "from_addr", "not a valid email address");
	if (!m->to_addr || !mail_addr_valid(m->to_addr))
		return bad(err, "to_addr", "not a valid email address");
	if (m->reply_to && !mail_addr_valid(m->reply_to))
		return bad(err, "reply_to", "not a valid email address");
	if (m->from_name && !header_text_ok(m->from_name))
		return bad(err, "from_name", "line breaks or control characters");
	if (m->to_name && !header_text_ok(m->to_name))
		return bad(err, "to_name", "line breaks or control characters");
	return JM_OK;
}

/* "<local@domain>": printable ASCII, no spaces, one '@', ≤ 250 bytes. */
static bool msgid_ok(const char *s)
{
	size_t n = strlen(s);
	const char *at = strchr(s, '@');
	return n >= 5 && n <= 250 && s[0] == '<' && s[n - 1] == '>' && header_ascii_ok(s, false) &&
	       !strpbrk(s + 1, "<\\\"") && strchr(s + 1, '>') == s + n - 1 && at && at > s + 1 &&
	       at < s + n - 2 && strchr(at + 1, '@') == NULL;
}

static bool url_ok(const char *u)
{
	return (strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0) &&
	       header_ascii_ok(u, false) && !strpbrk(u, "<>\"");
}

static bool extra_ok(const struct mail_extra *p);

static enum jm_rc check_msg(const struct mail_msg *m, struct jm_err *err)
{
	enum jm_rc rc = check_addrs(m, err);
	if (rc)
		return rc;
	if (!m->subject || !header_text_ok(m->subject))
		return bad(err, "subject", "missing, or line breaks or control characters");
	if (!m->text || !utf8_valid(m->text, strlen(m->text)))
		return bad(err, "text", "missing or not UTF-8");
	if (m->html && !utf8_valid(m->html, strlen(m->html)))
		return bad(err, "html", "not UTF-8");
	if (m->list_id && !header_text_ok(m->list_id))
		return bad(err, "list_id", "line breaks or control characters");
	if (m->unsubscribe_url && !url_ok(m->unsubscribe_url))
		return bad(err, "unsubscribe_url", "not a plain http(s) URL");
	if (!m->message_id_domain || !domain_ok(m->message_id_domain))
		return bad(err, "message_id_domain", "not a domain name");
	if (m->in_reply_to && !header_ascii_ok(m->in_reply_to, true))
		return bad(err, "in_reply_to", "line breaks or non-ASCII characters");
	if (m->references && !header_ascii_ok(m->references, true))
		return bad(err, "references", "line breaks or non-ASCII characters");
	if (m->message_id && !msgid_ok(m->message_id))
		return bad(err, "message_id", "not <local@domain>");
	if (m->charset != MAIL_UTF8 && m->charset != MAIL_ISO2022JP)
		return bad(err, "charset", "unknown charset");
	if (m->nparts && (m->charset != MAIL_UTF8 || !m->parts))
		return bad(err, "parts", "extra parts need a UTF-8 mail");
	for (size_t i = 0; i < m->nparts; i++)
		if (!extra_ok(&m->parts[i]))
			return bad(err, "parts", "bad content type, file name or content id");
	return JM_OK;
}

/* ---- ISO-2022-JP bodies ---- */

/* Length of the next wrapping token at p: one non-ASCII character, one
 * space, or a run of other ASCII (a word or URL, split only past max_run
 * bytes). *wide says whether it is a JIS X 0208 character. */
static size_t jis_token(const char *p, const char *end, size_t max_run, bool *wide)
{
	const unsigned char c = (unsigned char)*p;
	*wide = c >= 0x80;
	if (c >= 0x80) {
		size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		return n <= (size_t)(end - p) ? n : (size_t)(end - p);
	}
	if (c == ' ' || c == '\t')
		return 1;
	size_t n = 0;
	while (p + n < end && n < max_run && (unsigned char)p[n] < 0x80 && p[n] != ' ' &&
	       p[n] != '\t')
		n++;
	return n;
}

/* Appends one line of UTF-8, with '\n' inserted wherever its ISO-2022-JP
 * form would pass width bytes. A switch between ASCII and JIS X 0208 costs
 * a 3-byte escape, a JIS character 2 bytes, and a line that ends in JIS
 * pays 3 more to switch back; the estimate never undercounts. In a body
 * the space at a break is dropped and only ASCII runs over JIS_MAX_RUN are
 * split; in a header (encoded words) every space is kept and runs are
 * split to fit. */
static enum jm_rc jis_wrap_line(const char *p, const char *end, size_t width, bool body,
                                struct buf *out)
{
	size_t col = 0, max_run = body ? JIS_MAX_RUN : width - 6;
	bool in_jis = false;
	while (p < end) {
		bool wide;
		size_t n = jis_token(p, end, max_run, &wide);
		size_t cost = wide ? 2 + (in_jis ? 0 : 3) : n + (in_jis ? 3 : 0);
		if (col > 0 && col + cost + (wide ? 3 : 0) > width) {
			if (buf_appendc(out, '\n'))
				return JM_TOO_LARGE;
			col = 0;
			in_jis = false;
			if (body && *p == ' ') { /* the break replaces the space */
				p++;
				continue;
			}
			cost = wide ? 5 : n;
		}
		if (buf_append(out, p, n))
			return JM_TOO_LARGE;
		col += cost;
		in_jis = wide;
		p += n;
	}
	return JM_OK;
}

/* Wraps every line of text (CR dropped, LF kept) into out. */
static enum jm_rc jis_wrap(const char *text, struct buf *out)
{
	const char *p = text;
	for (;;) {
		const char *nl = strchr(p, '\n');
		const char *end = nl ? nl : p + strlen(p);
		const char *e = end > p && end[-1] == '\r' ? end - 1 : end;
		if (jis_wrap_line(p, e, JIS_WIDTH, true, out))
			return JM_TOO_LARGE;
		if (!nl)
			return JM_OK;
		if (buf_appendc(out, '\n'))
			return JM_TOO_LARGE;
		p = nl + 1;
	}
}

/* Length of the UTF-8 sequence starting with byte c. */
static size_t utf8_seq_len(unsigned char c)
{
	return c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

/* What to send instead of a character ISO-2022-JP lacks: the JIS X 0208
 * twin of the Windows (CP932) forms Japanese input methods produce, the
 * full-width form of half-width katakana, or "?". */
static const char *jis_fallback(const char *p, size_t n, size_t *len)
{
	static const char kana[] =
	        "。「」、・ヲァィゥェォャュョッーアイウエオカキクケコサシスセソ"
	        "タチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン゛゜";
	static const struct {
		unsigned cp;
		const char *to;
	} cp932[] = {{0x2014, "―"}, {0xff5e, "〜"}, {0x2225, "‖"}, {0xff0d, "−"},
	             {0xffe0, "¢"}, {0xffe1, "£"},  {0xffe2, "¬"}};
	*len = 1;
	if (n != 3)
		return "?";
	unsigned cp = ((unsigned)(p[0] & 0x0f) << 12) | ((unsigned)(p[1] & 0x3f) << 6) |
	              (unsigned)(p[2] & 0x3f);
	for (size_t i = 0; i < sizeof(cp932) / sizeof(cp932[0]); i++)
		if (cp932[i].cp == cp) {
			*len = strlen(cp932[i].to);
			return cp932[i].to;
		}
	if (cp < 0xff61 || cp > 0xff9f)
		return "?";
	*len = 3;
	return kana + (cp - 0xff61) * 3;
}

/* Runs iconv over in[0..len) into out; a character ISO-2022-JP cannot hold
 * goes through jis_fallback. Ends in the ASCII state. */
static enum jm_rc jis_iconv(iconv_t cd, const char *in, size_t len, struct buf *out)
{
	char tmp[2048], *op;
	char *ip = (char *)in;
	size_t il = len, ol;
	while (il > 0) {
		op = tmp;
		ol = sizeof(tmp);
		size_t r = iconv(cd, &ip, &il, &op, &ol);
		int e = errno;
		if (buf_append(out, tmp, (size_t)(op - tmp)))
			return JM_TOO_LARGE;
		if (r != (size_t)-1 || e == E2BIG)
			continue;
		if (e != EILSEQ)
			return JM_INVALID;
		size_t n = utf8_seq_len((unsigned char)*ip);
		n = n < il ? n : il;
		size_t ql;
		char *qp = (char *)jis_fallback(ip, n, &ql);
		ip += n;
		il -= n;
		op = tmp;
		ol = sizeof(tmp);
		if (iconv(cd, &qp, &ql, &op, &ol) == (size_t)-1 ||
		    buf_append(out, tmp, (size_t)(op - tmp)))
			return JM_INVALID;
	}
	op = tmp; /* back to ASCII at the very end */
	ol = sizeof(tmp);
	if (iconv(cd, NULL, NULL, &op, &ol) == (size_t)-1)
		return JM_INVALID;
	return buf_append(out, tmp, (size_t)(op - tmp)) ? JM_TOO_LARGE : JM_OK;
}

/* The ISO-2022-JP form of UTF-8 text into out. */
static enum jm_rc jis_convert(const char *text, size_t len, struct buf *out)
{
	iconv_t cd = iconv_open("ISO-2022-JP", "UTF-8");
	if (cd == (iconv_t)-1)
		return JM_IO;
	enum jm_rc rc = jis_iconv(cd, text, len, out);
	iconv_close(cd);
	return rc;
}

/* The ISO-2022-JP form of UTF-8 text, wrapped, into out. */
static enum jm_rc to_iso2022jp(const char *text, struct buf *out)
{
	struct buf wrapped = BUF_INIT;
	enum jm_rc rc = jis_wrap(text, &wrapped);
	if (rc == JM_OK)
		rc = jis_convert(buf_cstr(&wrapped), wrapped.len, out);
	buf_free(&wrapped);
	return rc;
}

/* text as RFC 2047 "B" encoded words in ISO-2022-JP (RFC 1468 section 3
 * asks for B), one per folded line, in GMime's raw header form
 * " word\n word\n". Each word holds whole characters and ends in ASCII. */
static enum jm_rc jis_words(const char *text, struct buf *out)
{
	struct buf wrapped = BUF_INIT, jis = BUF_INIT;
	enum jm_rc rc = jis_wrap_line(text, text + strlen(text), JIS_WORD, false, &wrapped);
	if (rc == JM_OK)
		rc = jis_convert(buf_cstr(&wrapped), wrapped.len, &jis);
	for (const char *p = buf_cstr(&jis), *end = p + jis.len; rc == JM_OK && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		gchar *b64 = g_base64_encode((const guchar *)p, n);
		rc = buf_appendf(out, " =?ISO-2022-JP?B?%s?=\n", b64);
		g_free(b64);
		p += n + (nl ? 1 : 0);
	}
	buf_free(&wrapped);
	buf_free(&jis);
	return rc;
}

/* ---- MIME parts ---- */

/* data with every line ending in CRLF, the canonical form RFC 2045
 * section 6.8 asks for before base64. */
static GByteArray *crlf_bytes(const char *data, size_t len)
{
	GByteArray *ba = g_byte_array_sized_new((guint)(len + len / 32 + 2));
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		if (data[i] != '\n' || (i > 0 && data[i - 1] == '\r'))
			continue;
		g_byte_array_append(ba, (const guint8 *)data + start, (guint)(i - start));
		g_byte_array_append(ba, (const guint8 *)"\r\n", 2);
		start = i + 1;
	}
	g_byte_array_append(ba, (const guint8 *)data + start, (guint)(len - start));
	return ba;
}

/* A text/<subtype> part holding bytes already in the part's charset. */
static GMimeObject *text_part(const char *subtype, const char *data, size_t len, bool jis)
{
	GMimeTextPart *tp = g_mime_text_part_new_with_subtype(subtype);
	GMimePart *part = GMIME_PART(tp);
	GMimeStream *s = g_mime_stream_mem_new_with_byte_array(crlf_bytes(data, len));
	GMimeDataWrapper *w =
	        g_mime_data_wrapper_new_with_stream(s, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, w);
	g_object_unref(w);
	g_object_unref(s);
	g_mime_text_part_set_charset(tp, jis ? "iso-2022-jp" : "utf-8");
	g_mime_part_set_content_encoding(part, jis ? GMIME_CONTENT_ENCODING_7BIT
	                                           : g_mime_part_get_best_content_encoding(
	                                                     part, GMIME_ENCODING_CONSTRAINT_7BIT));
	return GMIME_OBJECT(part);
}

/* One body part from UTF-8 text: converted first in ISO-2022-JP mode. */
static enum jm_rc body_part(const char *subtype, const char *text, bool jis, GMimeObject **out)
{
	if (!jis) {
		*out = text_part(subtype, text, strlen(text), false);
		return JM_OK;
	}
	struct buf conv = BUF_INIT;
	enum jm_rc rc = to_iso2022jp(text, &conv);
	if (rc == JM_OK)
		*out = text_part(subtype, buf_cstr(&conv), conv.len, true);
	buf_free(&conv);
	return rc;
}

/* One extra part (struct mail_extra) from its bytes. */
static GMimeObject *extra_part(const struct mail_extra *p)
{
	GMimeContentType *ct = g_mime_content_type_parse(NULL, p->ctype);
	GMimePart *part = g_mime_part_new_with_type(g_mime_content_type_get_media_type(ct),
	                                            g_mime_content_type_get_media_subtype(ct));
	GMimeParamList *params = g_mime_content_type_get_parameters(ct);
	for (int i = 0; params && i < g_mime_param_list_length(params); i++) {
		GMimeParam *pm = g_mime_param_list_get_parameter_at(params, i);
		g_mime_object_set_content_type_parameter(
		        GMIME_OBJECT(part), g_mime_param_get_name(pm), g_mime_param_get_value(pm));
	}
	g_object_unref(ct);
	GByteArray *ba = g_byte_array_new();
	if (p->base64) {
		gsize n = 0;
		char *txt = g_strndup(p->data, p->len);
		guchar *raw = g_base64_decode(txt, &n);
		g_byte_array_append(ba, raw, (guint)n);
		g_free(raw);
		g_free(txt);
	} else
		g_byte_array_append(ba, p->data, (guint)p->len);
	GMimeStream *s = g_mime_stream_mem_new_with_byte_array(ba);
	GMimeDataWrapper *w =
	        g_mime_data_wrapper_new_with_stream(s, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, w);
	g_object_unref(w);
	g_object_unref(s);
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	if (!p->alternative) {
		g_mime_object_set_disposition(GMIME_OBJECT(part),
		                              p->inline_disp ? "inline" : "attachment");
		if (p->filename)
			g_mime_part_set_filename(part, p->filename);
	}
	if (p->content_id)
		g_mime_part_set_content_id(part, p->content_id);
	return GMIME_OBJECT(part);
}

static bool extra_ok(const struct mail_extra *p)
{
	return p->ctype && header_text_ok(p->ctype) && strchr(p->ctype, '/') && p->data &&
	       (!p->filename || header_text_ok(p->filename)) &&
	       (!p->content_id || header_ascii_ok(p->content_id, false));
}

/* text/plain alone, or multipart/alternative of text/plain, text/html and
 * the alternative extra parts; then multipart/mixed with the attachments. */
static enum jm_rc make_body(const struct mail_msg *m, GMimeObject **out)
{
	bool jis = m->charset == MAIL_ISO2022JP;
	GMimeObject *text = NULL, *html = NULL;
	size_t nalt = 0;
	for (size_t i = 0; i < m->nparts; i++)
		nalt += m->parts[i].alternative;
	enum jm_rc rc = body_part("plain", m->text, jis, &text);
	if (rc || (!m->html && !m->nparts)) {
		*out = text;
		return rc;
	}
	if (m->html && (rc = body_part("html", m->html, jis, &html))) {
		g_object_unref(text);
		return rc;
	}
	GMimeObject *body = text;
	if (html || nalt) {
		GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
		g_mime_multipart_add(alt, text);
		g_object_unref(text);
		if (html) {
			g_mime_multipart_add(alt, html);
			g_object_unref(html);
		}
		for (size_t i = 0; i < m->nparts; i++)
			if (m->parts[i].alternative) {
				GMimeObject *p = extra_part(&m->parts[i]);
				g_mime_multipart_add(alt, p);
				g_object_unref(p);
			}
		body = GMIME_OBJECT(alt);
	}
	if (nalt < m->nparts) {
		GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");
		g_mime_multipart_add(mixed, body);
		g_object_unref(body);
		for (size_t i = 0; i < m->nparts; i++)
			if (!m->parts[i].alternative) {
				GMimeObject *p = extra_part(&m->parts[i]);
				g_mime_multipart_add(mixed, p);
				g_object_unref(p);
			}
		body = GMIME_OBJECT(mixed);
	}
	*out = body;
	return JM_OK;
}

/* ---- headers ---- */

static void add_mailbox(GMimeMessage *msg, GMimeAddressType type, const char *name,
                        const char *addr, const char *charset)
{
	InternetAddress *ia = internet_address_mailbox_new(name && *name ? name : NULL, addr);
	internet_address_set_charset(ia, charset);
	internet_address_list_add(g_mime_message_get_addresses(msg, type), ia);
	g_object_unref(ia);
}

static void set_headers(GMimeMessage *msg, const struct mail_msg *m, const char *charset)
{
	GMimeObject *obj = GMIME_OBJECT(msg);
	add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, m->from_name, m->from_addr, charset);
	if (m->reply_to)
		add_mailbox(msg, GMIME_ADDRESS_TYPE_REPLY_TO, NULL, m->reply_to, charset);
	add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, m->to_name, m->to_addr, charset);
	g_mime_message_set_subject(msg, m->subject, charset);
	GDateTime *dt = g_date_time_new_from_unix_utc(m->date);
	g_mime_message_set_date(msg, dt);
	g_date_time_unref(dt);
	char tok[32], id[300];
	jm_random_token(tok, 16);
	snprintf(id, sizeof(id), "%s@%s", tok, m->message_id_domain);
	if (m->message_id) /* checked by msgid_ok: GMime adds the brackets */
		snprintf(id, sizeof(id), "%.*s", (int)strlen(m->message_id) - 2, m->message_id + 1);
	g_mime_message_set_message_id(msg, id);
	if (m->in_reply_to)
		g_mime_object_set_header(obj, "In-Reply-To", m->in_reply_to, NULL);
	if (m->references)
		g_mime_object_set_header(obj, "References", m->references, NULL);
	if (m->list_id)
		g_mime_object_set_header(obj, "List-Id", m->list_id, charset);
	if (m->unsubscribe_url) {
		char *v = g_strdup_printf("<%s>", m->unsubscribe_url);
		g_mime_object_set_header(obj, "List-Unsubscribe", v, NULL);
		g_free(v);
		g_mime_object_set_header(obj, "List-Unsubscribe-Post", "List-Unsubscribe=One-Click",
		                         NULL);
	}
	g_mime_object_set_header(obj, "MIME-Version", "1.0", NULL);
}

static bool has_8bit(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

/* Replaces the value of header name with phrase as ISO-2022-JP B words,
 * followed by tail (an angle address) when given. */
static enum jm_rc jis_header(GMimeMessage *msg, const char *name, const char *phrase,
                             const char *tail)
{
	struct buf raw = BUF_INIT;
	enum jm_rc rc = jis_words(phrase, &raw);
	if (rc == JM_OK && tail)
		rc = buf_appendf(&raw, " %s\n", tail);
	GMimeHeader *h = g_mime_header_list_get_header(
	        g_mime_object_get_header_list(GMIME_OBJECT(msg)), name);
	if (rc == JM_OK && h && raw.len)
		g_mime_header_set_raw_value(h, raw.ptr);
	buf_free(&raw);
	return rc;
}

/* GMime would encode ISO-2022-JP with "Q" and may make words longer than
 * RFC 2047 allows; Japanese mail wants "B", so the headers with Japanese
 * text get their raw values here. */
static enum jm_rc jis_headers(GMimeMessage *msg, const struct mail_msg *m)
{
	enum jm_rc rc = JM_OK;
	char tail[300];
	if (has_8bit(m->subject))
		rc = jis_header(msg, "Subject", m->subject, NULL);
	if (rc == JM_OK && m->from_name && has_8bit(m->from_name)) {
		snprintf(tail, sizeof(tail), "<%s>", m->from_addr);
		rc = jis_header(msg, "From", m->from_name, tail);
	}
	if (rc == JM_OK && m->to_name && has_8bit(m->to_name)) {
		snprintf(tail, sizeof(tail), "<%s>", m->to_addr);
		rc = jis_header(msg, "To", m->to_name, tail);
	}
	const char *lt = m->list_id ? strrchr(m->list_id, '<') : NULL;
	if (rc == JM_OK && lt && lt > m->list_id && has_8bit(m->list_id)) {
		char *phrase = g_strstrip(g_strndup(m->list_id, (gsize)(lt - m->list_id)));
		rc = jis_header(msg, "List-Id", phrase, lt);
		g_free(phrase);
	}
	return rc;
}

enum jm_rc mail_build(const struct mail_msg *m, struct buf *out, struct jm_err *err)
{
	enum jm_rc rc = check_msg(m, err);
	if (rc)
		return rc;
	pthread_once(&fmt_once, fmt_init);
	GMimeObject *body = NULL;
	rc = make_body(m, &body);
	if (rc) {
		jm_err_set(err, NULL,
		           rc == JM_TOO_LARGE ? "message too large"
		                              : "cannot convert to ISO-2022-JP");
		return rc;
	}
	GMimeMessage *msg = g_mime_message_new(TRUE);
	set_headers(msg, m, m->charset == MAIL_ISO2022JP ? "iso-2022-jp" : "utf-8");
	g_mime_message_set_mime_part(msg, body);
	g_object_unref(body);
	if (m->charset == MAIL_ISO2022JP && (rc = jis_headers(msg, m)) != JM_OK) {
		jm_err_set(err, NULL, "cannot convert the headers to ISO-2022-JP");
		g_object_unref(msg);
		return rc;
	}
	GMimeStream *mem = g_mime_stream_mem_new();
	g_mime_object_write_to_stream(GMIME_OBJECT(msg), crlf_format, mem);
	GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	rc = buf_append(out, bytes->data, bytes->len);
	if (rc)
		jm_err_set(err, NULL, "message too large");
	g_object_unref(mem);
	g_object_unref(msg);
	return rc;
}

/* ---- addresses ---- */

static bool local_char_ok(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL;
}

/* Domain: dot-separated labels of letters, digits and inner hyphens, at
 * least two labels. */
static bool addr_domain_ok(const char *d)
{
	size_t label = 0, labels = 0;
	for (const char *p = d;; p++) {
		if (*p == '.' || !*p) {
			if (label == 0 || label > 63 || p[-1] == '-')
				return false;
			labels++;
			label = 0;
			if (!*p)
				break;
			continue;
		}
		bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		             (*p >= '0' && *p <= '9');
		if (!alnum && !(*p == '-' && label > 0))
			return false;
		label++;
	}
	return labels >= 2;
}

bool mail_addr_valid(const char *addr)
{
	if (!addr)
		return false;
	size_t len = strlen(addr);
	const char *at = strrchr(addr, '@');
	if (len > 254 || !at || at == addr || at - addr > 64)
		return false;
	/* Dots anywhere in the local part: Japanese carriers handed out
	 * "taro..yamada.@docomo.ne.jp" for years and still deliver to them. */
	for (const char *p = addr; p < at; p++)
		if (!local_char_ok((unsigned char)*p))
			return false;
	return addr_domain_ok(at + 1);
}

bool mail_is_carrier_domain(const char *domain)
{
	static const char *const carriers[] = {"docomo.ne.jp", "ezweb.ne.jp", "au.com",
	                                       "softbank.ne.jp", "i.softbank.jp"};
	if (!domain)
		return false;
	const char *at = strrchr(domain, '@');
	if (at)
		domain = at + 1;
	size_t dl = strlen(domain);
	for (size_t i = 0; i < sizeof(carriers) / sizeof(carriers[0]); i++) {
		size_t cl = strlen(carriers[i]);
		if (dl == cl && strcasecmp(domain, carriers[i]) == 0)
			return true;
		if (dl > cl && domain[dl - cl - 1] == '.' &&
		    strcasecmp(domain + dl - cl, carriers[i]) == 0)
			return true;
	}
	return false;
}
