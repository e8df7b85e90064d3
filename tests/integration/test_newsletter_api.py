"""The mail magazine's JSON API: /api/v1/lists, /api/v1/subscribers (+ bulk)
and /api/v1/broadcasts with send|pause|resume|cancel|test — every route,
its JSON shape and its errors (400/401/404/409/415/422 naming the field),
and that a refused request changes nothing.

No SMTP server is configured here, so deliveries stay queued and a
broadcast that is sending stays 'sending' until it is paused or cancelled."""

import pytest

import jm

LISTS = "/api/v1/lists"
SUBS = "/api/v1/subscribers"
BCS = "/api/v1/broadcasts"


def err_of(r, status, field=None):
    assert r.status == status, "%s %s" % (r.status, r.text[:500])
    assert r.header("Content-Type", "").startswith("application/json")
    assert "no-store" in r.header("Cache-Control", "")
    e = r.json()["error"]
    assert e["code"] and e["message"]
    if field is not None:
        assert e.get("field") == field, e
    return e


def sql(server, q, *args):
    c = jm.db_connect(server.data_dir)
    try:
        rows = c.execute(q, args).fetchall()
        c.commit()
        return rows
    finally:
        c.close()


def new_list(api, **kw):
    body = {"name": "テスト便 " + jm.uniq("n"), "slug": jm.uniq("list")}
    body.update(kw)
    r = api.post(LISTS, body)
    assert r.status == 201, r.text
    return r.json()


def add_sub(api, list_id, email=None, name="読者"):
    email = email or "%s@example.jp" % jm.uniq("s")
    r = api.post(SUBS, {"list_id": list_id, "email": email, "name": name})
    assert r.status == 201, r.text
    return r.json()


# ---- auth and body handling ----

@pytest.mark.parametrize("method,path", [
    ("GET", LISTS), ("POST", LISTS), ("GET", SUBS), ("POST", SUBS + "/bulk"),
    ("GET", BCS), ("POST", BCS + "/1/send"), ("PATCH", LISTS + "/1"), ("DELETE", LISTS + "/1"),
])
def test_401_without_token(api, method, path):
    r = api.client.request(method, path, json={}, headers={"Accept": "application/json"},
                           follow=False)
    err_of(r, 401)


def test_415_and_400_bodies(api, server):
    n = len(api.get(LISTS).json()["items"])
    r = api.post(LISTS, body=b"name=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    err_of(r, 415)
    err_of(api.post(LISTS, body=b"{not json", headers={"Content-Type": "application/json"}), 400)
    err_of(api.post(LISTS, body=b"[1,2]", headers={"Content-Type": "application/json"}), 400)
    err_of(api.post(SUBS + "/bulk", body=b"\xff\xfe", headers={"Content-Type": "application/json"}), 400)
    assert len(api.get(LISTS).json()["items"]) == n


# ---- lists ----

def test_list_create_show_index(api):
    slug = jm.uniq("weekly")
    r = api.post(LISTS, {
        "name": "週刊 人脈通信", "slug": slug, "description": "毎週金曜",
        "double_optin": False, "public": True, "charset": "iso-2022-jp",
        "consent_text": "配信に同意します", "welcome_subject": "ようこそ",
        "welcome_md": "# ようこそ {{name|読者}}さん",
        "fields": [{"key": "company", "label": "会社名", "type": "text", "required": True},
                   {"key": "topic", "label": "分野", "type": "select", "options": ["出版", "IT"]}],
    })
    assert r.status == 201, r.text
    l = r.json()
    assert r.header("Location") == "%s/%d" % (LISTS, l["id"])
    assert l["slug"] == slug and l["name"] == "週刊 人脈通信"
    assert l["double_optin"] is False and l["public"] is True
    assert l["charset"] == "iso-2022-jp" and l["welcome_subject"] == "ようこそ"
    assert l["counts"] == {"active": 0, "pending": 0, "unsubscribed": 0, "bounced": 0}
    assert [f["key"] for f in l["fields"]] == ["company", "topic"]
    assert l["fields"][0]["required"] is True
    assert l["fields"][1]["options"] == ["出版", "IT"]
    assert l["created_at"].endswith("Z")
    assert api.get("%s/%d" % (LISTS, l["id"])).json() == l
    items = api.get(LISTS).json()["items"]
    assert l["id"] in [x["id"] for x in items]


@pytest.mark.parametrize("body,status,field", [
    ({"slug": "no-name"}, 422, "name"),
    ({"name": "", "slug": "empty-name"}, 422, "name"),
    ({"name": 5, "slug": "num-name"}, 422, "name"),
    ({"name": "x", "slug": "Bad Slug"}, 422, "slug"),
    ({"name": "x", "slug": "ok-slug-1", "public": "yes"}, 422, "public"),
    ({"name": "x", "slug": "ok-slug-2", "charset": "latin-1"}, 422, "charset"),
    ({"name": "x", "slug": "ok-slug-3", "fields": "company"}, 422, "fields"),
    ({"name": "x", "slug": "ok-slug-4", "fields": [{"key": "Bad Key", "label": "l"}]}, 422, "fields"),
    ({"name": "x", "slug": "ok-slug-5", "fields": [{"key": "k", "label": "l", "type": "radio"}]}, 422, "fields"),
    ({"name": "x", "slug": "ok-slug-6", "fields": [{"key": "k", "label": "l", "options": "a"}]}, 422, "fields"),
    ({"name": "x" * 101, "slug": "ok-slug-7"}, 422, "name"),
])
def test_list_create_invalid_changes_nothing(api, body, status, field):
    before = api.get(LISTS).json()["items"]
    err_of(api.post(LISTS, body), status, field)
    assert api.get(LISTS).json()["items"] == before


def test_list_duplicate_slug_409(api):
    l = new_list(api)
    err_of(api.post(LISTS, {"name": "二つ目", "slug": l["slug"]}), 409, "slug")


def test_list_patch_partial_and_fields(api):
    l = new_list(api, description="元の説明", welcome_subject="件名", welcome_md="本文")
    r = api.patch("%s/%d" % (LISTS, l["id"]), {"description": "新しい説明", "welcome_md": "新本文"})
    assert r.status == 200, r.text
    p = r.json()
    assert p["description"] == "新しい説明" and p["name"] == l["name"]
    assert p["welcome_subject"] == "件名", "the other welcome field is kept"
    assert p["welcome_md"] == "新本文"
    r = api.patch("%s/%d" % (LISTS, l["id"]),
                  {"fields": [{"key": "role", "label": "役職", "type": "checkbox"}]})
    assert [f["key"] for f in r.json()["fields"]] == ["role"]


def test_list_patch_invalid_changes_nothing(api):
    l = new_list(api, fields=[{"key": "company", "label": "会社名"}])
    path = "%s/%d" % (LISTS, l["id"])
    before = api.get(path).json()
    err_of(api.patch(path, {"slug": "NO NO"}), 422, "slug")
    err_of(api.patch(path, {"name": "変更", "fields": [{"key": "BAD", "label": "x"}]}), 422, "fields")
    err_of(api.patch(path, {"double_optin": 1}), 422, "double_optin")
    assert api.get(path).json() == before


@pytest.mark.parametrize("path", ["/999999", "/0", "/abc", "/-1"])
def test_list_404(api, path):
    err_of(api.get(LISTS + path), 404)
    err_of(api.patch(LISTS + path, {"name": "x"}), 404)
    err_of(api.delete(LISTS + path), 404)


def test_list_delete(api):
    l = new_list(api)
    r = api.delete("%s/%d" % (LISTS, l["id"]))
    assert r.status == 204 and r.body == b""
    err_of(api.get("%s/%d" % (LISTS, l["id"])), 404)


def test_list_with_broadcasts_cannot_be_deleted(api):
    l = new_list(api)
    r = api.post(BCS, {"list_id": l["id"], "subject": "号"})
    assert r.status == 201
    err_of(api.delete("%s/%d" % (LISTS, l["id"])), 409)
    assert api.get("%s/%d" % (LISTS, l["id"])).status == 200


def test_list_changes_refresh_the_cached_site_slot(make_server):
    s = make_server()
    s.add_user("slot@example.com", "a-long-password")
    api = jm.Api(s.base, s.create_token())
    c = s.client()
    assert 'action="/subscribe"' not in c.get("/").text, "no list: no form"
    l = new_list(api, name="スロット確認便")
    assert "スロット確認便" in c.get("/").text
    api.patch("%s/%d" % (LISTS, l["id"]), {"name": "改名した便"})
    home = c.get("/").text
    assert "改名した便" in home and "スロット確認便" not in home
    api.patch("%s/%d" % (LISTS, l["id"]), {"public": False})
    assert 'action="/subscribe"' not in c.get("/").text
    assert "改名した便" not in c.get("/subscribe").text


# ---- subscribers ----

@pytest.fixture(scope="module")
def sublist(api):
    return new_list(api, name="購読者テスト便")


def test_subscriber_add_and_list(api, sublist):
    s = add_sub(api, sublist["id"], "Hanako.Yamada@Example.JP", "山田 花子")
    assert s["person_id"] > 0 and s["status"] == "active"
    r = api.get("%s?list_id=%d" % (SUBS, sublist["id"]))
    assert r.status == 200
    body = r.json()
    assert set(body) == {"items", "page", "per_page", "total", "total_pages"}
    emails = [x["email"] for x in body["items"]]
    assert "hanako.yamada@example.jp" in emails, "stored normalised"
    x = [x for x in body["items"] if x["email"] == "hanako.yamada@example.jp"][0]
    assert x["name"] == "山田 花子" and x["status"] == "active"
    assert x["list"] == sublist["slug"]
    assert x["consent"]["source"] == "admin" and x["consent"]["at"]
    assert x["confirmed_at"] and isinstance(x["tags"], list)
    r = api.get("%s?list_id=%d&q=hanako" % (SUBS, sublist["id"]))
    assert [x["email"] for x in r.json()["items"]] == ["hanako.yamada@example.jp"]
    assert api.get("%s/%d" % (LISTS, sublist["id"])).json()["counts"]["active"] >= 1


def test_subscriber_pagination_and_filters(api):
    l = new_list(api)
    for i in range(5):
        add_sub(api, l["id"], "page%d-%s@example.jp" % (i, jm.uniq("p")))
    r = api.get("%s?list_id=%d&per_page=2&page=3" % (SUBS, l["id"]))
    b = r.json()
    assert b["total"] == 5 and b["total_pages"] == 3 and len(b["items"]) == 1
    assert api.get("%s?list_id=%d&status=pending" % (SUBS, l["id"])).json()["total"] == 0
    assert api.get("%s?list_id=%d&status=active" % (SUBS, l["id"])).json()["total"] == 5


@pytest.mark.parametrize("query,field", [
    ("list_id=abc", "list_id"), ("list_id=0", "list_id"), ("status=gone", "status"),
    ("page=0", "page"), ("per_page=1000", "per_page"), ("page=x", "page"),
])
def test_subscriber_list_bad_parameters_400(api, query, field):
    err_of(api.get(SUBS + "?" + query), 400, field)


@pytest.mark.parametrize("body,status,field", [
    ({"email": "a@example.jp"}, 422, "list_id"),
    ({"list_id": "1", "email": "a@example.jp"}, 422, "list_id"),
    ({"list_id": 99999999, "email": "nolist@example.jp"}, 422, "list_id"),
    ({"list_id": None, "email": "a@example.jp"}, 422, "list_id"),
    (None, 422, "email"),
    ("bad-email", 422, "email"),
    ("name-too-long", 422, "name"),
    ("name-type", 422, "name"),
])
def test_subscriber_add_invalid(api, server, sublist, body, status, field):
    if body is None:
        body = {"list_id": sublist["id"]}
    elif body == "bad-email":
        body = {"list_id": sublist["id"], "email": "not an email"}
    elif body == "name-too-long":
        body = {"list_id": sublist["id"], "email": "longname@example.jp", "name": "名" * 101}
    elif body == "name-type":
        body = {"list_id": sublist["id"], "email": "nametype@example.jp", "name": 3}
    before = sql(server, "SELECT count(*) FROM people")[0][0]
    err_of(api.post(SUBS, body), status, field)
    assert sql(server, "SELECT count(*) FROM people")[0][0] == before


def test_subscriber_add_duplicate_409(api, sublist):
    email = "%s@example.jp" % jm.uniq("dup")
    add_sub(api, sublist["id"], email)
    err_of(api.post(SUBS, {"list_id": sublist["id"], "email": email}), 409, "email")


def test_bulk_tag_untag_unsubscribe_erase(api, server):
    l = new_list(api)
    a = add_sub(api, l["id"])
    b = add_sub(api, l["id"])
    ids = [a["person_id"], b["person_id"]]
    tag = "出版関係"
    r = api.post(SUBS + "/bulk", {"op": "tag", "person_ids": ids, "tag": tag})
    assert r.status == 200 and r.json() == {"op": "tag", "count": 2}
    r = api.get("%s?list_id=%d&tag=%s" % (SUBS, l["id"], "%E5%87%BA%E7%89%88%E9%96%A2%E4%BF%82"))
    assert r.json()["total"] == 2
    assert tag in r.json()["items"][0]["tags"]
    r = api.post(SUBS + "/bulk", {"op": "untag", "person_ids": [a["person_id"]], "tag": tag})
    assert r.status == 200
    r = api.get("%s?list_id=%d&tag=%s" % (SUBS, l["id"], "%E5%87%BA%E7%89%88%E9%96%A2%E4%BF%82"))
    assert [x["person_id"] for x in r.json()["items"]] == [b["person_id"]]
    r = api.post(SUBS + "/bulk", {"op": "unsubscribe", "person_ids": [a["person_id"]],
                                  "list_id": l["id"]})
    assert r.status == 200
    st = {x["person_id"]: x["status"] for x in
          api.get("%s?list_id=%d" % (SUBS, l["id"])).json()["items"]}
    assert st[a["person_id"]] == "unsubscribed" and st[b["person_id"]] == "active"
    r = api.post(SUBS + "/bulk", {"op": "erase", "person_ids": [b["person_id"]]})
    assert r.status == 200
    assert sql(server, "SELECT count(*) FROM people WHERE id = ?", b["person_id"])[0][0] == 0
    assert sql(server, "SELECT count(*) FROM subscriptions WHERE person_id = ?", b["person_id"])[0][0] == 0


@pytest.mark.parametrize("body,field", [
    ({"person_ids": [1]}, "op"),
    ({"op": "delete", "person_ids": [1]}, "op"),
    ({"op": 1, "person_ids": [1]}, "op"),
    ({"op": "tag", "person_ids": [1]}, "tag"),
    ({"op": "tag", "person_ids": [1], "tag": ""}, "tag"),
    ({"op": "tag", "person_ids": [1], "tag": "改行\nタグ"}, "tag"),
    ({"op": "erase"}, "person_ids"),
    ({"op": "erase", "person_ids": []}, "person_ids"),
    ({"op": "erase", "person_ids": "1"}, "person_ids"),
    ({"op": "erase", "person_ids": [1, "2"]}, "person_ids"),
    ({"op": "erase", "person_ids": [0]}, "person_ids"),
    ({"op": "unsubscribe", "person_ids": [1], "list_id": "x"}, "list_id"),
])
def test_bulk_invalid_changes_nothing(api, server, body, field):
    before = sql(server, "SELECT count(*) FROM people")[0][0]
    err_of(api.post(SUBS + "/bulk", body), 422, field)
    assert sql(server, "SELECT count(*) FROM people")[0][0] == before


# ---- broadcasts ----

@pytest.fixture(scope="module")
def bclist(api):
    l = new_list(api, name="配信テスト便")
    add_sub(api, l["id"])
    return l


@pytest.fixture(scope="module")
def sender(server):
    """The sender settings the law asks for (a send is refused without them)."""
    def fill():
        for k, v in (("mail_from_name", "人脈通信"), ("mail_from_addr", "news@example.jp"),
                     ("sender_postal_address", "東京都千代田区1-1"),
                     ("sender_contact", "contact@example.jp")):
            sql(server, "INSERT INTO settings(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value", k, v)
    return fill


def new_bc(api, list_id, **kw):
    body = {"list_id": list_id, "subject": "第1号 " + jm.uniq("s"), "body": "{{name|読者}}さんへ"}
    body.update(kw)
    r = api.post(BCS, body)
    assert r.status == 201, r.text
    return r.json()


def test_broadcast_create_show_index(api, bclist):
    aud = {"tags_any": ["出版"], "tags_none": [], "fields": []}
    r = api.post(BCS, {"list_id": bclist["id"], "subject": "創刊号", "body": "本文 {{name|読者}}",
                       "audience": aud, "slug": jm.uniq("issue"), "public": True,
                       "scheduled_at": "2099-01-01T09:00:00Z"})
    assert r.status == 201, r.text
    b = r.json()
    assert r.header("Location") == "%s/%d" % (BCS, b["id"])
    assert b["status"] == "draft" and b["subject"] == "創刊号"
    assert b["body"] == "本文 {{name|読者}}" and b["audience"] == aud
    assert b["public"] is True and b["scheduled_at"] == "2099-01-01T09:00:00Z"
    assert b["counts"] == {"total": 0, "sent": 0, "failed": 0, "queued": 0, "rate": 0.0}
    assert api.get("%s/%d" % (BCS, b["id"])).json() == b
    r = api.get(BCS + "?per_page=100")
    assert b["id"] in [x["id"] for x in r.json()["items"]]
    assert r.json()["total"] >= 1


@pytest.mark.parametrize("body,field", [
    ({"subject": "no list"}, "list_id"),
    ({"list_id": 99999999, "subject": "unknown list"}, "list_id"),
    ({"list_id": "7", "subject": "s"}, "list_id"),
    ({"list_id": "LIST"}, "subject"),
    ({"list_id": "LIST", "subject": ""}, "subject"),
    ({"list_id": "LIST", "subject": "改行\r\nBcc: x@example.jp"}, "subject"),
    ({"list_id": "LIST", "subject": "s", "audience": "everyone"}, "audience"),
    ({"list_id": "LIST", "subject": "s", "audience": {"who": 1}}, "audience"),
    ({"list_id": "LIST", "subject": "s", "slug": "Not A Slug"}, "slug"),
    ({"list_id": "LIST", "subject": "s", "public": "true"}, "public"),
    ({"list_id": "LIST", "subject": "s", "scheduled_at": "tomorrow"}, "scheduled_at"),
    ({"list_id": "LIST", "subject": "s", "body": ["x"]}, "body"),
])
def test_broadcast_create_invalid_changes_nothing(api, bclist, body, field):
    if body.get("list_id") == "LIST":
        body = dict(body, list_id=bclist["id"])
    total = api.get(BCS).json()["total"]
    err_of(api.post(BCS, body), 422, field)
    assert api.get(BCS).json()["total"] == total


def test_broadcast_duplicate_slug_409(api, bclist):
    b = new_bc(api, bclist["id"], slug=jm.uniq("same"))
    err_of(api.post(BCS, {"list_id": bclist["id"], "subject": "x", "slug": b["slug"]}), 409, "slug")


def test_broadcast_patch(api, bclist):
    b = new_bc(api, bclist["id"])
    path = "%s/%d" % (BCS, b["id"])
    r = api.patch(path, {"subject": "改題", "public": True})
    assert r.status == 200
    assert r.json()["subject"] == "改題" and r.json()["body"] == b["body"]
    err_of(api.patch(path, {"subject": ""}), 422, "subject")
    err_of(api.patch(path, {"list_id": 99999999}), 422, "list_id")
    assert api.get(path).json()["subject"] == "改題"


@pytest.mark.parametrize("suffix", ["", "/send", "/pause", "/resume", "/cancel", "/test"])
def test_broadcast_404(api, suffix):
    path = BCS + "/99999999" + suffix
    if suffix == "":
        err_of(api.get(path), 404)
        err_of(api.patch(path, {"subject": "x"}), 404)
    elif suffix == "/test":
        err_of(api.post(path, {"email": "t@example.jp"}), 404)
    else:
        err_of(api.post(path, {}), 404)
    err_of(api.get(BCS + "/abc"), 404)


def test_send_refused_until_sender_settings(api, server, bclist):
    b = new_bc(api, bclist["id"])
    rows = sql(server, "SELECT value FROM settings WHERE key = 'sender_postal_address'")
    if rows and rows[0][0]:
        pytest.fail("the sender settings must start empty in this module")
    err_of(api.post("%s/%d/send" % (BCS, b["id"]), {}), 422, "settings")
    assert api.get("%s/%d" % (BCS, b["id"])).json()["status"] == "draft"


def test_send_pause_resume_cancel(api, bclist, sender):
    sender()
    b = new_bc(api, bclist["id"])
    path = "%s/%d" % (BCS, b["id"])
    err_of(api.post(path + "/pause", {}), 409, "status")
    r = api.post(path + "/send", {})
    assert r.status == 202, r.text
    assert r.json()["status"] == "sending"
    # The worker expands the audience into deliveries (no SMTP here: they
    # stay queued, so the broadcast stays 'sending').
    got = jm.wait_until(lambda: api.get(path).json()["counts"]["total"] >= 1,
                        what="the audience to be expanded")
    assert got
    c = api.get(path).json()["counts"]
    assert c["total"] == 1 and c["queued"] == 1 and c["sent"] == 0
    err_of(api.post(path + "/send", {}), 409, "status")
    err_of(api.patch(path, {"subject": "送信中の変更"}), 409, "status")
    r = api.post(path + "/pause", {})
    assert r.status == 200 and r.json()["status"] == "paused"
    err_of(api.post(path + "/pause", {}), 409)
    r = api.post(path + "/resume", {})
    assert r.status == 200 and r.json()["status"] == "sending"
    r = api.post(path + "/cancel", {})
    assert r.status == 200 and r.json()["status"] == "cancelled"
    err_of(api.post(path + "/resume", {}), 409)
    err_of(api.post(path + "/cancel", {}), 409)


def test_scheduled_send(api, bclist, sender):
    sender()
    b = new_bc(api, bclist["id"], scheduled_at="2099-01-01T00:00:00Z")
    r = api.post("%s/%d/send" % (BCS, b["id"]), {})
    assert r.status == 202
    assert r.json()["status"] == "scheduled"
    assert r.json()["counts"]["total"] == 0


def test_test_send(api, server, bclist):
    b = new_bc(api, bclist["id"])
    path = "%s/%d/test" % (BCS, b["id"])
    err_of(api.post(path, {}), 422, "email")
    err_of(api.post(path, {"email": "not-an-address"}), 422, "email")
    err_of(api.post(path, {"email": 5}), 422, "email")
    assert sql(server, "SELECT count(*) FROM deliveries WHERE kind = 'test' AND to_addr = ?",
               "owner-test@example.jp")[0][0] == 0
    r = api.post(path, {"email": "owner-test@example.jp"})
    assert r.status == 202, r.text
    assert r.json() == {"queued": True, "email": "owner-test@example.jp"}
    assert sql(server, "SELECT count(*) FROM deliveries WHERE kind = 'test' AND to_addr = ?",
               "owner-test@example.jp")[0][0] == 1
