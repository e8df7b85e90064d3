"""One set of input rules for admin, API and CLI (issue 8 §1), black-box
against the real ASan binary:

- every JSON endpoint refuses an unknown field with 422 "unknown_field"
  naming it, and changes nothing (a client sending "body_md" used to get
  an empty article);
- one header-value rule (CR/LF, C0/C1 controls, U+2028/2029, literal
  encoded words) for every value that may reach a mail header, at the
  API, the admin forms and the CLI import;
- content writes invalidate the page cache inside the domain (API and
  admin edits of articles, list edits);
- one schedule rule (a past time is refused) and one zone rule (a time
  without a zone is read in the site's zone).

Every refused request is checked to have stored nothing.
"""
import time

import pytest

import jm

ARTICLES = "/api/v1/articles"
LISTS = "/api/v1/lists"
SUBS = "/api/v1/subscribers"
BCASTS = "/api/v1/broadcasts"
PEOPLE = "/api/v1/people"


@pytest.fixture(scope="module")
def db(server):
    c = jm.nl_db(server.data_dir)
    yield c
    c.close()


def unknown(r, field):
    assert r.status == 422, "%s %s" % (r.status, r.text[:500])
    e = r.json()["error"]
    assert e["code"] == "unknown_field", e
    assert e["field"] == field, e
    assert field in e["message"], e
    return e


def count(db, table):
    # fetchall ends the statement, so no read transaction stays open.
    return db.execute("SELECT count(*) FROM " + table).fetchall()[0][0]


@pytest.fixture(scope="module")
def list_id(api):
    r = api.post(LISTS, {"name": "入力テスト", "slug": jm.uniq("in")})
    assert r.status == 201, r.text
    return r.json()["id"]


# ---- unknown fields ----

def test_article_create_refuses_body_md(api, db):
    n = count(db, "articles")
    unknown(api.post(ARTICLES, {"title": "本文の名前違い", "body_md": "# 本文"}), "body_md")
    assert count(db, "articles") == n


def test_article_patch_refuses_unknown(api):
    a = api.create_article(title="既存の記事", body="もとの本文")
    unknown(api.patch("%s/%d" % (ARTICLES, a["id"]), {"body_md": "新しい本文"}), "body_md")
    assert api.get("%s/%d" % (ARTICLES, a["id"])).json()["body"] == "もとの本文"


def test_list_create_and_patch_refuse_unknown(api, db, list_id):
    n = count(db, "lists")
    unknown(api.post(LISTS, {"name": "x", "slug": jm.uniq("l"), "from_nam": "x"}), "from_nam")
    assert count(db, "lists") == n
    unknown(api.patch("%s/%d" % (LISTS, list_id), {"nmae": "改名"}), "nmae")
    assert api.get("%s/%d" % (LISTS, list_id)).json()["name"] == "入力テスト"


def test_list_field_object_refuses_unknown(api, list_id):
    r = api.patch("%s/%d" % (LISTS, list_id),
                  {"fields": [{"key": "company", "label": "会社", "lable": "x"}]})
    e = unknown(r, "fields")
    assert "lable" in e["message"]
    assert api.get("%s/%d" % (LISTS, list_id)).json()["fields"] == []


def test_subscriber_create_refuses_unknown(api, db, list_id):
    n = count(db, "subscriptions")
    r = api.post(SUBS, {"list_id": list_id, "email": "u@example.jp", "company": "会社"})
    unknown(r, "company")
    assert count(db, "subscriptions") == n


def test_subscriber_bulk_refuses_unknown(api):
    unknown(api.post(SUBS + "/bulk", {"op": "erase", "person_ids": [1], "all": True}), "all")


def test_broadcast_create_patch_test_refuse_unknown(api, db, list_id):
    n = count(db, "broadcasts")
    unknown(api.post(BCASTS, {"list_id": list_id, "subject": "件名", "body_md": "x"}),
            "body_md")
    assert count(db, "broadcasts") == n
    r = api.post(BCASTS, {"list_id": list_id, "subject": "件名", "body": "本文"})
    assert r.status == 201, r.text
    bid = r.json()["id"]
    unknown(api.patch("%s/%d" % (BCASTS, bid), {"subjet": "変更"}), "subjet")
    assert api.get("%s/%d" % (BCASTS, bid)).json()["subject"] == "件名"
    unknown(api.post("%s/%d/test" % (BCASTS, bid), {"email": "a@example.jp", "to": "x"}),
            "to")


def test_people_still_refuse_unknown(api, db):
    n = count(db, "people")
    unknown(api.post(PEOPLE, {"name": "名前", "nickname": "x"}), "nickname")
    assert count(db, "people") == n


# ---- the header-value rule ----

BAD_HEADER_VALUES = [
    ("crlf", "山田\r\nBcc: evil@example.com"),
    ("tab", "山田\t太郎"),
    ("u2028", "山田\u2028太郎"),
    ("u2029", "山田\u2029太郎"),
    ("nel", "山田\u0085太郎"),
    ("c1", "山田\u009b太郎"),
    ("encoded-word", "=?utf-8?B?5bGx55Sw?="),
]
BAD_IDS = [b[0] for b in BAD_HEADER_VALUES]


@pytest.mark.parametrize("case,value", BAD_HEADER_VALUES, ids=BAD_IDS)
def test_api_person_name_and_company_refused(api, db, case, value):
    n = count(db, "people")
    for field in ("name", "company", "title"):
        r = api.post(PEOPLE, {"email": jm.uniq("h") + "@example.jp", field: value})
        assert r.status == 422, (field, r.status, r.text)
        assert r.json()["error"]["field"] == field, r.text
    assert count(db, "people") == n


@pytest.mark.parametrize("case,value", BAD_HEADER_VALUES, ids=BAD_IDS)
def test_api_subscriber_list_and_broadcast_refused(api, db, list_id, case, value):
    before = [count(db, t) for t in ("people", "subscriptions", "lists", "broadcasts")]
    r = api.post(SUBS, {"list_id": list_id, "email": jm.uniq("s") + "@example.jp",
                        "name": value})
    assert r.status == 422 and r.json()["error"]["field"] == "name", r.text
    r = api.post(LISTS, {"name": value, "slug": jm.uniq("hl")})
    assert r.status == 422 and r.json()["error"]["field"] == "name", r.text
    r = api.post(BCASTS, {"list_id": list_id, "subject": value, "body": "本文"})
    assert r.status == 422 and r.json()["error"]["field"] == "subject", r.text
    after = [count(db, t) for t in ("people", "subscriptions", "lists", "broadcasts")]
    assert after == before


def test_admin_list_form_refuses_header_breaking_name(server, admin, db):
    n = count(db, "lists")
    _, form = admin.get_form("/admin/lists/new", action="/admin/lists")
    r = admin.submit(form, {"name": "メルマガ\u2028Bcc: x", "slug": jm.uniq("al")})
    assert r.status == 422, r.text[:2000]
    assert 'id="form-error"' in r.text
    assert count(db, "lists") == n


@pytest.mark.parametrize("value", ["差出人\u2028Bcc: x@evil.example", "=?utf-8?B?5bGx?=",
                                   "差出人\u0085"])
def test_admin_settings_refuse_header_breaking_from_name(server, admin, db, value):
    """The From name of every broadcast (mail_from_name) obeys the rule too."""
    before = db.execute("SELECT value FROM settings WHERE key = 'mail_from_name'").fetchall()
    _, form = admin.get_form("/admin/settings", action="/admin/settings")
    r = admin.submit(form, {"mail_from_name": value})
    assert r.status == 422, r.text[:2000]
    after = db.execute("SELECT value FROM settings WHERE key = 'mail_from_name'").fetchall()
    assert after == before


def test_cli_people_import_refuses_header_breaking_name(server, db, tmp_path):
    n = count(db, "people")
    f = tmp_path / "people.csv"
    f.write_text("email,name,company\n"
                 "ok@example.jp,良い人,会社\n"
                 "bad@example.jp,悪い\u0085人,会社\n", encoding="utf-8")
    p = server.cli("import", "people", str(f))
    assert p.returncode != 0
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "line 3" in lines[0], p.stderr
    assert count(db, "people") == n


# ---- content writes invalidate the page cache inside the domain ----

def cached_title(web, slug, title):
    """Loads the article page twice (the second from the cache) and
    checks it shows title."""
    for _ in range(2):
        r = web.get("/articles/" + slug)
        assert r.status == 200 and title in r.text, r.text[:500]


def test_api_article_edit_invalidates_cached_page(server, api):
    web = server.client()
    slug = jm.uniq("cache-api")
    a = api.publish(title="キャッシュ前", slug=slug)
    cached_title(web, slug, "キャッシュ前")
    r = api.patch("%s/%d" % (ARTICLES, a["id"]), {"title": "APIで直した"})
    assert r.status == 200, r.text
    assert "APIで直した" in web.get("/articles/" + slug).text
    assert "APIで直した" in web.get("/").text


def test_admin_article_edit_invalidates_cached_page(server, api, admin):
    web = server.client()
    slug = jm.uniq("cache-admin")
    a = api.publish(title="管理前", slug=slug)
    cached_title(web, slug, "管理前")
    aid = a["id"]
    _, form = admin.get_form("/admin/articles/%d" % aid, action="/admin/articles/%d" % aid)
    r = admin.submit(form, {"title": "管理画面で直した", "action": "publish"})
    assert r.status == 200, r.text[:2000]
    assert "管理画面で直した" in web.get("/articles/" + slug).text


def test_admin_list_edit_invalidates_cached_page(server, api, admin, list_id):
    """The sign-up slot on cached pages names the first public list."""
    web = server.client()
    slug = jm.uniq("cache-list")
    api.publish(title="リスト表示", slug=slug)
    cached_title(web, slug, "リスト表示")
    r = api.patch("%s/%d" % (LISTS, list_id), {"name": "改名したメルマガ"})
    assert r.status == 200, r.text
    assert "改名したメルマガ" in web.get("/articles/" + slug).text
    r = api.patch("%s/%d" % (LISTS, list_id), {"name": "入力テスト"})
    assert r.status == 200, r.text


# ---- one schedule rule and one zone rule ----

PAST = "2020-01-01T09:00:00Z"


def test_api_broadcast_past_schedule_refused(api, db, list_id):
    n = count(db, "broadcasts")
    r = api.post(BCASTS, {"list_id": list_id, "subject": "過去", "body": "b",
                          "scheduled_at": PAST})
    assert r.status == 422 and r.json()["error"]["field"] == "scheduled_at", r.text
    assert count(db, "broadcasts") == n
    r = api.post(BCASTS, {"list_id": list_id, "subject": "下書き", "body": "b"})
    assert r.status == 201, r.text
    bid = r.json()["id"]
    r = api.patch("%s/%d" % (BCASTS, bid), {"scheduled_at": PAST})
    assert r.status == 422 and r.json()["error"]["field"] == "scheduled_at", r.text
    b = api.get("%s/%d" % (BCASTS, bid)).json()
    assert b["scheduled_at"] is None and b["status"] == "draft"


def test_admin_broadcast_past_schedule_refused(server, admin, db, list_id):
    n = count(db, "broadcasts")
    _, form = admin.get_form("/admin/broadcasts/new", action="/admin/broadcasts")
    r = admin.submit(form, {"list": str(list_id), "subject": "予約", "body": "本文",
                            "action": "schedule", "scheduled_at": "2020-01-01T09:00"})
    assert r.status == 422, r.text[:2000]
    assert 'id="form-error"' in r.text and "未来" in r.text
    assert count(db, "broadcasts") == n
    assert db.execute("SELECT count(*) FROM broadcasts WHERE status = 'scheduled'"
                      " AND scheduled_at < ?", (int(time.time()),)).fetchall()[0][0] == 0


def test_admin_article_past_schedule_refused(server, admin, db):
    n = count(db, "articles")
    _, form = admin.get_form("/admin/articles/new", action="/admin/articles")
    r = admin.submit(form, {"title": "過去の予約", "body": "本文", "action": "schedule",
                            "published_at": "2020-01-01T09:00"})
    assert r.status == 422, r.text[:2000]
    assert "未来" in r.text
    assert count(db, "articles") == n


def test_times_without_zone_read_in_site_zone(api, list_id):
    """The site's zone (JST by default) for a time typed without one, in
    the article and broadcast APIs alike."""
    r = api.post(BCASTS, {"list_id": list_id, "subject": "ゾーン", "body": "b",
                          "scheduled_at": "2099-01-01T09:00"})
    assert r.status == 201, r.text
    assert r.json()["scheduled_at"] == "2099-01-01T00:00:00Z"
    a = api.create_article(title="ゾーン記事", published_at="2099-01-01T09:00")
    assert a["published_at"] == "2099-01-01T00:00:00Z"
    r = api.post(BCASTS, {"list_id": list_id, "subject": "UTC", "body": "b",
                          "scheduled_at": "2099-01-01T09:00:00Z"})
    assert r.json()["scheduled_at"] == "2099-01-01T09:00:00Z"
