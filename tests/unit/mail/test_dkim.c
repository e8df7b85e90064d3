/* Unit tests for src/mail/dkim.c: keygen gives a PEM key and a TXT
 * record, and the key loads from memory and from a file; a signed message verifies with
 * libopendkim's verifier (key served from a query file) and with python3-dkim; tampering breaks it.
 */
#include <opendkim/dkim.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "mail/mail_int.h"

static char dir[64];
static char key_path[128];
static struct buf txt = BUF_INIT;
static struct buf pem = BUF_INIT;

static int group_setup(void **state)
{
	(void)state;
	if (jm_crypto_init() != JM_OK)
		return -1;
	snprintf(dir, sizeof(dir), "/tmp/jm-dkim-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(key_path, sizeof(key_path), "%s/sel.pem", dir);
	if (mail_dkim_keygen(&pem, &txt, NULL) != JM_OK)
		return -1;
	FILE *f = fopen(key_path, "w");
	if (!f)
		return -1;
	size_t n = fwrite(pem.ptr, 1, pem.len, f);
	return fclose(f) == 0 && n == pem.len ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	char p[160];
	snprintf(p, sizeof(p), "%s/keys", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/msg.eml", dir);
	unlink(p);
	unlink(key_path);
	rmdir(dir);
	buf_free(&txt);
	buf_free(&pem);
	mail_shutdown();
	return 0;
}

static void build(struct buf *out)
{
	struct mail_msg m = {
	        .from_name = "山田 太郎",
	        .from_addr = "taro@example.jp",
	        .to_addr = "reader@example.com",
	        .subject = "DKIM のテスト",
	        .text = "本文です。\n.\n末尾\n",
	        .html = "<p>本文です。</p>",
	        .list_id = "news <news.example.jp>",
	        .unsubscribe_url = "https://example.jp/u?t=abc",
	        .message_id_domain = "example.jp",
	        .date = 1767225600,
	};
	assert_int_equal(mail_build(&m, out, NULL), JM_OK);
}

static void test_keygen(void **state)
{
	(void)state;
	assert_true(strncmp(pem.ptr, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
	assert_true(strncmp(txt.ptr, "v=DKIM1; k=rsa; p=MIIBIjAN", 26) == 0);
	assert_int_equal(txt.len, strlen("v=DKIM1; k=rsa; p=") + 392); /* 294-byte SPKI */
	/* The key loads from memory as it came from keygen. */
	struct mail_dkim *d = NULL;
	assert_int_equal(mail_dkim_load_pem(pem.ptr, pem.len, "example.jp", "sel", &d, NULL),
	                 JM_OK);
	mail_dkim_free(d);
	/* A second key is a different key. */
	struct buf pem2 = BUF_INIT, txt2 = BUF_INIT;
	assert_int_equal(mail_dkim_keygen(&pem2, &txt2, NULL), JM_OK);
	assert_true(txt2.len == txt.len && memcmp(txt2.ptr, txt.ptr, txt.len) != 0);
	buf_free(&pem2);
	buf_free(&txt2);
}

static void test_load_errors(void **state)
{
	(void)state;
	struct mail_dkim *d = (void *)1;
	struct jm_err err = {{0}, {0}};
	assert_int_equal(mail_dkim_load(key_path, "exa\r\nmple.jp", "sel", &d, &err), JM_INVALID);
	assert_null(d);
	assert_string_equal(err.field, "domain");
	assert_int_equal(mail_dkim_load(key_path, "example.jp", "s el", &d, &err), JM_INVALID);
	assert_string_equal(err.field, "selector");
	assert_int_equal(mail_dkim_load("/nonexistent/key.pem", "example.jp", "sel", &d, &err),
	                 JM_IO);
	char junk[160];
	snprintf(junk, sizeof(junk), "%s/junk.pem", dir);
	FILE *f = fopen(junk, "w");
	assert_non_null(f);
	fputs("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n", f);
	fclose(f);
	assert_int_equal(mail_dkim_load(junk, "example.jp", "sel", &d, &err), JM_INVALID);
	assert_null(d);
	assert_string_equal(err.field, "key_path");
	unlink(junk);
	assert_int_equal(mail_dkim_load_pem("junk", 4, "example.jp", "sel", &d, &err), JM_INVALID);
	assert_null(d);
	assert_string_equal(err.field, "key");
	mail_dkim_free(NULL);
}

/* Feeds a whole message to a libopendkim verifier; returns dkim_eom's status. */
static DKIM_STAT verify(const char *msg, size_t len)
{
	char keys[160];
	snprintf(keys, sizeof(keys), "%s/keys", dir);
	FILE *f = fopen(keys, "w");
	assert_non_null(f);
	fprintf(f, "sel._domainkey.example.jp %s\n", txt.ptr);
	fclose(f);
	DKIM_LIB *lib = dkim_init(NULL, NULL);
	assert_non_null(lib);
	dkim_query_t qm = DKIM_QUERY_FILE;
	assert_int_equal(dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYMETHOD, &qm, sizeof(qm)),
	                 DKIM_STAT_OK);
	assert_int_equal(dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYINFO, keys, strlen(keys)),
	                 DKIM_STAT_OK);
	DKIM_STAT st;
	DKIM *dk = dkim_verify(lib, (const u_char *)"test", NULL, &st);
	assert_non_null(dk);
	const char *body = strstr(msg, "\r\n\r\n");
	assert_non_null(body);
	const char *p = msg;
	while (p < body + 2) { /* one header field at a time, folded lines kept */
		const char *e = strstr(p, "\r\n");
		while (e[2] == ' ' || e[2] == '\t')
			e = strstr(e + 2, "\r\n");
		assert_int_equal(dkim_header(dk, (u_char *)p, (size_t)(e - p)), DKIM_STAT_OK);
		p = e + 2;
	}
	assert_int_equal(dkim_eoh(dk), DKIM_STAT_OK);
	body += 4;
	dkim_body(dk, (u_char *)body, len - (size_t)(body - msg));
	st = dkim_eom(dk, NULL);
	dkim_free(dk);
	dkim_close(lib);
	return st;
}

/* python3-dkim's verdict on the message, with our TXT record as DNS. */
static bool py_verify(const struct buf *msg)
{
	char path[160], cmd[1024];
	snprintf(path, sizeof(path), "%s/msg.eml", dir);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fwrite(msg->ptr, 1, msg->len, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
	         "/usr/bin/python3 -c 'import dkim,sys\n"
	         "txt=sys.argv[2].encode()\n"
	         "ok=dkim.verify(open(sys.argv[1],\"rb\").read(),dnsfunc=lambda n,timeout=5:txt)\n"
	         "sys.exit(0 if ok else 1)' %s '%s'",
	         path, txt.ptr);
	int rc = system(cmd);
	return WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
}

static void test_sign_verify(void **state)
{
	(void)state;
	struct mail_dkim *d = NULL;
	assert_int_equal(mail_dkim_load(key_path, "example.jp", "sel", &d, NULL), JM_OK);
	struct buf msg = BUF_INIT;
	build(&msg);
	size_t unsigned_len = msg.len;
	assert_int_equal(mail_dkim_sign(d, &msg, NULL), JM_OK);
	assert_true(msg.len > unsigned_len + 300);
	assert_true(strncmp(msg.ptr, "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; ",
	                    54) == 0);
	const char *hdr_end = strstr(msg.ptr, "\r\n\r\n");
	char *sig = xstrndup(msg.ptr, (size_t)(hdr_end - msg.ptr));
	assert_non_null(strstr(sig, "d=example.jp;"));
	assert_non_null(strstr(sig, "s=sel;"));
	char *h = strstr(sig, "h=");
	assert_non_null(h);
	assert_non_null(strstr(h, "List-Unsubscribe-Post"));
	assert_non_null(strstr(h, "Subject"));
	assert_non_null(strstr(h, "From"));
	free(sig);
	for (size_t i = 0; i < msg.len; i++) /* CRLF everywhere, also in the folded signature */
		if (msg.ptr[i] == '\n')
			assert_true(i > 0 && msg.ptr[i - 1] == '\r');
	assert_int_equal(verify(msg.ptr, msg.len), DKIM_STAT_OK);
	assert_true(py_verify(&msg));

	/* A changed body or a changed signed header fails. */
	char *t = xstrndup(msg.ptr, msg.len);
	char *last = strstr(t, "--\r\n") - 5;
	*last = *last == 'x' ? 'y' : 'x';
	assert_int_equal(verify(t, msg.len), DKIM_STAT_BADSIG);
	memcpy(t, msg.ptr, msg.len);
	char *unsub = strstr(t, "u?t=abc");
	unsub[4] = 'X';
	assert_int_equal(verify(t, msg.len), DKIM_STAT_BADSIG);
	free(t);
	buf_free(&msg);

	/* Not a message: refused, buffer unchanged. */
	struct buf junk = BUF_INIT;
	assert_int_equal(buf_appends(&junk, "no header separator here"), JM_OK);
	struct jm_err err = {{0}, {0}};
	assert_int_equal(mail_dkim_sign(d, &junk, &err), JM_INVALID);
	assert_string_equal(junk.ptr, "no header separator here");
	buf_free(&junk);
	mail_dkim_free(d);
}

/* A signature whose output passes the buffer's cap is refused whole. */
static void test_sign_cap(void **state)
{
	(void)state;
	struct mail_dkim *d = NULL;
	assert_int_equal(mail_dkim_load(key_path, "example.jp", "sel", &d, NULL), JM_OK);
	struct buf msg = BUF_INIT;
	build(&msg);
	msg.cap = msg.len + 10;
	size_t len = msg.len;
	assert_int_equal(mail_dkim_sign(d, &msg, NULL), JM_TOO_LARGE);
	assert_int_equal(msg.len, len);
	buf_free(&msg);
	mail_dkim_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_keygen),
	        cmocka_unit_test(test_load_errors),
	        cmocka_unit_test(test_sign_verify),
	        cmocka_unit_test(test_sign_cap),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
