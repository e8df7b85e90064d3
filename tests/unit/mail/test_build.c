/* Unit tests for src/mail/build.c: messages are built, parsed back with
 * GMime and checked header by header; header injection is refused;
 * ISO-2022-JP output is 7-bit, wrapped, and converts back with iconv. */
#include <gmime/gmime.h>
#include <iconv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mail/mail_int.h"

#define SUBJECT_JA "【第12号】春の新刊のお知らせ — 人脈づくりの話"
#define URL        "https://example.jp/unsubscribe?token=abc.DEF_123-xyz"

static struct mail_msg sample(void)
{
	struct mail_msg m = {
	        .from_name = "山田 太郎",
	        .from_addr = "taro@example.jp",
	        .reply_to = "reply@example.jp",
	        .to_name = "佐藤 花子",
	        .to_addr = "hanako@example.com",
	        .subject = SUBJECT_JA,
	        .text = "佐藤さん、こんにちは。\n今号の内容です。\n",
	        .html = "<p>佐藤さん、こんにちは。</p>",
	        .list_id = "山田の通信 <news.example.jp>",
	        .unsubscribe_url = URL,
	        .message_id_domain = "example.jp",
	        .charset = MAIL_UTF8,
	        .date = 1767225600, /* 2026-01-01T00:00:00Z */
	};
	return m;
}

static GMimeMessage *parse(const struct buf *b)
{
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(b->ptr, b->len);
	GMimeParser *p = g_mime_parser_new_with_stream(s);
	GMimeMessage *msg = g_mime_parser_construct_message(p, NULL);
	g_object_unref(p);
	g_object_unref(s);
	assert_non_null(msg);
	return msg;
}

/* Every line ends in CRLF and none is longer than max bytes. */
static void assert_crlf(const struct buf *b, size_t max)
{
	size_t line = 0;
	for (size_t i = 0; i < b->len; i++) {
		if (b->ptr[i] == '\n') {
			assert_true(i > 0 && b->ptr[i - 1] == '\r');
			line = 0;
			continue;
		}
		assert_int_not_equal(b->ptr[i], '\0');
		line++;
		assert_true(line <= max + 1); /* +1: the CR before LF */
	}
}

/* Decoded content of a part, with CRs removed (caller frees). */
static char *part_text(GMimeObject *obj)
{
	GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(obj));
	GMimeStream *mem = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(w, mem);
	GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	char *s = xmalloc(ba->len + 1);
	size_t n = 0;
	for (guint i = 0; i < ba->len; i++)
		if (ba->data[i] != '\r')
			s[n++] = (char)ba->data[i];
	s[n] = '\0';
	g_object_unref(mem);
	return s;
}

/* The decoded value of an RFC 2047 header, decoding each encoded word on
 * its own: GMime 3.2 joins adjacent base64 words before decoding and stops
 * at the first word's "=" padding, which mail clients and Python do not. */
static void assert_decoded(GMimeMessage *msg, const char *name, const char *want)
{
	GMimeHeader *h = g_mime_header_list_get_header(
	        g_mime_object_get_header_list(GMIME_OBJECT(msg)), name);
	assert_non_null(h);
	const char *raw = g_mime_header_get_raw_value(h);
	gchar **words = g_strsplit_set(raw, " \t\r\n", -1);
	GString *got = g_string_new(NULL);
	bool prev_plain = false;
	for (gchar **w = words; *w; w++) {
		if (!**w)
			continue;
		bool enc = g_str_has_prefix(*w, "=?") && g_str_has_suffix(*w, "?=");
		if (got->len && (!enc || prev_plain))
			g_string_append_c(got, ' ');
		char *d = enc ? g_mime_utils_header_decode_text(NULL, *w) : g_strdup(*w);
		g_string_append(got, d);
		g_free(d);
		prev_plain = !enc;
	}
	assert_string_equal(got->str, want);
	g_string_free(got, TRUE);
	g_strfreev(words);
}

static void assert_header(GMimeMessage *msg, const char *name, const char *want)
{
	const char *v = g_mime_object_get_header(GMIME_OBJECT(msg), name);
	assert_non_null(v);
	assert_string_equal(v, want);
}

static void test_utf8_alternative(void **state)
{
	(void)state;
	struct mail_msg m = sample();
	struct buf b = BUF_INIT;
	assert_int_equal(mail_build(&m, &b, NULL), JM_OK);
	assert_crlf(&b, 998);
	assert_non_null(strcasestr(b.ptr, "Subject: =?utf-8?b?"));
	assert_null(strstr(b.ptr, "春の新刊")); /* raw UTF-8 never appears in headers */
	GMimeMessage *msg = parse(&b);
	assert_decoded(msg, "Subject", SUBJECT_JA);
	InternetAddressList *from = g_mime_message_get_from(msg);
	assert_int_equal(internet_address_list_length(from), 1);
	InternetAddress *ia = internet_address_list_get_address(from, 0);
	assert_string_equal(internet_address_get_name(ia), "山田 太郎");
	assert_string_equal(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)),
	                    "taro@example.jp");
	ia = internet_address_list_get_address(g_mime_message_get_to(msg), 0);
	assert_string_equal(internet_address_get_name(ia), "佐藤 花子");
	ia = internet_address_list_get_address(g_mime_message_get_reply_to(msg), 0);
	assert_string_equal(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)),
	                    "reply@example.jp");
	GDateTime *dt = g_mime_message_get_date(msg);
	assert_int_equal(g_date_time_to_unix(dt), 1767225600);
	const char *id = g_mime_message_get_message_id(msg);
	assert_true(strlen(id) > 20 && strcmp(id + strlen(id) - 11, "@example.jp") == 0);
	assert_header(msg, "List-Unsubscribe", "<" URL ">");
	assert_header(msg, "List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
	assert_header(msg, "MIME-Version", "1.0");
	char *lid = g_mime_utils_header_decode_text(
	        NULL, g_mime_object_get_header(GMIME_OBJECT(msg), "List-Id"));
	assert_string_equal(lid, "山田の通信 <news.example.jp>");
	g_free(lid);
	assert_null(g_mime_object_get_header(GMIME_OBJECT(msg), "In-Reply-To"));

	GMimeObject *body = g_mime_message_get_mime_part(msg);
	assert_true(GMIME_IS_MULTIPART(body));
	assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(body), "multipart",
	                                        "alternative"));
	assert_int_equal(g_mime_multipart_get_count(GMIME_MULTIPART(body)), 2);
	GMimeObject *t = g_mime_multipart_get_part(GMIME_MULTIPART(body), 0);
	GMimeObject *h = g_mime_multipart_get_part(GMIME_MULTIPART(body), 1);
	assert_true(
	        g_mime_content_type_is_type(g_mime_object_get_content_type(t), "text", "plain"));
	assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(h), "text", "html"));
	assert_string_equal(g_mime_text_part_get_charset(GMIME_TEXT_PART(t)), "utf-8");
	GMimeContentEncoding enc = g_mime_part_get_content_encoding(GMIME_PART(t));
	assert_true(enc == GMIME_CONTENT_ENCODING_BASE64 ||
	            enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	char *s = part_text(t);
	assert_string_equal(s, m.text);
	free(s);
	s = part_text(h);
	assert_string_equal(s, m.html);
	free(s);
	g_object_unref(msg);
	buf_free(&b);
}

static void test_text_only_and_threading(void **state)
{
	(void)state;
	struct mail_msg m = sample();
	m.html = NULL;
	m.unsubscribe_url = NULL;
	m.list_id = NULL;
	m.reply_to = NULL;
	m.to_name = NULL;
	m.subject = "Plain ASCII subject";
	m.text = "line one\r\nline two\r\n.\r\nafter a dot line\n";
	m.in_reply_to = "<abc@example.com>";
	m.references = "<x@example.com> <abc@example.com>";
	struct buf b = BUF_INIT;
	assert_int_equal(mail_build(&m, &b, NULL), JM_OK);
	assert_crlf(&b, 998);
	assert_null(strstr(b.ptr, "\r\r"));
	assert_non_null(strstr(b.ptr, "Subject: Plain ASCII subject\r\n"));
	GMimeMessage *msg = parse(&b);
	assert_null(g_mime_object_get_header(GMIME_OBJECT(msg), "List-Unsubscribe"));
	assert_null(g_mime_object_get_header(GMIME_OBJECT(msg), "List-Unsubscribe-Post"));
	assert_null(g_mime_object_get_header(GMIME_OBJECT(msg), "List-Id"));
	assert_null(g_mime_object_get_header(GMIME_OBJECT(msg), "Reply-To"));
	assert_header(msg, "In-Reply-To", "<abc@example.com>");
	GMimeReferences *refs = g_mime_references_parse(
	        NULL, g_mime_object_get_header(GMIME_OBJECT(msg), "References"));
	assert_int_equal(g_mime_references_length(refs), 2);
	assert_string_equal(g_mime_references_get_message_id(refs, 1), "abc@example.com");
	g_mime_references_free(refs);
	GMimeObject *body = g_mime_message_get_mime_part(msg);
	assert_true(GMIME_IS_TEXT_PART(body));
	char *s = part_text(body);
	assert_string_equal(s, "line one\nline two\n.\nafter a dot line\n");
	free(s);
	g_object_unref(msg);
	/* Two builds never share a Message-ID. */
	struct buf b2 = BUF_INIT;
	assert_int_equal(mail_build(&m, &b2, NULL), JM_OK);
	const char *id1 = strstr(b.ptr, "Message-Id: ");
	const char *id2 = strstr(b2.ptr, "Message-Id: ");
	assert_non_null(id1);
	assert_non_null(id2);
	assert_int_not_equal(memcmp(id1, id2, 30), 0);
	buf_free(&b);
	buf_free(&b2);
}

/* Extra parts: an alternative text/calendar beside the text, attachments
 * in multipart/mixed (base64 input decoded), and a line break in a part's
 * content type or file name refused. */
static void test_extra_parts(void **state)
{
	(void)state;
	struct mail_msg m = sample();
	m.html = NULL;
	static const char ics[] = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n";
	struct mail_extra parts[] = {
	        {.ctype = "text/calendar; method=REQUEST; charset=UTF-8",
	         .data = ics,
	         .len = sizeof(ics) - 1,
	         .alternative = true},
	        {.ctype = "image/png",
	         .filename = "受付票.png",
	         .content_id = "qr-1@example.jp",
	         .data = "iVBORw0KGgo=",
	         .len = 12,
	         .base64 = true,
	         .inline_disp = true},
	};
	m.parts = parts;
	m.nparts = 2;
	struct buf b = BUF_INIT;
	assert_int_equal(mail_build(&m, &b, NULL), JM_OK);
	assert_crlf(&b, 998);
	GMimeMessage *msg = parse(&b);
	GMimeObject *top = g_mime_message_get_mime_part(msg);
	assert_true(GMIME_IS_MULTIPART(top));
	assert_string_equal(
	        g_mime_content_type_get_media_subtype(g_mime_object_get_content_type(top)),
	        "mixed");
	GMimeMultipart *mixed = GMIME_MULTIPART(top);
	assert_int_equal(g_mime_multipart_get_count(mixed), 2);
	GMimeObject *alt = g_mime_multipart_get_part(mixed, 0);
	assert_true(GMIME_IS_MULTIPART(alt));
	GMimeObject *cal = g_mime_multipart_get_part(GMIME_MULTIPART(alt), 1);
	assert_string_equal(g_mime_object_get_content_type_parameter(cal, "method"), "REQUEST");
	GMimeObject *png = g_mime_multipart_get_part(mixed, 1);
	assert_string_equal(g_mime_part_get_filename(GMIME_PART(png)), "受付票.png");
	assert_string_equal(g_mime_object_get_disposition(png), "inline");
	GMimeStream *out = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(GMIME_PART(png)), out);
	GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	assert_int_equal(bytes->len, 8);
	assert_memory_equal(bytes->data, "\x89PNG\r\n\x1a\n", 8);
	g_object_unref(out);
	g_object_unref(msg);
	buf_free(&b);
	struct jm_err err = {0};
	parts[1].filename = "a\r\nBcc: x@example.com";
	assert_int_equal(mail_build(&m, &b, &err), JM_INVALID);
	assert_string_equal(err.field, "parts");
	assert_int_equal(b.len, 0);
	parts[1].filename = NULL;
	parts[0].ctype = "text/calendar\r\nX: y";
	assert_int_equal(mail_build(&m, &b, &err), JM_INVALID);
	buf_free(&b);
}

/* Every header input refuses CR, LF and control characters, naming the
 * field, and leaves the output untouched. */
static void test_header_injection(void **state)
{
	(void)state;
	static const char *const evil[] = {"evil\r\nBcc: x@y", "evil\nBcc: x@y", "evil\rBcc: x@y",
	                                   "evil\x01"};
	static const struct {
		const char *field;
		size_t off;
	} fields[] = {
	        {"from_name", offsetof(struct mail_msg, from_name)},
	        {"from_addr", offsetof(struct mail_msg, from_addr)},
	        {"reply_to", offsetof(struct mail_msg, reply_to)},
	        {"to_name", offsetof(struct mail_msg, to_name)},
	        {"to_addr", offsetof(struct mail_msg, to_addr)},
	        {"subject", offsetof(struct mail_msg, subject)},
	        {"list_id", offsetof(struct mail_msg, list_id)},
	        {"unsubscribe_url", offsetof(struct mail_msg, unsubscribe_url)},
	        {"message_id_domain", offsetof(struct mail_msg, message_id_domain)},
	        {"in_reply_to", offsetof(struct mail_msg, in_reply_to)},
	        {"references", offsetof(struct mail_msg, references)},
	        {"message_id", offsetof(struct mail_msg, message_id)},
	};
	for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		for (size_t e = 0; e < sizeof(evil) / sizeof(evil[0]); e++) {
			struct mail_msg m = sample();
			*(const char **)((char *)&m + fields[f].off) = evil[e];
			struct buf b = BUF_INIT;
			struct jm_err err = {{0}, {0}};
			assert_int_equal(mail_build(&m, &b, &err), JM_INVALID);
			assert_string_equal(err.field, fields[f].field);
			assert_int_equal(b.len, 0);
			buf_free(&b);
		}
	}
	/* Addresses with an injected recipient, and bad URL schemes. */
	struct mail_msg m = sample();
	struct jm_err err = {{0}, {0}};
	struct buf b = BUF_INIT;
	m.to_addr = "a@example.com>, <b@example.com";
	assert_int_equal(mail_build(&m, &b, &err), JM_INVALID);
	assert_string_equal(err.field, "to_addr");
	m = sample();
	m.unsubscribe_url = "javascript:alert(1)";
	assert_int_equal(mail_build(&m, &b, &err), JM_INVALID);
	assert_string_equal(err.field, "unsubscribe_url");
	m = sample();
	m.subject = NULL;
	assert_int_equal(mail_build(&m, &b, &err), JM_INVALID);
	assert_string_equal(err.field, "subject");
	m = sample();
	m.text = "\xff\xfe not utf-8";
	assert_int_equal(mail_build(&m, &b, &err), JM_INVALID);
	assert_string_equal(err.field, "text");
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

/* A fixed Message-ID goes out as given; a malformed one is refused. */
static void test_fixed_message_id(void **state)
{
	(void)state;
	struct mail_msg m = sample();
	m.message_id = "<reply-7.AbC_d-9@example.jp>";
	struct buf b = BUF_INIT;
	assert_int_equal(mail_build(&m, &b, NULL), JM_OK);
	assert_non_null(strstr(b.ptr, "\r\nMessage-Id: <reply-7.AbC_d-9@example.jp>\r\n"));
	buf_free(&b);
	static const char *const bad[] = {"reply@example.jp",
	                                  "<reply@example.jp",
	                                  "<a b@x.jp>",
	                                  "<a@b@x.jp>",
	                                  "<@x.jp>",
	                                  "<a@>",
	                                  "<a>@x.jp>",
	                                  "<a@x.jp>>",
	                                  "<<a@x.jp>",
	                                  "<a\"b@x.jp>",
	                                  "<\xe3\x81\x82@x.jp>",
	                                  ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct jm_err err = {{0}, {0}};
		m.message_id = bad[i];
		assert_int_equal(mail_build(&m, &b, &err), JM_INVALID);
		assert_string_equal(err.field, "message_id");
		assert_int_equal(b.len, 0);
	}
	buf_free(&b);
}

/* UTF-8 text of ISO-2022-JP bytes (caller frees). */
static char *from_jis(const char *in, size_t len)
{
	iconv_t cd = iconv_open("UTF-8", "ISO-2022-JP");
	assert_true(cd != (iconv_t)-1);
	size_t cap = len * 4 + 16, ol = cap;
	char *out = xmalloc(cap), *op = out, *ip = (char *)in;
	size_t il = len;
	assert_int_not_equal(iconv(cd, &ip, &il, &op, &ol), (size_t)-1);
	*op = '\0';
	iconv_close(cd);
	return out;
}

/* s without CR and LF (caller frees). */
static char *unwrap(const char *s)
{
	char *o = xmalloc(strlen(s) + 1), *p = o;
	for (; *s; s++)
		if (*s != '\r' && *s != '\n')
			*p++ = *s;
	*p = '\0';
	return o;
}

static void test_iso2022jp(void **state)
{
	(void)state;
	struct buf text = BUF_INIT;
	for (int i = 0; i < 12; i++)
		assert_int_equal(buf_appends(&text, "人脈はお互いに利益のある関係です。ABC全角"),
		                 JM_OK);
	assert_int_equal(buf_appends(&text, "\n" URL "\nおわり\n"), JM_OK);
	struct mail_msg m = sample();
	m.charset = MAIL_ISO2022JP;
	m.text = text.ptr;
	m.subject =
	        "【第12号】春の新刊のお知らせ ― 人脈づくりの話と、長い件名が折り返されることの確認";
	struct buf b = BUF_INIT;
	assert_int_equal(mail_build(&m, &b, NULL), JM_OK);
	for (size_t i = 0; i < b.len; i++)
		assert_true((unsigned char)b.ptr[i] < 0x80);
	assert_crlf(&b, 76);
	assert_non_null(strstr(b.ptr, "Subject: =?ISO-2022-JP?B?"));
	GMimeMessage *msg = parse(&b);
	assert_decoded(msg, "Subject", m.subject);
	char *lid = g_mime_utils_header_decode_text(
	        NULL, g_mime_object_get_header(GMIME_OBJECT(msg), "List-Id"));
	assert_string_equal(lid, "山田の通信 <news.example.jp>");
	g_free(lid);
	InternetAddress *ia = internet_address_list_get_address(g_mime_message_get_from(msg), 0);
	assert_string_equal(internet_address_get_name(ia), "山田 太郎");
	GMimeObject *body = g_mime_message_get_mime_part(msg);
	GMimeObject *t = g_mime_multipart_get_part(GMIME_MULTIPART(body), 0);
	GMimeObject *h = g_mime_multipart_get_part(GMIME_MULTIPART(body), 1);
	assert_string_equal(g_mime_text_part_get_charset(GMIME_TEXT_PART(t)), "iso-2022-jp");
	assert_int_equal(g_mime_part_get_content_encoding(GMIME_PART(t)),
	                 GMIME_CONTENT_ENCODING_7BIT);
	char *raw = part_text(t);
	char *utf8 = from_jis(raw, strlen(raw));
	char *a = unwrap(utf8), *w = unwrap(text.ptr);
	assert_string_equal(a, w);
	assert_non_null(strstr(utf8, "\n" URL "\n")); /* the URL is never broken */
	free(a);
	free(w);
	free(utf8);
	free(raw);
	raw = part_text(h);
	utf8 = from_jis(raw, strlen(raw));
	assert_string_equal(utf8, m.html);
	free(utf8);
	free(raw);
	g_object_unref(msg);
	buf_free(&b);
	buf_free(&text);
}

/* A character ISO-2022-JP lacks becomes its JIS twin or "?" rather than
 * failing the send. */
static void test_iso2022jp_unmappable(void **state)
{
	(void)state;
	struct mail_msg m = sample();
	m.charset = MAIL_ISO2022JP;
	m.html = NULL;
	m.text = "絵文字😀です。10:00～12:00 ｶﾀｶﾅ①";
	m.subject = "お知らせ — ～";
	struct buf b = BUF_INIT;
	assert_int_equal(mail_build(&m, &b, NULL), JM_OK);
	GMimeMessage *msg = parse(&b);
	assert_decoded(msg, "Subject", "お知らせ ― 〜");
	char *raw = part_text(g_mime_message_get_mime_part(msg));
	char *utf8 = from_jis(raw, strlen(raw));
	assert_string_equal(utf8, "絵文字?です。10:00〜12:00 カタカナ?\n");
	free(utf8);
	free(raw);
	g_object_unref(msg);
	buf_free(&b);
}

static void test_cap(void **state)
{
	(void)state;
	struct mail_msg m = sample();
	struct buf b;
	buf_init(&b, 200);
	struct jm_err err = {{0}, {0}};
	assert_int_equal(mail_build(&m, &b, &err), JM_TOO_LARGE);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void test_addr_valid(void **state)
{
	(void)state;
	assert_true(mail_addr_valid("a@example.com"));
	assert_true(mail_addr_valid("first.last+tag@sub.example.co.jp"));
	assert_true(mail_addr_valid("taro..yamada.@docomo.ne.jp"));
	assert_false(mail_addr_valid(NULL));
	assert_false(mail_addr_valid(""));
	assert_false(mail_addr_valid("no-at.example.com"));
	assert_false(mail_addr_valid("@example.com"));
	assert_false(mail_addr_valid("a@"));
	assert_false(mail_addr_valid("a@localhost"));
	assert_false(mail_addr_valid("a@-bad.com"));
	assert_false(mail_addr_valid("a@bad-.com"));
	assert_false(mail_addr_valid("a@exa..mple.com"));
	assert_false(mail_addr_valid("a b@example.com"));
	assert_false(mail_addr_valid("a@example.com\r\nRCPT TO:<b@example.com>"));
	assert_false(mail_addr_valid("a<b>@example.com"));
	assert_false(mail_addr_valid("山田@example.jp"));
	char local[66], addr[300];
	memset(local, 'x', 65);
	local[65] = '\0';
	snprintf(addr, sizeof(addr), "%s@example.com", local);
	assert_false(mail_addr_valid(addr)); /* local part of 65 */
	local[64] = '\0';
	snprintf(addr, sizeof(addr), "%s@example.com", local);
	assert_true(mail_addr_valid(addr));
	/* 254 is the longest address. */
	char lab[64];
	memset(lab, 'd', 63);
	lab[63] = '\0';
	snprintf(addr, sizeof(addr), "%s@%s.%s.%s.ab", local, lab, lab, lab);
	assert_int_equal(strlen(addr), 259);
	assert_false(mail_addr_valid(addr));
	snprintf(addr, sizeof(addr), "%.59s@%s.%s.%s.ab", local, lab, lab, lab);
	assert_int_equal(strlen(addr), 254);
	assert_true(mail_addr_valid(addr));
}

static void test_carrier(void **state)
{
	(void)state;
	assert_true(mail_is_carrier_domain("docomo.ne.jp"));
	assert_true(mail_is_carrier_domain("EZweb.ne.jp"));
	assert_true(mail_is_carrier_domain("au.com"));
	assert_true(mail_is_carrier_domain("i.softbank.jp"));
	assert_true(mail_is_carrier_domain("softbank.ne.jp"));
	assert_true(mail_is_carrier_domain("t.vodafone.softbank.ne.jp"));
	assert_true(mail_is_carrier_domain("user@docomo.ne.jp"));
	assert_false(mail_is_carrier_domain("notdocomo.ne.jp"));
	assert_false(mail_is_carrier_domain("docomo.ne.jp.evil.com"));
	assert_false(mail_is_carrier_domain("softbank.jp"));
	assert_false(mail_is_carrier_domain("gmail.com"));
	assert_false(mail_is_carrier_domain(""));
	assert_false(mail_is_carrier_domain(NULL));
}

static int group_setup(void **state)
{
	(void)state;
	mail_gmime_init();
	return jm_crypto_init() == JM_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	mail_shutdown();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_utf8_alternative),
	        cmocka_unit_test(test_text_only_and_threading),
	        cmocka_unit_test(test_header_injection),
	        cmocka_unit_test(test_extra_parts),
	        cmocka_unit_test(test_fixed_message_id),
	        cmocka_unit_test(test_iso2022jp),
	        cmocka_unit_test(test_iso2022jp_unmappable),
	        cmocka_unit_test(test_cap),
	        cmocka_unit_test(test_addr_valid),
	        cmocka_unit_test(test_carrier),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
