"""フォーム in the admin (issue 11): the builder creates an ask, a job post
and an event without JavaScript (fields added, reordered by their numbers,
removed; the event and job sections shown for their kind), a refused form
comes back as typed with the message and stores nothing, the list shows
kind, status, answer counts and the links to the results, the job board and
check-in; delete needs the ticked confirmation and the owner. Runs on
either engine (JM_TEST_ENGINE)."""
import re

import jm

JOB = {"duties": "編集アシスタント", "contract_period": "期間の定めなし",
       "workplace": "東京都千代田区", "working_hours": "10:00〜18:00", "holidays": "土日祝",
       "wage": "月給25万円〜", "social_insurance": "雇用・労災・健康・厚生年金",
       "smoking_measures": "屋内禁煙"}


def q1(server, sql, *args):
    return jm.q1(server.data_dir, sql, *args)


def rows(fields):
    upd = {}
    for i, f in enumerate(fields):
        for k, v in f.items():
            upd["f%d_%s" % (i, k)] = v
    return upd


def build(admin, kind, values, fields=(), status=200, action="save"):
    page, form = admin.get_form("/admin/forms/new?kind=" + kind, action="/admin/forms")
    assert page.status == 200
    upd = dict(values)
    upd.update(rows(fields))
    upd["action"] = action
    r = admin.submit(form, upd)
    assert r.status == status, r.text[:3000]
    return r


def form_id(r):
    m = re.search(r"/admin/forms/(\d+)\?done=saved", r.url)
    assert m, r.url
    return int(m.group(1))


def test_nav_and_empty_pages_render(server, admin):
    r = admin.get("/admin/forms")
    assert r.status == 200 and 'id="nav-forms"' in r.text
    for kind, section in (("ask", None), ("job", "job-section"), ("event", "event-section")):
        r = admin.get("/admin/forms/new?kind=" + kind)
        assert r.status == 200
        assert 'name="kind" value="%s"' % kind in r.text
        for other in ("job-section", "event-section"):
            assert (('id="%s"' % other) in r.text) == (other == section), (kind, other)


def test_builder_creates_an_ask_with_ordered_fields(server, admin):
    slug = jm.uniq("adm-ask")
    r = build(admin, "ask", {"title": "出版社とのつながり", "slug": slug,
                             "description": "**教えてください**", "closes_at": "2030-01-01T09:00"},
              fields=[{"key": "ties", "label": "つながり", "type": "select",
                       "options": "はい\nいいえ\n", "required": "1", "pos": "2"},
                      {"key": "name", "label": "お名前", "type": "text", "pos": "1"},
                      {"key": "why", "label": "理由", "type": "textarea", "options": "ignored",
                       "pos": "3"}])
    fid = form_id(r)
    assert "id=\"flash\"" in r.text
    keys = jm.qall(server.data_dir, "SELECT key, type, options, required FROM form_fields "
                   "WHERE form_id = ? ORDER BY position", fid)
    assert [k[0] for k in keys] == ["name", "ties", "why"]
    assert keys[1][2].splitlines() == ["はい", "いいえ"] and keys[1][3] == 1
    assert keys[2][2] == "", "options of a type without options are not kept"
    assert q1(server, "SELECT kind FROM forms WHERE id = ?", fid) == "ask"
    # the site's zone (Asia/Tokyo by default) reads the typed time
    closes = q1(server, "SELECT closes_at FROM forms WHERE id = ?", fid)
    assert closes in (1893456000, 1893456000 + 9 * 3600)
    # edit: remove a field, reorder, rename
    page, form = admin.get_form("/admin/forms/%d" % fid, action="/admin/forms/%d" % fid)
    assert page.status == 200 and "出版社とのつながり" in page.text
    r = admin.submit(form, {"title": "出版社とのつながり（改）", "f0_remove": "1",
                            "f1_pos": "9", "f2_pos": "1", "action": "save"})
    assert r.status == 200 and "?done=saved" in r.url, r.text[:2000]
    keys = jm.qall(server.data_dir, "SELECT key FROM form_fields WHERE form_id = ? "
                   "ORDER BY position", fid)
    assert [k[0] for k in keys] == ["why", "ties"]
    # the list shows it with its links
    lst = admin.get("/admin/forms?kind=ask").text
    assert "出版社とのつながり（改）" in lst
    assert "/admin/forms/%d/answers" % fid in lst


def test_refresh_adds_rows_and_stores_nothing(server, admin):
    before = q1(server, "SELECT count(*) FROM forms")
    r = build(admin, "ask", {"title": "未保存"},
              fields=[{"key": "b", "label": "B", "pos": "2"}, {"key": "a", "label": "A", "pos": "1"},
                      {"key": "c", "label": "C", "pos": "3"}], action="refresh")
    assert q1(server, "SELECT count(*) FROM forms") == before
    assert re.search(r'name="f0_key"[^>]*value="a"', r.text)
    assert 'name="nrows" value="6"' in r.text, "three more blank rows"


def test_builder_job_and_event(server, admin):
    r = build(admin, "job", dict(JOB, title="編集アシスタント募集", slug=jm.uniq("adm-job")))
    jid = form_id(r)
    assert q1(server, "SELECT wage FROM forms WHERE id = ?", jid) == "月給25万円〜"
    assert "/admin/forms/%d/board" % jid in r.text
    r = build(admin, "event", {"title": "読者交流会", "slug": jm.uniq("adm-ev"),
                               "starts_at": "2026-12-24T18:00", "ends_at": "2026-12-24T21:00",
                               "venue": "渋谷", "capacity": "10", "waitlist": "1",
                               "reminder_hours": "24"})
    eid = form_id(r)
    assert q1(server, "SELECT capacity FROM forms WHERE id = ?", eid) == 10
    assert q1(server, "SELECT waitlist FROM forms WHERE id = ?", eid) == 1
    assert "/admin/forms/%d/checkin" % eid in r.text


def test_refused_forms_come_back_as_typed(server, admin):
    before = q1(server, "SELECT count(*) FROM forms")
    r = build(admin, "ask", {"title": ""}, status=422)
    assert 'id="form-error"' in r.text
    r = build(admin, "ask", {"title": "重複"}, fields=[{"key": "a", "label": "A"},
                                                      {"key": "a", "label": "B"}], status=422)
    assert "duplicate key" in r.text and 'value="B"' in r.text
    r = build(admin, "ask", {"title": "<script>alert(1)</script>"},
              fields=[{"key": "Bad Key", "label": "<b>x</b>"}], status=422)
    assert "<script>alert(1)</script>" not in r.text and "&lt;b&gt;x&lt;/b&gt;" in r.text
    r = build(admin, "ask", {"title": "時刻", "opens_at": "2030-01-02T00:00",
                             "closes_at": "2030-01-01T00:00"}, status=422)
    assert 'value="2030-01-02T00:00"' in r.text
    r = build(admin, "event", {"title": "開始なし"}, status=422)
    r = build(admin, "event", {"title": "定員", "starts_at": "2026-12-24T18:00",
                               "capacity": "-1"}, status=422)
    r = build(admin, "job", dict(JOB, title="条件不足", wage=""), status=422)
    assert "賃金" in r.text or "wage" in r.text.lower()
    assert q1(server, "SELECT count(*) FROM forms") == before
    s = jm.uniq("adm-dup")
    build(admin, "ask", {"title": "一つ目", "slug": s})
    build(admin, "ask", {"title": "二つ目", "slug": s}, status=409)
    assert q1(server, "SELECT count(*) FROM forms") == before + 1


def test_delete_needs_confirmation(server, admin):
    fid = form_id(build(admin, "ask", {"title": "消すフォーム", "slug": jm.uniq("adm-del")}))
    page, form = admin.get_form("/admin/forms/%d" % fid, action="/admin/forms/%d/delete" % fid)
    r = admin.submit(form, {}, drop=("confirm",))
    assert r.status == 422 and q1(server, "SELECT count(*) FROM forms WHERE id = ?", fid) == 1
    r = admin.submit(form, {"confirm": "1"})
    assert r.status == 200 and "done=deleted" in r.url
    assert q1(server, "SELECT count(*) FROM forms WHERE id = ?", fid) == 0
    assert admin.get("/admin/forms/%d" % fid).status == 404


def test_csrf_and_editor(server, admin):
    before = q1(server, "SELECT count(*) FROM forms")
    r = admin.post("/admin/forms", form={"kind": "ask", "title": "CSRFなし"})
    assert r.status == 403
    assert q1(server, "SELECT count(*) FROM forms") == before
    server.add_user("forms-admin-editor@example.com", "editor password 123", role="editor")
    ed = server.client()
    from conftest import login
    assert login(ed, "forms-admin-editor@example.com", "editor password 123").status == 200
    page, form = ed.get_form("/admin/forms/new?kind=ask", action="/admin/forms")
    r = ed.submit(form, {"title": "編集者のフォーム", "action": "save"})
    fid = form_id(r)
    assert 'id="delete-form"' not in r.text, "the owner's button is not shown to an editor"
    tok = jm.csrf_of(r.text)
    r = ed.post("/admin/forms/%d/delete" % fid, form={"_csrf": tok, "confirm": "1"})
    assert r.status == 403 and q1(server, "SELECT count(*) FROM forms WHERE id = ?", fid) == 1
