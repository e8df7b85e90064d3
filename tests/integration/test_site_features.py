"""The article page's other features (issue 10): previous/next and related
articles, share links (X, はてなブックマーク, LINE, Facebook) as plain links,
YouTube URLs as a click-to-play facade that loads nothing from YouTube
before the click, X and Instagram URLs as link cards, the public CSP that
allows just the youtube-nocookie.com frame, and no third-party script on any
public page."""
import html
import re
import time
import urllib.parse
from html.parser import HTMLParser

import pytest

import jm

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: https:; media-src 'self' https:; "
       "frame-src https://www.youtube-nocookie.com; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'")
VID = "dQw4w9WgXcQ"
T0 = int(time.time()) - 10 * 86400


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.scripts, self.iframes = [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a":
            self.links.append(a)
        elif tag == "script":
            self.scripts.append(a)
        elif tag == "iframe":
            self.iframes.append(a)


def parse(text):
    p = Links()
    p.feed(text)
    return p


@pytest.fixture(scope="module")
def api(server):
    server.add_user("features-owner@example.com", "a-long-password", role="owner")
    return jm.Api(server.base, server.create_token())


@pytest.fixture(scope="module")
def web(server):
    return server.client()


# ---- embeds ----

EMBED_BODY = "\n\n".join([
    "動画の紹介です。",
    "https://www.youtube.com/watch?v=%s" % VID,
    "https://youtu.be/%s?t=30" % VID,
    "https://www.youtube.com/shorts/abcdefghijk",
    "<https://m.youtube.com/watch?feature=share&v=%s>" % VID,
    "本文中の https://youtu.be/%s はリンクのまま。" % VID,
    "https://youtu.be/short",
    "https://evil.example/watch?v=%s" % VID,
    'https://youtu.be/%s"><script>alert(1)</script>' % VID,
    "https://x.com/jack/status/20",
    "https://twitter.com/jack/status/21?s=20",
    "https://www.instagram.com/p/Cabc_12-3/",
    "https://www.instagram.com/reel/XYZ789/?igsh=abc",
    "https://x.com/jack",
])


def test_youtube_facade_and_cards(api, web):
    a = api.publish(title="埋め込みの記事", slug="embeds", body=EMBED_BODY)
    r = web.get("/articles/" + a["slug"])
    assert r.status == 200
    t = r.text
    assert t.count('class="embed embed-youtube"') == 4, t
    assert t.count('data-youtube="%s"' % VID) == 3 and 'data-youtube="abcdefghijk"' in t
    # Nothing is loaded from YouTube before the click: no frame, no thumbnail.
    p = parse(t)
    assert p.iframes == []
    assert "ytimg.com" not in t and "youtube-nocookie.com" not in t
    assert 'href="https://www.youtube.com/watch?v=%s"' % VID in t
    # Only a URL alone on its line becomes a facade; others stay as typed.
    assert "本文中の https://youtu.be/%s はリンクのまま。" % VID in t
    assert "https://youtu.be/short" in t and "evil.example" in t
    assert "<script>alert(1)" not in t
    # Link cards, no script of X or Instagram.
    assert t.count('class="embed embed-card embed-x"') == 2
    assert 'href="https://x.com/jack/status/20"' in t and 'href="https://x.com/jack/status/21"' in t
    assert t.count('class="embed embed-card embed-instagram"') == 2
    assert 'href="https://www.instagram.com/p/Cabc_12-3/"' in t
    assert 'href="https://www.instagram.com/reel/XYZ789/"' in t
    assert "platform.twitter.com" not in t and "instagram.com/embed" not in t
    assert 'class="embed embed-card embed-x"><a href="https://x.com/jack"' not in t
    # The click loader is the site's own script, loading the privacy-enhanced player.
    assert {"src": "/static/embed.js", "defer": None} in p.scripts
    plain = api.publish(title="動画のない記事", slug="no-video", body="https://x.com/jack/status/20")
    assert parse(web.get("/articles/" + plain["slug"]).text).scripts == [] or \
        all(x.get("type") == "application/ld+json" for x in parse(web.get("/articles/no-video").text).scripts)
    js = web.get("/static/embed.js")
    assert js.status == 200 and "https://www.youtube-nocookie.com/embed/" in js.text


def test_csp_allows_only_the_nocookie_frame(api, web):
    a = api.publish(title="CSP の記事", slug="csp-article", body="https://youtu.be/%s" % VID)
    for path in ("/", "/articles/" + a["slug"], "/search?q=csp", "/about"):
        r = web.get(path)
        assert r.header("Content-Security-Policy") == CSP, path


def test_no_third_party_script_anywhere(api, web):
    a = api.publish(title="スクリプトの確認", slug="scripts", body=EMBED_BODY, tags=["確認"])
    for path in ("/", "/articles/" + a["slug"], "/tags/" + urllib.parse.quote("確認"),
                 "/search?q=" + urllib.parse.quote("確認"), "/about", "/contact"):
        r = web.get(path)
        assert r.status == 200, path
        for s in parse(r.text).scripts:
            if "src" in s:
                assert s["src"].startswith("/static/"), (path, s)
            else:
                assert s.get("type") == "application/ld+json", (path, s)


# ---- share links ----

def test_share_links_encode_the_japanese_title(api, web):
    title = "出版と翻訳 & 「Q&A」#1?"
    a = api.publish(title=title, slug="share-me", body="シェアの試験。")
    r = web.get("/articles/share-me")
    canon = re.search(r'<link rel="canonical" href="([^"]+)"', r.text).group(1)
    assert canon.endswith("/articles/share-me")
    links = {x.get("class"): x for x in parse(r.text).links if x.get("class", "").startswith("share-")}
    assert set(links) == {"share-x", "share-hatena", "share-line", "share-facebook"}
    for x in links.values():
        assert x["target"] == "_blank" and "noopener" in x["rel"]

    def q(cls):
        u = urllib.parse.urlsplit(links[cls]["href"])
        return u, urllib.parse.parse_qs(u.query)

    u, p = q("share-x")
    assert (u.netloc, u.path) == ("x.com", "/intent/post")
    assert p == {"url": [canon], "text": [title]}
    u, p = q("share-hatena")
    assert (u.netloc, u.path) == ("b.hatena.ne.jp", "/add")
    assert p == {"mode": ["confirm"], "url": [canon], "title": [title]}
    u, p = q("share-line")
    assert u.netloc == "social-plugins.line.me" and p == {"url": [canon]}
    u, p = q("share-facebook")
    assert u.netloc == "www.facebook.com" and p == {"u": [canon]}
    # Encoded, not merely escaped: no raw Japanese, '&' or '#' in the query.
    raw = re.search(r'class="share-x" href="([^"]+)"', r.text).group(1)
    assert "出版" not in raw and "%E5%87%BA%E7%89%88" in raw and "%23" in raw
    assert html.unescape(raw).count("&") == 1


# ---- previous / next and related ----

def nav(c, slug):
    t = c.get("/articles/" + slug).text
    prev = re.search(r'class="post-prev" rel="prev" href="/articles/([^"]+)"', t)
    nxt = re.search(r'class="post-next" rel="next" href="/articles/([^"]+)"', t)
    rel = re.search(r'<section class="related">(.*?)</section>', t, re.S)
    related = re.findall(r'href="/articles/([^"]+)"', rel.group(1)) if rel else []
    return (prev.group(1) if prev else None, nxt.group(1) if nxt else None, related)


def test_prev_next_and_related(make_server):
    s = make_server()
    s.add_user("nav-owner@example.com", "a-long-password", role="owner")
    api = jm.Api(s.base, s.create_token())
    c = s.client()
    spec = [("n1", ["出版", "翻訳"]), ("n2", ["出版", "翻訳"]), ("n3", ["出版"]),
            ("n4", []), ("n5", ["翻訳"])]
    for i, (slug, tags) in enumerate(spec):
        api.publish(title="記事 " + slug, slug=slug, body="本文。", tags=tags,
                    published_at=iso(T0 + i * 3600))
    api.create_article(title="下書き", slug="n-draft", status="draft", tags=["出版", "翻訳"])
    api.publish(title="予約", slug="n-future", tags=["出版", "翻訳"],
                published_at=iso(int(time.time()) + 86400))
    assert nav(c, "n1")[:2] == (None, "n2")
    assert nav(c, "n3")[:2] == ("n2", "n4")
    assert nav(c, "n5")[:2] == ("n4", None), "the scheduled article is not next yet"
    # Most tags shared first (n2 shares two), then newest among equals
    # (n5, n3 share one), then filled with the newest (n4).
    assert nav(c, "n1")[2] == ["n2", "n5", "n3", "n4"]
    rel = nav(c, "n4")[2]
    assert rel == ["n5", "n3", "n2", "n1"], "no shared tag: the newest"
    for slug in ("n1", "n2", "n3", "n4", "n5"):
        p, n, r = nav(c, slug)
        assert "n-draft" not in (p, n, *r) and "n-future" not in (p, n, *r)
    # Unpublishing n2 takes it out of its neighbours' links at once.
    a2 = [x for x in api.get("/api/v1/articles?per_page=100").json()["items"]
          if x["slug"] == "n2"][0]
    assert api.patch("/api/v1/articles/%d" % a2["id"], {"status": "draft"}).status == 200
    assert nav(c, "n1")[1] == "n3" and "n2" not in nav(c, "n1")[2]
