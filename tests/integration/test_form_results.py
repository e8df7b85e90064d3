"""What the owner does with an ask's answers (issue 11, "results"):
GET /api/v1/forms/{id}/answers listed newest first with the person (stage,
engagement, subscribed since, give/take) and filtered by any answer
(key=K&value=V, a 'multi' option too), keyset pages; POST …/answers/bulk
(tag, untag, field, interaction, stage) all or nothing; the CSV export in
UTF-8 with a BOM and in Shift_JIS (CP932, decoded here); the admin results
page; the funnel report's row of ask responders; bad input → 400 with the
field named and nothing changed. Runs on the engine of JM_TEST_ENGINE.

The ask and its answers are rows written here (the form builder and the
answering page are other parts' tests); everything checked goes through
the binary's HTTP answers.
"""
import csv
import io
import time
from urllib.parse import quote

import pytest

import jm

NOW = int(time.time())
YES = "はい、編集者を知っています"
NO = "いいえ"


def sql(server, q, *args):
    c = jm.db_connect(server.data_dir)
    try:
        rows = c.execute(q, args).fetchall()
        c.commit()
        return rows
    finally:
        c.close()


def one(server, q, *args):
    rows = sql(server, q, *args)
    return rows[0][0] if rows else None


def make_ask(server, slug, include_freeloaders=0):
    fid = one(server, "INSERT INTO forms(kind, slug, title, include_freeloaders, created_at, "
              "updated_at) VALUES ('ask', ?, ?, ?, ?, ?) RETURNING id",
              slug, "出版社とのつながり", include_freeloaders, NOW, NOW)
    fields = [("editor", "編集者をご存じですか", "select", YES + "\n" + NO),
              ("genres", "ジャンル", "multi", "小説\nビジネス\n実用"),
              ("comment", "ひとこと", "textarea", "")]
    for i, (k, label, t, opts) in enumerate(fields):
        sql(server, "INSERT INTO form_fields(form_id, key, label, type, options, position) "
            "VALUES (?, ?, ?, ?, ?, ?)", fid, k, label, t, opts, i)
    return fid


def person(server, email, name, stage="reader", freeloader=0, gave=0, asks=0, engagement=0):
    return one(server, "INSERT INTO people(email, name, stage, freeloader, gave, asks, engagement, "
               "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
               email, name, stage, freeloader, gave, asks, engagement, NOW, NOW)


def answer(server, fid, pid, values, verified=1, at=None):
    at = at or NOW
    aid = one(server, "INSERT INTO answers(form_id, person_id, status, verified, status_at, "
              "created_at, updated_at) VALUES (?, ?, 'received', ?, ?, ?, ?) RETURNING id",
              fid, pid, verified, at, at, at)
    for k, v in values.items():
        for x in (v if isinstance(v, list) else [v]):
            sql(server, "INSERT INTO answer_values(answer_id, form_id, key, value) "
                "VALUES (?, ?, ?, ?)", aid, fid, k, x)
    return aid


@pytest.fixture(scope="module")
def ask(server, api):
    """One ask with five answers: three yes (one a multi of two genres),
    one no, one unverified yes."""
    fid = make_ask(server, jm.uniq("ask"))
    lid = one(server, "INSERT INTO lists(slug, name, created_at, updated_at) VALUES (?, ?, ?, ?) "
              "RETURNING id", jm.uniq("l"), "メルマガ", NOW, NOW)
    p = {}
    p["sato"] = person(server, jm.uniq("sato") + "@example.jp", "佐藤 花子", "fan", gave=2,
                       asks=1, engagement=40)
    p["suzuki"] = person(server, jm.uniq("suzuki") + "@example.jp", "鈴木 一郎")
    p["tanaka"] = person(server, jm.uniq("tanaka") + "@example.jp", "田中 健", "acquaintance")
    p["ito"] = person(server, jm.uniq("ito") + "@example.jp", "伊藤 美咲")
    p["kato"] = person(server, jm.uniq("kato") + "@example.jp", "加藤 翔")
    since = NOW - 400 * 86400
    sql(server, "INSERT INTO subscriptions(person_id, list_id, status, created_at, updated_at, "
        "confirmed_at) VALUES (?, ?, 'active', ?, ?, ?)", p["sato"], lid, since - 60, since,
        since)
    a = {}
    a["sato"] = answer(server, fid, p["sato"], {"editor": YES, "genres": ["小説", "ビジネス"],
                                                "comment": "=1+1 知人に編集者がいます"})
    a["suzuki"] = answer(server, fid, p["suzuki"], {"editor": NO, "genres": ["実用"]})
    a["tanaka"] = answer(server, fid, p["tanaka"], {"editor": YES, "comment": "𠮷野家の🙂"})
    a["ito"] = answer(server, fid, p["ito"], {"editor": YES, "genres": ["ビジネス"]})
    a["kato"] = answer(server, fid, p["kato"], {"editor": YES}, verified=0)
    return {"id": fid, "people": p, "answers": a, "since": since}


def ids(body):
    return [it["id"] for it in body["items"]]


def test_list_newest_first_with_person_and_values(server, api, ask):
    r = api.get("/api/v1/forms/%d/answers" % ask["id"])
    r.server = server
    assert r.status == 200, r.text
    a = ask["answers"]
    assert ids(r.json()) == [a["ito"], a["tanaka"], a["suzuki"], a["sato"]]  # no unverified
    assert r.json()["next_cursor"] is None
    sato = r.json()["items"][-1]
    assert sato["person"]["name"] == "佐藤 花子"
    assert sato["person"]["stage"] == "fan"
    # the scheduler's score pass may have recomputed them: the stored ones
    eng, gave, asks = sql(r.server, "SELECT engagement, gave, asks FROM people WHERE id = ?",
                          ask["people"]["sato"])[0]
    assert (sato["person"]["engagement"], sato["person"]["give"],
            sato["person"]["take"]) == (eng, gave, asks)
    assert sato["person"]["subscribed_since"] == time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(ask["since"]))
    assert sato["values"] == {"editor": YES, "genres": ["ビジネス", "小説"],
                              "comment": "=1+1 知人に編集者がいます"}
    assert sato["status"] == "received"
    assert r.json()["items"][0]["person"]["subscribed_since"] is None


def test_filter_by_answer_and_multi_option(api, ask):
    a = ask["answers"]
    base = "/api/v1/forms/%d/answers?key=" % ask["id"]
    r = api.get(base + "editor&value=" + quote(YES))
    assert ids(r.json()) == [a["ito"], a["tanaka"], a["sato"]]
    r = api.get(base + "genres&value=" + quote("ビジネス"))
    assert ids(r.json()) == [a["ito"], a["sato"]]
    r = api.get(base + "editor&value=" + quote(YES) + "&unverified=1")
    assert ids(r.json()) == [a["kato"], a["ito"], a["tanaka"], a["sato"]]
    r = api.get(base + "editor&value=nothing")
    assert r.status == 200 and ids(r.json()) == []


def test_keyset_pages(api, ask):
    a = ask["answers"]
    url = "/api/v1/forms/%d/answers?limit=2" % ask["id"]
    r1 = api.get(url).json()
    assert ids(r1) == [a["ito"], a["tanaka"]] and r1["next_cursor"] == a["tanaka"]
    r2 = api.get(url + "&cursor=%d" % r1["next_cursor"]).json()
    assert ids(r2) == [a["suzuki"], a["sato"]] and r2["next_cursor"] is None


@pytest.mark.parametrize("qs,field", [
    ("key=editor", "value"), ("value=x", "key"), ("key=nope&value=x", "key"),
    ("limit=0", "limit"), ("limit=501", "limit"), ("cursor=-3", "cursor"), ("limit=abc", "limit"),
])
def test_list_bad_input(api, ask, qs, field):
    r = api.get("/api/v1/forms/%d/answers?%s" % (ask["id"], qs))
    assert r.status == 400, r.text
    assert r.json()["error"]["field"] == field


def test_unknown_form(api):
    assert api.get("/api/v1/forms/999999/answers").status == 404
    r = api.post("/api/v1/forms/999999/answers/bulk", {"op": "tag", "answer_ids": [1], "tag": "x"})
    assert r.status == 404


def tags_of(server, pid):
    return sorted(r[0] for r in sql(server, "SELECT tag FROM person_tags WHERE person_id = ?", pid))


def test_bulk_tag_untag_field_interaction_stage(server, api, ask):
    a, p = ask["answers"], ask["people"]
    url = "/api/v1/forms/%d/answers/bulk" % ask["id"]
    yes = [a["sato"], a["tanaka"]]
    r = api.post(url, {"op": "tag", "answer_ids": yes, "tag": "編集者つながり"})
    assert r.status == 200, r.text
    assert r.json() == {"op": "tag", "answers": 2, "people": 2}
    assert tags_of(server, p["sato"]) == ["編集者つながり"]
    assert tags_of(server, p["suzuki"]) == []
    r = api.post(url, {"op": "untag", "answer_ids": [a["tanaka"]], "tag": "編集者つながり"})
    assert r.status == 200 and tags_of(server, p["tanaka"]) == []
    r = api.post(url, {"op": "field", "answer_ids": yes, "key": "publisher_tie", "value": "yes"})
    assert r.status == 200, r.text
    assert one(server, "SELECT value FROM person_fields WHERE person_id = ? AND key = ?",
               p["tanaka"], "publisher_tie") == "yes"
    r = api.post(url, {"op": "interaction", "answer_ids": [a["sato"]], "kind": "message",
                       "note": "出版社の件でお礼"})
    assert r.status == 200, r.text
    assert one(server, "SELECT count(*) FROM interactions WHERE person_id = ? AND note = ?",
               p["sato"], "出版社の件でお礼") == 1
    r = api.post(url, {"op": "stage", "answer_ids": [a["ito"]], "stage": "fan"})
    assert r.status == 200 and one(server, "SELECT stage FROM people WHERE id = ?",
                                   p["ito"]) == "fan"


@pytest.mark.parametrize("body,field", [
    ({"op": "delete", "answer_ids": [1]}, "op"),
    ({"op": "tag", "answer_ids": [], "tag": "x"}, "answer_ids"),
    ({"op": "tag", "answer_ids": ["1"], "tag": "x"}, "answer_ids"),
    ({"op": "tag", "answer_ids": [999999], "tag": "x"}, "answer_ids"),
    ({"op": "tag", "answer_ids": "ALL"}, "answer_ids"),
    ({"op": "stage", "answer_ids": "SELF", "stage": "boss"}, "stage"),
    ({"op": "field", "answer_ids": "SELF", "key": "", "value": "v"}, "key"),
    ({"op": "interaction", "answer_ids": "SELF", "kind": "party"}, "kind"),
    ({"op": "tag", "answer_ids": "SELF", "tag": "a\nb"}, "tag"),
])
def test_bulk_bad_input_changes_nothing(server, api, ask, body, field):
    a = ask["answers"]
    body = dict(body)
    if body["answer_ids"] == "SELF":
        body["answer_ids"] = [a["suzuki"]]
    elif body["answer_ids"] == "ALL":
        body["answer_ids"] = [a["suzuki"], 999999]
        field = "answer_ids"
    before = sql(server, "SELECT (SELECT count(*) FROM person_tags), (SELECT count(*) FROM "
                 "interactions), (SELECT count(*) FROM person_fields), (SELECT count(*) FROM "
                 "stage_changes)")
    r = api.post("/api/v1/forms/%d/answers/bulk" % ask["id"], body)
    assert r.status == 400, r.text
    assert r.json()["error"]["field"] == field, r.text
    assert r.json()["error"]["message"]
    after = sql(server, "SELECT (SELECT count(*) FROM person_tags), (SELECT count(*) FROM "
                "interactions), (SELECT count(*) FROM person_fields), (SELECT count(*) FROM "
                "stage_changes)")
    assert before == after


def test_bulk_other_forms_answer_refused(server, api, ask):
    other = make_ask(server, jm.uniq("other"))
    pid = person(server, jm.uniq("o") + "@example.jp", "他人")
    oid = answer(server, other, pid, {"editor": YES})
    r = api.post("/api/v1/forms/%d/answers/bulk" % ask["id"],
                 {"op": "tag", "answer_ids": [ask["answers"]["sato"], oid], "tag": "よそ"})
    assert r.status == 400 and r.json()["error"]["field"] == "answer_ids"
    assert "よそ" not in tags_of(server, ask["people"]["sato"])


def read_csv(text):
    return list(csv.reader(io.StringIO(text)))


def test_csv_utf8_bom(api, ask):
    r = api.get("/api/v1/forms/%d/answers/export?key=editor&value=%s" % (ask["id"],
                                                                      quote(YES)))
    assert r.status == 200, r.text
    assert r.body.startswith(b"\xef\xbb\xbf")
    rows = read_csv(r.body.decode("utf-8-sig"))
    assert rows[0][:10] == ["id", "created_at", "status", "email", "name", "stage", "engagement",
                            "subscribed_since", "give", "take"]
    assert rows[0][10:] == ["編集者をご存じですか", "ジャンル", "ひとこと"]
    a = ask["answers"]
    assert [int(x[0]) for x in rows[1:]] == [a["sato"], a["tanaka"], a["ito"]]  # oldest first
    sato = rows[1]
    assert sato[4] == "佐藤 花子" and sato[10] == YES
    assert sato[11] == "ビジネス; 小説"
    assert sato[12] == "'=1+1 知人に編集者がいます"  # the formula guard


def test_csv_shift_jis(api, ask):
    r = api.get("/api/v1/forms/%d/answers/export?enc=sjis" % ask["id"])
    assert r.status == 200, r.text
    assert not r.body.startswith(b"\xef\xbb\xbf")
    text = r.body.decode("cp932")
    rows = read_csv(text)
    assert rows[0][10] == "編集者をご存じですか"
    tanaka = [x for x in rows if x[0] == str(ask["answers"]["tanaka"])][0]
    assert tanaka[4] == "田中 健"
    assert tanaka[12] == "?野家の?"  # 𠮷 and 🙂 are not in CP932
    assert r.header("x-substituted") == "2"


def test_csv_bad_enc(api, ask):
    r = api.get("/api/v1/forms/%d/answers/export?enc=latin1" % ask["id"])
    assert r.status == 400 and r.json()["error"]["field"] == "enc"


def test_csv_refusals_in_each_surfaces_words(api, admin, ask):
    """The admin and the API share one export task; each refuses in its own
    words: no such form, a filter on a field the form does not have."""
    r = api.get("/api/v1/forms/999999/answers/export")
    assert r.status == 404 and r.json()["error"]["code"] == "not_found", r.text
    r = api.get("/api/v1/forms/%d/answers/export?key=nosuch&value=x" % ask["id"])
    assert r.status == 400 and r.header("content-disposition") is None, r.text
    r = admin.get("/admin/forms/%d/answers.csv?key=nosuch&value=x" % ask["id"])
    assert r.status == 422 and "text/html" in r.header("content-type"), r.text[:500]
    r = admin.get("/admin/forms/999999/answers.csv")
    assert r.status == 404, r.text[:500]


# ---- the admin results page ----

def page_ids(html):
    import re
    return [int(x) for x in re.findall(r'<tr class="answer-row" data-id="(\d+)"', html)]


def test_admin_page_filter_and_escaping(server, admin, ask):
    a = ask["answers"]
    r = admin.get("/admin/forms/%d/answers" % ask["id"])
    assert r.status == 200, r.text[:2000]
    assert "出版社とのつながり" in r.text
    assert page_ids(r.text) == [a["ito"], a["tanaka"], a["suzuki"], a["sato"]]
    # the filter select offers every choice of the select and multi fields
    assert ('<option value="editor:%s">%s</option>' % (YES, YES)) in r.text
    assert '<option value="genres:ビジネス">ビジネス</option>' in r.text
    r = admin.get("/admin/forms/%d/answers?filter=%s" % (ask["id"], quote("editor:" + YES)))
    assert page_ids(r.text) == [a["ito"], a["tanaka"], a["sato"]]
    assert 'selected>%s</option>' % YES in r.text
    assert 'href="/admin/forms/%d/answers.csv?enc=sjis&amp;filter=' % ask["id"] in r.text
    # a stale filter shows everything and says so
    r = admin.get("/admin/forms/%d/answers?filter=gone:x" % ask["id"])
    assert r.status == 200 and 'id="form-error"' in r.text
    assert admin.get("/admin/forms/999999/answers").status == 404


def test_admin_text_is_escaped(server, admin):
    fid = make_ask(server, jm.uniq("xss"))
    pid = person(server, jm.uniq("x") + "@example.jp", "<b>名前</b>")
    answer(server, fid, pid, {"editor": YES, "comment": "<script>alert(1)</script>"})
    r = admin.get("/admin/forms/%d/answers" % fid)
    assert "<script>alert(1)</script>" not in r.text and "<b>名前</b>" not in r.text
    assert "&lt;script&gt;" in r.text


def test_admin_bulk_tag_the_yes_answers(server, admin, ask):
    a, p = ask["answers"], ask["people"]
    r = admin.get("/admin/forms/%d/answers?filter=%s" % (ask["id"], quote("editor:" + YES)))
    csrf = jm.csrf_of(r.text)
    form = [("_csrf", csrf), ("op", "tag"), ("tag", "出版つながり"),
            ("back", "/admin/forms/%d/answers?x=1" % ask["id"])]
    form += [("id", str(x)) for x in page_ids(r.text)]
    r = admin.post("/admin/forms/%d/answers/bulk" % ask["id"], form=form)
    assert r.status == 200 and 'id="flash"' in r.text, r.text[:2000]
    for k in ("sato", "tanaka", "ito"):
        assert "出版つながり" in tags_of(server, p[k])
    assert "出版つながり" not in tags_of(server, p["suzuki"])
    # nothing ticked: 422, nothing changed
    r = admin.post("/admin/forms/%d/answers/bulk" % ask["id"],
                   form=[("_csrf", csrf), ("op", "tag"), ("tag", "空")])
    assert r.status == 422
    r = admin.post("/admin/forms/%d/answers/bulk" % ask["id"],
                   form=[("_csrf", csrf), ("op", "stage"), ("stage", "boss"),
                         ("id", str(a["suzuki"]))])
    assert r.status == 422
    assert one(server, "SELECT stage FROM people WHERE id = ?", p["suzuki"]) == "reader"


def test_admin_csv_both_encodings(admin, ask):
    r = admin.get("/admin/forms/%d/answers.csv?enc=utf8&filter=%s" % (ask["id"],
                                                                  quote("genres:ビジネス")))
    assert r.status == 200 and r.body.startswith(b"\xef\xbb\xbf")
    rows = read_csv(r.body.decode("utf-8-sig"))
    assert [int(x[0]) for x in rows[1:]] == [ask["answers"]["sato"], ask["answers"]["ito"]]
    r = admin.get("/admin/forms/%d/answers.csv?enc=sjis" % ask["id"])
    assert r.status == 200
    rows = read_csv(r.body.decode("cp932"))
    assert rows[0][10] == "編集者をご存じですか" and len(rows) == 5
    assert admin.get("/admin/forms/%d/answers.csv?enc=euc" % ask["id"]).status == 422


def test_funnel_row_counts_ask_responders_by_stage(server, api, admin, ask):
    # an answer older than the funnel's twelve months, and a job application, do not count
    old = person(server, jm.uniq("old") + "@example.jp", "昔の人", "network")
    answer(server, ask["id"], old, {"editor": NO}, at=NOW - 400 * 86400)
    job = one(server, "INSERT INTO forms(kind, slug, title, created_at, updated_at) "
              "VALUES ('job', ?, '編集者募集', ?, ?) RETURNING id", jm.uniq("job"), NOW, NOW)
    applicant = person(server, jm.uniq("ap") + "@example.jp", "応募者", "network")
    one(server, "INSERT INTO answers(form_id, person_id, status, verified, status_at, created_at, "
        "updated_at) VALUES (?, ?, 'applied', 1, ?, ?, ?) RETURNING id", job, applicant, NOW, NOW,
        NOW)
    want = {s: 0 for s in ("reader", "fan", "acquaintance", "network")}
    for (stage,) in sql(server, "SELECT p.stage FROM people p WHERE p.id IN (SELECT a.person_id "
                        "FROM answers a JOIN forms f ON f.id = a.form_id WHERE f.kind = 'ask' "
                        "AND a.verified = 1 AND a.created_at > ?)", NOW - 300 * 86400):
        want[stage] += 1
    assert want["network"] == 0 and sum(want.values()) >= 4  # kato is unverified
    r = api.get("/api/v1/reports/funnel")
    assert r.status == 200, r.text
    assert r.json()["ask_responders"] == want
    r = admin.get("/admin/reports")
    assert r.status == 200
    for stage, n in want.items():
        assert '<td class="num" id="askers-%s">%d</td>' % (stage, n) in r.text


def test_editor_works_the_results_but_only_the_owner_exports(server, owner, ask):
    """The export holds every responder's address: the owner's, as the people
    export; the list and the bulk actions are every signed-in user's."""
    import test_roles
    server.add_user("results-editor@example.com", "editor password 123", role="editor")
    ed = jm.Api(server.base, test_roles.token_for(server, "results-editor@example.com"))
    assert ed.get("/api/v1/forms/%d/answers" % ask["id"]).status == 200
    r = ed.get("/api/v1/forms/%d/answers/export" % ask["id"])
    assert r.status == 403, r.text
    r = ed.post("/api/v1/forms/%d/answers/bulk" % ask["id"],
                {"op": "tag", "answer_ids": [ask["answers"]["suzuki"]], "tag": "編集者から"})
    assert r.status == 200, r.text
    c = server.client()
    from conftest import login
    assert login(c, "results-editor@example.com", "editor password 123").status == 200
    page = c.get("/admin/forms/%d/answers" % ask["id"])
    assert page.status == 200 and 'id="csv-sjis"' not in page.text
    assert c.get("/admin/forms/%d/answers.csv?enc=utf8" % ask["id"], follow=False).status == 403


def test_admin_file_answer_links_to_the_staff_download(server, admin):
    fid = one(server, "INSERT INTO forms(kind, slug, title, created_at, updated_at) VALUES "
              "('job', ?, '編集者募集', ?, ?) RETURNING id", jm.uniq("job"), NOW, NOW)
    sql(server, "INSERT INTO form_fields(form_id, key, label, type, position) VALUES "
        "(?, 'cv', '履歴書', 'file', 0)", fid)
    pid = person(server, jm.uniq("cv") + "@example.jp", "応募 太郎")
    aid = answer(server, fid, pid, {})
    file_id = one(server, "INSERT INTO answer_files(answer_id, name, ctype, bytes, data, "
                  "created_at) VALUES (?, 'cv.pdf', 'application/pdf', 4, ?, ?) RETURNING id",
                  aid, b"%PDF", NOW)
    sql(server, "INSERT INTO answer_values(answer_id, form_id, key, value) VALUES (?, ?, 'cv', ?)",
        aid, fid, str(file_id))
    r = admin.get("/admin/forms/%d/answers" % fid)
    assert '<a href="/admin/forms/files/%d">' % file_id in r.text


def test_bulk_every_answer_of_a_filter(server, api, admin):
    """"all": the action reaches every answer of the filter, beyond one page."""
    fid = make_ask(server, jm.uniq("many"))
    yes = []
    for i in range(60):
        pid = person(server, jm.uniq("m%d" % i) + "@example.jp", "読者%d" % i)
        answer(server, fid, pid, {"editor": YES if i % 2 == 0 else NO})
        if i % 2 == 0:
            yes.append(pid)
    url = "/api/v1/forms/%d/answers/bulk" % fid
    r = api.post(url, {"op": "tag", "all": True, "filter": {"key": "editor", "value": YES},
                       "tag": "全員タグ"})
    assert r.status == 200, r.text
    assert r.json()["people"] == 30
    tagged = sorted(x[0] for x in sql(server, "SELECT person_id FROM person_tags WHERE tag = ?",
                                      "全員タグ"))
    assert tagged == sorted(yes)
    r = api.post(url, {"op": "tag", "all": True, "filter": {"key": "editor", "value": "なし"},
                       "tag": "x"})
    assert r.status == 400 and r.json()["error"]["field"] == "filter"
    r = api.post(url, {"op": "tag", "all": True, "filter": {"key": "nope", "value": "x"},
                       "tag": "x"})
    assert r.status == 400 and r.json()["error"]["field"] == "filter"
    # the admin's "everyone matching this filter" box, on a page of 50
    page = admin.get("/admin/forms/%d/answers" % fid)
    assert len(page_ids(page.text)) == 50
    r = admin.post("/admin/forms/%d/answers/bulk" % fid,
                   form=[("_csrf", jm.csrf_of(page.text)), ("op", "stage"), ("stage", "fan"),
                         ("all", "1"), ("filter_key", ""), ("filter_value", "")])
    assert r.status == 200 and "(60)" in r.text, r.text[:2000]
    assert one(server, "SELECT count(*) FROM people p JOIN answers a ON a.person_id = p.id "
               "WHERE a.form_id = ? AND p.stage = 'fan'", fid) == 60
