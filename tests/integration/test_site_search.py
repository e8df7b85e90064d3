"""The public site search, GET /search?q= (issue 10): published articles
found with the people search's Japanese quality (2-character words, ｶﾀｶﾅ/
カタカナ and ＰＹＴＨＯＮ/python folding, 1-character and Latin prefixes),
drafts and scheduled articles never, the index following every edit, clear
answers to bad or huge queries, and the same hits in the same order on
SQLite and PostgreSQL (test_same_hits_on_both_engines, with JM_TEST_PG_URL).
"""
import re
import time
import urllib.parse

import pytest

import jm
from test_search_engines import on_both_engines

HIT = re.compile(r'<li class="search-hit">\s*<h2 class="entry-title"><a href="/articles/([^"]+)"')
SNIPPET = re.compile(r'<p class="snippet">(.*?)</p>', re.S)
T0 = int(time.time()) - 30 * 86400


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


# slug, title, body (Markdown), tags, minutes after T0
ARTICLES = [
    ("shuppan", "出版の始め方", "自費出版と商業出版の違いを説明します。出版社に頼む道もあります。",
     ["出版"], 1),
    ("python", "ＰＹＴＨＯＮ 入門", "python で始めるデータ分析。Pythonista への道。", ["python", "講師"], 2),
    ("kana", "ｶﾀｶﾅ の話", "半角ｶﾀｶﾅと全角カタカナは同じ言葉として探せます。", [], 3),
    ("hon", "本屋めぐり", "日本の本屋を歩く。見本本と本。", ["本"], 4),
    ("twin-a", "翻訳と出版", "翻訳者の仕事について。", [], 5),
    ("twin-b", "翻訳と出版", "翻訳者の仕事について。", [], 5),
    ("mixed", "Acme出版のお知らせ", "marketing と SEO の話です。", ["Acme"], 6),
    ("markdown", "書式の例", "**出版** の [案内](https://example.com/) と `code`。\n\n"
     "```\n出版コードは探さない\n```\n\n" + "長い前置きの文章です。" * 20 + "ここで出版の話。", [], 7),
]
QUERIES = ["出版", "出版社", "本", "ｶﾀｶﾅ", "カタカナ", "ＰＹＴＨＯＮ", "python", "pyth",
           "翻訳者", "acme出", "出版 翻訳", "講師", "Marketing", "存在しない語", "コード"]


def load(api):
    ids = {}
    for slug, title, body, tags, minute in ARTICLES:
        a = api.publish(title=title, slug=slug, body=body, tags=tags,
                        published_at=iso(T0 + minute * 60))
        ids[slug] = a["id"]
    api.create_article(title="出版の下書き", slug="draft-shuppan", body="出版の下書きです。",
                       status="draft")
    api.publish(title="出版の予定", slug="future-shuppan", body="出版の予定です。",
                published_at=iso(int(time.time()) + 86400 * 30))
    return ids


def search(client, q, page=None):
    qs = {"q": q}
    if page:
        qs["page"] = str(page)
    r = client.get("/search?" + urllib.parse.urlencode(qs))
    assert r.status == 200, (q, r.status, r.text[:300])
    return r


def eventually(fn, want=bool, deadline=30.0):
    """fn() once it satisfies want (another node's change arrives through
    the database within a poll), else its last value after the deadline."""
    end = time.monotonic() + deadline
    v = fn()
    while not want(v) and time.monotonic() < end:
        time.sleep(0.1)
        v = fn()
    return v


def hits(client, q, page=None):
    return [urllib.parse.unquote(s) for s in HIT.findall(search(client, q, page).text)]


@pytest.fixture(scope="module")
def site(server):
    s = server
    s.add_user("search-owner@example.com", "a-long-password", role="owner")
    api = jm.Api(s.base, s.create_token())
    load(api)
    return s, api, s.client()


# ---- quality ----

def test_two_character_word_and_phrase(site):
    _, _, c = site
    h = hits(c, "出版")
    assert set(h) == {"shuppan", "twin-a", "twin-b", "mixed", "markdown"}, h
    assert h[0] == "shuppan", "title and tag hits rank first: %r" % h
    assert hits(c, "出版社") == ["shuppan"]
    assert hits(c, "翻訳者") == ["twin-b", "twin-a"], "a tie falls to the newer id"


def test_never_drafts_or_scheduled(site):
    _, _, c = site
    for q in ("出版", "下書き", "予定"):
        h = hits(c, q)
        assert "draft-shuppan" not in h and "future-shuppan" not in h, (q, h)
    assert hits(c, "下書き") == [] and hits(c, "予定") == []


def test_folding_kana_and_fullwidth(site):
    _, _, c = site
    assert hits(c, "ｶﾀｶﾅ") == hits(c, "カタカナ") == ["kana"]
    assert hits(c, "ＰＹＴＨＯＮ") == hits(c, "python") == ["python"]
    assert hits(c, "pyth") == ["python"], "a Latin word is a prefix"
    assert hits(c, "Marketing") == ["mixed"]
    assert hits(c, "acme出") == ["mixed"]


def test_one_character_prefix_and_tags(site):
    _, _, c = site
    assert set(hits(c, "本")) == {"hon"}
    assert hits(c, "講師") == ["python"], "tags are searched"
    assert set(hits(c, "出版 翻訳")) == {"twin-a", "twin-b"}, "words are ANDed"


def test_code_blocks_and_urls_are_not_text(site):
    _, _, c = site
    assert hits(c, "コード") == []
    assert "markdown" not in hits(c, "example")


def test_result_page_shows_title_date_and_marked_snippet(site):
    _, _, c = site
    r = search(c, "出版社")
    assert r.header("Cache-Control") == "no-store"
    assert r.header("X-Robots-Tag") == "noindex"
    assert "出版の始め方" in r.text and "<time datetime=" in r.text
    snip = SNIPPET.findall(r.text)
    assert len(snip) == 1 and "<mark>出版社</mark>" in snip[0], snip
    # A hit deep in a long body: the snippet starts near it, with an ellipsis.
    r = search(c, "話")
    snips = dict(zip(HIT.findall(r.text), SNIPPET.findall(r.text)))
    assert snips["markdown"].startswith("…") and "<mark>話</mark>" in snips["markdown"]
    assert "**" not in snips["markdown"], "the snippet is text, not Markdown"


def test_empty_states(site):
    _, _, c = site
    for q in ("", "   ", "　", "!!!"):
        r = search(c, q)
        assert 'class="search-hint"' in r.text and HIT.findall(r.text) == [], q
    r = search(c, "存在しない語")
    assert 'class="search-empty"' in r.text
    r = c.get("/search")
    assert r.status == 200 and 'class="search-hint"' in r.text


def test_bad_and_huge_queries_get_a_clear_answer(site):
    _, _, c = site
    for q in ("あ" * 101, "a" * 101, "x" * 100000):
        r = c.get("/search?q=" + urllib.parse.quote(q))
        assert r.status == 400, (len(q), r.status)
        assert "長すぎます" in r.text and 'role="alert"' in r.text
    assert c.get("/search?q=" + urllib.parse.quote("あ" * 100)).status == 200
    for raw in ("%FF%FE", "%01abc", "%E5%87"):
        r = c.get("/search?q=" + raw)
        assert r.status == 400 and 'role="alert"' in r.text, raw
    assert c.get("/search?q=a&page=abc").status == 400


def test_query_is_escaped(site):
    _, _, c = site
    r = c.get("/search?q=" + urllib.parse.quote('<script>alert(1)</script>"'))
    assert r.status == 200
    assert "<script>alert(1)" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text


def test_search_box_in_the_layout(site):
    _, _, c = site
    for path in ("/", "/articles/shuppan", "/about"):
        r = c.get(path)
        f = jm.find_form(r.text, action="/search")
        assert f is not None and f.attrs.get("method") == "get", path
        assert 'name="q"' in r.text


def test_paging(make_server):
    s = make_server()
    s.add_user("pager-owner@example.com", "a-long-password", role="owner")
    api = jm.Api(s.base, s.create_token())
    for i in range(12):
        api.publish(title="ページ送り %02d" % i, slug="pg-%02d" % i, body="検索の試験です。",
                    published_at=iso(T0 + i * 60))
    c = s.client()
    p1, p2 = hits(c, "試験"), hits(c, "試験", page=2)
    assert p1 == ["pg-%02d" % i for i in range(11, 1, -1)], "ties fall to the newest"
    assert p2 == ["pg-01", "pg-00"]
    r = search(c, "試験")
    assert "/search?q=%E8%A9%A6%E9%A8%93&amp;page=2" in r.text
    assert hits(c, "試験", page=3) == []


# ---- the index follows the articles ----

def test_index_follows_edits(site):
    _, api, c = site
    a = api.publish(title="編集前の題名", slug="follow", body="最初の本文は鶏肉。", tags=["旧タグ"])
    assert hits(c, "鶏肉") == ["follow"] and hits(c, "旧タグ") == ["follow"]
    r = api.patch("/api/v1/articles/%d" % a["id"], {"body": "新しい本文は豚肉。", "tags": ["新タグ"]})
    assert r.status == 200, r.text
    assert hits(c, "鶏肉") == [] and hits(c, "豚肉") == ["follow"]
    assert hits(c, "旧タグ") == [] and hits(c, "新タグ") == ["follow"]
    assert api.patch("/api/v1/articles/%d" % a["id"], {"title": "編集後の見出し"}).status == 200
    assert hits(c, "見出し") == ["follow"] and hits(c, "編集前") == []
    assert api.patch("/api/v1/articles/%d" % a["id"], {"status": "draft"}).status == 200
    assert hits(c, "豚肉") == [], "unpublished: gone"
    assert api.patch("/api/v1/articles/%d" % a["id"], {"status": "published"}).status == 200
    assert hits(c, "豚肉") == ["follow"]
    assert api.delete("/api/v1/articles/%d" % a["id"]).status in (200, 204)
    assert hits(c, "豚肉") == []


def insert_behind_the_back(s, slug, title):
    """An article written straight into the database, as a restore or an
    old version's data would be: not in the index."""
    now = int(time.time())
    db = jm.db_connect(s.data_dir)
    db.execute("INSERT INTO articles(slug, title, body_md, excerpt, status, published_at, "
               "created_at, updated_at, html_trusted) VALUES (?, ?, ?, '', 'published', ?, ?, ?, 0)",
               (slug, title, title + "の本文。", now - 60, now - 60, now - 60))
    db.commit()
    db.close()


def test_reindex_and_start_build_the_index(make_server):
    s = make_server()
    # The first start with an empty index and published articles builds it
    # (an upgrade to migration 0021).
    s.stop_and_check()
    insert_behind_the_back(s, "at-start", "起動時索引")
    s.start()
    c = s.client()
    assert hits(c, "起動時索引") == ["at-start"]
    # Later writes behind the app's back wait for `jinmyaku reindex`.
    insert_behind_the_back(s, "reindex-me", "再索引の記事")
    assert hits(c, "再索引") == []
    p = s.cli("reindex")
    assert p.returncode == 0, p.stderr
    assert "indexed 2 articles" in p.stdout
    # The CLI is another process: the server learns of the rebuild through
    # the database's content generation (its next poll), and then drops its
    # cached result pages.
    assert eventually(lambda: hits(c, "再索引")) == ["reindex-me"]
    assert hits(c, "起動時索引") == ["at-start"]


# ---- both engines ----

def start_site(tmp_path_factory, db_url, started):
    d = tmp_path_factory.mktemp("sitesearch")
    lite = "sqlite:" + str(d / "data" / "jinmyaku.db")
    server = jm.Server(str(d / "data"), ["--db", db_url or lite]).start()

    class Site:
        pass

    site = Site()
    site.server = server
    started.append(site)
    extra = ["--db", db_url or lite]
    p = server.cli("user", "add", "--email", "owner@example.com", "--role", "owner", *extra,
                   input="correct horse battery staple\n")
    assert p.returncode == 0, p.stderr
    tok = server.cli("token", "create", "--name", "s", *extra).stdout.strip().splitlines()[-1]
    load(jm.Api(server.base, tok.strip()))


def test_same_hits_on_both_engines(tmp_path_factory):
    with on_both_engines("s", lambda url, st: start_site(tmp_path_factory, url, st)) as sites:
        answers = []
        for s in sites:
            c = s.server.client()
            answers.append({q: (HIT.findall(search(c, q).text), SNIPPET.findall(search(c, q).text))
                            for q in QUERIES})
        assert answers[0]["出版"][0][0] == "shuppan"
        for other in answers[1:]:
            for q in QUERIES:
                assert other[q] == answers[0][q], q
