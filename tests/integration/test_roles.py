"""Roles, route by route (issue 8, defect 13). Editors write articles, draft
broadcasts, keep people and answer the inbox; the owner alone erases people
and readers, exports, deletes lists, sends (or schedules, resumes, cancels)
to a list, merges people and manages settings and API tokens. The rule lives
in one role table per surface (src/admin/render.c admin_roles, src/api/api.c
api_roles); these tables walk every owner-only entry as an editor (403, and
nothing changed) and as the owner (allowed), then the editor's own work."""
import hashlib
import os
import secrets
import time

import pytest

import jm
from conftest import login

EDITOR_EMAIL = "editor@example.com"
EDITOR_PASSWORD = "editor password 123"


@pytest.fixture(scope="module")
def editor(server, owner):
    server.add_user(EDITOR_EMAIL, EDITOR_PASSWORD, role="editor", name="編集者")
    c = server.client()
    r = login(c, EDITOR_EMAIL, EDITOR_PASSWORD)
    assert r.status == 200 and "/admin/login" not in r.url, r.text[:2000]
    return c


def token_for(server, email):
    """A token bound to a user, stored the way auth/token.c stores one."""
    with open(os.path.join(server.data_dir, "secret"), "rb") as f:
        secret = f.read()
    tok = "jm_" + secrets.token_urlsafe(32)
    h = hashlib.blake2b(("api:" + tok).encode(), key=secret, digest_size=32).hexdigest()
    db = jm.nl_db(server.data_dir)
    uid = db.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()[0]
    db.execute("INSERT INTO api_tokens(name, token_hash, prefix, user_id, created_at) "
               "VALUES (?, ?, ?, ?, ?)", ("t-" + email, h, tok[:10], uid, int(time.time())))
    db.close()
    return tok


@pytest.fixture(scope="module")
def editor_api(server, editor):
    return jm.Api(server.base, token_for(server, EDITOR_EMAIL))


@pytest.fixture(scope="module")
def owner_api(server, owner):
    return jm.Api(server.base, token_for(server, "owner@example.com"))


def q(server, sql, *args):
    return jm.q1(server.data_dir, sql, *args)


def csrf(client):
    r = client.get("/admin/articles/new")
    assert r.status == 200
    return jm.csrf_of(r.text)


class World:
    """Fresh objects for one row: a list with two readers, two people and
    a draft broadcast."""

    def __init__(self, server):
        db = jm.nl_db(server.data_dir)
        tag = jm.uniq("r")
        self.lid = jm.nl_list(db, tag, "役割テスト")
        subs = jm.nl_subscribers(db, self.lid, [("a-%s@example.com" % tag, "甲", {}, []),
                                                ("b-%s@example.com" % tag, "乙", {}, [])])
        self.pids = [db.execute("SELECT person_id FROM subscriptions WHERE id = ?",
                                (sid,)).fetchone()[0] for sid in subs.values()]
        now = int(time.time())
        self.bid = db.execute(
            "INSERT INTO broadcasts(list_id, subject, body_md, status, created_at, updated_at) "
            "VALUES (?, '件名', '本文', 'draft', ?, ?) RETURNING id",
            (self.lid, now, now)).fetchone()[0]
        self.token_id = db.execute(
            "INSERT INTO api_tokens(name, token_hash, prefix, created_at) "
            "VALUES ('victim', ?, 'jm_victim', ?) RETURNING id",
            (secrets.token_hex(32), now)).fetchone()[0]
        db.close()


def bare_list(server):
    db = jm.nl_db(server.data_dir)
    lid = jm.nl_list(db, jm.uniq("bare"), "空のリスト")
    db.close()
    return lid


def state(server, w):
    """Everything an owner-only route could change."""
    return (q(server, "SELECT count(*) FROM lists WHERE id = ?", w.lid),
            q(server, "SELECT count(*) FROM people WHERE id IN (?, ?)", *w.pids),
            q(server, "SELECT count(*) FROM subscriptions WHERE list_id = ? AND status = 'active'",
              w.lid),
            q(server, "SELECT status || coalesce(CAST(scheduled_at AS TEXT), '') FROM broadcasts "
              "WHERE id = ?", w.bid),
            q(server, "SELECT count(*) FROM broadcasts"),
            q(server, "SELECT count(*) FROM api_tokens"),
            q(server, "SELECT value FROM settings WHERE key = 'title'"))


LATER = time.strftime("%Y-%m-%dT%H:%M", time.localtime(time.time() + 30 * 86400))

# (method, path template, form) — every owner-only admin route of admin_roles.
ADMIN_OWNER_ONLY = [
    ("GET", "/admin/settings", None),
    ("POST", "/admin/settings", {"title": "乗っ取り"}),
    ("GET", "/admin/tokens", None),
    ("POST", "/admin/tokens", {"name": "editor-made"}),
    ("POST", "/admin/tokens/{token_id}/revoke", {}),
    ("POST", "/admin/lists/{lid}/delete", {"confirm": "1"}),
    ("GET", "/admin/lists/{lid}/export.csv", None),
    ("GET", "/admin/people/export.csv", None),
    ("GET", "/admin/people/export.vcf", None),
    ("POST", "/admin/people/{pid0}/delete", {"confirm": "1"}),
    ("POST", "/admin/people/{pid0}/merge", {"other": "{pid1}", "confirm": "1"}),
    ("POST", "/admin/subscribers/bulk", {"op": "erase", "ids": "{pid0}", "confirm": "1",
                                         "back": "/admin/subscribers"}),
    ("POST", "/admin/broadcasts", {"action": "send", "list": "{lid}", "subject": "s",
                                   "body": "b"}),
    ("POST", "/admin/broadcasts", {"action": "schedule", "list": "{lid}", "subject": "s",
                                   "body": "b", "scheduled_at": LATER}),
    ("POST", "/admin/broadcasts/{bid}", {"action": "send", "list": "{lid}", "subject": "s",
                                         "body": "b"}),
    ("POST", "/admin/broadcasts/{bid}", {"action": "schedule", "list": "{lid}",
                                         "subject": "s", "body": "b",
                                         "scheduled_at": LATER}),
    ("POST", "/admin/broadcasts/{bid}/resume", {}),
    ("POST", "/admin/broadcasts/{bid}/cancel", {}),
]


def fill(s, w):
    return s.format(lid=w.lid, bid=w.bid, token_id=w.token_id, pid0=w.pids[0], pid1=w.pids[1])


def admin_call(client, method, path, form, w):
    path = fill(path, w)
    if method == "GET":
        return client.get(path, follow=False)
    data = {k: fill(v, w) for k, v in form.items()}
    data["_csrf"] = csrf(client)
    return client.post(path, form=data, follow=False)


@pytest.mark.parametrize("method,path,form", ADMIN_OWNER_ONLY,
                         ids=["%s %s %s" % (m, p, (f or {}).get("action", (f or {}).get("op", "")))
                              for m, p, f in ADMIN_OWNER_ONLY])
def test_admin_owner_only_route(server, admin, editor, method, path, form):
    w = World(server)
    before = state(server, w)
    r = admin_call(editor, method, path, form, w)
    assert r.status == 403, "editor got %s on %s %s" % (r.status, method, path)
    assert "オーナー" in r.text or "owner" in r.text.lower()
    assert state(server, w) == before, "an editor's refused request changed something"
    r = admin_call(admin, method, path, form, w)
    assert r.status != 403, "the owner was refused %s %s: %s" % (method, path, r.text[:500])
    assert r.status < 500, r.text[:1000]


def schedule(server, bid):
    db = jm.nl_db(server.data_dir)
    db.execute("UPDATE broadcasts SET status = 'scheduled', scheduled_at = ? WHERE id = ?",
               (int(time.time()) + 30 * 86400, bid))
    db.close()


def test_editor_cannot_rewrite_a_scheduled_broadcast(server, admin, editor, editor_api):
    """Editing a scheduled broadcast changes mail that goes out to a list:
    the owner's; a draft stays the editor's to edit."""
    w = World(server)
    form = {"action": "save", "list": "{lid}", "subject": "書き換え", "body": "書き換え"}
    r = admin_call(editor, "POST", "/admin/broadcasts/{bid}", form, w)
    assert r.status in (200, 303), r.text[:1000]
    assert q(server, "SELECT subject FROM broadcasts WHERE id = ?", w.bid) == "書き換え"
    assert editor_api.patch("/api/v1/broadcasts/%d" % w.bid, {"subject": "API"}).status == 200
    schedule(server, w.bid)
    form["subject"] = "乗っ取り"
    r = admin_call(editor, "POST", "/admin/broadcasts/{bid}", form, w)
    assert r.status == 403
    r = editor_api.patch("/api/v1/broadcasts/%d" % w.bid, {"subject": "乗っ取り"})
    assert r.status == 403
    assert q(server, "SELECT subject FROM broadcasts WHERE id = ?", w.bid) == "API"
    r = admin_call(admin, "POST", "/admin/broadcasts/{bid}", form, w)
    assert r.status in (200, 303), r.text[:1000]
    assert q(server, "SELECT subject FROM broadcasts WHERE id = ?", w.bid) == "乗っ取り"


def test_owner_changes_really_happen(server, admin):
    """A few of the rows above, checked for their effect as the owner."""
    w = World(server)
    w.lid = bare_list(server)  # a list with broadcasts cannot be deleted (409)
    assert admin_call(admin, "POST", "/admin/lists/{lid}/delete", {"confirm": "1"},
                      w).status == 303
    # deleting moves the list to the trash (issue 10)
    assert q(server, "SELECT count(*) FROM lists WHERE id = ? AND trashed_at IS NULL", w.lid) == 0
    assert admin_call(admin, "POST", "/admin/people/{pid0}/delete", {"confirm": "1"},
                      w).status == 303
    assert q(server, "SELECT count(*) FROM people WHERE id = ?", w.pids[0]) == 0
    assert admin_call(admin, "POST", "/admin/tokens/{token_id}/revoke", {}, w).status == 303
    assert q(server, "SELECT count(*) FROM api_tokens WHERE id = ?", w.token_id) == 0
    r = admin_call(admin, "GET", "/admin/people/export.csv", None, w)
    assert r.status == 200 and "@example.com" in r.text


EDITOR_ALLOWED_GET = ["/admin", "/admin/articles", "/admin/articles/new", "/admin/people",
                      "/admin/people/new", "/admin/subscribers", "/admin/lists",
                      "/admin/broadcasts", "/admin/broadcasts/new", "/admin/inbox",
                      "/admin/reports", "/admin/imports/new", "/admin/people/import"]


@pytest.mark.parametrize("path", EDITOR_ALLOWED_GET)
def test_editor_reads_their_pages(editor, path):
    r = editor.get(path)
    assert r.status == 200, (path, r.status)


def test_editor_writes_articles_and_drafts(server, editor):
    w = World(server)
    n = q(server, "SELECT count(*) FROM articles")
    r = editor.post("/admin/articles", form={"_csrf": csrf(editor), "title": "編集者の記事",
                                              "body": "本文", "action": "draft"})
    assert r.status == 200 and q(server, "SELECT count(*) FROM articles") == n + 1
    n = q(server, "SELECT count(*) FROM broadcasts")
    r = editor.post("/admin/broadcasts", form={"_csrf": csrf(editor), "action": "save",
                                                "list": str(w.lid), "subject": "下書き",
                                                "body": "本文"})
    assert r.status == 200, r.text[:2000]
    assert q(server, "SELECT count(*) FROM broadcasts") == n + 1
    r = editor.post("/admin/subscribers/bulk",
                    form={"_csrf": csrf(editor), "op": "tag", "tag": "編集者タグ",
                          "ids": str(w.pids[0]), "back": "/admin/subscribers"})
    assert r.status == 200
    assert q(server, "SELECT count(*) FROM person_tags WHERE person_id = ? AND tag = ?",
             w.pids[0], "編集者タグ") == 1
    r = editor.post("/admin/broadcasts/%d/pause" % w.bid, form={"_csrf": csrf(editor)},
                    follow=False)
    assert r.status != 403  # pausing stops mail: anyone may


def test_editor_sees_no_owner_buttons(server, editor, admin):
    w = World(server)
    pages = {
        "/admin": ['href="/admin/settings"', 'href="/admin/tokens"'],
        "/admin/lists/%d" % w.lid: ['/admin/lists/%d/delete' % w.lid, 'export.csv'],
        "/admin/subscribers": ['value="erase"'],
        "/admin/people/%d" % w.pids[0]: ['id="merge-form"', 'id="delete-form"'],
        "/admin/people/import": ['export.csv', 'export.vcf'],
        "/admin/broadcasts/%d" % w.bid: ['value="send"', 'value="schedule"'],
    }
    for path, needles in pages.items():
        mine = editor.get(path)
        assert mine.status == 200, path
        theirs = admin.get(path)
        for n in needles:
            assert n in theirs.text, "owner should see %s on %s" % (n, path)
            assert n not in mine.text, "editor sees %s on %s" % (n, path)


# (method, path, json) — every owner-only API route of api_roles.
API_OWNER_ONLY = [
    ("DELETE", "/api/v1/people/{pid0}", None),
    ("POST", "/api/v1/people/{pid0}/merge", {"from": "{pid1}"}),
    ("DELETE", "/api/v1/lists/{lid}", None),
    ("GET", "/api/v1/subscribers", None),
    ("POST", "/api/v1/subscribers/bulk", {"op": "erase", "person_ids": ["{pid0}"]}),
    ("POST", "/api/v1/broadcasts/{bid}/send", {}),
    ("POST", "/api/v1/broadcasts/{bid}/resume", {}),
    ("POST", "/api/v1/broadcasts/{bid}/cancel", {}),
]


def fill_json(obj, w):
    if isinstance(obj, dict):
        return {k: fill_json(v, w) for k, v in obj.items()}
    if isinstance(obj, list):
        return [fill_json(v, w) for v in obj]
    if isinstance(obj, str):
        v = fill(obj, w)
        return int(v) if v.isdigit() else v
    return obj


def api_call(api, method, path, body, w):
    path = fill(path, w)
    if method == "GET":
        return api.get(path)
    if method == "DELETE":
        return api.delete(path)
    return api.post(path, fill_json(body, w))


@pytest.mark.parametrize("method,path,body", API_OWNER_ONLY,
                         ids=["%s %s" % (m, p) for m, p, _ in API_OWNER_ONLY])
def test_api_owner_only_route(server, editor_api, owner_api, method, path, body):
    w = World(server)
    before = state(server, w)
    r = api_call(editor_api, method, path, body, w)
    assert r.status == 403, "editor token got %s on %s %s" % (r.status, method, path)
    assert r.json()["error"]["code"] == "forbidden"
    assert state(server, w) == before
    r = api_call(owner_api, method, path, body, w)
    assert r.status != 403 and r.status < 500, (method, path, r.status, r.body[:500])


def test_api_editor_token_does_editor_work(server, editor_api):
    w = World(server)
    r = editor_api.post("/api/v1/articles", {"title": "APIの記事", "body": "本文"})
    assert r.status == 201, r.body[:500]
    r = editor_api.get("/api/v1/people")
    assert r.status == 200
    r = editor_api.post("/api/v1/subscribers/bulk",
                        {"op": "tag", "tag": "api-tag", "person_ids": [w.pids[0]]})
    assert r.status == 200, r.body[:500]
    r = editor_api.post("/api/v1/broadcasts",
                        {"list_id": w.lid, "subject": "API下書き", "body": "本文"})
    assert r.status == 201, r.body[:500]


def test_cli_token_is_the_owners(server, api):
    assert api.delete("/api/v1/lists/%d" % bare_list(server)).status in (200, 204)


# ---- raw HTML is the owner's (defect 8): the public page of an article ----

RAW = 'ふつうの本文。\n\n<div class="raw-mark"><img src="x" onerror="alert(1)"></div>\n'


def raw_html_on(server):
    db = jm.nl_db(server.data_dir)
    jm.nl_settings(db, allow_raw_html="1")
    db.close()


def test_raw_html_renders_only_from_an_owner(server, owner_api, editor_api, admin):
    raw_html_on(server)
    mine = editor_api.publish(title="編集者の生HTML", body=RAW, slug=jm.uniq("ed-raw"))
    theirs = owner_api.publish(title="オーナーの生HTML", body=RAW, slug=jm.uniq("ow-raw"))
    c = server.client()
    ed = c.get("/articles/" + mine["slug"])
    assert ed.status == 200
    assert 'class="raw-mark"' not in ed.text and "onerror" not in ed.text, \
        "an editor's raw HTML reached the public page"
    ow = c.get("/articles/" + theirs["slug"])
    assert 'class="raw-mark"' in ow.text, "the owner's raw HTML is the setting's point"
    # An editor's new body takes the trust away; a status-only change keeps it.
    r = editor_api.patch("/api/v1/articles/%d" % theirs["id"], {"status": "published"})
    assert r.status == 200
    assert 'class="raw-mark"' in c.get("/articles/" + theirs["slug"]).text
    r = editor_api.patch("/api/v1/articles/%d" % theirs["id"], {"body": RAW + "追記"})
    assert r.status == 200
    assert 'class="raw-mark"' not in c.get("/articles/" + theirs["slug"]).text
    # The owner's editor page previews the stored editor body in safe mode.
    page = admin.get("/admin/articles/%d" % theirs["id"])
    assert 'srcdoc="' in page.text and "raw-mark" not in page.text.split('srcdoc="')[1].split('"')[0]


def test_preview_route_is_sandboxed(server, admin, editor):
    raw_html_on(server)
    r = admin.post("/admin/preview", form={"_csrf": csrf(admin), "body": RAW})
    assert r.status == 200
    csp = r.header("content-security-policy")
    assert csp.startswith("sandbox") and "script-src" not in csp and "default-src 'none'" in csp
    assert r.text.startswith("<!doctype html>")
    assert 'class="raw-mark"' in r.text  # the owner's raw HTML, inside the sandbox
    r = editor.post("/admin/preview", form={"_csrf": csrf(editor), "body": RAW})
    assert r.status == 200 and 'class="raw-mark"' not in r.text, "an editor previews safe mode"
