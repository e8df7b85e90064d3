/*
 * mail.h — what other modules see of mail/: MIME parsing and building
 * through GMime, DKIM and SMTP. Only mail/ includes GMime; no GMime type
 * crosses this header.
 *
 * So far: multipart/form-data request bodies (RFC 7578), which are MIME and
 * therefore parsed by GMime rather than by hand.
 */
#ifndef JM_MAIL_H
#define JM_MAIL_H

#include "core/core.h"

/* One part of a multipart/form-data body. Every pointer is arena-owned and
 * NUL-terminated. */
struct mail_part {
	const char *name;     /* form field name: valid UTF-8, no NUL */
	const char *filename; /* NULL for a plain field; "" for an empty file input;
	                         untrusted: never use it as a path */
	const char *ctype;    /* lowercase "type/subtype" of the part; "text/plain"
	                         when absent for a field, "application/octet-stream"
	                         for a file */
	const char *data;     /* decoded content (binary for files); NULL for a
	                         file written to path */
	size_t len;           /* byte length of the content, without the NUL */
	const char *path;     /* spool_dir given: the file part's content is in
	                         this file (removed when the arena is freed) */
};

/* Parses a multipart/form-data body.
 *   content_type  the request's Content-Type header value; must be
 *                 multipart/form-data with a boundary parameter
 *   body, len     the request entity (already capped by the server)
 *   max_parts     at most this many parts are accepted
 *   parts   OUT   arena array of *nparts parts in body order
 *   err           optional detail (field names the bad part when known)
 * Returns JM_OK; JM_INVALID for a missing boundary, a malformed or
 * truncated body, a nested multipart, a part without a form-data name, or a
 * field (not a file) whose value is not UTF-8 or holds a NUL; JM_TOO_LARGE
 * when there are more than max_parts parts. Nothing is allocated outside
 * the arena once the call returns. Thread-safe (GMime is initialised once,
 * on first use). */
enum jm_rc mail_multipart_parse(struct arena *a, const char *content_type, const char *body,
                                size_t len, size_t max_parts, struct mail_part **parts,
                                size_t *nparts, struct jm_err *err) JM_WUR;
/* The same, but file parts (a filename given) are decoded straight into
 * new files of spool_dir (mode 0600, removed by a cleanup on the arena)
 * instead of the arena: an upload of many megabytes never sits in one heap
 * buffer (the body itself is read where it lies, never copied). JM_IO when
 * a file cannot be written. */
enum jm_rc mail_multipart_parse_spool(struct arena *a, const char *content_type, const char *body,
                                      size_t len, size_t max_parts, const char *spool_dir,
                                      struct mail_part **parts, size_t *nparts,
                                      struct jm_err *err) JM_WUR;

/* ---- outgoing messages (build.c, GMime) ----
 * RFC 5322/2045/2047/8058. Every header value is checked: CR or LF in a
 * name, subject or address gives JM_INVALID (STYLE.md 12). */
enum mail_charset { MAIL_UTF8, MAIL_ISO2022JP };

/* A part beside the text: an alternative of the body (an iCalendar
 * invitation, text/calendar; method=REQUEST) or an attachment (inline: an
 * image shown in place, e.g. a QR code). ctype is "type/subtype" with
 * optional "; name=value" parameters; filename and content_id may be
 * NULL. Sent base64 (alternatives: as GMime sees best). */
struct mail_extra {
	const char *ctype, *filename, *content_id;
	const void *data;
	size_t len;
	bool alternative; /* true: in the multipart/alternative beside the text */
	bool inline_disp; /* attachments: Content-Disposition inline, else attachment */
	bool base64;      /* data is the bytes in base64 text (len of it), decoded here */
};

struct mail_msg {
	const char *from_name, *from_addr;    /* From */
	const char *reply_to;                 /* may be NULL */
	const char *to_name, *to_addr;        /* To (to_name may be NULL) */
	const char *subject;                  /* UTF-8; RFC 2047 encoded as needed */
	const char *text;                     /* text/plain part, UTF-8 */
	const char *html;                     /* text/html part, UTF-8; NULL = text only */
	const char *list_id;                  /* List-Id value "Name <slug.host>", or NULL */
	const char *unsubscribe_url;          /* https URL: List-Unsubscribe + -Post, or NULL */
	const char *message_id_domain;        /* right side of Message-ID */
	const char *in_reply_to, *references; /* threading for replies, or NULL */
	const char *message_id;               /* "<id@host>" to send, or NULL = random */
	enum mail_charset charset;            /* ISO-2022-JP: 7bit, wrapped lines */
	int64_t date;                         /* Date header (unix seconds) */
	const struct mail_extra *parts;       /* NULL or nparts extra parts (UTF-8 mails only) */
	size_t nparts;
};
/* Appends the whole message (CRLF line ends) to out: multipart/alternative
 * when html is set (or an alternative part is given), else a single
 * text/plain part; inside multipart/mixed when attachments are given. UTF-8 bodies are
 * quoted-printable or base64 (GMime's choice); ISO-2022-JP bodies are 7bit
 * with lines of at most 76 bytes (URLs are not broken), Subject/names/List-Id
 * as "B" encoded words, and characters JIS lacks become their JIS twin
 * (～→〜, —→―, half-width kana→full-width) or "?". Message-ID is
 * <22 random chars@message_id_domain>; Date is in UTC.
 * Returns JM_OK; JM_INVALID (err->field names the struct member) for a
 * missing or bad address, a CR/LF/control character in any header input,
 * a non-http(s) unsubscribe_url or non-UTF-8 text; JM_TOO_LARGE when out's
 * cap is reached. On error out is unchanged. Thread-safe. */
enum jm_rc mail_build(const struct mail_msg *m, struct buf *out, struct jm_err *err) JM_WUR;
/* True when addr is a plausible mailbox: ASCII local@domain, ≤ 254 bytes,
 * local part ≤ 64 of atext and dots (in any place: Japanese carriers'
 * "a..b.@docomo.ne.jp" is accepted), domain of ≥ 2 LDH labels. */
bool mail_addr_valid(const char *addr);
/* Japanese feature-phone carrier domains (docomo.ne.jp, ezweb.ne.jp, au.com,
 * softbank.ne.jp, i.softbank.jp) and their subdomains, any case; a whole
 * address is accepted too (the part after '@' is checked). */
bool mail_is_carrier_domain(const char *domain);

/* ---- DKIM (dkim.c, libopendkim; keys made with OpenSSL) ----
 * rsa-sha256, relaxed/relaxed; signs From, To, Subject, Date, Message-ID,
 * List-Id, List-Unsubscribe and List-Unsubscribe-Post, and also Cc,
 * Reply-To, In-Reply-To, References, MIME-Version, Content-Type and
 * Content-Transfer-Encoding when present. */
struct mail_dkim;
/* Makes a new 2048-bit RSA key: appends it to pem (PKCS#8 PEM; a secret:
 * the caller stores it, wipes and frees the buffer) and to dns_txt the TXT
 * record value ("v=DKIM1; k=rsa; p=…") for S._domainkey.D. JM_IO when
 * OpenSSL fails. */
enum jm_rc mail_dkim_keygen(struct buf *pem, struct buf *dns_txt, struct jm_err *err) JM_WUR;
/* Checks the key in pem (len bytes; RSA PEM, PKCS#1 or #8, ≥ 1024 bits)
 * and keeps a copy. *out is immutable and may be shared by every thread.
 * JM_INVALID for a bad domain/selector/key (err->field says which). */
enum jm_rc mail_dkim_load_pem(const char *pem, size_t len, const char *domain, const char *selector,
                              struct mail_dkim **out, struct jm_err *err) JM_WUR;
/* mail_dkim_load_pem with the key read from the file at key_path; JM_IO
 * for an unreadable file. */
enum jm_rc mail_dkim_load(const char *key_path, const char *domain, const char *selector,
                          struct mail_dkim **out, struct jm_err *err) JM_WUR;
/* Prepends a DKIM-Signature header (CRLF, folded) to the message in msg.
 * JM_INVALID when msg is not a header block + blank line + body,
 * JM_TOO_LARGE past msg's cap (msg unchanged on error). Thread-safe. */
enum jm_rc mail_dkim_sign(struct mail_dkim *d, struct buf *msg, struct jm_err *err) JM_WUR;
void mail_dkim_free(struct mail_dkim *d);

/* ---- SMTP (smtp.c, libcurl) ----
 * smtp:// (STARTTLS when the server offers it and the URL asks with
 * "?starttls=1"), smtps://; user and password from the URL or arguments.
 * With credentials, smtp:// requires STARTTLS: a relay without it fails
 * the send before AUTH, unless the URL ends in "?insecure_plaintext_auth=1".
 * One struct mail_smtp per sending thread: it keeps up to `conns`
 * connections open and sends a batch over them in parallel (curl multi). */
struct mail_smtp;
/* url: smtp://host[:port][/ehlo-name] or smtps://…, optionally ending in
 * "?starttls=1" (STARTTLS when offered) or "?starttls=required", and/or
 * "insecure_plaintext_auth=1" (joined by '&'). conns is
 * 1..64. NULL for a bad URL or conns. Connect timeout 10 s; a transfer
 * stalled 60 s is abandoned (temporary failure). */
struct mail_smtp *mail_smtp_new(const char *url, const char *user, const char *password, int conns);
void mail_smtp_free(struct mail_smtp *s);

struct mail_send {
	const char *from; /* envelope sender (Return-Path); "" sends MAIL FROM:<> */
	const char *rcpt;
	const char *data; /* whole message */
	size_t len;
	/* OUT: JM_OK, JM_SMTP_TEMP (4xx to MAIL/RCPT/DATA, 421, connection
	 * refused, timed out or dropped, auth or TLS failure: retry),
	 * JM_SMTP_PERM (5xx to MAIL/RCPT/DATA: give up; also an invalid
	 * from/rcpt or empty data, which never reach the wire, code 0) */
	enum jm_rc rc;
	int code;        /* last SMTP reply code, 0 if none */
	char reply[200]; /* reply text or the transport error */
};
/* Sends every item; sets each item's rc. Returns JM_OK unless nothing could
 * be attempted at all. */
enum jm_rc mail_smtp_send(struct mail_smtp *s, struct mail_send *items, size_t n) JM_WUR;

/* Releases GMime's global state. Call at most once, at process exit, and
 * only when nothing else uses mail/ (tests, to keep leak checkers quiet). */
void mail_shutdown(void);

#endif
