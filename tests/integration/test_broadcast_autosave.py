"""A broadcast draft autosaves like an article (issue 10, "drafts autosave"):
static/editor.js posts the composer with autosave=1 to the composer's own
URL; the answer is JSON with the stored broadcast's URL and the time, the
broadcast stays a draft, bad input is a JSON error that stores nothing, and
a broadcast that is scheduled (or an action) is never autosaved."""
import re

import jm

BCS = "/api/v1/broadcasts"


def new_list(api):
    r = api.post("/api/v1/lists", {"slug": jm.uniq("as"), "name": "自動保存の便"})
    assert r.status == 201, r.text
    return r.json()


def autosave(admin, url, **fields):
    page = admin.get(url if url != "/admin/broadcasts" else "/admin/broadcasts/new")
    assert page.status == 200
    data = {"_csrf": jm.csrf_of(page.text), "autosave": "1", "subject": "", "body": "",
            "tags_any": "", "tags_none": "", "test_to": "", "scheduled_at": ""}
    data.update(fields)
    return admin.post(url, form=data, headers={"Accept": "application/json"})


def test_the_composer_offers_autosave_only_for_drafts(admin, api):
    page = admin.get("/admin/broadcasts/new").text
    form = re.search(r'<form[^>]*id="compose-form"[^>]*>', page).group(0)
    assert 'data-autosave="1"' in form and 'data-autosave-needs="subject"' in form
    assert 'id="autosave-status"' in page


def test_a_new_broadcast_autosaves_as_a_draft(admin, api):
    lst = new_list(api)
    r = autosave(admin, "/admin/broadcasts", list=str(lst["id"]), subject="自動保存の号",
                 body="書きかけの本文")
    assert r.status == 200, r.text
    j = r.json()
    assert j["url"] == "/admin/broadcasts/%d" % j["id"]
    assert re.fullmatch(r"\d\d:\d\d", j["saved_at"])
    b = api.get("%s/%d" % (BCS, j["id"])).json()
    assert b["status"] == "draft" and b["subject"] == "自動保存の号" and b["body"] == "書きかけの本文"
    # Again to the stored one: the same broadcast, updated.
    r = autosave(admin, j["url"], list=str(lst["id"]), subject="自動保存の号", body="続きも")
    assert r.status == 200 and r.json()["id"] == j["id"]
    assert api.get("%s/%d" % (BCS, j["id"])).json()["body"] == "続きも"
    # Bad input: a JSON error naming the field; nothing changes.
    r = autosave(admin, j["url"], list="0", subject="x", body="消えない？")
    assert r.status == 422 and r.json()["error"]["field"] == "list_id", r.text
    assert api.get("%s/%d" % (BCS, j["id"])).json()["body"] == "続きも"
    # An action is never autosaved (it would send).
    r = autosave(admin, j["url"], list=str(lst["id"]), subject="s", body="b", action="send")
    assert r.status == 409 and r.json()["error"]["message"]
    assert api.get("%s/%d" % (BCS, j["id"])).json()["status"] == "draft"


def test_a_scheduled_broadcast_is_not_autosaved(admin, api):
    assert api.patch("/api/v1/settings", {
        "mail_from_name": "人脈通信", "mail_from_addr": "news@example.jp",
        "sender_postal_address": "東京都千代田区1-1", "sender_contact": "contact@example.jp"}).status == 200
    lst = new_list(api)
    b = api.post(BCS, {"list_id": lst["id"], "subject": "予約の号", "body": "予約した本文",
                       "scheduled_at": "2099-01-01T00:00:00Z"}).json()
    assert api.post("%s/%d/send" % (BCS, b["id"]), {}).json()["status"] == "scheduled"
    url = "/admin/broadcasts/%d" % b["id"]
    form = re.search(r'<form[^>]*id="compose-form"[^>]*>', admin.get(url).text)
    assert form is None or 'data-autosave="1"' not in form.group(0)
    r = autosave(admin, url, list=str(lst["id"]), subject="予約の号", body="書き換え")
    assert r.status == 409, r.text
    assert api.get("%s/%d" % (BCS, b["id"])).json()["body"] == "予約した本文"
