/*
 * headers.c — the security headers every answer carries: Content-Security-
 * Policy, X-Frame-Options, Referrer-Policy, X-Content-Type-Options,
 * Permissions-Policy and, when the server itself speaks TLS,
 * Strict-Transport-Security (RFC 6797).
 *
 * The headers are attached by h2o's headers filter, registered once per
 * path (/static, /admin, /api and the public site) at start-up with
 * constant values, so every answer gets them — h2o's file handler, our
 * handlers, the page cache's blobs, the router's 404s — and the hot path
 * pays a few pointer copies, never a format or an allocation of its own.
 *
 * Invariants: the admin (the owner's and editors' rights) runs only its
 * own scripts: no inline script, no inline style, no eval, never framed.
 * A handler that needs another policy (the sandboxed article preview, the
 * network map drawn into an <object>) sets its own Content-Security-Policy
 * or X-Frame-Options before sending: the filter only fills in those two
 * and the Referrer-Policy when the handler left them empty.
 */
#include <h2o.h>

#include "http/http_int.h"

/* Names h2o has no token for; static so the filter can point at them. */
static h2o_iovec_t hdr_csp = {H2O_STRLIT("content-security-policy")};
static h2o_iovec_t hdr_xfo = {H2O_STRLIT("x-frame-options")};
static h2o_iovec_t hdr_referrer = {H2O_STRLIT("referrer-policy")};
static h2o_iovec_t hdr_nosniff = {H2O_STRLIT("x-content-type-options")};
static h2o_iovec_t hdr_permissions = {H2O_STRLIT("permissions-policy")};

#define PERMISSIONS                                                                                \
	"camera=(), microphone=(), geolocation=(), payment=(), usb=(), display-capture=()"
#define HSTS "max-age=31536000"

struct hdr_policy {
	const char *csp, *xfo, *referrer;
};

/* The public site: its own scripts only (the YouTube facade's player
 * loader, signup.js), images from anywhere over https (articles link
 * pictures), inline styles allowed for the owner's raw-HTML articles; the
 * one frame source is the privacy-enhanced YouTube player loaded after a
 * click (site/embed.c); framed by itself only. */
static const struct hdr_policy policy_site = {
        .csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data: https:; media-src 'self' https:; "
               "frame-src https://www.youtube-nocookie.com; "
               "object-src 'none'; base-uri 'self'; form-action 'self'; "
               "frame-ancestors 'self'",
        .xfo = "SAMEORIGIN",
        .referrer = "strict-origin-when-cross-origin",
};

/* The admin: its own scripts and styles only; the map's <object> and the
 * article preview's <iframe> are same-origin; never framed. */
static const struct hdr_policy policy_admin = {
        .csp = "default-src 'self'; script-src 'self'; style-src 'self'; "
               "img-src 'self' data: https:; object-src 'self'; frame-src 'self'; "
               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        .xfo = "DENY",
        .referrer = "same-origin",
};

/* JSON answers: nothing in them may load or run anything. */
static const struct hdr_policy policy_api = {
        .csp = "default-src 'none'; frame-ancestors 'none'",
        .xfo = "DENY",
        .referrer = "no-referrer",
};

/* Files under /static: stylesheets, scripts, images. A policy still
 * matters for an SVG or HTML file opened directly. */
static const struct hdr_policy policy_static = {
        .csp = "default-src 'none'; img-src 'self' data:; style-src 'self'; "
               "frame-ancestors 'self'",
        .xfo = "SAMEORIGIN",
        .referrer = "strict-origin-when-cross-origin",
};

/* The media library's images (/media): never a document, so nothing may
 * load or run from one opened directly. */
static const struct hdr_policy policy_media = {
        .csp = "default-src 'none'; frame-ancestors 'none'",
        .xfo = "DENY",
        .referrer = "strict-origin-when-cross-origin",
};

/* A media file's name holds its content's hash and size: it never
 * changes, so browsers and proxies may keep it a year. */
#define MEDIA_CACHE "public, max-age=31536000, immutable"

static const struct hdr_policy *policy_for(enum http_hdr_set set)
{
	switch (set) {
	case HTTP_HDRS_MEDIA: return &policy_media;
	case HTTP_HDRS_ADMIN: return &policy_admin;
	case HTTP_HDRS_API: return &policy_api;
	case HTTP_HDRS_STATIC: return &policy_static;
	case HTTP_HDRS_SITE: break;
	}
	return &policy_site;
}

static void add_cmd(h2o_headers_command_t **cmds, int cmd, h2o_iovec_t *name, const char *value)
{
	h2o_headers_append_command(cmds, cmd, name, h2o_iovec_init(value, strlen(value)));
}

void http_headers_register(struct st_h2o_pathconf_t *pc, enum http_hdr_set set, bool tls)
{
	const struct hdr_policy *p = policy_for(set);
	h2o_headers_command_t *cmds = NULL;
	add_cmd(&cmds, H2O_HEADERS_CMD_SETIFEMPTY, &hdr_csp, p->csp);
	add_cmd(&cmds, H2O_HEADERS_CMD_SETIFEMPTY, &hdr_xfo, p->xfo);
	add_cmd(&cmds, H2O_HEADERS_CMD_SETIFEMPTY, &hdr_referrer, p->referrer);
	add_cmd(&cmds, H2O_HEADERS_CMD_SET, &hdr_nosniff, "nosniff");
	/* SETIFEMPTY: the check-in scan page allows its own camera. */
	add_cmd(&cmds, H2O_HEADERS_CMD_SETIFEMPTY, &hdr_permissions, PERMISSIONS);
	if (tls)
		add_cmd(&cmds, H2O_HEADERS_CMD_SET, &H2O_TOKEN_STRICT_TRANSPORT_SECURITY->buf,
		        HSTS);
	if (set == HTTP_HDRS_MEDIA)
		add_cmd(&cmds, H2O_HEADERS_CMD_SETIFEMPTY, &H2O_TOKEN_CACHE_CONTROL->buf,
		        MEDIA_CACHE);
	h2o_headers_register(pc, cmds);
}
