/* Unit tests for src/mail/smtp.c against tests/unit/mail/smtp_script.py, a
 * scripted SMTP server on 127.0.0.1: result mapping for 250, 421, 451,
 * 550/554, a connection dropped in DATA and a refused connection; parallel
 * sending over at most `conns` connections, reused across batches. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "mail/mail_int.h"

static pid_t server_pid;
static int server_port;
static char log_path[64];
static char url[64];

static const char msg_data[] = "From: a@example.jp\r\nTo: b@example.com\r\nSubject: t\r\n\r\n"
                               "hello\r\n.leading dot\r\n";

static int group_setup(void **state)
{
	(void)state;
	snprintf(log_path, sizeof(log_path), "/tmp/jm-smtp-XXXXXX");
	int lfd = mkstemp(log_path);
	if (lfd < 0)
		return -1;
	close(lfd);
	int p[2];
	if (pipe(p) != 0)
		return -1;
	server_pid = fork();
	if (server_pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		execl("/usr/bin/python3", "python3",
		      JM_SOURCE_ROOT "/tests/unit/mail/smtp_script.py", log_path, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	FILE *f = fdopen(p[0], "r");
	char line[64] = "";
	if (!f || !fgets(line, sizeof(line), f) || sscanf(line, "PORT %d", &server_port) != 1)
		return -1;
	fclose(f);
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", server_port);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
	}
	unlink(log_path);
	return 0;
}

/* How many log lines start with prefix. */
static int log_count(const char *prefix)
{
	FILE *f = fopen(log_path, "r");
	assert_non_null(f);
	char line[512];
	int n = 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, prefix, strlen(prefix)) == 0)
			n++;
	fclose(f);
	return n;
}

static void fill(struct mail_send *it, const char *rcpt)
{
	memset(it, 0, sizeof(*it));
	it->from = "bounce@example.jp";
	it->rcpt = rcpt;
	it->data = msg_data;
	it->len = sizeof(msg_data) - 1;
}

static void test_parallel_batch(void **state)
{
	(void)state;
	int conns0 = log_count("CONN"), msgs0 = log_count("MSG");
	struct mail_smtp *s = mail_smtp_new(url, NULL, NULL, 3);
	assert_non_null(s);
	struct mail_send items[20];
	char rcpts[20][32];
	for (int i = 0; i < 20; i++) {
		snprintf(rcpts[i], sizeof(rcpts[i]), "reader%d@example.com", i);
		fill(&items[i], rcpts[i]);
	}
	assert_int_equal(mail_smtp_send(s, items, 20), JM_OK);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(items[i].rc, JM_OK);
		assert_int_equal(items[i].code, 250);
		assert_string_equal(items[i].reply, "250 2.0.0 Ok: queued");
	}
	assert_int_equal(log_count("MSG") - msgs0, 20);
	int used = log_count("CONN") - conns0;
	assert_true(used >= 1 && used <= 3);
	/* A second batch reuses the open connections. */
	assert_int_equal(mail_smtp_send(s, items, 5), JM_OK);
	for (int i = 0; i < 5; i++)
		assert_int_equal(items[i].rc, JM_OK);
	assert_int_equal(log_count("CONN") - conns0, used);
	assert_int_equal(log_count("MSG") - msgs0, 25);
	/* The dot at the start of a body line arrived stuffed and whole. */
	char want[64];
	snprintf(want, sizeof(want), "MSG reader0@example.com %zu", sizeof(msg_data) - 1 + 1);
	assert_true(log_count(want) >= 1);
	mail_smtp_free(s);
	assert_int_equal(mail_smtp_send(NULL, items, 1), JM_INVALID);
}

static void test_reply_mapping(void **state)
{
	(void)state;
	static const struct {
		const char *rcpt;
		enum jm_rc rc;
		int code;
		const char *reply; /* substring */
	} cases[] = {
	        {"rcpt451@example.com", JM_SMTP_TEMP, 451, "451 4.7.1 Try again later"},
	        {"ok1@example.com", JM_OK, 250, "250 2.0.0 Ok"},
	        {"rcpt550@example.com", JM_SMTP_PERM, 550, "550 5.1.1 No such user here"},
	        {"ok2@example.com", JM_OK, 250, "250"},
	        {"rcpt421@example.com", JM_SMTP_TEMP, 421, "421 4.4.2"},
	        {"ok3@example.com", JM_OK, 250, "250"},
	        {"data451@example.com", JM_SMTP_TEMP, 451, "451 4.3.0 Queue full"},
	        {"data554@example.com", JM_SMTP_PERM, 554, "554 5.7.1 Message rejected"},
	        {"ok4@example.com", JM_OK, 250, "250"},
	        {"drop@example.com", JM_SMTP_TEMP, -1, ""},
	        {"ok5@example.com", JM_OK, 250, "250"},
	};
	enum { N = sizeof(cases) / sizeof(cases[0]) };
	int msgs0 = log_count("MSG"), drops0 = log_count("DROP");
	/* One connection, so every failure is followed by a message on the
	 * same slot: it must get a fresh, working connection. */
	struct mail_smtp *s = mail_smtp_new(url, NULL, NULL, 1);
	assert_non_null(s);
	struct mail_send items[N];
	for (size_t i = 0; i < N; i++)
		fill(&items[i], cases[i].rcpt);
	assert_int_equal(mail_smtp_send(s, items, N), JM_OK);
	for (size_t i = 0; i < N; i++) {
		print_message("%s -> rc=%d code=%d reply=%s\n", cases[i].rcpt, items[i].rc,
		              items[i].code, items[i].reply);
		assert_int_equal(items[i].rc, cases[i].rc);
		if (cases[i].code >= 0)
			assert_int_equal(items[i].code, cases[i].code);
		assert_non_null(strstr(items[i].reply, cases[i].reply));
	}
	assert_true(items[9].code < 400); /* dropped: no 4xx/5xx, curl's text */
	assert_true(strlen(items[9].reply) > 0);
	assert_int_equal(log_count("MSG") - msgs0, 5);
	assert_int_equal(log_count("DROP") - drops0, 1);
	mail_smtp_free(s);
}

static void test_refused(void **state)
{
	(void)state;
	/* A port that was just free and has no listener. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	char u[64];
	snprintf(u, sizeof(u), "smtp://127.0.0.1:%d", ntohs(sa.sin_port));
	struct mail_smtp *s = mail_smtp_new(u, "user", "secret", 2);
	assert_non_null(s);
	struct mail_send items[3];
	for (int i = 0; i < 3; i++)
		fill(&items[i], "ok@example.com");
	assert_int_equal(mail_smtp_send(s, items, 3), JM_OK);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(items[i].rc, JM_SMTP_TEMP);
		assert_int_equal(items[i].code, 0);
		assert_non_null(strstr(items[i].reply, "connect"));
	}
	mail_smtp_free(s);
}

/* Bad envelopes never reach the wire; the rest of the batch goes out. */
static void test_bad_items(void **state)
{
	(void)state;
	int msgs0 = log_count("MSG");
	struct mail_smtp *s = mail_smtp_new(url, NULL, NULL, 2);
	assert_non_null(s);
	struct mail_send items[5];
	fill(&items[0], "evil@example.com>\r\nRCPT TO:<x@example.com");
	fill(&items[1], "ok@example.com");
	items[1].from = "a@b\r\nRSET";
	fill(&items[2], "ok@example.com");
	items[2].data = NULL;
	fill(&items[3], "ok@example.com");
	items[3].from = ""; /* null reverse-path (bounces) is allowed */
	fill(&items[4], "ok@example.com");
	assert_int_equal(mail_smtp_send(s, items, 5), JM_OK);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(items[i].rc, JM_SMTP_PERM);
		assert_int_equal(items[i].code, 0);
	}
	assert_non_null(strstr(items[0].reply, "recipient"));
	assert_non_null(strstr(items[1].reply, "sender"));
	assert_int_equal(items[3].rc, JM_OK);
	assert_int_equal(items[4].rc, JM_OK);
	assert_int_equal(log_count("MSG") - msgs0, 2);
	assert_int_equal(mail_smtp_send(s, items, 0), JM_OK);
	mail_smtp_free(s);
}

static void test_new_args(void **state)
{
	(void)state;
	assert_null(mail_smtp_new(NULL, NULL, NULL, 1));
	assert_null(mail_smtp_new("http://127.0.0.1:25", NULL, NULL, 1));
	assert_null(mail_smtp_new("smtp://127.0.0.1:25?foo=1", NULL, NULL, 1));
	assert_null(mail_smtp_new("smtp://127.0.0.1:25\r\nX", NULL, NULL, 1));
	assert_null(mail_smtp_new("smtp://127.0.0.1:25", NULL, NULL, 0));
	assert_null(mail_smtp_new("smtp://127.0.0.1:25", NULL, NULL, 65));
	mail_smtp_free(NULL);
	/* STARTTLS "when offered": this server does not offer it, so plain. */
	char u[128];
	snprintf(u, sizeof(u), "%s?starttls=1", url);
	struct mail_smtp *s = mail_smtp_new(u, NULL, NULL, 1);
	assert_non_null(s);
	struct mail_send it;
	fill(&it, "ok@example.com");
	assert_int_equal(mail_smtp_send(s, &it, 1), JM_OK);
	assert_int_equal(it.rc, JM_OK);
	mail_smtp_free(s);
	/* ... and "required" refuses to send in the clear. */
	snprintf(u, sizeof(u), "%s?starttls=required", url);
	s = mail_smtp_new(u, NULL, NULL, 1);
	assert_non_null(s);
	assert_int_equal(mail_smtp_send(s, &it, 1), JM_OK);
	assert_int_equal(it.rc, JM_SMTP_TEMP);
	mail_smtp_free(s);
}

/* A password is never sent without TLS: with credentials the relay must
 * offer STARTTLS (this one does not), unless plaintext auth is allowed. */
static void test_auth_needs_tls(void **state)
{
	(void)state;
	char u[160];
	struct mail_send it;
	int auth0 = log_count("AUTH");
	/* The README's old "?starttls=1" (try) must not fall back to plain. */
	const char *const opts[] = {"", "?starttls=1", "?starttls=required"};
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		snprintf(u, sizeof(u), "%s%s", url, opts[i]);
		struct mail_smtp *s = mail_smtp_new(u, "user", "s3cret-pw", 1);
		assert_non_null(s);
		fill(&it, "ok@example.com");
		assert_int_equal(mail_smtp_send(s, &it, 1), JM_OK);
		assert_int_equal(it.rc, JM_SMTP_TEMP);
		assert_non_null(strstr(it.reply, "STARTTLS"));
		mail_smtp_free(s);
	}
	/* Credentials in the URL's userinfo count too. */
	snprintf(u, sizeof(u), "smtp://user:s3cret-pw@%s", url + 7);
	struct mail_smtp *s = mail_smtp_new(u, NULL, NULL, 1);
	assert_non_null(s);
	fill(&it, "ok@example.com");
	assert_int_equal(mail_smtp_send(s, &it, 1), JM_OK);
	assert_int_equal(it.rc, JM_SMTP_TEMP);
	mail_smtp_free(s);
	assert_int_equal(log_count("AUTH"), auth0); /* the password never left */
	/* Only the explicit option sends it in the clear. */
	snprintf(u, sizeof(u), "%s?insecure_plaintext_auth=1", url);
	s = mail_smtp_new(u, "user", "s3cret-pw", 1);
	assert_non_null(s);
	fill(&it, "ok@example.com");
	assert_int_equal(mail_smtp_send(s, &it, 1), JM_OK);
	mail_smtp_free(s);
	assert_int_equal(it.rc, JM_OK);
	assert_int_equal(log_count("AUTH"), auth0 + 1);
	assert_null(mail_smtp_new("smtp://127.0.0.1:25?insecure_plaintext_auth=2", "u", "p", 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parallel_batch), cmocka_unit_test(test_reply_mapping),
	        cmocka_unit_test(test_refused),        cmocka_unit_test(test_bad_items),
	        cmocka_unit_test(test_new_args),       cmocka_unit_test(test_auth_needs_tls),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
