/*
 * dkim.c — DKIM signatures (RFC 6376) on outgoing messages with
 * libopendkim: rsa-sha256, relaxed/relaxed, over the headers in
 * sign_headers below. Keys are RSA 2048 made with OpenSSL 3 and handed
 * over as PKCS#8 PEM text (the caller keeps it in the database, shared by
 * every node: auth/secret.c); the DNS TXT record carries the
 * SubjectPublicKeyInfo in base64 (RFC 6376 section 3.6.1).
 *
 * Invariants: a struct mail_dkim is immutable after mail_dkim_load, so one
 * may be shared by every sending thread — libopendkim's DKIM_LIB is made
 * for that (the opendkim milter shares one across its threads), and each
 * signature gets its own DKIM handle. The key is checked with OpenSSL when
 * loaded, so signing fails only on a malformed message.
 */
#include <opendkim/dkim.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "mail/mail_int.h"

#define DKIM_KEY_MAX (64 * 1024) /* a PEM file larger than this is not a key */
#define SIG_PREFIX   "DKIM-Signature: "

struct mail_dkim {
	DKIM_LIB *lib;
	unsigned char *key; /* PEM text, NUL-terminated */
	char *domain;
	char *selector;
};

/* Signed when present. From is what DMARC aligns on; the List-* headers
 * are what Gmail and Yahoo require to be covered for one-click unsubscribe. */
static const char *sign_headers[] = {"From",
                                     "To",
                                     "Cc",
                                     "Reply-To",
                                     "Subject",
                                     "Date",
                                     "Message-ID",
                                     "In-Reply-To",
                                     "References",
                                     "List-Id",
                                     "List-Unsubscribe",
                                     "List-Unsubscribe-Post",
                                     "MIME-Version",
                                     "Content-Type",
                                     "Content-Transfer-Encoding",
                                     NULL};

/* ---- keys ---- */

/* The private key as PKCS#8 PEM into pem. */
static enum jm_rc pem_of(EVP_PKEY *pk, struct buf *pem)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p = NULL;
	long n = 0;
	enum jm_rc rc = JM_IO;
	if (bio && PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL) == 1 &&
	    (n = BIO_get_mem_data(bio, &p)) > 0)
		rc = buf_append(pem, p, (size_t)n);
	if (p && n > 0) /* a secret: do not leave it in freed memory */
		OPENSSL_cleanse(p, (size_t)n);
	BIO_free(bio);
	return rc;
}

/* "v=DKIM1; k=rsa; p=<base64 of the DER SubjectPublicKeyInfo>". */
static enum jm_rc txt_record(EVP_PKEY *pk, struct buf *out)
{
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(pk, &der);
	if (len <= 0)
		return JM_IO;
	size_t b64len = 4 * (((size_t)len + 2) / 3) + 1;
	unsigned char *b64 = xmalloc(b64len);
	EVP_EncodeBlock(b64, der, len);
	enum jm_rc rc = buf_appendf(out, "v=DKIM1; k=rsa; p=%s", (const char *)b64);
	free(b64);
	OPENSSL_free(der);
	return rc;
}

enum jm_rc mail_dkim_keygen(struct buf *pem, struct buf *dns_txt, struct jm_err *err)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (!pk) {
		jm_err_set(err, NULL, "RSA key generation failed");
		return JM_IO;
	}
	enum jm_rc rc = pem_of(pk, pem);
	if (rc) {
		jm_err_set(err, NULL, "cannot encode the private key");
		goto out;
	}
	rc = txt_record(pk, dns_txt);
	if (rc)
		jm_err_set(err, NULL, "cannot encode the public key");
out:
	EVP_PKEY_free(pk);
	return rc;
}

/* True for a DNS name (letters, digits, '-', '.', '_'; no empty label). */
static bool dns_name_ok(const char *s)
{
	if (!*s || strlen(s) > 253 || *s == '.' || strstr(s, ".."))
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_'))
			return false;
	return true;
}

/* Checks that pem holds an RSA private key of at least 1024 bits. */
static bool rsa_key_ok(const char *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pk = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	bool ok = pk && EVP_PKEY_is_a(pk, "RSA") && EVP_PKEY_get_bits(pk) >= 1024;
	EVP_PKEY_free(pk);
	BIO_free(bio);
	return ok;
}

enum jm_rc mail_dkim_load_pem(const char *pem, size_t len, const char *domain, const char *selector,
                              struct mail_dkim **out, struct jm_err *err)
{
	*out = NULL;
	if (!domain || !dns_name_ok(domain)) {
		jm_err_set(err, "domain", "not a domain name");
		return JM_INVALID;
	}
	if (!selector || !dns_name_ok(selector)) {
		jm_err_set(err, "selector", "not a DKIM selector");
		return JM_INVALID;
	}
	if (!pem || len == 0 || len > DKIM_KEY_MAX || !rsa_key_ok(pem, len)) {
		jm_err_set(err, "key", "not an RSA private key in PEM form");
		return JM_INVALID;
	}
	DKIM_LIB *lib = dkim_init(NULL, NULL);
	if (!lib || dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, (void *)sign_headers,
	                         sizeof(char **)) != DKIM_STAT_OK) {
		if (lib)
			dkim_close(lib);
		jm_err_set(err, NULL, "cannot initialise libopendkim");
		return JM_NOMEM;
	}
	struct mail_dkim *d = xcalloc(1, sizeof(*d));
	d->lib = lib;
	d->key = (unsigned char *)xstrndup(pem, len);
	d->domain = xstrdup(domain);
	d->selector = xstrdup(selector);
	*out = d;
	return JM_OK;
}

enum jm_rc mail_dkim_load(const char *key_path, const char *domain, const char *selector,
                          struct mail_dkim **out, struct jm_err *err)
{
	*out = NULL;
	struct buf pem;
	buf_init(&pem, DKIM_KEY_MAX);
	enum jm_rc rc = jm_read_file(key_path, &pem, err);
	if (!rc)
		rc = mail_dkim_load_pem(pem.ptr, pem.len, domain, selector, out, err);
	if (rc == JM_INVALID && err && strcmp(err->field, "key") == 0)
		jm_err_set(err, "key_path", "%s: not an RSA private key in PEM form", key_path);
	if (pem.ptr)
		memset(pem.ptr, 0, pem.len);
	buf_free(&pem);
	return rc;
}

void mail_dkim_free(struct mail_dkim *d)
{
	if (!d)
		return;
	dkim_close(d->lib);
	if (d->key) {
		/* The key is a secret: do not leave it in freed memory. */
		memset(d->key, 0, strlen((char *)d->key));
		free(d->key);
	}
	free(d->domain);
	free(d->selector);
	free(d);
}

/* ---- signing ---- */

/* Feeds each header field (continuation lines included, final CRLF not)
 * to libopendkim; *body gets the offset of the body. */
static DKIM_STAT feed_headers(DKIM *dk, char *msg, size_t len, size_t *body)
{
	size_t start = 0, i = 0;
	while (i < len) {
		char *nl = memchr(msg + i, '\n', len - i);
		if (!nl)
			return DKIM_STAT_SYNTAX; /* no empty line: no body separator */
		size_t next = (size_t)(nl - msg) + 1;
		size_t line_end = nl > msg + i && nl[-1] == '\r' ? (size_t)(nl - msg) - 1
		                                                 : (size_t)(nl - msg);
		if (line_end == i && start == i) { /* the empty line */
			*body = next;
			return dkim_eoh(dk);
		}
		if (next >= len || (msg[next] != ' ' && msg[next] != '\t')) {
			DKIM_STAT st = dkim_header(dk, (u_char *)msg + start, line_end - start);
			if (st != DKIM_STAT_OK)
				return st;
			start = next;
		}
		i = next;
	}
	return DKIM_STAT_SYNTAX;
}

/* Replaces msg with "DKIM-Signature: sig" CRLF msg, turning the bare LFs
 * libopendkim folds with into CRLF. */
static enum jm_rc prepend_sig(struct buf *msg, const u_char *sig, size_t siglen)
{
	struct buf out;
	buf_init(&out, msg->cap);
	enum jm_rc rc = buf_append(&out, SIG_PREFIX, sizeof(SIG_PREFIX) - 1);
	for (size_t i = 0; i < siglen && !rc; i++) {
		if (sig[i] == '\n' && (i == 0 || sig[i - 1] != '\r'))
			rc = buf_appendc(&out, '\r');
		if (!rc)
			rc = buf_appendc(&out, (char)sig[i]);
	}
	if (!rc)
		rc = buf_append(&out, "\r\n", 2);
	if (!rc)
		rc = buf_append(&out, msg->ptr, msg->len);
	if (rc) {
		buf_free(&out);
		return rc;
	}
	buf_free(msg);
	*msg = out;
	return JM_OK;
}

enum jm_rc mail_dkim_sign(struct mail_dkim *d, struct buf *msg, struct jm_err *err)
{
	if (!msg->ptr || msg->len == 0 || msg->len > MAIL_MAX_MESSAGE) {
		jm_err_set(err, NULL, "DKIM: empty or oversized message");
		return JM_INVALID;
	}
	DKIM_STAT st;
	DKIM *dk = dkim_sign(d->lib, (const u_char *)"jinmyaku", NULL, d->key,
	                     (const u_char *)d->selector, (const u_char *)d->domain,
	                     DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, DKIM_SIGN_RSASHA256, -1, &st);
	if (!dk) {
		jm_err_set(err, NULL, "DKIM: %s", dkim_getresultstr(st));
		return JM_NOMEM;
	}
	size_t body = 0;
	u_char *sig = NULL;
	size_t siglen = 0;
	st = feed_headers(dk, msg->ptr, msg->len, &body);
	if (st == DKIM_STAT_OK)
		st = dkim_body(dk, (u_char *)msg->ptr + body, msg->len - body);
	if (st == DKIM_STAT_OK)
		st = dkim_eom(dk, NULL);
	if (st == DKIM_STAT_OK)
		st = dkim_getsighdr_d(dk, sizeof(SIG_PREFIX) - 1, &sig, &siglen);
	enum jm_rc rc = JM_INVALID;
	if (st == DKIM_STAT_OK) {
		rc = prepend_sig(msg, sig, siglen);
		if (rc)
			jm_err_set(err, NULL, "message too large");
	} else {
		const char *why = dkim_geterror(dk);
		jm_err_set(err, NULL, "DKIM: %s", why ? why : dkim_getresultstr(st));
	}
	dkim_free(dk);
	return rc;
}
