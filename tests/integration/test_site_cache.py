"""The page cache's fast path (web_serve_fast: a request whose path and
query are exactly a cached entry's key is answered before routing) answers
and counts exactly as the page's handler does: the same bytes and headers as
the first, rendered answer, a page view per browser GET of the page's path
whatever the spelling, none for HEAD, bots, the feed or another query."""
import urllib.parse

import jm

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120"}
BOT = {"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1)"}
SAME = ("etag", "last-modified", "cache-control", "content-type", "content-security-policy",
        "x-frame-options", "referrer-policy", "x-content-type-options", "permissions-policy")


def views(s, path):
    db = jm.db_connect(s.data_dir)
    try:
        return db.execute("SELECT coalesce(sum(views), 0) FROM pageviews WHERE path = ?",
                          (path,)).fetchone()[0]
    finally:
        db.close()


def test_cached_hits_answer_and_count_like_their_handler(make_server):
    s = make_server()
    s.add_user("o@example.com", "password-1234")
    api = jm.Api(s.base, s.create_token())
    slug = "キャッシュ記事"
    api.publish(title="キャッシュの記事", slug=slug)
    canon = "/articles/" + urllib.parse.quote(slug)  # %E3…: the cache key
    lower = "/articles/" + urllib.parse.quote(slug).lower()  # another spelling
    c = s.client(headers=BROWSER)
    first = c.get(canon)  # rendered and cached
    assert first.status == 200 and "キャッシュの記事" in first.text
    for _ in range(2):  # answered from the cache before routing
        r = c.get(canon)
        assert r.status == 200 and r.body == first.body
        for h in SAME:
            assert r.header(h) == first.header(h), h
    assert c.get(lower).body == first.body  # the handler's canonical-key hit
    assert c.request("HEAD", canon).status == 200
    assert s.client(headers=BOT).get(canon).status == 200
    assert c.get(canon + "?utm_source=x").body == first.body  # not a key: the handler
    etag = first.header("etag")
    assert c.get(canon, headers={"If-None-Match": etag}).status == 304
    for _ in range(2):
        assert c.get("/").status == 200
        assert c.get("/feed.xml").status == 200
    s.stop_and_check()  # flushes the counters
    # GETs of the page by a browser: 3 + lower + utm + the 304; not HEAD, not the bot.
    assert views(s, "/articles/" + slug) == 6
    assert views(s, "/") == 2
    assert views(s, "/feed.xml") == 0
