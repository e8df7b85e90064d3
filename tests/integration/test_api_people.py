"""The people hub and network (人脈) CRM through the JSON API, black-box
against the real ASan binary: /api/v1/people (CRUD, list filters, the
"who can help" search with Japanese folding, merge, timeline),
/people/{id}/interactions, /introductions, /messages (list, show, status,
reply captured by an SMTP capture server), /reports/funnel and
/reports/circle on fixtures with known answers.

Every refused request is checked to change nothing. Messages are put in
the database directly (jm.db_connect, as a contact form would store them), or
sent through the public /contact form in one test.

Years: the circle fixtures own 2021-2022 and 2017-2018; every other test
writes interactions in 2024 or later, so the circle counts stay exact.
"""
import os
import re
import time
import urllib.parse

import pytest

import jm
import smtp_capture

PEOPLE = "/api/v1/people"
INTROS = "/api/v1/introductions"
MSGS = "/api/v1/messages"
BASE = "https://people.example.test"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """A capture SMTP server and a server sending through it, with an
    owner, an API token and a sqlite handle on its database."""
    root = tmp_path_factory.mktemp("people")
    cap = smtp_capture.Capture(root / "mail").start()
    data = str(root / "data")
    os.makedirs(data, exist_ok=True)
    srv = jm.EnvServer(data, ["--base-url", BASE], env={"JINMYAKU_SMTP_URL": cap.url})
    srv.start()
    srv.add_user("owner@example.com", "correct horse battery staple", name="オーナー")
    db = jm.nl_db(data)
    jm.nl_settings(db, mail_from_name="人脈テスト", mail_from_addr="owner@example.com",
                   sender_postal_address="東京都千代田区1-1-1", sender_contact="owner@example.com")
    api = jm.Api(srv.base, srv.create_token("people"))
    yield dict(cap=cap, srv=srv, db=db, api=api, data=data)
    srv.stop_and_check()
    cap.stop()
    db.close()


@pytest.fixture(scope="module")
def api(env):
    return env["api"]


@pytest.fixture(scope="module")
def db(env):
    return env["db"]


def err_of(r, status, field=None):
    assert r.status == status, "%s %s" % (r.status, r.text[:800])
    assert r.header("Content-Type", "").startswith("application/json")
    e = r.json()["error"]
    assert e["code"] and e["message"], e
    if field is not None:
        assert e.get("field") == field, e
    return e


def email():
    return "%s@example.jp" % jm.uniq("p")


def mk(api, **kw):
    body = {"name": "人 " + jm.uniq("n")}
    body.update(kw)
    r = api.post(PEOPLE, body)
    assert r.status == 201, r.text
    return r.json()


def get(api, pid):
    r = api.get("%s/%d" % (PEOPLE, pid))
    assert r.status == 200, r.text
    return r.json()


def people_count(db):
    return db.execute("SELECT count(*) FROM people").fetchone()[0]


def add_ix(api, pid, kind="meeting", date="2024-05-01", **kw):
    body = {"kind": kind, "date": date}
    body.update(kw)
    r = api.post("%s/%d/interactions" % (PEOPLE, pid), body)
    assert r.status == 201, r.text
    return r.json()


def insert_message(db, pid, subject, body, status="new", category="情報提供", em=None):
    """Stores a message as the contact form would (status, msgid, times)."""
    now = int(time.time())
    em = em or db.execute("SELECT email FROM people WHERE id=?", (pid,)).fetchone()[0]
    return db.execute(
        "INSERT INTO messages(person_id, form, category, subject, body, name, email, status, "
        "ip, page, msgid, created_at, updated_at) VALUES (?, 'contact', ?, ?, ?, ?, ?, ?, "
        "'127.0.0.1', '/contact', ?, ?, ?) RETURNING id",
        (pid, category, subject, body, "送信者", em or "", status,
         "<%s@people.example.test>" % jm.uniq("m"), now, now)).fetchone()[0]


def search(api, q, **params):
    params["q"] = q
    r = api.get(PEOPLE + "?" + urllib.parse.urlencode(params))
    assert r.status == 200, r.text
    return r.json()


def ids(items):
    return [x["id"] for x in items]


# ---- auth, routing, bodies ----

@pytest.mark.parametrize("method,path", [
    ("GET", PEOPLE), ("POST", PEOPLE), ("GET", PEOPLE + "/1"), ("PATCH", PEOPLE + "/1"),
    ("DELETE", PEOPLE + "/1"), ("POST", PEOPLE + "/1/merge"), ("GET", PEOPLE + "/1/timeline"),
    ("GET", PEOPLE + "/1/interactions"), ("POST", PEOPLE + "/1/interactions"),
    ("DELETE", PEOPLE + "/1/interactions/1"), ("GET", INTROS), ("POST", INTROS),
    ("DELETE", INTROS + "/1"), ("GET", MSGS), ("GET", MSGS + "/1"), ("PATCH", MSGS + "/1"),
    ("POST", MSGS + "/1/reply"), ("GET", "/api/v1/reports/funnel"),
    ("GET", "/api/v1/reports/circle?year=2024"),
])
def test_401_without_token(api, db, method, path):
    n = people_count(db)
    r = api.client.request(method, path, json={"name": "x", "from": 2},
                           headers={"Accept": "application/json"}, follow=False)
    err_of(r, 401)
    r = api.client.request(method, path, json={"name": "x"}, follow=False,
                           headers={"Accept": "application/json",
                                    "Authorization": "Bearer not-a-token"})
    err_of(r, 401)
    assert people_count(db) == n


def test_bad_json_bodies_400_415(api, db):
    n = people_count(db)
    err_of(api.post(PEOPLE, body=b"{\"name\": ", headers={"Content-Type": "application/json"}), 400)
    err_of(api.post(PEOPLE, body=b"[]", headers={"Content-Type": "application/json"}), 400)
    err_of(api.post(PEOPLE, body=b"name=x",
                    headers={"Content-Type": "application/x-www-form-urlencoded"}), 415)
    assert people_count(db) == n


# ---- CRUD ----

def test_crud_round_trip_japanese(api, db):
    em = email()
    body = {"email": em.upper(), "name": "山田 花子", "furigana": "やまだ はなこ",
            "company": "株式会社ことのは出版", "title": "編集長", "stage": "fan",
            "tags": ["出版", "編集"], "links": [{"kind": "site", "url": "https://hanako.example.jp/"},
                                              {"kind": "x", "url": "https://x.com/hanako"}],
            "can_offer": "書籍の企画相談", "looking_for": "新しい著者",
            "notes": "**セミナー**で名刺交換。", "fields": {"地域": "東京", "紹介元": "勉強会"},
            "source": "seminar"}
    r = api.post(PEOPLE, body)
    assert r.status == 201, r.text
    p = r.json()
    assert r.header("Location") == "%s/%d" % (PEOPLE, p["id"])
    assert p["email"] == em.lower()
    for k in ("name", "furigana", "company", "title", "stage", "can_offer", "looking_for",
              "source"):
        assert p[k] == body[k], k
    assert p["notes"] == body["notes"]
    assert sorted(p["tags"]) == sorted(body["tags"])
    assert p["links"] == body["links"]
    assert p["fields"] == body["fields"]
    assert p["freeloader"] is False and p["blocked"] is False
    assert [h["to"] for h in p["stage_history"]] == ["fan"]
    assert set(p["score"]) >= {"total", "subscribed", "replies", "tips", "forms",
                               "interactions", "opens_clicks"}
    assert p["give_take"] == {"given": 0, "received": 0}
    assert get(api, p["id"]) == p

    r = api.patch("%s/%d" % (PEOPLE, p["id"]), {"title": "取締役", "tags": ["出版"],
                                               "fields": {"地域": "大阪"}})
    assert r.status == 200, r.text
    q = r.json()
    assert q["title"] == "取締役" and q["tags"] == ["出版"] and q["fields"] == {"地域": "大阪"}
    assert q["name"] == "山田 花子" and q["company"] == body["company"]
    assert q["links"] == body["links"]

    lst = api.get(PEOPLE + "?tag=" + urllib.parse.quote("出版") + "&per_page=100").json()
    assert p["id"] in ids(lst["items"]) and lst["total"] >= 1

    r = api.delete("%s/%d" % (PEOPLE, p["id"]))
    assert r.status == 204
    err_of(api.get("%s/%d" % (PEOPLE, p["id"])), 404)
    err_of(api.delete("%s/%d" % (PEOPLE, p["id"])), 404)


@pytest.mark.parametrize("body,field", [
    ({"name": 12}, "name"),
    ({"name": "x", "stage": "boss"}, "stage"),
    ({"name": "x", "stage": 3}, "stage"),
    ({"name": "x", "tags": "出版"}, "tags"),
    ({"name": "x", "tags": [1]}, "tags"),
    ({"name": "x", "links": [{"kind": "site"}]}, "links"),
    ({"name": "x", "links": [{"kind": "site", "url": "javascript:alert(1)"}]}, "links"),
    ({"name": "x", "links": [{"url": "https://a.example/", "rel": "me"}]}, "links"),
    ({"name": "x", "fields": {"a": 1}}, "fields"),
    ({"name": "x", "fields": ["a"]}, "fields"),
    ({"name": "x", "email": "not-an-address"}, "email"),
    ({"name": "x", "touch_days": "90"}, "touch_days"),
    ({"name": "x", "freeloader": "yes"}, "freeloader"),
    ({"name": "x", "nickname": "y"}, "nickname"),
    ({"name": "x", "stage_reason": "no stage on create"}, "stage_reason"),
    ({"name": "a\nb"}, "name"),
    ({"name": "x" * 201}, "name"),
])
def test_create_invalid_422_changes_nothing(api, db, body, field):
    n = people_count(db)
    err_of(api.post(PEOPLE, body), 422, field)
    assert people_count(db) == n


@pytest.mark.parametrize("body,field", [
    ({"name": "新しい名前", "stage": "boss"}, "stage"),
    ({"name": "新しい名前", "stage": "fan", "stage_reason": "x" * 501}, "stage_reason"),
    ({"name": "新しい名前", "stage_reason": "理由だけ"}, "stage_reason"),
    ({"name": "新しい名前", "blocked": 1}, "blocked"),
    ({"name": "新しい名前", "tags": [None]}, "tags"),
    ({"name": "新しい名前", "email": "bad@"}, "email"),
    ({"name": "新しい名前", "colour": "red"}, "colour"),
    ({"name": None}, "name"),
])
def test_patch_invalid_422_changes_nothing(api, body, field):
    p = mk(api, email=email(), tags=["元"])
    err_of(api.patch("%s/%d" % (PEOPLE, p["id"]), body), 422, field)
    q = get(api, p["id"])
    q.pop("score"), p.pop("score")
    assert q == p


def test_404_unknown_person(api):
    for path in ("/999999", "/0", "/abc", "/999999/timeline", "/999999/interactions"):
        err_of(api.get(PEOPLE + path), 404)
    err_of(api.patch(PEOPLE + "/999999", {"name": "x"}), 404)
    err_of(api.delete(PEOPLE + "/999999"), 404)
    other = mk(api)
    err_of(api.post(PEOPLE + "/999999/merge", {"from": other["id"]}), 404)
    err_of(api.post(PEOPLE + "/999999/interactions", {"kind": "call", "date": "2024-01-02"}), 404)
    assert get(api, other["id"])["name"] == other["name"]


def test_409_email_conflict(api, db):
    em = email()
    a = mk(api, email=em)
    n = people_count(db)
    err_of(api.post(PEOPLE, {"name": "重複", "email": em}), 409, "email")
    err_of(api.post(PEOPLE, {"name": "重複", "email": em.upper()}), 409, "email")
    assert people_count(db) == n
    b = mk(api, email=email())
    err_of(api.patch("%s/%d" % (PEOPLE, b["id"]), {"email": em, "name": "変更"}), 409, "email")
    assert get(api, b["id"])["email"] == b["email"] and get(api, b["id"])["name"] == b["name"]
    assert get(api, a["id"])["email"] == em


def test_stage_change_with_reason_in_history_and_timeline(api):
    p = mk(api)
    assert p["stage"] == "reader"
    r = api.patch("%s/%d" % (PEOPLE, p["id"]),
                  {"stage": "acquaintance", "stage_reason": "異業種交流会で意気投合"})
    assert r.status == 200, r.text
    q = r.json()
    assert q["stage"] == "acquaintance"
    last = q["stage_history"][-1]
    assert (last["from"], last["to"], last["reason"]) == ("reader", "acquaintance",
                                                          "異業種交流会で意気投合")
    assert last["at"] and q["stage_at"]
    # the same stage again records nothing
    r = api.patch("%s/%d" % (PEOPLE, p["id"]), {"stage": "acquaintance", "stage_reason": "再"})
    assert len(r.json()["stage_history"]) == len(q["stage_history"])
    tl = api.get("%s/%d/timeline" % (PEOPLE, p["id"])).json()["items"]
    assert any(e["kind"] == "stage" and "異業種交流会で意気投合" in (e["title"] + e["detail"])
               for e in tl), tl
    err_of(api.get("%s/%d/timeline?limit=0" % (PEOPLE, p["id"])), 400, "limit")
    lst = api.get(PEOPLE + "?stage=acquaintance&per_page=100").json()
    assert p["id"] in ids(lst["items"])
    assert all(x["stage"] == "acquaintance" for x in lst["items"])


def test_flags_and_flag_filter(api):
    p = mk(api)
    r = api.patch("%s/%d" % (PEOPLE, p["id"]), {"freeloader": True})
    assert r.status == 200 and r.json()["freeloader"] is True and r.json()["blocked"] is False
    flagged = api.get(PEOPLE + "?flag=freeloader&per_page=100").json()["items"]
    assert p["id"] in ids(flagged) and all(x["freeloader"] for x in flagged)
    assert p["id"] not in ids(api.get(PEOPLE + "?flag=none&per_page=100").json()["items"])
    r = api.patch("%s/%d" % (PEOPLE, p["id"]), {"freeloader": False, "blocked": True})
    assert r.json()["freeloader"] is False and r.json()["blocked"] is True
    assert p["id"] in ids(api.get(PEOPLE + "?flag=blocked&per_page=100").json()["items"])
    tl = api.get("%s/%d/timeline" % (PEOPLE, p["id"])).json()["items"]
    assert sum(1 for e in tl if e["kind"] == "flag") >= 2


@pytest.mark.parametrize("query,field", [
    ("stage=boss", "stage"), ("flag=maybe", "flag"), ("sort=age", "sort"),
    ("page=0", "page"), ("per_page=1000", "per_page"), ("contact_before=2024-02-30",
                                                          "contact_before"),
    ("q=x&sort=name", "sort"), ("q=x&include_flagged=yes", "include_flagged"),
    ("q=" + "x" * 201, "q"),
])
def test_list_bad_parameters_400(api, query, field):
    err_of(api.get(PEOPLE + "?" + query), 400, field)


def test_list_sort_and_pages(api):
    tag = jm.uniq("sorttag")
    made = [mk(api, name=n, furigana=f, tags=[tag])
            for n, f in (("渡辺", "わたなべ"), ("青木", "あおき"), ("佐藤", "さとう"))]
    r = api.get(PEOPLE + "?sort=name&per_page=2&tag=" + tag).json()
    assert r["total"] == 3 and r["total_pages"] == 2
    assert [x["name"] for x in r["items"]] == ["青木", "佐藤"]
    r2 = api.get(PEOPLE + "?sort=name&per_page=2&page=2&tag=" + tag).json()
    assert [x["name"] for x in r2["items"]] == ["渡辺"]
    r3 = api.get(PEOPLE + "?sort=created&tag=" + tag).json()
    assert ids(r3["items"]) == [p["id"] for p in reversed(made)]


# ---- search ----

def test_search_japanese_two_chars_and_folding(api, db):
    ed = mk(api, name="田中 一郎", can_offer="出版社の編集者を紹介できます")
    py = mk(api, name="Ken", notes="Python と Django の講師")
    kata = mk(api, name="佐々木", looking_for="カタカナ語の翻訳者")
    other = mk(api, name="鈴木", can_offer="料理教室")
    r = search(api, "出版")
    assert ed["id"] in ids(r["items"]) and other["id"] not in ids(r["items"])
    hit = [x for x in r["items"] if x["id"] == ed["id"]][0]
    assert hit["name"] == "田中 一郎" and isinstance(hit["rank"], float)
    assert "出版" in hit["snippet"]
    assert py["id"] in ids(search(api, "ＰＹＴＨＯＮ")["items"])  # full-width
    assert py["id"] in ids(search(api, "python")["items"])
    assert kata["id"] in ids(search(api, "ｶﾀｶﾅ")["items"])  # half-width katakana
    assert r["q"] == "出版" and r["page"] == 1


def test_search_leaves_flagged_out_unless_asked(api):
    word = "盆栽" + jm.uniq("z")[-3:]
    ok = mk(api, name="普通の人", can_offer=word + "の育て方")
    fl = mk(api, name="クレクレさん", can_offer=word + "教えて", freeloader=True)
    bl = mk(api, name="ブロック", can_offer=word, blocked=True)
    r = ids(search(api, word)["items"])
    assert ok["id"] in r and fl["id"] not in r and bl["id"] not in r
    r = ids(search(api, word, include_flagged=1)["items"])
    assert {ok["id"], fl["id"], bl["id"]} <= set(r)


def test_search_name_hit_ranks_before_message_body_hit(api, db):
    word = "翻訳"
    tag = jm.uniq("rank")
    body_only = mk(api, name="木村", email=email(), tags=[tag])
    insert_message(db, body_only["id"], "ご相談", "実は翻訳の仕事も少しだけしています。")
    named = mk(api, name="翻訳家 中村", tags=[tag])
    r = search(api, word, tag=tag)
    got = ids(r["items"])
    assert named["id"] in got and body_only["id"] in got, r
    assert got.index(named["id"]) < got.index(body_only["id"])
    assert r["total"] == 2


def test_search_stage_filter(api):
    word = "陶芸" + jm.uniq("s")[-3:]
    a = mk(api, name="陶芸A", can_offer=word, stage="network")
    b = mk(api, name="陶芸B", can_offer=word)
    r = ids(search(api, word, stage="network")["items"])
    assert a["id"] in r and b["id"] not in r


# ---- interactions ----

def test_interactions_crud(api, db):
    p = mk(api)
    path = "%s/%d/interactions" % (PEOPLE, p["id"])
    a = add_ix(api, p["id"], "meal", "2024-06-10", note="会食：寿司", amount=12000)
    assert a["kind"] == "meal" and a["date"] == "2024-06-10" and a["amount"] == 12000
    assert a["note"] == "会食：寿司" and a["person_id"] == p["id"]
    ts = int(time.time()) - 3600
    r = api.post(path, {"kind": "call", "happened_at": ts})
    assert r.status == 201, r.text
    b = r.json()
    assert b["amount"] is None
    lst = api.get(path).json()
    assert lst["total"] == 2 and ids(lst["items"]) == [b["id"], a["id"]]  # newest first
    q = get(api, p["id"])
    assert q["last_contact_at"] is not None
    assert q["last_contact_at"] == b["happened_at"]
    assert api.delete("%s/%d" % (path, a["id"])).status == 204
    err_of(api.delete("%s/%d" % (path, a["id"])), 404)
    err_of(api.delete("%s/abc" % path), 404)
    assert api.get(path).json()["total"] == 1


@pytest.mark.parametrize("body,field", [
    ({"date": "2024-01-01"}, "kind"),
    ({"kind": "party", "date": "2024-01-01"}, "kind"),
    ({"kind": "meeting"}, "date"),
    ({"kind": "meeting", "date": "2024-13-01"}, "date"),
    ({"kind": "meeting", "date": "2024/01/01"}, "date"),
    ({"kind": "meeting", "date": 20240101}, "date"),
    ({"kind": "meeting", "happened_at": "1700000000"}, "happened_at"),
    ({"kind": "meeting", "date": "2024-01-01", "happened_at": 1700000000}, "happened_at"),
    ({"kind": "meeting", "date": "2024-01-01", "amount": -1}, "amount"),
    ({"kind": "meeting", "date": "2024-01-01", "amount": "100"}, "amount"),
    ({"kind": "meeting", "date": "2024-01-01", "note": 5}, "note"),
    ({"kind": "meeting", "date": "2024-01-01", "place": "渋谷"}, "place"),
    ({"kind": "meeting", "date": "2999-01-01"}, None),
])
def test_interaction_invalid_changes_nothing(api, body, field):
    p = mk(api)
    path = "%s/%d/interactions" % (PEOPLE, p["id"])
    err_of(api.post(path, body), 422, field)
    assert api.get(path).json()["total"] == 0
    assert get(api, p["id"])["last_contact_at"] is None


# ---- introductions ----

def test_introductions_crud(api):
    a, b, c = mk(api, name="紹介者 A"), mk(api, name="新しい人 B"), mk(api, name="相手 C")
    r = api.post(INTROS, {"introducer_id": a["id"], "person_id": b["id"], "to_id": None,
                          "date": "2024-03-03", "note": "勉強会で紹介"})
    assert r.status == 201, r.text
    x = r.json()
    assert (x["introducer_id"], x["person_id"], x["to_id"]) == (a["id"], b["id"], None)
    assert x["introducer_name"] == "紹介者 A" and x["person_name"] == "新しい人 B"
    assert x["date"] == "2024-03-03" and x["note"] == "勉強会で紹介"
    r = api.post(INTROS, {"person_id": b["id"], "to_id": c["id"]})  # I introduced B to C
    assert r.status == 201, r.text
    y = r.json()
    assert y["introducer_id"] is None and y["to_id"] == c["id"]
    got = ids(api.get(INTROS + "?person_id=%d" % b["id"]).json()["items"])
    assert set(got) == {x["id"], y["id"]}
    assert ids(api.get(INTROS + "?person_id=%d" % c["id"]).json()["items"]) == [y["id"]]
    assert x["id"] in ids(api.get(INTROS).json()["items"])
    tl = api.get("%s/%d/timeline" % (PEOPLE, b["id"])).json()["items"]
    sides = sorted((e["introduction"] for e in tl if e["kind"] == "introduction"),
                   key=lambda s: s["to"] is None)
    assert sides == [
        {"introducer": None, "person": {"id": b["id"], "name": "新しい人 B"},
         "to": {"id": c["id"], "name": "相手 C"}},
        {"introducer": {"id": a["id"], "name": "紹介者 A"},
         "person": {"id": b["id"], "name": "新しい人 B"}, "to": None}]
    assert api.delete("%s/%d" % (INTROS, x["id"])).status == 204
    err_of(api.delete("%s/%d" % (INTROS, x["id"])), 404)
    assert ids(api.get(INTROS + "?person_id=%d" % b["id"]).json()["items"]) == [y["id"]]


def test_introduction_errors_change_nothing(api):
    a, b = mk(api), mk(api)
    cases = [
        ({"introducer_id": a["id"]}, "person_id"),
        ({"person_id": b["id"], "introducer_id": None, "to_id": None}, None),
        ({"person_id": b["id"]}, None),
        ({"person_id": b["id"], "to_id": 99999999}, "to_id"),
        ({"person_id": 99999999, "introducer_id": a["id"]}, "person_id"),
        ({"person_id": b["id"], "introducer_id": b["id"]}, None),
        ({"person_id": "1", "introducer_id": a["id"]}, "person_id"),
        ({"person_id": b["id"], "introducer_id": a["id"], "date": "yesterday"}, "date"),
        ({"person_id": b["id"], "introducer_id": a["id"], "via": "x"}, "via"),
    ]
    for body, field in cases:
        err_of(api.post(INTROS, body), 422, field)
    for p in (a, b):
        assert api.get(INTROS + "?person_id=%d" % p["id"]).json()["items"] == []
    err_of(api.get(INTROS + "?person_id=abc"), 400, "person_id")


# ---- merge ----

def test_merge_without_loss(api, db):
    em_a, em_b = email(), email()
    a = mk(api, name="合併 太郎", email=em_a, tags=["A側"], fields={"地域": "東京"},
           links=[{"kind": "site", "url": "https://a.example.jp/"}], notes="Aのメモ")
    b = mk(api, name="合併 太郎", email=em_b, company="B商事", tags=["B側"],
           fields={"趣味": "登山", "地域": "大阪"}, links=[{"kind": "x", "url": "https://x.com/b"}],
           notes="Bのメモ", stage="acquaintance", freeloader=True)
    c = mk(api, name="紹介者 C")
    ix = add_ix(api, b["id"], "deal", "2024-07-07", amount=50000)
    intro = api.post(INTROS, {"introducer_id": c["id"], "person_id": b["id"]}).json()
    lst = api.post("/api/v1/lists", {"name": "合併テスト便", "slug": jm.uniq("merge")}).json()
    r = api.post("/api/v1/subscribers", {"list_id": lst["id"], "email": em_b, "name": "合併"})
    assert r.status == 201 and r.json()["person_id"] == b["id"], r.text
    mid = insert_message(db, b["id"], "合併前の問い合わせ", "本文")

    err_of(api.post("%s/%d/merge" % (PEOPLE, a["id"]), {"from": a["id"]}), 422, "from")
    err_of(api.post("%s/%d/merge" % (PEOPLE, a["id"]), {"from": 99999999}), 422, "from")
    err_of(api.post("%s/%d/merge" % (PEOPLE, a["id"]), {"from": "x"}), 422, "from")
    err_of(api.post("%s/%d/merge" % (PEOPLE, a["id"]), {}), 422, "from")
    err_of(api.post("%s/%d/merge" % (PEOPLE, a["id"]), {"from": b["id"], "x": 1}), 422, "x")
    assert get(api, b["id"])["email"] == em_b

    r = api.post("%s/%d/merge" % (PEOPLE, a["id"]), {"from": b["id"]})
    assert r.status == 200, r.text
    m = r.json()
    assert m["id"] == a["id"] and m["email"] == em_a
    assert set(m["tags"]) == {"A側", "B側"}
    assert m["fields"]["地域"] == "東京" and m["fields"]["趣味"] == "登山"
    assert "大阪" in m["fields"].values()  # the clash kept as "地域 (2)"
    assert {l["url"] for l in m["links"]} == {"https://a.example.jp/", "https://x.com/b"}
    assert "Aのメモ" in m["notes"] and "Bのメモ" in m["notes"]
    assert m["company"] == "B商事" and m["stage"] == "acquaintance" and m["freeloader"] is True
    err_of(api.get("%s/%d" % (PEOPLE, b["id"])), 404)
    ixs = api.get("%s/%d/interactions" % (PEOPLE, a["id"])).json()["items"]
    assert ix["id"] in ids(ixs)
    intros = api.get(INTROS + "?person_id=%d" % a["id"]).json()["items"]
    assert [(x["id"], x["person_id"]) for x in intros] == [(intro["id"], a["id"])]
    subs = api.get("/api/v1/subscribers?list_id=%d" % lst["id"]).json()["items"]
    assert [s["person_id"] for s in subs] == [a["id"]]
    msgs = api.get(MSGS + "?status=all&person_id=%d" % a["id"]).json()["items"]
    assert mid in ids(msgs)
    assert api.get("%s/%d" % (MSGS, mid)).json()["person_id"] == a["id"]
    tl = api.get("%s/%d/timeline" % (PEOPLE, a["id"])).json()["items"]
    assert any(e["kind"] == "merged" for e in tl)
    # the merged person is found by what came from the other one
    assert a["id"] not in ids(search(api, "登山")["items"])  # now a freeloader
    assert a["id"] in ids(search(api, "登山", include_flagged=1)["items"])


# ---- messages ----

def test_messages_list_get_patch(api, db):
    p = mk(api, name="問い合わせ 一郎", email=email())
    word = jm.uniq("件名")
    m1 = insert_message(db, p["id"], word + " 取材のお願い", "<script>alert(1)</script>",
                        category="取材")
    m2 = insert_message(db, p["id"], word + " 古い話", "アーカイブ済み", status="archived")
    got = ids(api.get(MSGS + "?q=" + urllib.parse.quote(word)).json()["items"])
    assert m1 in got and m2 not in got  # default: new + replied
    got = ids(api.get(MSGS + "?status=all&q=" + urllib.parse.quote(word)).json()["items"])
    assert set(got) == {m1, m2}
    got = ids(api.get(MSGS + "?status=archived&person_id=%d" % p["id"]).json()["items"])
    assert got == [m2]
    got = api.get(MSGS + "?category=" + urllib.parse.quote("取材") + "&person_id=%d" % p["id"])
    assert ids(got.json()["items"]) == [m1]
    m = api.get("%s/%d" % (MSGS, m1)).json()
    assert m["body"] == "<script>alert(1)</script>" and m["replies"] == []
    assert m["status"] == "new" and m["category"] == "取材" and m["person_id"] == p["id"]
    r = api.patch("%s/%d" % (MSGS, m1), {"status": "spam"})
    assert r.status == 200 and r.json()["status"] == "spam"
    for body, field in (({"status": "deleted"}, "status"), ({"status": 1}, "status"),
                        ({}, "status"), ({"status": "new", "x": 1}, "x")):
        err_of(api.patch("%s/%d" % (MSGS, m1), body), 422, field)
    assert api.get("%s/%d" % (MSGS, m1)).json()["status"] == "spam"
    err_of(api.get(MSGS + "/99999999"), 404)
    err_of(api.patch(MSGS + "/99999999", {"status": "new"}), 404)
    err_of(api.get(MSGS + "?status=bogus"), 400, "status")
    err_of(api.get(MSGS + "?page=x"), 400, "page")


def test_message_reply_goes_out_with_threading(env, api, db):
    cap = env["cap"]
    sender = email()
    p = mk(api, name="返信 待子", email=sender)
    mid = insert_message(db, p["id"], "出版の相談", "本を出したいです。")
    msgid = api.get("%s/%d" % (MSGS, mid)).json()["msgid"]
    for body, field in (({"subject": "件名"}, "body"), ({"body": ""}, "body"),
                        ({"subject": "a\r\nBcc: x@example.com", "body": "本文"}, "subject"),
                        ({"body": 5}, "body"), ({"body": "x", "cc": "y"}, "cc")):
        err_of(api.post("%s/%d/reply" % (MSGS, mid), body), 422, field)
    assert api.get("%s/%d" % (MSGS, mid)).json()["replies"] == []
    err_of(api.post(MSGS + "/99999999/reply", {"body": "x"}), 404)

    r = api.post("%s/%d/reply" % (MSGS, mid), {"body": "お問い合わせありがとうございます。"})
    assert r.status == 201, r.text
    rep = r.json()
    assert rep["subject"] == "Re: 出版の相談" and rep["message_id"] == mid
    assert rep["msgid"].startswith("<") and rep["msgid"] != msgid
    m = api.get("%s/%d" % (MSGS, mid)).json()
    assert m["status"] == "replied" and ids(m["replies"]) == [rep["id"]]

    def mail():
        for envl, msg in cap.messages():
            if sender in envl["rcpt_tos"] and msg["In-Reply-To"] == msgid:
                return msg
        return None
    msg = jm.wait_until(mail, 60, what="the reply mail")
    assert msg["Message-ID"] == rep["msgid"] and msgid in msg["References"]
    assert msg["Subject"] == "Re: 出版の相談"
    assert "お問い合わせありがとうございます。" in msg.get_body(("plain",)).get_content()
    tl = api.get("%s/%d/timeline" % (PEOPLE, p["id"])).json()["items"]
    assert any(e["kind"] == "reply" for e in tl) and any(e["kind"] == "message" for e in tl)
    assert get(api, p["id"])["last_contact_at"] is not None


def test_contact_form_message_reaches_the_api(env, api):
    c = env["srv"].client()
    r, form = c.get_form("/contact", field="form_token")
    sender = email()
    time.sleep(3.3)  # the form refuses anything sent faster than INBOX_MIN_FILL_SECONDS
    r = c.submit(form, {"name": "フォーム 太郎", "email": sender, "subject": "情報です",
                        "message": "出版社の編集者を知っています。"})
    assert r.status == 200 and r.url.endswith("/contact/thanks"), (r.status, r.url)
    items = api.get(MSGS + "?q=" + urllib.parse.quote(sender)).json()["items"]
    assert len(items) == 1 and items[0]["subject"] == "情報です"
    p = get(api, items[0]["person_id"])
    assert p["email"] == sender and p["stage"] == "reader"


# ---- reports ----

def test_funnel_counts_and_moves(api):
    before = api.get("/api/v1/reports/funnel").json()
    p = mk(api)
    for st in ("fan", "acquaintance", "network"):
        assert api.patch("%s/%d" % (PEOPLE, p["id"]), {"stage": st}).status == 200
    mk(api, stage="fan")
    after = api.get("/api/v1/reports/funnel").json()
    d = {k: after["counts"][k] - before["counts"][k] for k in after["counts"]}
    assert d == {"reader": 0, "fan": 1, "acquaintance": 0, "network": 1}
    assert len(after["months"]) == 12
    assert re.match(r"^\d{4}-\d{2}$", after["months"][-1]["month"])
    b, a = before["months"][-1], after["months"][-1]
    assert a["network"] - b["network"] == 1 and a["acquaintance"] - b["acquaintance"] == 1
    assert a["fan"] - b["fan"] >= 1


def circle(api, year):
    r = api.get("/api/v1/reports/circle?year=%d" % year)
    assert r.status == 200, r.text
    return r.json()


def names(people):
    return sorted(x["name"] for x in people)


def test_circle_review_known_answers(api):
    tag = jm.uniq("c")
    kept = [mk(api, name="継続%d %s" % (i, tag)) for i in range(4)]
    new = [mk(api, name="新規%d %s" % (i, tag)) for i in range(3)]
    dropped = [mk(api, name="離脱%d %s" % (i, tag)) for i in range(2)]
    for p in kept:
        add_ix(api, p["id"], "meeting", "2021-04-01")
        add_ix(api, p["id"], "meal", "2022-04-01")
    add_ix(api, kept[0]["id"], "call", "2022-08-01")  # two that year
    for p, kind in zip(new, ("deal", "call", "meeting")):
        add_ix(api, p["id"], kind, "2022-06-15")
    # 2022-01-01 in the site's zone (JST) is still 2021-12-31 in UTC
    add_ix(api, new[2]["id"], "meeting", "2022-01-01")
    for p in dropped:
        add_ix(api, p["id"], "call", "2021-10-10")
    # 2022-01-01 00:30 JST (happened_at, unix): this year, though 2021 in UTC
    r = api.post("%s/%d/interactions" % (PEOPLE, new[0]["id"]),
                 {"kind": "meal", "happened_at": 1640964600})
    assert r.status == 201, r.text
    # kinds that are not meetings, meals, calls or deals do not count
    noise = mk(api, name="雑音 " + tag)
    add_ix(api, noise["id"], "email", "2022-02-02")
    add_ix(api, noise["id"], "help_given", "2021-02-02")
    for p in kept[:2]:
        api.patch("%s/%d" % (PEOPLE, p["id"]), {"stage": "network"})

    c = circle(api, 2022)
    assert c["year"] == 2022
    assert c["counts"] == {"kept": 4, "new": 3, "dropped": 2, "this_year": 7, "last_year": 6}
    assert names(c["kept"]) == names(kept)
    assert names(c["new"]) == names(new)
    assert names(c["dropped"]) == names(dropped)
    k0 = [x for x in c["kept"] if x["id"] == kept[0]["id"]][0]
    assert k0["count"] == 2 and k0["stage"] == "network"
    assert c["network_share_pct"] == 29  # 2 of 7, rounded
    assert c["same_faces"] is True  # 4 of 7 were there last year
    prev = circle(api, 2021)
    assert prev["counts"]["this_year"] == 6 and prev["counts"]["kept"] == 0
    assert names(prev["new"]) == names(kept + dropped)


def test_circle_review_half_kept_is_not_same_faces(api):
    tag = jm.uniq("h")
    kept = [mk(api, name="継続%d %s" % (i, tag), stage="network") for i in range(2)]
    new = [mk(api, name="新規%d %s" % (i, tag)) for i in range(2)]
    gone = mk(api, name="離脱 " + tag)
    for p in kept:
        add_ix(api, p["id"], "meeting", "2017-05-05")
        add_ix(api, p["id"], "meeting", "2018-05-05")
    for p in new:
        add_ix(api, p["id"], "meal", "2018-09-09")
    add_ix(api, gone["id"], "deal", "2017-01-20")
    c = circle(api, 2018)
    assert c["counts"] == {"kept": 2, "new": 2, "dropped": 1, "this_year": 4, "last_year": 3}
    assert c["network_share_pct"] == 50
    assert c["same_faces"] is False  # exactly half is not "most"
    empty = circle(api, 1990)
    assert empty["counts"]["this_year"] == 0 and empty["same_faces"] is False


@pytest.mark.parametrize("query,status", [
    ("year=abc", 400), ("year=", 400), ("year=-1", 400), ("year=20x4", 400),
    ("year=10000", 422), ("year=1969", 422),
])
def test_circle_bad_year(api, query, status):
    err_of(api.get("/api/v1/reports/circle?" + query), status, "year")


def test_circle_defaults_to_this_year(api):
    c = api.get("/api/v1/reports/circle").json()
    assert c["year"] >= 2025 and set(c) >= {"kept", "new", "dropped", "counts", "same_faces",
                                             "network_share_pct"}


def unsub_token(env, sub_id):
    """An unsubscribe link token as newsletter/token.c signs it."""
    import base64
    import hashlib
    with open(os.path.join(env["data"], "secret"), "rb") as f:
        secret = f.read()
    payload = base64.urlsafe_b64encode(("%d:0" % sub_id).encode()).decode().rstrip("=")
    mac = hashlib.blake2b(("nl:u.%s" % payload).encode(), key=secret,
                          digest_size=32).hexdigest()[:32]
    return "u.%s.%s" % (payload, mac)


def test_merge_keeps_mailed_unsubscribe_links_working(env, api, db):
    """Both people are on one list; the merge keeps one subscription, and
    the unsubscribe link already mailed for the other one still works."""
    lst = api.post("/api/v1/lists", {"name": "リンク維持便", "slug": jm.uniq("alias")}).json()
    em_a, em_b = email(), email()
    a = api.post("/api/v1/subscribers", {"list_id": lst["id"], "email": em_a, "name": "甲"}).json()
    b = api.post("/api/v1/subscribers", {"list_id": lst["id"], "email": em_b, "name": "乙"}).json()
    sub_of = lambda pid: db.execute(  # noqa: E731
        "SELECT id, status FROM subscriptions WHERE person_id = ? AND list_id = ?",
        (pid, lst["id"])).fetchone()
    sid_a, sid_b = sub_of(a["person_id"])[0], sub_of(b["person_id"])[0]
    r = api.post("%s/%d/merge" % (PEOPLE, a["person_id"]), {"from": b["person_id"]})
    assert r.status == 200, r.text
    assert db.execute("SELECT count(*) FROM subscriptions WHERE id = ?", (sid_b,)).fetchone()[0] == 0
    web = jm.Client(env["srv"].base)
    tok = unsub_token(env, sid_b)
    page = web.get("/unsubscribe?token=" + tok)
    assert page.status == 200, page.text[:400]
    assert sub_of(a["person_id"]) == (sid_a, "active"), "GET never unsubscribes"
    r = web.post("/unsubscribe?token=" + tok, form={"List-Unsubscribe": "One-Click"})
    assert r.status == 200, r.text[:400]
    assert sub_of(a["person_id"]) == (sid_a, "unsubscribed")
    # A token for an id that never existed is still refused.
    assert web.get("/unsubscribe?token=" + unsub_token(env, 99999999)).status == 400


def test_imported_field_values_reach_the_people_search(env, api, tmp_path):
    """A subscriber import that adds a custom-field value to someone the
    search has already indexed re-indexes them (migration 0005's
    search_dirty, marked by the import)."""
    e = email()
    p = mk(api, name="フィールド 太郎", email=e)
    assert p["id"] not in ids(search(api, "銀河鉄道")["items"])  # p is indexed now
    slug = jm.uniq("fld")
    r = api.post("/api/v1/lists", {"name": "趣味の便", "slug": slug, "fields": [
        {"key": "hobby", "label": "趣味", "type": "text"}]})
    assert r.status == 201, r.text
    csv_path = tmp_path / "hobby.csv"
    csv_path.write_text("email,hobby\n%s,銀河鉄道の模型づくり\n" % e, encoding="utf-8")
    env["srv"].cli("import", "subscribers", "--list", slug, str(csv_path))
    assert p["id"] in ids(search(api, "銀河鉄道")["items"])


def test_new_field_values_reach_the_people_search(api):
    p = mk(api, name="項目 花子")
    assert p["id"] not in ids(search(api, "盆栽")["items"])  # p is indexed now
    r = api.patch("%s/%d" % (PEOPLE, p["id"]), {"fields": {"趣味": "盆栽と苔玉"}})
    assert r.status == 200, r.text
    assert p["id"] in ids(search(api, "盆栽")["items"])


# ---- slow reads on the worker pool ----

def test_deferred_requests_survive_a_client_hanging_up(env, api):
    p = mk(api, name="途中切断 " + jm.uniq("d"), company="出版社")
    paths = [PEOPLE + "?q=" + urllib.parse.quote("途中切断"), "/api/v1/reports/funnel",
             "/api/v1/reports/circle?year=2022"]
    auth = {"Authorization": "Bearer " + api.token}
    for _ in range(10):
        for path in paths:
            jm.hang_up(env["srv"].port, path, auth)
    assert env["srv"].alive()
    # the same requests still answer in full afterwards
    r = api.get(paths[0])
    assert r.status == 200, r.text
    assert [h["id"] for h in r.json()["items"]] == [p["id"]]
    assert api.get(paths[1]).status == 200 and api.get(paths[2]).json()["year"] == 2022
