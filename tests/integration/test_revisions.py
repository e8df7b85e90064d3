"""Article revisions and the editor's autosave (issue 10, "the editor and
safety nets"): every save keeps a revision (who, when, title, body), the
newest 50 per article are kept; the editor lists them, shows a line diff
against the current text and restores one (itself a new revision); a
draft autosaves through the same endpoint and validation, answering JSON
with the time, and never publishes."""
import re

import jm

ARTS = "/api/v1/articles"


def err_of(r, status, field=None):
    assert r.status == status, "%s %s" % (r.status, r.text[:500])
    e = r.json()["error"]
    assert e["code"] and e["message"]
    if field is not None:
        assert e.get("field") == field, e
    return e


def new_article(api, **kw):
    body = {"title": "履歴の記事 " + jm.uniq("t"), "slug": jm.uniq("rev"),
            "body": "一行目\n二行目\n三行目\n", "status": "draft"}
    body.update(kw)
    r = api.post(ARTS, body)
    assert r.status == 201, r.text
    return r.json()


def revs(api, aid):
    r = api.get("%s/%d/revisions" % (ARTS, aid))
    assert r.status == 200, r.text
    return r.json()


def test_every_save_keeps_a_revision_with_a_diff(api):
    a = new_article(api)
    path = "%s/%d" % (ARTS, a["id"])
    assert api.patch(path, {"body": "一行目\n二行目を直した\n三行目\n"}).status == 200
    assert api.patch(path, {"title": "新しい題", "body": "一行目\n二行目を直した\n三行目\n四行目\n"}).status == 200
    got = revs(api, a["id"])
    assert got["kept"] == 50
    items = got["items"]
    assert len(items) == 3
    assert [i["title"] for i in items] == ["新しい題", a["title"], a["title"]]
    assert items[0]["id"] > items[1]["id"] > items[2]["id"]
    assert all(i["author"] == "" or "@" in i["author"] or i["author"] for i in items)
    first = api.get("%s/revisions/%d" % (path, items[-1]["id"])).json()
    assert first["body_md"] == "一行目\n二行目\n三行目\n"
    diff = [(d["op"], d["text"]) for d in first["diff"]]
    assert diff == [(" ", "一行目"), ("-", "二行目"), ("+", "二行目を直した"), (" ", "三行目"),
                    ("+", "四行目")]
    # Restoring the first revision is itself a new revision.
    r = api.post("%s/revisions/%d/restore" % (path, items[-1]["id"]), {})
    assert r.status == 200, r.text
    cur = api.get(path).json()
    assert cur["body"] == "一行目\n二行目\n三行目\n" and cur["title"] == a["title"]
    assert len(revs(api, a["id"])["items"]) == 4


def test_revisions_are_bounded_to_50(api):
    a = new_article(api)
    path = "%s/%d" % (ARTS, a["id"])
    for i in range(54):
        assert api.patch(path, {"body": "版 %d\n" % i}).status == 200
    items = revs(api, a["id"])["items"]
    assert len(items) == 50
    newest = api.get("%s/revisions/%d" % (path, items[0]["id"])).json()
    assert newest["body_md"] == "版 53\n"
    oldest = api.get("%s/revisions/%d" % (path, items[-1]["id"])).json()
    assert oldest["body_md"] == "版 4\n"


def test_revision_refusals(api):
    a, b = new_article(api), new_article(api)
    rb = revs(api, b["id"])["items"][0]["id"]
    err_of(api.get("%s/999999/revisions" % ARTS), 404)
    err_of(api.get("%s/%d/revisions/%d" % (ARTS, a["id"], rb)), 404)  # another article's
    err_of(api.get("%s/%d/revisions/abc" % (ARTS, a["id"])), 404)
    err_of(api.post("%s/%d/revisions/%d/restore" % (ARTS, a["id"], rb), {}), 404)
    assert api.get("%s/%d" % (ARTS, a["id"])).json()["body"] == a["body"]


def test_admin_revisions_diff_and_restore(server, admin, api):
    a = new_article(api, body="はじめの文\n同じ行\n")
    path = "%s/%d" % (ARTS, a["id"])
    assert api.patch(path, {"body": "書き直した文\n同じ行\n"}).status == 200
    page = admin.get("/admin/articles/%d" % a["id"]).text
    assert 'href="/admin/articles/%d/revisions"' % a["id"] in page
    assert 'id="editor-revisions"' in page and "変更履歴 (2)" in page
    r = admin.get("/admin/articles/%d/revisions" % a["id"])
    assert r.status == 200 and "最新50件" in r.text
    ids = [int(x) for x in re.findall(r'data-rev="(\d+)"', r.text)]
    assert len(ids) == 2 and ids[0] > ids[1]
    r = admin.get("/admin/articles/%d/revisions/%d" % (a["id"], ids[1]))
    assert r.status == 200
    assert "<del>はじめの文</del>" in r.text and "<ins>書き直した文</ins>" in r.text
    assert 'id="rev-diff"' in r.text and "<caption" in r.text
    form = jm.find_form(r.text, action="/admin/articles/%d/revisions/%d/restore" % (a["id"], ids[1]))
    r = admin.submit(form)
    assert r.status == 200 and "選んだ版に戻しました" in r.text
    assert api.get(path).json()["body"] == "はじめの文\n同じ行\n"
    items = revs(api, a["id"])["items"]
    assert len(items) == 3 and items[0]["author"] == "オーナー"
    assert admin.get("/admin/articles/%d/revisions/999999" % a["id"]).status == 404


# ---- autosave ----

def autosave(admin, url, **fields):
    page = admin.get(url if "/new" in url else url).text
    tok = jm.csrf_of(page)
    data = {"_csrf": tok, "autosave": "1", "title": "", "slug": "", "tags": "", "excerpt": "",
            "body": "", "published_at": ""}
    data.update(fields)
    return admin.post(url if "/new" not in url else "/admin/articles", form=data,
                      headers={"Accept": "application/json"})


def test_autosave_saves_a_draft_and_answers_the_time(server, admin, api):
    a = new_article(api)
    url = "/admin/articles/%d" % a["id"]
    r = autosave(admin, url, title=a["title"], slug=a["slug"], body="自動保存した本文\n")
    assert r.status == 200, r.text
    j = r.json()
    assert j["id"] == a["id"] and re.fullmatch(r"\d\d:\d\d", j["saved_at"])
    cur = api.get("%s/%d" % (ARTS, a["id"])).json()
    assert cur["body"] == "自動保存した本文\n" and cur["status"] == "draft"
    # Bad input: a clear JSON error, nothing stored.
    r = autosave(admin, url, title="", slug=a["slug"], body="消えない？")
    err_of(r, 422, "title")
    assert api.get("%s/%d" % (ARTS, a["id"])).json()["body"] == "自動保存した本文\n"
    # Never publishes: an action in an autosave is refused.
    r = autosave(admin, url, title=a["title"], slug=a["slug"], body="x", action="publish")
    err_of(r, 409)
    assert api.get("%s/%d" % (ARTS, a["id"])).json()["status"] == "draft"


def test_autosave_of_a_new_article_makes_a_draft(server, admin):
    title = "自動保存の新記事 " + jm.uniq("n")
    r = autosave(admin, "/admin/articles/new", title=title, body="下書き")
    assert r.status == 200, r.text
    j = r.json()
    assert j["url"] == "/admin/articles/%d" % j["id"]
    assert jm.q1(server.data_dir, "SELECT status FROM articles WHERE id = ?", j["id"]) == "draft"


def test_autosave_never_touches_a_live_article(server, admin, api):
    a = new_article(api, status="published", body="公開中の本文\n")
    url = "/admin/articles/%d" % a["id"]
    page = admin.get(url).text
    assert "data-autosave=" not in page.split('id="editor-form"')[1].split(">")[0]
    e = err_of(autosave(admin, url, title=a["title"], slug=a["slug"], body="漏れた編集"), 409)
    assert "自動保存" in e["message"]
    assert api.get("%s/%d" % (ARTS, a["id"])).json()["body"] == "公開中の本文\n"
    assert "公開中の本文" in server.client().get("/articles/" + a["slug"]).text
