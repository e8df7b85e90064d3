"""The site search's result cache (web/search.c, web/cache.c): a result
page is kept per folded query and page, answers with `x-search-cache:
hit|miss`, and is dropped by the same content generation as the page
cache — a publish, an unpublish, a trashed article or a settings change,
on this node at once and on another node through the database. Queries
and pages never mix; each visitor sees the words they typed; the cache
stays bounded (WEB_SEARCH_CACHE_ENTRIES). Runs on the engine of
JM_TEST_ENGINE; the two-node test on both (test_nodes' fixtures).
"""
import re
import urllib.parse

import pytest

import jm
from test_nodes import nodes, shared_db  # noqa: F401 (fixtures)
from test_site_search import HIT, search as get

BOUND = 512  # WEB_SEARCH_CACHE_ENTRIES in src/web/web_int.h
VALUE = re.compile(r'<input id="search-q" type="search" name="q" value="([^"]*)"')


def until_hit(client, q, page=None):
    """The first answer from the cache. (A node also hears its own writes
    back from the database a poll later and retires its entries once
    more, so "the next request is a hit" is only true eventually.)"""
    def hit():
        r = get(client, q, page)
        return r if r.header("x-search-cache") == "hit" else None
    return jm.wait_until(hit, what="a cached answer for %r page %s" % (q, page))


def typings(word):
    """Every upper/lower-case spelling of word, then its full-width form."""
    out = [""]
    for ch in word:
        out = [o + c for o in out for c in (ch, ch.upper())]
    return out[1:] + [word.upper().translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})]


def slugs(r):
    return [urllib.parse.unquote(s) for s in HIT.findall(r.text)]


@pytest.fixture
def site(make_server):
    s = make_server()
    s.add_user("cache-owner@example.com", "a-long-password", role="owner")
    api = jm.Api(s.base, s.create_token())
    ids = {}
    for i in range(12):
        a = api.publish(title="図書館の記録 %d" % i, slug="lib-%02d" % i,
                        body="図書館で本を借りる話。%d 回目。" % i,
                        published_at="2026-01-01T00:%02d:00Z" % i)
        ids["lib-%02d" % i] = a["id"]
    api.publish(title="Python の集い", slug="py", body="python と図鑑の話。",
                published_at="2026-01-02T00:00:00Z")
    return s, api, s.client(), ids


def test_repeated_query_is_a_hit_with_the_same_page(site):
    s, api, c, _ = site
    first = get(c, "図書館")
    assert first.header("x-search-cache") == "miss"
    again = until_hit(c, "図書館")
    assert again.text == first.text and len(slugs(again)) == 10
    assert again.header("cache-control") == "no-store"
    assert again.header("x-robots-tag") == "noindex"


def test_same_folded_words_share_an_entry_and_show_what_was_typed(site):
    s, api, c, _ = site
    assert get(c, "python").header("x-search-cache") == "miss"
    # A spelling never asked before is a hit right after "python" is: one
    # entry for all (a few tries, each with a new spelling, as an entry
    # may just have been retired by the node's own write heard back).
    shared = 0
    for typed in (typings("python") + ["  python  "])[::-1][:12]:
        until_hit(c, "python")
        r = get(c, typed)
        shared += r.header("x-search-cache") == "hit"
        assert slugs(r) == ["py"]
        assert VALUE.search(r.text).group(1) == typed
        assert "<title>検索: %s |" % typed in r.text
    assert shared >= 10
    # What a visitor typed is escaped in the box, the title and the links.
    r = get(c, '図書館 "<i>x')
    assert r.header("x-search-cache") == "miss"
    assert VALUE.search(r.text).group(1) == "図書館 &quot;&lt;i&gt;x"
    assert "<i>x" not in r.text


def test_queries_and_pages_do_not_mix(site):
    s, api, c, _ = site
    p1, p2 = get(c, "図書館"), get(c, "図書館", page=2)
    assert len(slugs(p1)) == 10 and len(slugs(p2)) == 2
    assert not set(slugs(p1)) & set(slugs(p2))
    assert 'href="/search?q=%E5%9B%B3%E6%9B%B8%E9%A4%A8&amp;page=2"' in p1.text
    assert slugs(until_hit(c, "図書館", page=2)) == slugs(p2)
    assert slugs(until_hit(c, "図書館")) == slugs(p1)
    assert slugs(until_hit(c, "図鑑")) == ["py"]
    assert slugs(until_hit(c, "図")) != slugs(until_hit(c, "図鑑"))  # a prefix: another query
    assert slugs(until_hit(c, "図書館", page=2)) == slugs(p2)


def test_publish_unpublish_and_trash_retire_cached_pages(site):
    s, api, c, ids = site
    assert "lib-new" not in slugs(until_hit(c, "図書館"))
    new = api.publish(title="図書館の新しい記事", slug="lib-new", body="新しい図書館。",
                      published_at="2026-03-01T00:00:00Z")
    r = get(c, "図書館")  # the write retired it before the API answered
    assert r.header("x-search-cache") == "miss" and slugs(r)[0] == "lib-new"
    assert slugs(until_hit(c, "図書館"))[0] == "lib-new"
    # Back to draft: gone from the cached query at once.
    r = api.patch("/api/v1/articles/%d" % new["id"], {"status": "draft"})
    assert r.status == 200, r.text
    assert "lib-new" not in slugs(get(c, "図書館"))
    # Trashed: gone too, and the total shrinks.
    assert "lib-11" in slugs(get(c, "図書館"))
    r = api.delete("/api/v1/articles/%d" % ids["lib-11"])
    assert r.status in (200, 204), r.text
    r = get(c, "図書館")
    assert "lib-11" not in slugs(r) and "見つかった記事: 11<" in r.text


def test_settings_change_rerenders_cached_pages(site):
    s, api, c, _ = site
    r = get(c, "図書館")
    assert '<html lang="ja">' in r.text
    assert api.patch("/api/v1/settings", {"lang": "en"}).status == 200
    r = get(c, "図書館")
    assert r.header("x-search-cache") == "miss"
    assert '<html lang="en">' in r.text and len(slugs(r)) == 10


def test_cache_stays_bounded(site):
    s, api, c, _ = site
    queries = ["zq%04d" % i for i in range(BOUND + 88)]  # found nowhere: cheap
    for q in queries:
        assert get(c, q).header("x-search-cache") == "miss"
    # Every one was cached when answered; no more than the bound are left.
    hits = sum(get(c, q).header("x-search-cache") == "hit" for q in queries)
    assert 0 < hits <= BOUND
    # New questions still get in when the cache is full.
    assert len(slugs(until_hit(c, "図書館"))) == 10


def test_publish_on_a_retires_cached_pages_on_b(nodes):  # noqa: F811
    a, b = nodes.start("a"), nodes.start("b")
    api_a = jm.Api(a.base, nodes.cli("a", "token", "create", "--name", "a")
                   .stdout.strip().splitlines()[-1])
    api_a.publish(title="分散の記録", slug="dist-1", body="分散した図書館の話。")
    cb = b.client()
    jm.wait_until(lambda: slugs(get(cb, "分散")) == ["dist-1"], what="B finding A's article")
    assert slugs(until_hit(cb, "分散")) == ["dist-1"]
    api_a.publish(title="分散の続き", slug="dist-2", body="もう一つの分散の話。")
    jm.wait_until(lambda: sorted(slugs(get(cb, "分散"))) == ["dist-1", "dist-2"],
                  what="B's cached result page following A's publish")
