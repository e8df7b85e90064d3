"""Every upsert path right after an edit (issue 8, defect 1).

A person indexed by the people search and changed since is marked in
search_dirty. Migration 0005 marked people by triggers doing INSERT OR
IGNORE; inside an upsert's DO UPDATE a trigger takes the outer statement's
ABORT instead, so a second mark failed with "UNIQUE constraint failed:
search_dirty.person_id" and the whole write was refused: a CSV import
stopped at line 2, a sign-up answered 500, a re-subscribe 409 until the
indexer had run. Each test here puts a person in that state with the real
binary (an edit, a tag, an unsubscribe) and then runs the upsert at once.
"""
import re
import time

import jm
from test_admin_newsletter import run_import
from test_signup import nl_token, signed_ts

PEOPLE = "/api/v1/people"
SUBS = "/api/v1/subscribers"


def q1(server, sql, *args):
    return jm.q1(server.data_dir, sql, *args)


def email(prefix="u"):
    return "%s@example.jp" % jm.uniq(prefix)


def new_list(api, fields=()):
    body = {"name": "更新便 " + jm.uniq("n"), "slug": jm.uniq("ups"),
            "fields": [{"key": k, "label": k, "type": "text"} for k in fields]}
    r = api.post("/api/v1/lists", body)
    assert r.status == 201, r.text
    return r.json()


def indexed(server, pid):
    """Waits until the scheduler has indexed pid and nothing marks it."""
    jm.wait_until(lambda: (q1(server, "SELECT indexed_to FROM search_state") or 0) >= pid and
                  not q1(server, "SELECT count(*) FROM search_dirty WHERE person_id = ?", pid),
                  what="person %d indexed" % pid)


def field(server, pid, key):
    return q1(server, "SELECT value FROM person_fields WHERE person_id = ? AND key = ?", pid, key)


def test_admin_import_over_a_field_value_with_a_tag(server, admin, api):
    lst = new_list(api, fields=("company",))
    em = email("imp")
    _, r = run_import(admin, lst["id"], ("email,name,company\n%s,取込 一郎,旧社\n" % em).encode())
    assert r.status == 200 and re.search(r'id="rep-imported">\s*1\s*<', r.text), r.text[:3000]
    pid = q1(server, "SELECT id FROM people WHERE email = ?", em)
    indexed(server, pid)
    # The tag marks the person; the field's upsert then meets the mark.
    csv = "email,name,company\n%s,取込 一郎,新社\n" % em
    _, r = run_import(admin, lst["id"], csv.encode(), extra={"tag": "再取込"})
    assert r.status == 200, r.text[:2000]
    assert 'id="import-report"' in r.text, r.text[:3000]
    assert "database error" not in r.text and "インポートできませんでした" not in r.text
    assert field(server, pid, "company") == "新社"
    assert q1(server, "SELECT count(*) FROM person_tags WHERE person_id = ? AND tag = '再取込'",
              pid) == 1
    assert q1(server, "SELECT count(*) FROM search_dirty WHERE person_id = ?", pid) == 1


def test_cli_import_of_a_just_edited_person(tmp_path):
    data = str(tmp_path / "data")
    assert jm.run_cli(["token", "create", "--name", "x"], data).returncode == 0
    db = jm.nl_db(data)
    lid = jm.nl_list(db, "edited", "Edited", fields=("company",))
    em = "edited@example.jp"
    jm.nl_subscribers(db, lid, [(em, "編集 前", {"company": "旧社"}, [])])
    db.close()
    p = jm.run_cli(["reindex"], data)
    assert p.returncode == 0, p.stderr
    # The edit: a people import renames them (the search must read them again).
    edit = tmp_path / "edit.csv"
    edit.write_text("email,name\n%s,編集 後\n" % em, encoding="utf-8")
    p = jm.run_cli(["import", "people", str(edit)], data)
    assert p.returncode == 0, p.stderr
    pid = jm.q1(data, "SELECT id FROM people WHERE email = ?", em)
    assert jm.q1(data, "SELECT count(*) FROM search_dirty WHERE person_id = ?", pid) == 1
    subs = tmp_path / "subs.csv"
    subs.write_text("email,name,company\n%s,編集 後,新社\n" % em, encoding="utf-8")
    p = jm.run_cli(["import", "subscribers", "--list", "edited", str(subs)], data)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "database error" not in p.stderr
    assert jm.q1(data, "SELECT value FROM person_fields WHERE person_id = ? AND key = 'company'",
                 pid) == "新社"


def signup_form(server, slug):
    web = server.client(headers={"User-Agent": "Mozilla/5.0 (jinmyaku tests)"})
    _, form = web.get_form("/subscribe?list=" + slug, action="/subscribe")
    return web, form


def test_signup_of_an_unnamed_person_with_fields(server, api):
    lst = new_list(api, fields=("company",))
    other = new_list(api)
    em = email("unnamed")
    r = api.post(SUBS, {"list_id": other["id"], "email": em})
    assert r.status == 201, r.text
    pid = r.json()["person_id"]
    r = api.patch("%s/%d" % (PEOPLE, pid), {"fields": {"company": "旧社"}})
    assert r.status == 200, r.text
    indexed(server, pid)
    web, form = signup_form(server, lst["slug"])
    r = web.submit(form, {"email": em, "name": "名無し 改め", "company": "新社",
                          "ts": signed_ts(server, int(time.time()) - 10)})
    assert r.status == 200, r.text[:2000]
    sid = q1(server, "SELECT id FROM subscriptions WHERE person_id = ? AND list_id = ?", pid,
             lst["id"])
    assert sid
    r = web.get("/subscribe/confirm?token=" + nl_token(server, "c", sid, int(time.time())))
    assert r.status == 200, r.text[:2000]
    assert q1(server, "SELECT name FROM people WHERE id = ?", pid) == "名無し 改め"
    assert field(server, pid, "company") == "新社"


def test_api_resubscribe_right_after_unsubscribe(server, api):
    lst = new_list(api)
    em = email("resub")
    r = api.post(SUBS, {"list_id": lst["id"], "email": em, "name": "再登録"})
    assert r.status == 201, r.text
    pid = r.json()["person_id"]
    indexed(server, pid)
    for _ in range(3):
        r = api.post(SUBS + "/bulk", {"op": "unsubscribe", "person_ids": [pid],
                                      "list_id": lst["id"]})
        assert r.status == 200, r.text
        r = api.post(SUBS, {"list_id": lst["id"], "email": em})
        assert r.status in (200, 201), r.text
        assert q1(server, "SELECT status FROM subscriptions WHERE person_id = ? AND list_id = ?",
                  pid, lst["id"]) == "active"


def test_api_edit_right_after_an_edit(server, api):
    r = api.post(PEOPLE, {"name": "編集 二回", "email": email("edit"),
                          "fields": {"地域": "東京"}, "tags": ["一"]})
    assert r.status == 201, r.text
    pid = r.json()["id"]
    indexed(server, pid)
    for i, city in enumerate(("大阪", "福岡", "札幌")):
        r = api.patch("%s/%d" % (PEOPLE, pid), {"name": "編集 %d" % i, "fields": {"地域": city},
                                                 "tags": ["一", city]})
        assert r.status == 200, r.text
    assert field(server, pid, "地域") == "札幌"


def test_merge_right_after_an_edit(server, api):
    a = api.post(PEOPLE, {"name": "合併 甲", "email": email("ma"), "fields": {"地域": "東京"},
                          "tags": ["甲"]}).json()
    b = api.post(PEOPLE, {"name": "合併 乙", "email": email("mb"), "fields": {"地域": "大阪"},
                          "tags": ["乙"]}).json()
    indexed(server, max(a["id"], b["id"]))
    for p in (a, b):
        r = api.patch("%s/%d" % (PEOPLE, p["id"]), {"company": "編集直後", "tags": ["共通"]})
        assert r.status == 200, r.text
    r = api.post("%s/%d/merge" % (PEOPLE, a["id"]), {"from": b["id"]})
    assert r.status == 200, r.text
    m = r.json()
    assert "共通" in m["tags"] and "大阪" in m["fields"].values()
    assert q1(server, "SELECT count(*) FROM search_dirty WHERE person_id = ?", a["id"]) == 1
