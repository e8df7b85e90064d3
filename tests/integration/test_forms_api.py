"""The forms API (issue 11): POST/GET/PATCH/DELETE /api/v1/forms[/{id}] and
GET /api/v1/forms for the three kinds (ask, job, event) with the 0024
column names; every bad definition answered with a status and a message
naming the field, and nothing stored; roles (an editor manages forms, only
the owner deletes one). Runs on either engine (JM_TEST_ENGINE)."""
import pytest

import jm
from test_roles import token_for

EDITOR_EMAIL = "forms-editor@example.com"

JOB = {"duties": "編集アシスタント", "contract_period": "期間の定めなし",
       "workplace": "東京都千代田区（在宅可）", "working_hours": "10:00〜18:00（休憩1時間）",
       "holidays": "土日祝", "wage": "月給25万円〜", "social_insurance": "雇用・労災・健康・厚生年金",
       "smoking_measures": "屋内禁煙"}

FIELDS = [
    {"key": "name", "label": "お名前", "type": "text", "required": True},
    {"key": "ties", "label": "出版社とのつながり", "type": "select",
     "options": ["はい、編集者を知っています", "いいえ"], "required": True},
    {"key": "topics", "label": "関心", "type": "multi", "options": ["出版", "講演", "採用"]},
    {"key": "note", "label": "ひとこと", "type": "textarea"},
]


def ask(slug, **kv):
    d = {"kind": "ask", "slug": slug, "title": "出版社とのつながりはありますか",
         "description": "**読者の皆さん**へ", "fields": FIELDS, "thanks": "ありがとうございました",
         "consent_text": "個人情報は本件の連絡にのみ使います。"}
    d.update(kv)
    return d


def count(server, slug=None):
    if slug is None:
        return jm.q1(server.data_dir, "SELECT count(*) FROM forms")
    return jm.q1(server.data_dir, "SELECT count(*) FROM forms WHERE slug = ?", slug)


def create(api, body, status=201):
    r = api.post("/api/v1/forms", body)
    assert r.status == status, (r.status, r.text[:500])
    return r.json()


def test_create_get_list_an_ask(server, api):
    f = create(api, ask(jm.uniq("ask"), opens_at="2026-12-01T09:00:00+09:00",
                        closes_at=1893456000, max_answers_per_person=1))
    assert f["id"] > 0 and f["kind"] == "ask" and f["status"] == "open"
    assert f["opens_at"] == "2026-12-01T00:00:00Z" and f["closes_at"] == "2030-01-01T00:00:00Z"
    assert [x["key"] for x in f["fields"]] == ["name", "ties", "topics", "note"]
    assert f["fields"][1] == FIELDS[1]
    assert f["fields"][0]["options"] == [] and f["fields"][3]["required"] is False
    assert f["answers_count"] == 0 and f["list_id"] is None
    g = api.get("/api/v1/forms/%d" % f["id"]).json()
    assert g == f
    r = api.get("/api/v1/forms?kind=ask")
    assert r.status == 200
    items = r.json()["items"]
    assert any(i["id"] == f["id"] and i["title"] == f["title"] for i in items)
    assert all(i["kind"] == "ask" for i in items)


def test_create_event_and_job(server, api):
    ev = create(api, {"kind": "event", "slug": jm.uniq("ev"), "title": "読者交流会",
                      "starts_at": "2026-12-24T18:00:00+09:00",
                      "ends_at": "2026-12-24T21:00:00+09:00", "venue": "渋谷の会議室",
                      "online_url": "https://meet.example.com/x", "capacity": 10,
                      "waitlist": False, "fee": "3,000円（当日現金）", "reminder_hours": 24,
                      "party_title": "懇親会", "party_capacity": 8})
    assert ev["capacity"] == 10 and ev["waitlist"] is False and ev["reminder_hours"] == 24
    assert ev["starts_at"] == "2026-12-24T09:00:00Z" and ev["party_capacity"] == 8
    job = create(api, dict(JOB, kind="job", slug=jm.uniq("job"), title="編集アシスタント募集"))
    for k, v in JOB.items():
        assert job[k] == v
    assert job["starts_at"] is None and job["capacity"] == 0
    kinds = {i["kind"] for i in api.get("/api/v1/forms?per_page=100").json()["items"]}
    assert {"event", "job"} <= kinds


def test_slug_derived_from_title(server, api):
    f = create(api, {"kind": "ask", "title": "出版 アンケート"})
    assert f["slug"] == "出版-アンケート"
    g = create(api, {"kind": "ask", "title": "出版 アンケート"})
    assert g["slug"] == "出版-アンケート-2"


def test_patch_changes_only_named_keys(server, api):
    f = create(api, ask(jm.uniq("p")))
    r = api.patch("/api/v1/forms/%d" % f["id"], {"title": "新しい題", "status": "closed"})
    assert r.status == 200, r.text
    g = r.json()
    assert g["title"] == "新しい題" and g["status"] == "closed"
    assert g["fields"] == f["fields"] and g["description"] == f["description"]
    r = api.patch("/api/v1/forms/%d" % f["id"], {"closes_at": 1893456000})
    assert r.json()["closes_at"] == "2030-01-01T00:00:00Z"
    r = api.patch("/api/v1/forms/%d" % f["id"], {"closes_at": ""})
    assert r.status == 200 and r.json()["closes_at"] is None, "an emptied time is none"
    r = api.patch("/api/v1/forms/%d" % f["id"], {"fields": [FIELDS[0]]})
    assert [x["key"] for x in r.json()["fields"]] == ["name"]
    # ask -> event: the event section is given, the old kind's own goes
    r = api.patch("/api/v1/forms/%d" % f["id"], {"kind": "event", "starts_at": 1893456000})
    assert r.status == 200 and r.json()["kind"] == "event", r.text


def test_delete(server, api):
    f = create(api, ask(jm.uniq("d")))
    assert api.delete("/api/v1/forms/%d" % f["id"]).status == 204
    assert api.get("/api/v1/forms/%d" % f["id"]).status == 404
    assert api.delete("/api/v1/forms/%d" % f["id"]).status == 404
    assert jm.q1(server.data_dir, "SELECT count(*) FROM form_fields WHERE form_id = ?",
                 f["id"]) == 0


BAD = [
    ({"title": "x"}, 422, "kind"),
    ({"kind": "poll", "title": "x"}, 422, "kind"),
    ({"kind": "ask"}, 422, "title"),
    ({"kind": "ask", "title": ""}, 422, "title"),
    ({"kind": "ask", "title": "a\nb"}, 422, "title"),
    ({"kind": "ask", "title": "x" * 201}, 422, "title"),
    ({"kind": "ask", "title": "x", "slug": "a b"}, 422, "slug"),
    ({"kind": "ask", "title": "x", "slug": "x" * 101}, 422, "slug"),
    ({"kind": "ask", "title": "x", "status": "draft"}, 422, "status"),
    ({"kind": "ask", "title": "x", "opens_at": 2000, "closes_at": 1000}, 422, "closes_at"),
    ({"kind": "ask", "title": "x", "opens_at": 2000, "closes_at": 2000}, 422, "closes_at"),
    ({"kind": "ask", "title": "x", "opens_at": "tomorrow"}, 422, "opens_at"),
    ({"kind": "ask", "title": "x", "max_answers_per_person": -1}, 422, "max_answers_per_person"),
    ({"kind": "ask", "title": "x", "max_answers_per_person": "1"}, 422, "max_answers_per_person"),
    ({"kind": "ask", "title": "x", "list_id": 999999}, 422, "list_id"),
    ({"kind": "ask", "title": "x", "list_id": 0}, 422, "list_id"),
    ({"kind": "ask", "title": "x", "nope": 1}, 422, "nope"),
    ({"kind": "ask", "title": "x", "fields": {}}, 422, "fields"),
    ({"kind": "ask", "title": "x", "fields": ["a"]}, 422, "fields"),
    ({"kind": "ask", "title": "x", "fields": [{"key": "A", "label": "a"}]}, 422, "fields"),
    ({"kind": "ask", "title": "x", "fields": [{"key": "a", "label": ""}]}, 422, "fields"),
    ({"kind": "ask", "title": "x", "fields": [{"key": "a", "label": "a", "type": "radio"}]},
     422, "fields"),
    ({"kind": "ask", "title": "x", "fields": [{"key": "a", "label": "a", "type": "select"}]},
     422, "fields"),
    ({"kind": "ask", "title": "x",
      "fields": [{"key": "a", "label": "a", "type": "text", "options": ["x"]}]}, 422, "fields"),
    ({"kind": "ask", "title": "x",
      "fields": [{"key": "a", "label": "a", "type": "select", "options": [1]}]}, 422, "fields"),
    ({"kind": "ask", "title": "x",
      "fields": [{"key": "a", "label": "a"}, {"key": "a", "label": "b"}]}, 422, "fields"),
    ({"kind": "ask", "title": "x", "fields": [{"key": "a", "label": "a", "extra": 1}]},
     422, "fields"),
    ({"kind": "ask", "title": "x",
      "fields": [{"key": "k%d" % i, "label": "l"} for i in range(101)]}, 422, "fields"),
    ({"kind": "ask", "title": "x", "starts_at": 1893456000}, 422, "starts_at"),
    ({"kind": "ask", "title": "x", "duties": "何か"}, 422, "duties"),
    ({"kind": "event", "title": "x"}, 422, "starts_at"),
    ({"kind": "event", "title": "x", "starts_at": 2000, "ends_at": 1000}, 422, "ends_at"),
    ({"kind": "event", "title": "x", "starts_at": 2000, "capacity": -1}, 422, "capacity"),
    ({"kind": "event", "title": "x", "starts_at": 2000, "online_url": "javascript:x"},
     422, "online_url"),
    ({"kind": "event", "title": "x", "starts_at": 2000, "waitlist": 1}, 422, "waitlist"),
    (dict({k: v for k, v in JOB.items() if k != "wage"}, kind="job", title="x"), 422, "wage"),
    # only spaces, 全角 ones included, is not a condition stated
    (dict(JOB, kind="job", title="x", holidays=" \u3000 "), 422, "holidays"),
    (dict(JOB, kind="job", title="x", smoking_measures=""), 422, "smoking_measures"),
]


@pytest.mark.parametrize("body,status,field", BAD)
def test_bad_definitions_refused_and_nothing_stored(server, api, body, status, field):
    before = count(server)
    r = api.post("/api/v1/forms", dict(body, slug=body.get("slug", jm.uniq("bad"))))
    assert r.status == status, (r.status, r.text[:300])
    e = r.json()["error"]
    assert e["message"] and e.get("field") == field, e
    assert count(server) == before
    assert jm.q1(server.data_dir, "SELECT count(*) FROM form_fields WHERE form_id NOT IN "
                 "(SELECT id FROM forms)") == 0


def test_taken_slug_is_409(server, api):
    s = jm.uniq("taken")
    create(api, ask(s))
    r = api.post("/api/v1/forms", ask(s))
    assert r.status == 409 and r.json()["error"]["field"] == "slug"
    assert count(server, s) == 1
    other = create(api, ask(jm.uniq("taken2")))
    r = api.patch("/api/v1/forms/%d" % other["id"], {"slug": s})
    assert r.status == 409 and r.json()["error"]["field"] == "slug"


def test_bad_patch_changes_nothing(server, api):
    f = create(api, ask(jm.uniq("bp")))
    for body, field in [({"title": ""}, "title"), ({"fields": [{"key": "x y", "label": "a"}]},
                                                    "fields"),
                        ({"kind": "job"}, "duties"), ({"closes_at": 1, "opens_at": 5},
                                                      "closes_at")]:
        r = api.patch("/api/v1/forms/%d" % f["id"], body)
        assert r.status == 422 and r.json()["error"]["field"] == field, (body, r.text)
    assert api.get("/api/v1/forms/%d" % f["id"]).json() == f


def test_unknown_ids_and_bad_queries(server, api):
    assert api.get("/api/v1/forms/999999").status == 404
    assert api.get("/api/v1/forms/abc").status == 404
    assert api.patch("/api/v1/forms/999999", {"title": "x"}).status == 404
    assert api.get("/api/v1/forms?kind=poll").status == 400
    assert api.get("/api/v1/forms?status=x").status == 400
    assert api.get("/api/v1/forms?per_page=1000").status == 400
    r = api.post("/api/v1/forms", body=b"{not json")
    assert r.status == 400


def test_list_pages_and_filters(server, api):
    for i in range(3):
        create(api, ask(jm.uniq("pg"), status="closed"))
    r = api.get("/api/v1/forms?status=closed&per_page=2").json()
    assert len(r["items"]) == 2 and r["total"] >= 3
    assert all(i["status"] == "closed" for i in r["items"])
    assert "fields" not in r["items"][0]


@pytest.fixture(scope="module")
def editor_api(server, owner):
    server.add_user(EDITOR_EMAIL, "editor password 123", role="editor", name="編集者")
    return jm.Api(server.base, token_for(server, EDITOR_EMAIL))


def test_roles_editor_manages_owner_deletes(server, api, editor_api):
    f = create(editor_api, ask(jm.uniq("ed")))
    r = editor_api.patch("/api/v1/forms/%d" % f["id"], {"title": "編集者が直した"})
    assert r.status == 200
    assert editor_api.get("/api/v1/forms").status == 200
    r = editor_api.delete("/api/v1/forms/%d" % f["id"])
    assert r.status == 403 and r.json()["error"]["message"]
    assert count(server, f["slug"]) == 1
    assert api.delete("/api/v1/forms/%d" % f["id"]).status == 204
    assert api.get("/api/v1/forms", token=None).status == 401


@pytest.mark.parametrize("key,cap,kind", [
    ("title", 200, "ask"), ("description", 20000, "ask"), ("thanks", 5000, "ask"),
    ("consent_text", 5000, "ask"), ("wage", 5000, "job"), ("venue", 500, "event"),
])
def test_text_caps_at_the_cap_and_one_past(server, api, key, cap, kind):
    base = {"kind": kind, "title": "上限"}
    if kind == "job":
        base.update(JOB)
    if kind == "event":
        base["starts_at"] = 1893456000
    ok = api.post("/api/v1/forms", dict(base, slug=jm.uniq("cap"), **{key: "x" * cap}))
    assert ok.status == 201, (key, ok.text[:300])
    assert ok.json()[key] == "x" * cap
    before = count(server)
    r = api.post("/api/v1/forms", dict(base, slug=jm.uniq("cap"), **{key: "x" * (cap + 1)}))
    assert r.status == 422 and r.json()["error"]["field"] == key, r.text[:300]
    assert count(server) == before


def test_hundred_fields_fit(server, api):
    fields = [{"key": "k%d" % i, "label": "項目%d" % i} for i in range(100)]
    f = create(api, ask(jm.uniq("many"), fields=fields))
    assert len(f["fields"]) == 100 and f["fields"][99]["key"] == "k99"
