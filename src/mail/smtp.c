/*
 * smtp.c — the delivery transport: SMTP (RFC 5321) submission through
 * libcurl, with STARTTLS (RFC 3207) when asked and SMTPS, authentication,
 * and up to `conns` connections in parallel through one curl multi handle.
 *
 * Each connection slot keeps its easy handle for the life of the struct;
 * the multi handle's connection cache keeps idle connections open between
 * messages and between batches, so a broadcast opens `conns` connections,
 * not one per message. After any failure curl closes that connection, so
 * the next message on the slot starts from a fresh one (no RSET needed).
 *
 * How results are mapped (libcurl 7.88 behaviour, checked by the unit
 * tests): a 4xx or 5xx to MAIL FROM or RCPT TO comes back as
 * CURLE_SEND_ERROR, and one to DATA or to the end of the data as
 * CURLE_WEIRD_SERVER_REPLY; in every case CURLINFO_RESPONSE_CODE holds the
 * server's code, so the code, not the CURLcode, decides: 5xx is permanent,
 * everything else (4xx, refused, timed out, dropped) is temporary. The
 * reply text is the server's last reply line, read through the header
 * callback (libcurl hands SMTP response lines to it), or curl's error text
 * when the server said nothing useful.
 *
 * libcurl is loaded with dlopen at the first send, not linked: with its
 * dependency tree (TLS, Kerberos, LDAP, RTMP, SSH libraries) it adds
 * several megabytes to every process, and a site that sends no mail — or
 * has not yet — should not carry them. The functions used are looked up
 * once into `cu`; the names below are macros over that table.
 *
 * TLS and credentials: a password never crosses the wire in clear. With a
 * user or password (as arguments or in the URL's userinfo) an smtp:// URL
 * requires STARTTLS (CURLUSESSL_ALL): a relay that does not offer it — or
 * a man in the middle that strips it from the EHLO answer — fails the send
 * before AUTH with a clear error. Only "?insecure_plaintext_auth=1" allows
 * AUTH without TLS. Without credentials "?starttls=1" tries STARTTLS and
 * "?starttls=required" insists; smtps:// is TLS from the first byte.
 *
 * Invariants: one struct mail_smtp is used by one thread at a time; the
 * message bytes are read in place, never copied.
 */
#define CURL_DISABLE_TYPECHECK /* the names are function pointers here */
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>

#include "mail/mail_int.h"

#define SMTP_MAX_CONNS     64
#define SMTP_CONNECT_SECS  10L
#define SMTP_LOW_SPEED_SEC 60L /* abort a transfer stalled this long */

struct slot {
	CURL *easy;
	struct curl_slist *rcpt;
	struct mail_send *item; /* NULL when the slot is free */
	size_t off;             /* bytes of item->data handed to curl */
	char last[200];         /* last reply line from the server */
	char errbuf[CURL_ERROR_SIZE];
};

struct mail_smtp {
	CURLM *multi; /* NULL until the first send */
	int conns;
	struct slot *slots;
	char *url, *user, *password;
	long use_ssl;
};

/* ---- libcurl, loaded on first use ---- */

static struct {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_cleanup)(CURLM *);
	CURLMcode (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode (*multi_perform)(CURLM *, int *);
	CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd *, unsigned, int, int *);
	CURLMsg *(*multi_info_read)(CURLM *, int *);
	CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
	const char *(*multi_strerror)(CURLMcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} cu;

/* curl.h defines some of these names as macros of its own. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_easy_init           (*cu.easy_init)
#define curl_easy_cleanup        (*cu.easy_cleanup)
#define curl_easy_setopt         (*cu.easy_setopt)
#define curl_easy_getinfo        (*cu.easy_getinfo)
#define curl_easy_strerror       (*cu.easy_strerror)
#define curl_multi_init          (*cu.multi_init)
#define curl_multi_cleanup       (*cu.multi_cleanup)
#define curl_multi_add_handle    (*cu.multi_add_handle)
#define curl_multi_remove_handle (*cu.multi_remove_handle)
#define curl_multi_perform       (*cu.multi_perform)
#define curl_multi_poll          (*cu.multi_poll)
#define curl_multi_info_read     (*cu.multi_info_read)
#define curl_multi_setopt        (*cu.multi_setopt)
#define curl_multi_strerror      (*cu.multi_strerror)
#define curl_slist_append        (*cu.slist_append)
#define curl_slist_free_all      (*cu.slist_free_all)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static bool curl_ok;

static void curl_load(void)
{
	/* The handle stays open for the life of the process. */
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		log_at(LOG_ERROR, "mail", "cannot load libcurl: %s", dlerror());
		return;
	}
	static const char *const names[] = {
	        "curl_global_init",         "curl_easy_init",      "curl_easy_cleanup",
	        "curl_easy_setopt",         "curl_easy_getinfo",   "curl_easy_strerror",
	        "curl_multi_init",          "curl_multi_cleanup",  "curl_multi_add_handle",
	        "curl_multi_remove_handle", "curl_multi_perform",  "curl_multi_poll",
	        "curl_multi_info_read",     "curl_multi_setopt",   "curl_multi_strerror",
	        "curl_slist_append",        "curl_slist_free_all",
	};
	void **slot = (void **)&cu; /* the members are in the order of names[] */
	_Static_assert(sizeof(cu) == sizeof(names) / sizeof(names[0]) * sizeof(void *),
	               "one function pointer per name");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(slot[i] = dlsym(h, names[i]))) {
			log_at(LOG_ERROR, "mail", "libcurl lacks %s", names[i]);
			return;
		}
	}
	curl_ok = cu.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

/* curl reads the message from here; it does the dot-stuffing itself. */
static size_t on_read(char *dst, size_t size, size_t nmemb, void *ud)
{
	struct slot *sl = ud;
	size_t room = size * nmemb, left = sl->item->len - sl->off;
	size_t n = left < room ? left : room;
	memcpy(dst, sl->item->data + sl->off, n);
	sl->off += n;
	return n;
}

/* Every server reply line passes here. Keep the last one, trimmed — but
 * once a 4xx or 5xx came, keep that: after a failure curl sends QUIT, and
 * "221 Bye" must not hide the reason. */
static size_t on_reply(char *line, size_t size, size_t nmemb, void *ud)
{
	struct slot *sl = ud;
	size_t len = size * nmemb, n = len;
	if (sl->last[0] == '4' || sl->last[0] == '5')
		return len;
	while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n'))
		n--;
	if (n >= sizeof(sl->last))
		n = sizeof(sl->last) - 1;
	memcpy(sl->last, line, n);
	sl->last[n] = '\0';
	return len;
}

/* True when url carries userinfo (smtp://user[:pass]@host). */
static bool url_has_userinfo(const char *url)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	size_t n = strcspn(p, "/?#");
	return memchr(p, '@', n) != NULL;
}

/* Reads the URL's options ("starttls=1", "starttls=required",
 * "insecure_plaintext_auth=1", joined by '&'); false for anything else. */
static bool parse_opts(const char *q, long *use_ssl, bool *insecure)
{
	while (*q) {
		size_t n = strcspn(q, "&");
		if (n == 10 && !strncmp(q, "starttls=1", n))
			*use_ssl = *use_ssl == CURLUSESSL_ALL ? CURLUSESSL_ALL : CURLUSESSL_TRY;
		else if (n == 17 && !strncmp(q, "starttls=required", n))
			*use_ssl = CURLUSESSL_ALL;
		else if (n == 25 && !strncmp(q, "insecure_plaintext_auth=1", n))
			*insecure = true;
		else
			return false;
		q += n + (q[n] == '&');
	}
	return true;
}

/* Splits the options off the URL and decides the TLS level: with
 * credentials on smtp://, STARTTLS is required unless the URL says
 * insecure_plaintext_auth=1. */
static char *parse_url(const char *url, bool creds, long *use_ssl)
{
	*use_ssl = CURLUSESSL_NONE;
	bool insecure = false, smtps = url && strncmp(url, "smtps://", 8) == 0;
	if (!url || (strncmp(url, "smtp://", 7) != 0 && !smtps) || strpbrk(url, "\r\n "))
		return NULL;
	const char *q = strchr(url, '?');
	if (q && !parse_opts(q + 1, use_ssl, &insecure))
		return NULL;
	if (!smtps && !insecure && (creds || url_has_userinfo(url)))
		*use_ssl = CURLUSESSL_ALL;
	return q ? xstrndup(url, (size_t)(q - url)) : xstrdup(url);
}

static bool slot_init(struct slot *sl, const char *url, long use_ssl, const char *user,
                      const char *password)
{
	CURL *e = curl_easy_init();
	if (!e)
		return false;
	sl->easy = e;
	bool ok = curl_easy_setopt(e, CURLOPT_URL, url) == CURLE_OK;
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PRIVATE, sl);
	curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(e, CURLOPT_READDATA, sl);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_reply);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, sl);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, sl->errbuf);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, SMTP_CONNECT_SECS);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, SMTP_LOW_SPEED_SEC);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_USE_SSL, use_ssl);
	if (user && *user)
		ok = ok && curl_easy_setopt(e, CURLOPT_USERNAME, user) == CURLE_OK;
	if (password && *password)
		ok = ok && curl_easy_setopt(e, CURLOPT_PASSWORD, password) == CURLE_OK;
	return ok;
}

struct mail_smtp *mail_smtp_new(const char *url, const char *user, const char *password, int conns)
{
	long use_ssl;
	if (conns < 1 || conns > SMTP_MAX_CONNS)
		return NULL;
	char *u = parse_url(url, (user && *user) || (password && *password), &use_ssl);
	if (!u)
		return NULL;
	struct mail_smtp *s = xcalloc(1, sizeof(*s));
	s->conns = conns;
	s->url = u;
	s->use_ssl = use_ssl;
	s->user = user && *user ? xstrdup(user) : NULL;
	s->password = password && *password ? xstrdup(password) : NULL;
	return s;
}

/* Loads libcurl (once per process) and opens the multi handle and the
 * connection slots (once per struct). */
static bool smtp_ready(struct mail_smtp *s)
{
	if (s->multi)
		return true;
	pthread_once(&curl_once, curl_load);
	if (!curl_ok)
		return false;
	s->slots = xcalloc((size_t)s->conns, sizeof(*s->slots));
	s->multi = curl_multi_init();
	bool ok = s->multi != NULL;
	if (ok) {
		curl_multi_setopt(s->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)s->conns);
		curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, (long)s->conns);
	}
	for (int i = 0; ok && i < s->conns; i++)
		ok = slot_init(&s->slots[i], s->url, s->use_ssl, s->user, s->password);
	return ok;
}

void mail_smtp_free(struct mail_smtp *s)
{
	if (!s)
		return;
	for (int i = 0; s->slots && i < s->conns; i++) {
		struct slot *sl = &s->slots[i];
		if (sl->item && s->multi)
			curl_multi_remove_handle(s->multi, sl->easy);
		curl_slist_free_all(sl->rcpt);
		if (sl->easy)
			curl_easy_cleanup(sl->easy);
	}
	/* Closing the multi handle closes the cached connections (QUIT). */
	if (s->multi)
		curl_multi_cleanup(s->multi);
	free(s->slots);
	free(s->url);
	free(s->user);
	free(s->password);
	free(s);
}

/* ---- one batch ---- */

static void item_result(struct mail_send *it, enum jm_rc rc, int code, const char *fmt, ...)
        JM_FMT(4, 5);
static void item_result(struct mail_send *it, enum jm_rc rc, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	it->rc = rc;
	it->code = code;
	vsnprintf(it->reply, sizeof(it->reply), fmt, ap);
	va_end(ap);
}

/* True when the item can be put on the wire at all. */
static bool item_ok(struct mail_send *it)
{
	if (!it->from || (*it->from && !mail_addr_valid(it->from))) {
		item_result(it, JM_SMTP_PERM, 0, "invalid envelope sender");
		return false;
	}
	if (!mail_addr_valid(it->rcpt)) {
		item_result(it, JM_SMTP_PERM, 0, "invalid recipient address");
		return false;
	}
	if (!it->data || it->len == 0 || it->len > MAIL_MAX_MESSAGE) {
		item_result(it, JM_SMTP_PERM, 0, "empty or oversized message");
		return false;
	}
	return true;
}

/* Puts it on the free slot sl; false when curl refused it (item failed). */
static bool slot_start(struct mail_smtp *s, struct slot *sl, struct mail_send *it)
{
	char addr[300];
	snprintf(addr, sizeof(addr), "<%s>", it->rcpt);
	sl->rcpt = curl_slist_append(NULL, addr);
	snprintf(addr, sizeof(addr), "<%s>", it->from);
	sl->item = it;
	sl->off = 0;
	sl->last[0] = '\0';
	sl->errbuf[0] = '\0';
	if (sl->rcpt && curl_easy_setopt(sl->easy, CURLOPT_MAIL_FROM, addr) == CURLE_OK &&
	    curl_easy_setopt(sl->easy, CURLOPT_MAIL_RCPT, sl->rcpt) == CURLE_OK &&
	    curl_easy_setopt(sl->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)it->len) == CURLE_OK &&
	    curl_multi_add_handle(s->multi, sl->easy) == CURLM_OK)
		return true;
	item_result(it, JM_SMTP_TEMP, 0, "cannot start the transfer");
	curl_slist_free_all(sl->rcpt);
	sl->rcpt = NULL;
	sl->item = NULL;
	return false;
}

/* Starts the next sendable item of items[*next..n) on sl. */
static int slot_fill(struct mail_smtp *s, struct slot *sl, struct mail_send *items, size_t n,
                     size_t *next)
{
	while (*next < n) {
		struct mail_send *it = &items[(*next)++];
		if (item_ok(it) && slot_start(s, sl, it))
			return 1;
	}
	return 0;
}

/* Maps a finished transfer to the item's rc, code and reply. */
static void slot_done(struct mail_smtp *s, struct slot *sl, CURLcode res)
{
	struct mail_send *it = sl->item;
	long code = 0;
	curl_easy_getinfo(sl->easy, CURLINFO_RESPONSE_CODE, &code);
	bool server_said = code >= 400 && code < 600;
	if (res == CURLE_OK)
		item_result(it, JM_OK, (int)code, "%s", sl->last);
	else if (server_said && code >= 500 && res != CURLE_LOGIN_DENIED)
		item_result(it, JM_SMTP_PERM, (int)code, "%s", sl->last);
	else if (server_said)
		item_result(it, JM_SMTP_TEMP, (int)code, "%s", sl->last);
	else if (res == CURLE_USE_SSL_FAILED)
		item_result(it, JM_SMTP_TEMP, (int)code,
		            "the relay offers no STARTTLS: the password is not sent without TLS "
		            "(use smtps://, or add ?insecure_plaintext_auth=1 to smtp_url to allow "
		            "it)%s%s",
		            sl->errbuf[0] ? ": " : "", sl->errbuf);
	else
		item_result(it, JM_SMTP_TEMP, (int)code, "%s%s%s", curl_easy_strerror(res),
		            sl->errbuf[0] ? ": " : "", sl->errbuf);
	curl_multi_remove_handle(s->multi, sl->easy);
	curl_slist_free_all(sl->rcpt);
	sl->rcpt = NULL;
	sl->item = NULL;
}

/* Handles finished transfers, refilling their slots; returns how many
 * transfers are still running. */
static int drain(struct mail_smtp *s, struct mail_send *items, size_t n, size_t *next, int running)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(s->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct slot *sl = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&sl);
		CURLcode res = m->data.result; /* m is invalid once the handle is removed */
		slot_done(s, sl, res);
		running--;
		running += slot_fill(s, sl, items, n, next);
	}
	return running;
}

/* Fails every transfer still in flight (the multi handle broke). */
static void abort_running(struct mail_smtp *s, const char *why)
{
	for (int i = 0; i < s->conns; i++) {
		struct slot *sl = &s->slots[i];
		if (!sl->item)
			continue;
		item_result(sl->item, JM_SMTP_TEMP, 0, "%s", why);
		curl_multi_remove_handle(s->multi, sl->easy);
		curl_slist_free_all(sl->rcpt);
		sl->rcpt = NULL;
		sl->item = NULL;
	}
}

enum jm_rc mail_smtp_send(struct mail_smtp *s, struct mail_send *items, size_t n)
{
	if (!s || (n && !items))
		return JM_INVALID;
	bool ready = smtp_ready(s);
	for (size_t i = 0; i < n; i++)
		item_result(&items[i], JM_SMTP_TEMP, 0,
		            ready ? "not attempted" : "libcurl unavailable");
	if (!ready)
		return JM_IO;
	size_t next = 0;
	int running = 0;
	for (int i = 0; i < s->conns && next < n; i++)
		running += slot_fill(s, &s->slots[i], items, n, &next);
	while (running > 0) {
		int still;
		CURLMcode mc = curl_multi_perform(s->multi, &still);
		if (mc == CURLM_OK)
			running = drain(s, items, n, &next, running);
		if (mc == CURLM_OK && running > 0)
			mc = curl_multi_poll(s->multi, NULL, 0, 1000, NULL);
		if (mc != CURLM_OK) {
			abort_running(s, curl_multi_strerror(mc));
			return JM_IO;
		}
	}
	return JM_OK;
}
