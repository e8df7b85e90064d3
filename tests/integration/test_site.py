"""The public site: home, article pages (OGP, JSON-LD, tags, sign-up
slot), tag pages, /about, Atom feed, sitemap, robots.txt, 404s and path
traversal, conditional GET, scheduling, unpublishing and escaping."""
import json
import math
import re
import time
import urllib.parse
import xml.etree.ElementTree as ET

import feedparser
import pytest

import jm
from conftest import login

XSS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>']
RAW_XSS = [b"<script>alert(1)", b"<img src=x onerror", b"onerror=alert(1)>"]
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def title(prefix):
    """A unique article title with Japanese text."""
    return "%s %s" % (prefix, jm.uniq("t"))


@pytest.fixture(scope="module")
def web(server):
    return server.client(headers={"User-Agent": "Mozilla/5.0 (jinmyaku tests)"})


def tag_path(tag):
    return "/tags/" + urllib.parse.quote(tag, safe="")


# ---- home ----

def test_home_lists_published_not_drafts(web, api):
    pub = title("公開された記事")
    draft = title("下書きの記事")
    a = api.publish(title=pub, slug=jm.uniq("home-pub"))
    d = api.create_article(title=draft, slug=jm.uniq("home-draft"), status="draft")
    r = web.get("/")
    assert r.status == 200
    assert r.header("Content-Type") == "text/html; charset=utf-8"
    assert pub in r.text
    assert "/articles/" + a["slug"] in r.text
    assert draft not in r.text
    assert web.get("/articles/" + d["slug"]).status == 404


def test_home_pagination(make_server):
    s = make_server()
    s.add_user("pager@example.com", "a-long-password")
    api = jm.Api(s.base, s.create_token())
    t0 = int(time.time()) - 86400
    titles = []
    for i in range(12):
        t = "ページ送りの記事 %02d" % i
        titles.append(t)
        api.publish(title=t, slug="page-%02d" % i, published_at=iso(t0 + i * 60))
    c = s.client()
    p1, p2 = c.get("/"), c.get("/?page=2")
    assert p1.status == 200 and p2.status == 200
    on1 = [t for t in titles if t in p1.text]
    on2 = [t for t in titles if t in p2.text]
    assert on1 == titles[2:], "page 1 holds the 10 newest (default per_page 10)"
    assert on2 == titles[:2]
    assert p1.text.index(titles[11]) < p1.text.index(titles[2]), "newest first"
    assert re.search(r'href="(/)?\?page=2"', p1.text), "page 1 links to page 2"
    assert re.search(r'href="/"', p2.text)
    assert c.get("/?page=3").status == 404
    assert c.get("/?page=abc").status == 404
    assert c.get("/?page=0").status == 404


# ---- article page ----

@pytest.fixture(scope="module")
def article(api):
    return api.publish(title="人脈づくりの第一歩 ― 出版編", slug=jm.uniq("first-step"),
                       body="## はじめに\n\n読者が**仲間**になるまで。\n\n- 一つ目\n- 二つ目\n",
                       tags=["人脈", "出版"], excerpt="読者が仲間になるまでの道のり。")


def test_article_page_meta(web, article):
    r = web.get("/articles/" + article["slug"])
    assert r.status == 200
    p = jm.parse_page(r.text)
    t = article["title"]
    assert p.meta.get("og:title") == t
    assert p.meta.get("og:type") == "article"
    assert p.meta.get("twitter:card") in ("summary", "summary_large_image")
    assert p.meta.get("og:description") == "読者が仲間になるまでの道のり。"
    canon = p.links.get("canonical", [])
    assert len(canon) == 1
    assert re.match(r"https?://", canon[0]) and canon[0].endswith("/articles/" + article["slug"])
    assert p.meta.get("og:url") == canon[0]
    assert t in p.title
    assert "<h2>はじめに</h2>" in r.text
    assert "<strong>仲間</strong>" in r.text


def test_article_json_ld(web, article):
    p = jm.parse_page(web.get("/articles/" + article["slug"]).text)
    assert len(p.ld_json) == 1
    ld = json.loads(p.ld_json[0])
    if isinstance(ld, list):
        ld = next(x for x in ld if x.get("@type") in ("Article", "BlogPosting"))
    assert ld.get("@type") in ("Article", "BlogPosting", "NewsArticle")
    assert ld["headline"] == article["title"]
    assert ld.get("datePublished") == article["published_at"]


def test_article_tag_links_and_signup_slot(web, article):
    p = jm.parse_page(web.get("/articles/" + article["slug"]).text)
    tag_hrefs = {urllib.parse.unquote(urllib.parse.urlsplit(h).path)
                 for h, _ in p.anchors if "/tags/" in h}
    assert {"/tags/人脈", "/tags/出版"} <= tag_hrefs
    assert "newsletter-signup" in p.ids


def test_unknown_or_malformed_slug_is_friendly_404(web):
    for path in ("/articles/no-such-article", "/articles/UPPER", "/articles/%E4%BA%BA",
                 "/nothing/here", "/articles/"):
        r = web.get(path)
        assert r.status == 404, path
        assert r.header("Content-Type", "").startswith("text/html"), path
        p = jm.parse_page(r.text)
        assert any(h == "/" for h, _ in p.anchors), "the 404 page links home: " + path
        assert p.html_lang == "ja" and "main" in p.ids, "the 404 page uses the site layout"


# ---- tags ----

def test_tag_page_with_japanese_tag(web, api):
    tag = "人脈術" + jm.uniq("")[-4:]
    on = api.publish(title=title("タグ付きの記事"), slug=jm.uniq("tagged"), tags=[tag, "出版"])
    off = api.publish(title=title("別タグの記事"), slug=jm.uniq("untagged"), tags=["採用"])
    r = web.get(tag_path(tag))
    assert r.status == 200
    assert on["title"] in r.text
    assert off["title"] not in r.text
    p = jm.parse_page(r.text)
    assert tag in p.title
    assert web.get(tag_path("存在しないタグ")).status == 404


def test_tag_page_hides_drafts(web, api):
    tag = "下書きタグ" + jm.uniq("")[-4:]
    api.create_article(title=title("下書き"), slug=jm.uniq("dtag"), tags=[tag], status="draft")
    assert web.get(tag_path(tag)).status == 404


# ---- about ----

def test_about_shows_profile(server, web, admin):
    r, form = admin.get_form("/admin/settings", action="/admin/settings")
    profile = "## 自己紹介\n\n出版と**人脈**の研究をしています。"
    r = admin.submit(form, {"owner_name": "山田 花子", "profile_md": profile})
    assert r.status == 200, r.status
    about = web.get("/about")
    assert about.status == 200
    assert "<h2>自己紹介</h2>" in about.text
    assert "<strong>人脈</strong>" in about.text
    assert "山田 花子" in about.text


# ---- feed ----

def test_feed_is_atom_with_japanese_entries(web, api):
    t = title("フィードに載る記事")
    a = api.publish(title=t, slug=jm.uniq("feed"), body="フィード本文です。", tags=["人脈"])
    r = web.get("/feed.xml")
    assert r.status == 200
    assert r.header("Content-Type", "").startswith("application/atom+xml")
    f = feedparser.parse(r.body)
    assert not f.bozo, f.get("bozo_exception")
    assert f.version == "atom10"
    titles = [e.title for e in f.entries]
    assert t in titles
    e = f.entries[titles.index(t)]
    assert e.link.endswith("/articles/" + a["slug"])
    assert "フィード本文です。" in e.content[0].value
    assert [x.term for x in e.tags] == ["人脈"]
    assert f.feed.title


def test_feed_excludes_drafts(web, api):
    d = api.create_article(title=title("フィードに載らない下書き"), slug=jm.uniq("fd"))
    f = feedparser.parse(web.get("/feed.xml").body)
    assert d["title"] not in [e.title for e in f.entries]


# ---- sitemap and robots ----

def test_sitemap_lists_public_articles(web, api):
    a = api.publish(title=title("サイトマップ"), slug=jm.uniq("sm"))
    d = api.create_article(title=title("サイトマップ下書き"), slug=jm.uniq("smd"))
    r = web.get("/sitemap.xml")
    assert r.status == 200
    assert "xml" in r.header("Content-Type", "")
    root = ET.fromstring(r.body)
    locs = [e.text for e in root.iter(SITEMAP_NS + "loc")]
    assert any(l.endswith("/articles/" + a["slug"]) for l in locs)
    assert not any(l.endswith("/articles/" + d["slug"]) for l in locs)
    assert all(re.match(r"https?://", l) for l in locs)


def test_robots_txt(web):
    r = web.get("/robots.txt")
    assert r.status == 200
    assert r.header("Content-Type", "").startswith("text/plain")
    lines = r.text.splitlines()
    assert any(l.lower().startswith("user-agent:") for l in lines)
    assert any(re.match(r"Sitemap:\s*https?://\S+/sitemap\.xml$", l) for l in lines)
    assert "Disallow: /admin/" in lines


# ---- static files and traversal ----

def test_static_file_served(server):
    r = server.raw("GET", "/static/admin.css")
    assert r.status == 200
    assert r.header("Content-Type", "").startswith("text/css")


@pytest.mark.parametrize("path", [
    "/static/../../etc/passwd",
    "/static/..%2f..%2fetc/passwd",
    "/static/%2e%2e/%2e%2e/etc/passwd",
    "/static/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/static/../migrations/",
    "/../../etc/passwd",
])
def test_path_traversal_is_404(server, path):
    r = server.raw("GET", path)
    assert r.status == 404, "%s -> %d" % (path, r.status)
    assert b"root:" not in r.body


# ---- conditional GET ----

@pytest.mark.parametrize("which", ["article", "feed"])
def test_etag_if_none_match_304(web, api, which):
    a = api.publish(title=title("ETag"), slug=jm.uniq("etag"))
    path = "/articles/" + a["slug"] if which == "article" else "/feed.xml"
    r = web.get(path)
    assert r.status == 200
    etag = r.header("ETag")
    assert etag and etag.startswith(('"', 'W/"')), etag
    r2 = web.get(path, headers={"If-None-Match": etag})
    assert r2.status == 304
    assert r2.body == b""
    assert web.get(path, headers={"If-None-Match": '"something-else"'}).status == 200
    # A change gives a new representation: the old tag no longer matches.
    api.patch("/api/v1/articles/%d" % a["id"], {"title": a["title"] + " 改"})
    r3 = web.get(path, headers={"If-None-Match": etag})
    assert r3.status == 200
    assert (a["title"] + " 改") in r3.text
    assert r3.header("ETag") != etag


# ---- scheduling and unpublishing ----

def test_scheduled_article_hidden_until_its_time(web, api):
    t = title("予約投稿の記事")
    when = math.ceil(time.time()) + 2
    a = api.publish(title=t, slug=jm.uniq("sched"), published_at=iso(when))
    assert a["published_at"] == iso(when)
    path = "/articles/" + a["slug"]
    assert time.time() < when, "the test machine is too slow to check before the time"
    assert web.get(path).status == 404
    assert t not in web.get("/").text
    assert t not in [e.title for e in feedparser.parse(web.get("/feed.xml").body).entries]
    jm.wait_until(lambda: web.get(path).status == 200, 30, what="the scheduled article")
    assert time.time() >= when - 1
    jm.wait_until(lambda: t in web.get("/").text, 30, what="the scheduled article on the home page")
    jm.wait_until(lambda: t in [e.title for e in feedparser.parse(web.get("/feed.xml").body).entries],
                  30, what="the scheduled article in the feed")


def test_unpublish_hides_article(web, api):
    t = title("非公開にする記事")
    a = api.publish(title=t, slug=jm.uniq("unpub"), tags=["非公開テスト"])
    path = "/articles/" + a["slug"]
    assert web.get(path).status == 200
    assert t in web.get("/").text
    assert web.get(tag_path("非公開テスト")).status == 200
    r = api.patch("/api/v1/articles/%d" % a["id"], {"status": "draft"})
    assert r.status == 200
    assert web.get(path).status == 404
    assert t not in web.get("/").text
    assert web.get(tag_path("非公開テスト")).status == 404
    assert t not in [e.title for e in feedparser.parse(web.get("/feed.xml").body).entries]
    assert ("/articles/" + a["slug"]).encode() not in web.get("/sitemap.xml").body


def test_deleted_article_is_gone(web, api):
    a = api.publish(title=title("削除する記事"), slug=jm.uniq("gone"))
    assert web.get("/articles/" + a["slug"]).status == 200
    assert api.delete("/api/v1/articles/%d" % a["id"]).status == 204
    assert web.get("/articles/" + a["slug"]).status == 404


# ---- escaping ----

def test_xss_payloads_escaped_everywhere(make_server):
    s = make_server()
    s.add_user("xss@example.com", "a-long-password")
    api = jm.Api(s.base, s.create_token())
    admin = s.client()
    assert login(admin, "xss@example.com", "a-long-password").status == 200
    _, form = admin.get_form("/admin/settings", action="/admin/settings")
    r = admin.submit(form, {"title": XSS[1] + "サイト", "description": XSS[0],
                            "owner_name": XSS[1], "topics": XSS[0],
                            "profile_md": XSS[0] + "\n\n" + XSS[1]})
    assert r.status == 200
    t = XSS[0] + " " + XSS[1]
    a = api.publish(title=t, slug="xss", tags=[XSS[1], "安全"],
                    body="本文 " + XSS[0] + "\n\n" + XSS[1] + "\n\n[link](javascript:alert(1))",
                    excerpt=XSS[1])
    assert a["title"] == t
    web = s.client(headers={"User-Agent": "Mozilla/5.0"})
    pages = {
        "/": web.get("/"),
        "/articles/xss": web.get("/articles/xss"),
        "tag": web.get(tag_path(XSS[1])),
        "/about": web.get("/about"),
        "/feed.xml": web.get("/feed.xml"),
        "/sitemap.xml": web.get("/sitemap.xml"),
        "404": web.get("/no-such-page"),
        "admin list": admin.get("/admin/articles"),
        "admin editor": admin.get("/admin/articles/%d" % a["id"]),
        "admin settings": admin.get("/admin/settings"),
        "admin dashboard": admin.get("/admin/"),
    }
    for name, r in pages.items():
        assert r.status == (404 if name == "404" else 200), name
        for raw in RAW_XSS:
            assert raw not in r.body, "%s contains unescaped %r" % (name, raw)
        if not name.startswith("admin"):  # the editor shows the Markdown source
            assert b"javascript:alert" not in r.body, name
    # The payloads did reach the pages, escaped.
    art = pages["/articles/xss"].text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in art
    p = jm.parse_page(art)
    assert p.meta["og:title"] == t
    assert json.loads(p.ld_json[0])["headline"] == t
    assert XSS[1] + "サイト" in p.title
    for attrs, _ in p.scripts:
        assert attrs.get("type") == "application/ld+json", "an executable <script> on the page"
    f = feedparser.parse(pages["/feed.xml"].body)
    assert not f.bozo
    assert f.entries[0].title == t
    assert "&lt;script" in pages["/feed.xml"].text or "&amp;lt;script" in pages["/feed.xml"].text
