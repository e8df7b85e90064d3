"""Security headers on every answer (issue 8, defect 9): the public site
(fresh and from the page cache), the admin, the API, h2o's own /static file
handler and the router's 404s all carry a Content-Security-Policy,
X-Frame-Options, Referrer-Policy, X-Content-Type-Options and
Permissions-Policy; the admin runs no inline script and is never framed;
HSTS only when the server speaks TLS; `Server` names no version."""
import http.client
import os

import pytest

import jm
from test_tls import cert, client_context, tls_server  # noqa: F401  (fixture reuse)

COMMON = ("content-security-policy", "x-frame-options", "referrer-policy",
          "x-content-type-options", "permissions-policy")


def directives(csp):
    out = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def check_common(r, what):
    for h in COMMON:
        assert r.header(h), "%s: no %s header (%s)" % (what, h, dict(r.headers))
        assert len(r.header_all(h)) == 1, "%s: %s sent twice" % (what, h)
    assert r.header("x-content-type-options") == "nosniff", what
    assert "camera=()" in r.header("permissions-policy"), what
    assert r.header("strict-transport-security") is None, what + ": HSTS over plain HTTP"
    server = r.header("server") or ""
    assert server == "jinmyaku", "%s: Server %r" % (what, server)


PUBLIC_PATHS = ["/", "/feed.xml", "/sitemap.xml", "/contact", "/search?q=x", "/no-such-page",
                "/robots.txt", "/newsletter"]


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_public_answers_carry_headers(server, path):
    c = server.client()
    for i in range(2):  # the second answer comes from the page cache
        r = c.get(path)
        check_common(r, "%s (#%d)" % (path, i))
        csp = directives(r.header("content-security-policy"))
        assert csp["frame-ancestors"] in (["'none'"], ["'self'"]), csp
        assert "'unsafe-inline'" not in csp.get("script-src", []), csp
        assert "'unsafe-eval'" not in csp.get("script-src", []), csp
        assert r.header("referrer-policy") in ("strict-origin-when-cross-origin", "same-origin",
                                               "no-referrer", "strict-origin")


def test_cached_article_keeps_headers_on_304(server, api):
    api.publish(title="Headers on cached pages", body="hello", slug="hdr-cache")
    c = server.client()
    r1 = c.get("/articles/hdr-cache")
    r2 = c.get("/articles/hdr-cache")
    assert r2.status == 200
    check_common(r2, "cached article")
    r3 = c.get("/articles/hdr-cache", headers={"If-None-Match": r1.header("etag")})
    assert r3.status == 304
    check_common(r3, "cached article 304")


@pytest.mark.parametrize("path", ["/static/admin.css", "/static/admin.js", "/static/site.css",
                                  "/static/no-such-file.css"])
def test_static_files_carry_headers(server, path):
    r = server.client().get(path)
    check_common(r, path)


ADMIN_PAGES = ["/admin/login", "/admin", "/admin/articles", "/admin/articles/new",
               "/admin/people", "/admin/lists", "/admin/broadcasts/new", "/admin/settings",
               "/admin/tokens", "/admin/no-such-page"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_are_locked_down(admin, path):
    r = admin.get(path)
    check_common(r, path)
    assert r.header("x-frame-options") == "DENY", path
    csp = directives(r.header("content-security-policy"))
    assert csp["frame-ancestors"] == ["'none'"], csp
    assert csp["script-src"] == ["'self'"], csp
    assert csp["style-src"] == ["'self'"], csp
    assert "'unsafe-inline'" not in csp.get("default-src", []), csp
    assert r.header("referrer-policy") in ("same-origin", "no-referrer",
                                           "strict-origin-when-cross-origin", "strict-origin")
    if r.status == 200 and "html" in (r.header("content-type") or ""):
        body = r.text
        # No inline script and no inline style may be left for the CSP to break.
        assert "<script>" not in body and "<script " not in body.replace(
            '<script src="/static/', ""), path
        assert " style=" not in body, path
        for attr in (" onclick=", " onload=", " onerror=", " onsubmit=", " onchange=",
                     "javascript:"):
            assert attr not in body.lower(), (path, attr)


def test_api_answers_carry_headers(server, api):
    r = api.get("/api/v1/articles")
    assert r.status == 200
    check_common(r, "api")
    assert directives(r.header("content-security-policy"))["default-src"] == ["'none'"]
    r = server.client().get("/api/v1/articles")  # no token: 401 from the middleware
    assert r.status == 401
    check_common(r, "api 401")


def test_hsts_only_over_tls(tls_server):  # noqa: F811
    for path in ("/", "/static/site.css", "/admin/login", "/api/v1/articles"):
        c = http.client.HTTPSConnection("127.0.0.1", tls_server, timeout=10,
                                        context=client_context(["http/1.1"]))
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        hsts = r.getheader("Strict-Transport-Security") or ""
        assert hsts.startswith("max-age=") and int(hsts.split("=")[1].split(";")[0]) >= 15552000, \
            (path, hsts)
        assert r.getheader("X-Content-Type-Options") == "nosniff", path
        assert r.getheader("Server") == "jinmyaku", path
        c.close()


def test_admin_templates_hold_no_inline_script_or_style():
    """The admin's CSP (script-src 'self'; style-src 'self') would silently
    break any inline script, event handler or style attribute: none may be
    written in templates/admin (scripts and styles live under static/)."""
    import re
    bad = re.compile(r"<script(?![^>]*\bsrc=)|\son[a-z]+\s*=|\sstyle\s*=|javascript:", re.I)
    root = os.path.join(jm.ROOT, "templates", "admin")
    found = []
    for name in sorted(os.listdir(root)):
        with open(os.path.join(root, name), encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                for m in bad.finditer(line):
                    found.append("%s:%d: %s" % (name, n, m.group(0)))
    assert not found, "\n".join(found)
