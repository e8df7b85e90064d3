"""The trash (issue 10, "the editor and safety nets"): deleting an article,
a list or an unsent broadcast moves it to a trash kept 30 days, from which
the admin and the API restore it; a restore whose slug was taken meanwhile
asks for a new one (409 naming "slug"); a trashed article is not served
(404, the cached page dropped at once); a trashed list accepts no sign-up
and sends nothing, and comes back with its subscriptions unchanged; sent
broadcasts keep their history; the hourly purge removes what was trashed
more than 30 days ago. The clock is moved the way the other time-based
tests move it: by ageing the stored time (trashed_at) and letting the
server's first tick after a start run the purge."""
import time

import jm

ARTS = "/api/v1/articles"
LISTS = "/api/v1/lists"
BCS = "/api/v1/broadcasts"
SUBS = "/api/v1/subscribers"
DAY = 86400


def err_of(r, status, field=None):
    assert r.status == status, "%s %s" % (r.status, r.text[:500])
    assert r.header("Content-Type", "").startswith("application/json")
    e = r.json()["error"]
    assert e["code"] and e["message"]
    if field is not None:
        assert e.get("field") == field, e
    return e


def new_article(api, **kw):
    body = {"title": "ゴミ箱の記事 " + jm.uniq("t"), "slug": jm.uniq("trash"),
            "body": "本文です。", "status": "published"}
    body.update(kw)
    r = api.post(ARTS, body)
    assert r.status == 201, r.text
    return r.json()


def new_list(api, **kw):
    body = {"name": "ゴミ箱便 " + jm.uniq("n"), "slug": jm.uniq("tlist")}
    body.update(kw)
    r = api.post(LISTS, body)
    assert r.status == 201, r.text
    return r.json()


def trash_items(api):
    r = api.get("/api/v1/trash")
    assert r.status == 200, r.text
    return {(i["kind"], i["id"]): i for i in r.json()["items"]}


# ---- articles ----

def test_trashed_article_is_not_served_and_comes_back(server, api):
    a = new_article(api)
    web = server.client()
    path = "/articles/" + a["slug"]
    assert web.get(path).status == 200
    assert web.get(path).status == 200  # now cached
    r = api.delete("%s/%d" % (ARTS, a["id"]))
    assert r.status == 204, r.text
    assert web.get(path).status == 404, "the cached page must drop at once"
    assert a["slug"] not in web.get("/").text
    assert a["slug"] not in web.get("/feed.xml").text
    err_of(api.get("%s/%d" % (ARTS, a["id"])), 404)
    err_of(api.patch("%s/%d" % (ARTS, a["id"]), {"title": "x"}), 404)
    err_of(api.delete("%s/%d" % (ARTS, a["id"])), 404)
    assert a["id"] not in [x["id"] for x in api.get(ARTS + "?per_page=100").json()["items"]]
    item = trash_items(api)[("article", a["id"])]
    assert item["slug"] == a["slug"] and item["title"] == a["title"]
    assert item["purge_at"] > item["trashed_at"]
    r = api.post("%s/%d/restore" % (ARTS, a["id"]), {})
    assert r.status == 200, r.text
    assert web.get(path).status == 200
    back = api.get("%s/%d" % (ARTS, a["id"])).json()
    assert back["slug"] == a["slug"] and back["status"] == "published"
    assert ("article", a["id"]) not in trash_items(api)


def test_restore_with_a_taken_slug_asks_for_a_new_one(server, api):
    a = new_article(api, body="元の記事")
    assert api.delete("%s/%d" % (ARTS, a["id"])).status == 204
    other = new_article(api, slug=a["slug"], body="後から来た記事")  # the slug is free again
    e = err_of(api.post("%s/%d/restore" % (ARTS, a["id"]), {}), 409, "slug")
    assert "new slug" in e["message"] and a["slug"] in e["message"]
    err_of(api.post("%s/%d/restore" % (ARTS, a["id"]), {"slug": "bad/slug"}), 422, "slug")
    err_of(api.post("%s/%d/restore" % (ARTS, a["id"]), {"slug": 5}), 422, "slug")
    assert ("article", a["id"]) in trash_items(api), "a refused restore changes nothing"
    new_slug = a["slug"] + "-old"
    r = api.post("%s/%d/restore" % (ARTS, a["id"]), {"slug": new_slug})
    assert r.status == 200, r.text
    web = server.client()
    assert "元の記事" in web.get("/articles/" + new_slug).text
    assert "後から来た記事" in web.get("/articles/" + other["slug"]).text


def test_restore_refusals(api):
    a = new_article(api)
    err_of(api.post("%s/%d/restore" % (ARTS, a["id"]), {}), 404)  # not in the trash
    err_of(api.post("%s/999999/restore" % ARTS, {}), 404)
    err_of(api.post("%s/999999/restore" % LISTS, {}), 404)
    err_of(api.post("%s/999999/restore" % BCS, {}), 404)
    err_of(api.delete("%s/999999" % BCS), 404)


def test_admin_trash_page_and_slug_form(server, admin, api):
    a = new_article(api, title="管理画面から消す記事")
    page = admin.get("/admin/articles/%d" % a["id"]).text
    form = jm.find_form(page, action="/admin/articles/%d/delete" % a["id"])
    assert "ゴミ箱" in page and "元に戻せません" not in page
    r = admin.submit(form)
    assert r.status == 200 and "/admin/articles" in r.url
    r = admin.get("/admin/trash")
    assert r.status == 200 and "管理画面から消す記事" in r.text
    new_article(api, slug=a["slug"])
    form = jm.find_form(r.text, action="/admin/trash/articles/%d/restore" % a["id"])
    r = admin.submit(form)
    assert r.status == 409
    assert "新しいスラッグ" in r.text and 'name="slug"' in r.text
    form = jm.find_form(r.text, action="/admin/trash/articles/%d/restore" % a["id"])
    form.page = server.url("/admin/trash")
    r = admin.submit(form, {"slug": "管理-復元"})
    assert r.status == 200 and "元に戻しました" in r.text, r.text[:2000]
    assert api.get("%s/%d" % (ARTS, a["id"])).json()["slug"] == "管理-復元"


# ---- lists ----

def test_trashed_list_takes_no_signups_and_keeps_its_subscriptions(server, api):
    lst = new_list(api)
    lid = lst["id"]
    for i in range(3):
        assert api.post(SUBS, {"list_id": lid, "email": "%s@example.jp" % jm.uniq("r")}).status == 201
    before = jm.qall(server.data_dir, "SELECT id, status FROM subscriptions WHERE list_id = ? "
                     "ORDER BY id", lid)
    assert len(before) == 3
    r = api.delete("%s/%d" % (LISTS, lid))
    assert r.status == 204, r.text
    err_of(api.get("%s/%d" % (LISTS, lid)), 404)
    assert lid not in [x["id"] for x in api.get(LISTS).json()["items"]]
    # No sign-up, no subscriber, no broadcast: a trashed list sends nothing.
    err_of(api.post(SUBS, {"list_id": lid, "email": "late@example.jp"}), 422, "list_id")
    err_of(api.post(BCS, {"list_id": lid, "subject": "届かない号"}), 422, "list_id")
    web = server.client()
    assert lst["slug"] not in web.get("/subscribe").text
    assert trash_items(api)[("list", lid)]["slug"] == lst["slug"]
    r = api.post("%s/%d/restore" % (LISTS, lid), {})
    assert r.status == 200, r.text
    after = jm.qall(server.data_dir, "SELECT id, status FROM subscriptions WHERE list_id = ? "
                    "ORDER BY id", lid)
    assert after == before
    assert api.get("%s/%d" % (LISTS, lid)).json()["slug"] == lst["slug"]


def test_list_restore_slug_conflict_and_list_in_use(api):
    lst = new_list(api)
    assert api.delete("%s/%d" % (LISTS, lst["id"])).status == 204
    new_list(api, slug=lst["slug"])
    e = err_of(api.post("%s/%d/restore" % (LISTS, lst["id"]), {}), 409, "slug")
    assert "new slug" in e["message"]
    r = api.post("%s/%d/restore" % (LISTS, lst["id"]), {"slug": lst["slug"] + "-2"})
    assert r.status == 200, r.text
    # A list with a broadcast outside the trash is not trashed; said why.
    b = api.post(BCS, {"list_id": lst["id"], "subject": "下書き"}).json()
    e = err_of(api.delete("%s/%d" % (LISTS, lst["id"])), 409)
    assert "broadcast" in e["message"]
    assert api.delete("%s/%d" % (BCS, b["id"])).status == 204
    assert api.delete("%s/%d" % (LISTS, lst["id"])).status == 204
    # Its broadcast comes back only after the list.
    e = err_of(api.post("%s/%d/restore" % (BCS, b["id"]), {}), 409)
    assert "list" in e["message"]
    assert api.post("%s/%d/restore" % (LISTS, lst["id"]), {}).status == 200
    assert api.post("%s/%d/restore" % (BCS, b["id"]), {}).status == 200
    assert api.get("%s/%d" % (BCS, b["id"])).json()["status"] == "draft"


# ---- broadcasts ----

def test_unsent_broadcast_to_trash_and_back_sent_one_refused(server, api):
    lst = new_list(api)
    b = api.post(BCS, {"list_id": lst["id"], "subject": "消す号"}).json()
    r = api.delete("%s/%d" % (BCS, b["id"]))
    assert r.status == 204, r.text
    err_of(api.get("%s/%d" % (BCS, b["id"])), 404)
    err_of(api.post("%s/%d/send" % (BCS, b["id"]), {}), 404)
    assert b["id"] not in [x["id"] for x in api.get(BCS + "?per_page=100").json()["items"]]
    assert trash_items(api)[("broadcast", b["id"])]["title"] == "消す号"
    assert api.post("%s/%d/restore" % (BCS, b["id"]), {}).status == 200
    assert api.get("%s/%d" % (BCS, b["id"])).json()["subject"] == "消す号"
    sent = api.post(BCS, {"list_id": lst["id"], "subject": "送った号"}).json()
    db = jm.nl_db(server.data_dir)
    db.execute("UPDATE broadcasts SET status = 'sent' WHERE id = ?", (sent["id"],))
    db.close()
    e = err_of(api.delete("%s/%d" % (BCS, sent["id"])), 409, "status")
    assert "history" in e["message"]
    assert api.get("%s/%d" % (BCS, sent["id"])).json()["status"] == "sent"


def test_admin_broadcast_delete(server, admin, api):
    lst = new_list(api)
    b = api.post(BCS, {"list_id": lst["id"], "subject": "管理で消す号"}).json()
    page = admin.get("/admin/broadcasts/%d" % b["id"]).text
    form = jm.find_form(page, action="/admin/broadcasts/%d/delete" % b["id"])
    r = admin.submit(form)
    assert r.status == 200 and "ゴミ箱" in r.text
    assert "管理で消す号" in admin.get("/admin/trash").text
    form = jm.find_form(admin.get("/admin/trash").text,
                        action="/admin/trash/broadcasts/%d/restore" % b["id"])
    assert admin.submit(form).status == 200
    assert api.get("%s/%d" % (BCS, b["id"])).status == 200


def test_editor_cannot_restore_a_list(server, api):
    server.add_user("trash-editor@example.com", "a-long-password", role="editor")
    c = server.client()
    from conftest import login
    login(c, "trash-editor@example.com", "a-long-password")
    lst = new_list(api)
    assert api.delete("%s/%d" % (LISTS, lst["id"])).status == 204
    form = jm.find_form(c.get("/admin/trash").text,
                        action="/admin/trash/lists/%d/restore" % lst["id"])
    assert c.submit(form).status == 403
    assert ("list", lst["id"]) in trash_items(api)


# ---- the purge ----

def test_purge_after_30_days(make_server):
    s = make_server()
    s.add_user("purge@example.com", "a-long-password")
    token = s.create_token()
    api = jm.Api(s.base, token)
    old_art, new_art = new_article(api), new_article(api)
    old_list, new_list_ = new_list(api), new_list(api)
    sub = api.post(SUBS, {"list_id": old_list["id"], "email": "gone@example.jp"})
    assert sub.status == 201
    old_bc = api.post(BCS, {"list_id": new_list_["id"], "subject": "古い号"}).json()
    for path in ("%s/%d" % (ARTS, old_art["id"]), "%s/%d" % (ARTS, new_art["id"]),
                 "%s/%d" % (LISTS, old_list["id"]), "%s/%d" % (BCS, old_bc["id"])):
        assert api.delete(path).status == 204, path
    now = int(time.time())
    db = jm.nl_db(s.data_dir)
    db.execute("UPDATE articles SET trashed_at = ? WHERE id = ?", (now - 31 * DAY, old_art["id"]))
    db.execute("UPDATE articles SET trashed_at = ? WHERE id = ?", (now - 29 * DAY, new_art["id"]))
    db.execute("UPDATE lists SET trashed_at = ? WHERE id = ?", (now - 30 * DAY - 60, old_list["id"]))
    db.execute("UPDATE broadcasts SET trashed_at = ? WHERE id = ?", (now - 40 * DAY, old_bc["id"]))
    db.close()
    s.stop()
    s.start()  # the first tick after a start runs the hourly purge
    api = jm.Api(s.base, token)
    q = lambda sql, i: jm.q1(s.data_dir, sql, i)  # noqa: E731
    jm.wait_until(lambda: q("SELECT count(*) FROM articles WHERE id = ?", old_art["id"]) == 0,
                  what="the 31-day-old article to be purged")
    jm.wait_until(lambda: q("SELECT count(*) FROM lists WHERE id = ?", old_list["id"]) == 0,
                  what="the old list to be purged")
    assert q("SELECT count(*) FROM broadcasts WHERE id = ?", old_bc["id"]) == 0
    assert q("SELECT count(*) FROM subscriptions WHERE list_id = ?", old_list["id"]) == 0
    assert q("SELECT count(*) FROM article_revisions WHERE article_id = ?", old_art["id"]) == 0
    assert q("SELECT count(*) FROM articles WHERE id = ?", new_art["id"]) == 1
    assert q("SELECT count(*) FROM lists WHERE id = ?", new_list_["id"]) == 1
    items = trash_items(api)
    assert ("article", new_art["id"]) in items and ("article", old_art["id"]) not in items
    assert api.post("%s/%d/restore" % (ARTS, new_art["id"]), {}).status == 200


def test_people_are_still_erased_not_trashed(server, api):
    lst = new_list(api)
    s = api.post(SUBS, {"list_id": lst["id"], "email": "erase-me@example.jp"}).json()
    r = api.delete("/api/v1/people/%d" % s["person_id"])
    assert r.status == 204, r.text
    assert jm.q1(server.data_dir, "SELECT count(*) FROM people WHERE id = ?", s["person_id"]) == 0
    assert ("person", s["person_id"]) not in trash_items(api)


# ---- several nodes ----

from test_nodes import UA, nodes, shared_db  # noqa: E402,F401 — fixtures: one database, nodes A and B


def test_trashed_article_drops_from_every_nodes_cache(nodes):  # noqa: F811
    a, b = nodes.start("a"), nodes.start("b")
    api_a = jm.Api(a.base, nodes.cli("a", "token", "create", "--name", "a")
                   .stdout.strip().splitlines()[-1])
    slug = jm.uniq("node-trash")
    art = api_a.publish(title=slug, slug=slug)
    web_b = b.client(headers=UA)
    jm.wait_until(lambda: web_b.get("/articles/" + slug).status == 200,
                  what="B serving the article")
    assert web_b.get("/articles/" + slug).status == 200  # cached on B now
    assert api_a.delete("%s/%d" % (ARTS, art["id"])).status == 204
    jm.wait_until(lambda: web_b.get("/articles/" + slug).status == 404,
                  what="B dropping the trashed article from its cache")
    assert slug not in web_b.get("/").text
