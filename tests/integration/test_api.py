"""The JSON API under /api/v1/: every route, pagination, partial PATCH,
status codes and JSON errors."""
import json
import re

import pytest

import jm

ART = "/api/v1/articles"


def err_of(r):
    """The {"error": {...}} object of a JSON error response."""
    assert r.header("Content-Type", "").startswith("application/json"), r.header("Content-Type")
    body = r.json()
    assert set(body) == {"error"}, body
    e = body["error"]
    assert isinstance(e.get("code"), str) and e["code"]
    assert isinstance(e.get("message"), str) and e["message"]
    return e


# ---- auth ----

def test_version_route(api):
    r = api.get("/api/v1")
    assert r.status == 200
    assert r.json()["api"] == "v1"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_401_without_token(api, method):
    if method == "GET":
        r = api.get(ART, token=None)
    else:
        r = api.post(ART, {"title": "no token", "tags": ["no-token-tag"]}, token=None)
    assert r.status == 401
    assert "bearer" in r.header("WWW-Authenticate", "").lower()
    assert err_of(r)["code"]
    assert api.get(ART + "?tag=no-token-tag").json()["total"] == 0


@pytest.mark.parametrize("auth", [
    "Bearer jm_not-a-real-token-000000000000000000000000",
    "Bearer ",
    "Basic b3duZXI6cGFzc3dvcmQ=",
    "jm_not-a-real-token",
])
def test_401_with_bad_token(api, auth):
    r = api.get(ART, token=None, headers={"Authorization": auth})
    assert r.status == 401
    err_of(r)


def test_api_ignores_session_cookie_without_token(server, admin):
    r = admin.get(ART)
    assert r.status == 401


# ---- create / show ----

def test_create_returns_201_location_and_article(api):
    slug = jm.uniq("create")
    r = api.post(ART, {"title": "はじめての記事", "slug": slug, "body": "# 見出し\n\n本文",
                       "tags": ["人脈", "出版"], "status": "draft"})
    assert r.status == 201, r.body
    a = r.json()
    loc = r.header("Location")
    assert loc == "%s/%d" % (ART, a["id"])
    assert a["title"] == "はじめての記事"
    assert a["slug"] == slug
    assert a["body"] == "# 見出し\n\n本文"
    assert a["tags"] == ["人脈", "出版"]
    assert a["status"] == "draft"
    assert a["published_at"] is None
    assert a["url"].endswith("/articles/" + slug)
    g = api.get(loc)
    assert g.status == 200
    assert g.json() == a
    assert "no-store" in g.header("Cache-Control", "")


def test_create_published_sets_published_at(api):
    a = api.publish(title="公開記事", slug=jm.uniq("pub"))
    assert a["status"] == "published"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", a["published_at"]), a["published_at"]


def test_create_without_slug_derives_one(api):
    a = api.create_article(title="Hello Network World")
    assert re.fullmatch(r"[a-z0-9-]{1,120}", a["slug"]), a["slug"]
    # A Japanese title keeps its words (issue 8, item 18; core/slug.c).
    b = api.create_article(title="日本語だけのタイトル")
    assert b["slug"] == "日本語だけのタイトル", b["slug"]
    assert b["slug"] != a["slug"]


def test_422_missing_title_names_field(api):
    r = api.post(ART, {"body": "本文だけ", "slug": jm.uniq("notitle")})
    assert r.status == 422
    assert err_of(r)["field"] == "title"


@pytest.mark.parametrize("body,field", [
    ({"title": ""}, "title"),
    ({"title": 5}, "title"),
    ({"title": "ok", "slug": "Bad Slug!"}, "slug"),
    ({"title": "ok", "status": "archived"}, "status"),
    ({"title": "ok", "tags": "not-a-list"}, "tags"),
    ({"title": "ok", "tags": ["t%d" % i for i in range(21)]}, "tags"),
    ({"title": "ok", "published_at": "yesterday"}, "published_at"),
    ({"title": "x" * 301}, "title"),
])
def test_422_invalid_fields_name_the_field(api, body, field):
    before = api.get(ART).json()["total"]
    r = api.post(ART, body)
    assert r.status == 422, r.body
    assert err_of(r).get("field") == field
    assert api.get(ART).json()["total"] == before, "a rejected create stored something"


def test_409_duplicate_slug(api):
    slug = jm.uniq("dup")
    api.create_article(title="最初", slug=slug)
    r = api.post(ART, {"title": "二番目", "slug": slug})
    assert r.status == 409
    assert err_of(r).get("field") == "slug"
    other = api.create_article(title="別の記事", slug=jm.uniq("other"))
    r = api.patch("%s/%d" % (ART, other["id"]), {"slug": slug})
    assert r.status == 409
    assert api.get("%s/%d" % (ART, other["id"])).json()["slug"] == other["slug"]


# ---- malformed bodies ----

def test_400_invalid_json_names_position(api):
    r = api.post(ART, body=b'{"title": "x",\n "slug": }')
    assert r.status == 400
    e = err_of(r)
    assert e["code"] == "invalid_json"
    assert re.search(r"line 2\b.*column \d+", e["message"]), e["message"]


@pytest.mark.parametrize("raw", [
    b'{"title": "\xff\xfe bad"}',
    b'{"title": "\xe3\x81"}',
    b'{"title": "ok", "slug": "\xc0\xaf"}',
])
def test_400_invalid_utf8_body(api, raw):
    r = api.post(ART, body=raw)
    assert r.status == 400
    err_of(r)


@pytest.mark.parametrize("raw", [b"", b"[1, 2]", b'"title"', b"null"])
def test_400_body_must_be_an_object(api, raw):
    r = api.post(ART, body=raw)
    assert r.status == 400
    err_of(r)


def test_400_too_deeply_nested_json(api):
    deep = b'{"title": "x", "extra": ' + b"[" * 100 + b"]" * 100 + b"}"
    r = api.post(ART, body=deep)
    assert r.status == 400
    err_of(r)


def test_415_wrong_content_type(api):
    r = api.post(ART, {"title": "x"}, headers={"Content-Type": "text/plain"})
    assert r.status == 415
    err_of(r)


def test_duplicate_keys_are_rejected(api):
    r = api.post(ART, body=b'{"title": "a", "title": "b"}')
    assert r.status == 400
    err_of(r)


# ---- list and pagination ----

def test_list_paginates_newest_first(api):
    tag = jm.uniq("page")
    made = [api.create_article(title="記事 %d" % i, slug=jm.uniq("p"), tags=[tag],
                               status="published") for i in range(5)]
    seen = []
    for page, count in ((1, 2), (2, 2), (3, 1)):
        r = api.get("%s?tag=%s&per_page=2&page=%d" % (ART, tag, page))
        assert r.status == 200
        body = r.json()
        assert body["page"] == page and body["per_page"] == 2
        assert body["total"] == 5 and body["total_pages"] == 3
        assert len(body["items"]) == count
        seen += [a["id"] for a in body["items"]]
    assert sorted(seen) == sorted(a["id"] for a in made), "pages overlap or miss items"
    assert seen == [a["id"] for a in reversed(made)], "not newest first"
    r = api.get("%s?tag=%s&per_page=2&page=4" % (ART, tag))
    assert r.status == 200 and r.json()["items"] == []


def test_list_default_page_size_and_status_filter(api):
    r = api.get(ART)
    assert r.status == 200
    body = r.json()
    assert body["page"] == 1 and body["per_page"] == 20
    tag = jm.uniq("st")
    api.create_article(title="下書き", slug=jm.uniq("d"), tags=[tag], status="draft")
    api.create_article(title="公開", slug=jm.uniq("p"), tags=[tag], status="published")
    drafts = api.get("%s?tag=%s&status=draft" % (ART, tag)).json()["items"]
    assert [a["title"] for a in drafts] == ["下書き"]
    pubs = api.get("%s?tag=%s&status=published" % (ART, tag)).json()["items"]
    assert [a["title"] for a in pubs] == ["公開"]


@pytest.mark.parametrize("query,field", [
    ("per_page=0", "per_page"),
    ("per_page=101", "per_page"),
    ("page=0", "page"),
    ("page=abc", "page"),
    ("page=-1", "page"),
    ("status=archived", "status"),
])
def test_400_bad_list_parameters(api, query, field):
    r = api.get("%s?%s" % (ART, query))
    assert r.status == 400
    assert err_of(r).get("field") == field


# ---- PATCH ----

def test_patch_changes_only_given_fields(api):
    a = api.create_article(title="元のタイトル", slug=jm.uniq("patch"), body="元の本文",
                           tags=["人脈"], excerpt="要約")
    url = "%s/%d" % (ART, a["id"])
    r = api.patch(url, {"title": "新しいタイトル"})
    assert r.status == 200, r.body
    b = r.json()
    assert b["title"] == "新しいタイトル"
    for k in ("slug", "body", "tags", "excerpt", "status", "published_at", "created_at"):
        assert b[k] == a[k], k
    r = api.patch(url, {"tags": ["出版", "採用"]})
    c = r.json()
    assert c["tags"] == ["出版", "採用"] and c["title"] == "新しいタイトル" and c["body"] == "元の本文"
    assert api.get(url).json() == c


def test_patch_publish_and_unpublish(api):
    a = api.create_article(title="下書きから公開", slug=jm.uniq("pp"))
    url = "%s/%d" % (ART, a["id"])
    b = api.patch(url, {"status": "published"}).json()
    assert b["status"] == "published" and b["published_at"]
    c = api.patch(url, {"status": "draft"}).json()
    assert c["status"] == "draft"


def test_patch_invalid_changes_nothing(api):
    a = api.create_article(title="変えない", slug=jm.uniq("keep"), body="本文")
    url = "%s/%d" % (ART, a["id"])
    r = api.patch(url, {"title": "", "body": "変わってはいけない"})
    assert r.status == 422
    assert err_of(r).get("field") == "title"
    r = api.patch(url, {"body": "これも", "title": 42})
    assert r.status == 422
    assert api.get(url).json()["body"] == "本文"


def test_patch_bad_json(api):
    a = api.create_article(title="壊れたJSON", slug=jm.uniq("bj"))
    r = api.patch("%s/%d" % (ART, a["id"]), body=b"{not json")
    assert r.status == 400
    assert err_of(r)["code"] == "invalid_json"


# ---- DELETE and 404 ----

def test_delete_returns_204_then_404(api):
    a = api.create_article(title="消す記事", slug=jm.uniq("del"))
    url = "%s/%d" % (ART, a["id"])
    r = api.delete(url)
    assert r.status == 204
    assert r.body == b""
    assert api.get(url).status == 404
    assert api.delete(url).status == 404


@pytest.mark.parametrize("path", ["/999999999", "/0", "/abc", "/-1", "/99999999999999999999999"])
def test_404_unknown_id(api, path):
    for r in (api.get(ART + path), api.patch(ART + path, {"title": "x"}), api.delete(ART + path)):
        assert r.status == 404, (r, r.body)
        assert err_of(r)["code"] == "not_found"


def test_unknown_api_route_and_method(api):
    assert api.get("/api/v1/nothing-here").status == 404
    a = api.create_article(title="メソッド", slug=jm.uniq("m"))
    r = api.put("%s/%d" % (ART, a["id"]), {"title": "x"})
    assert r.status == 405


# ---- body size limit ----

def test_413_oversized_body_and_server_keeps_serving(make_server):
    limit = 65536
    s = make_server("--max-body", str(limit))
    s.add_user("big@example.com", "a-long-password")
    api = jm.Api(s.base, s.create_token())

    def body_of(size, slug):
        head = b'{"title": "size", "slug": "%s", "body": "' % slug.encode()
        tail = b'"}'
        return head + b"a" * (size - len(head) - len(tail)) + tail

    at_cap = body_of(limit, "at-cap")
    assert len(at_cap) == limit
    r = api.post(ART, body=at_cap)
    assert r.status == 201, "a body of exactly --max-body must be accepted: %s" % r.status
    for size in (limit + 1, 4 * limit):
        r = api.post(ART, body=body_of(size, "too-big-%d" % size))
        assert r.status == 413, "body of %d bytes with --max-body %d: %s" % (size, limit, r.status)
    assert api.get(ART + "?per_page=100").json()["total"] == 1
    # Still serving, on new connections and for normal requests.
    for _ in range(3):
        assert s.client().get("/healthz").status == 200
    r = api.post(ART, {"title": "after", "slug": "after-413"})
    assert r.status == 201
    assert s.alive()
