"""The admin UI: first-run setup, sign-in, the failed-login limiter, CSRF,
the article editor, settings, bad form input, the dashboard and the UI
language."""
import re

import pytest

import jm
from conftest import login

JA = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) jinmyaku-tests"}


def error_text(html):
    m = re.search(r'<div[^>]*id="login-error"[^>]*>(.*?)</div>', html, re.S)
    return m.group(1).strip() if m else None


def user_count(server):
    db = jm.db_connect(server.data_dir)
    try:
        return db.execute("SELECT count(*) FROM users").fetchone()[0]
    finally:
        db.close()


def article_id_from(url):
    m = re.search(r"/admin/articles/(\d+)", url)
    assert m, "not an editor URL: " + url
    return int(m.group(1))


# ---- first-run setup ----

def test_setup_only_without_users(make_server):
    s = make_server()
    c = s.client()
    r = c.get("/admin/login")
    assert r.status == 200 and r.url.endswith("/admin/setup"), "login sends a fresh install to setup"
    assert c.get("/admin/").url.endswith(("/admin/login", "/admin/setup"))
    r, form = c.get_form("/admin/setup", action="/admin/setup")
    bad = c.submit(form, {"email": "first@example.com", "name": "最初の人",
                          "password": "a-long-password", "password_confirm": "different-password"})
    assert bad.status == 422
    assert user_count(s) == 0
    r, form = c.get_form("/admin/setup", action="/admin/setup")
    r = c.submit(form, {"email": "first@example.com", "name": "最初の人",
                        "password": "a-long-password", "password_confirm": "a-long-password"})
    assert r.status == 200
    assert re.search(r"/admin/?$", r.url), r.url
    assert c.cookie("jm_session"), "setup signs the new owner in"
    assert user_count(s) == 1
    # Once a user exists the setup page is gone, for GET and POST.
    assert c.get("/admin/setup").status == 404
    other = s.client()
    assert other.get("/admin/setup").status == 404
    lr, lf = other.get_form("/admin/login", field="password")
    r = other.post("/admin/setup", form={"_csrf": lf.get("_csrf"), "email": "second@example.com",
                                         "password": "a-long-password",
                                         "password_confirm": "a-long-password"})
    assert r.status == 404
    assert user_count(s) == 1


def test_setup_is_404_when_owner_exists(server, owner):
    assert server.client().get("/admin/setup").status == 404


# ---- sign-in ----

def test_admin_requires_login(server, owner):
    c = server.client()
    for path in ("/admin/", "/admin/articles", "/admin/settings", "/admin/articles/new"):
        r = c.get(path, follow=False)
        assert r.status in (302, 303), path
        assert r.header("Location").startswith("/admin/login") or "/admin/login" in r.header("Location")


def test_login_sets_safe_session_cookie(server, owner):
    c = server.client()
    _, form = c.get_form("/admin/login", field="password")
    r = c.submit(form, {"email": owner.email, "password": owner.password}, follow=False)
    assert r.status in (302, 303)
    cookies = [h for h in r.header_all("Set-Cookie") if h.startswith("jm_session=")]
    assert len(cookies) == 1
    flags = cookies[0].lower()
    assert "httponly" in flags
    assert "samesite=lax" in flags
    assert "secure" not in flags.replace("samesite", "")  # plain http here


def test_wrong_password_and_unknown_user_look_the_same(server, owner):
    answers = []
    for email, pw in ((owner.email, "wrong-password-123"), ("nobody@example.com", owner.password)):
        c = server.client()
        _, form = c.get_form("/admin/login", field="password")
        r = c.submit(form, {"email": email, "password": pw})
        assert r.status == 401
        assert c.cookie("jm_session") is None, "a failed login set a session cookie"
        msg = error_text(r.text)
        assert msg
        answers.append(msg)
    assert answers[0] == answers[1]


def test_logout(server, owner):
    c = server.client()
    assert login(c, owner.email, owner.password).status == 200
    r, form = c.get_form("/admin/", action="/admin/logout")
    r = c.submit(form)
    assert r.url.endswith("/admin/login")
    assert c.get("/admin/", follow=False).status in (302, 303)


def test_eleventh_failed_login_in_a_minute_is_429(make_server):
    s = make_server()
    s.add_user("limit@example.com", "the-right-password")
    c = s.client()
    _, form = c.get_form("/admin/login", field="password")
    statuses = []
    for i in range(10):
        statuses.append(c.submit(form, {"email": "limit@example.com", "password": "wrong-%d" % i}).status)
    assert statuses == [401] * 10
    r = c.submit(form, {"email": "limit@example.com", "password": "wrong-10"})
    assert r.status == 429, "11th failed login in a minute answered %d" % r.status
    r = c.submit(form, {"email": "limit@example.com", "password": "the-right-password"})
    assert r.status == 429, "blocked address still signs in"
    assert c.cookie("jm_session") is None


# ---- CSRF ----

def test_login_form_needs_csrf(server, owner):
    c = server.client()
    _, form = c.get_form("/admin/login", field="password")
    creds = {"email": owner.email, "password": owner.password}
    assert c.submit(form, creds, drop=("_csrf",)).status == 403
    assert c.submit(form, dict(creds, _csrf="0" * 64)).status == 403
    fresh = server.client()  # a valid token but no pre-session cookie
    assert fresh.post("/admin/login", form=dict(creds, _csrf=form.get("_csrf"))).status == 403
    assert c.cookie("jm_session") is None and fresh.cookie("jm_session") is None


def test_admin_posts_need_csrf(server, admin, api):
    before = api.get("/api/v1/articles").json()["total"]
    _, form = admin.get_form("/admin/articles/new", action="/admin/articles")
    fields = {"title": "CSRFなしの記事", "body": "本文", "action": "publish"}
    assert admin.submit(form, fields, drop=("_csrf",)).status == 403
    assert admin.submit(form, dict(fields, _csrf="deadbeef")).status == 403
    # Another session's valid token does not work here either.
    other = server.client()
    _, oform = other.get_form("/admin/login", field="password")
    assert admin.submit(form, dict(fields, _csrf=oform.get("_csrf"))).status == 403
    assert api.get("/api/v1/articles").json()["total"] == before
    _, sform = admin.get_form("/admin/settings", action="/admin/settings")
    assert admin.submit(sform, {"title": "乗っ取られたサイト", "_csrf": "x"}).status == 403
    assert "乗っ取られたサイト" not in server.client().get("/").text


# ---- articles through the admin forms ----

def test_create_edit_publish_unpublish_through_forms(server, admin):
    web = server.client()
    slug = jm.uniq("admin-form")
    _, form = admin.get_form("/admin/articles/new", action="/admin/articles")
    r = admin.submit(form, {"title": "管理画面で書いた記事", "slug": slug,
                            "body": "## 見出し\n\n管理画面から書いた本文。", "tags": "人脈、出版",
                            "action": "draft"})
    assert r.status == 200
    aid = article_id_from(r.url)
    assert web.get("/articles/" + slug).status == 404, "a draft is not public"
    listing = admin.get("/admin/articles")
    assert "管理画面で書いた記事" in listing.text

    _, form = admin.get_form("/admin/articles/%d" % aid, action="/admin/articles/%d" % aid)
    assert form.get("title") == "管理画面で書いた記事"
    assert form.get("tags") == "人脈, 出版"
    assert form.get("body") == "## 見出し\n\n管理画面から書いた本文。"
    r = admin.submit(form, {"title": "管理画面で公開した記事", "action": "publish"})
    assert r.status == 200
    pub = web.get("/articles/" + slug)
    assert pub.status == 200
    assert "管理画面で公開した記事" in pub.text
    assert "<h2>見出し</h2>" in pub.text
    assert "/tags/%E5%87%BA%E7%89%88" in pub.text or "/tags/出版" in pub.text

    _, form = admin.get_form("/admin/articles/%d" % aid, action="/admin/articles/%d" % aid)
    r = admin.submit(form, {"action": "unpublish"})
    assert r.status == 200
    assert web.get("/articles/" + slug).status == 404

    _, form = admin.get_form("/admin/articles/%d" % aid, action="/admin/articles/%d/delete" % aid)
    r = admin.submit(form)
    assert r.status == 200
    assert admin.get("/admin/articles/%d" % aid).status == 404


def test_editor_validation_keeps_input(server, admin):
    _, form = admin.get_form("/admin/articles/new", action="/admin/articles")
    r = admin.submit(form, {"title": "", "body": "タイトルのない本文", "action": "draft"})
    assert r.status == 422
    assert 'id="title-error"' in r.text
    again = jm.find_form(r.text, action="/admin/articles")
    assert again.get("body") == "タイトルのない本文"
    slug = jm.uniq("taken")
    _, form = admin.get_form("/admin/articles/new", action="/admin/articles")
    assert admin.submit(form, {"title": "一つ目", "slug": slug, "action": "draft"}).status == 200
    _, form = admin.get_form("/admin/articles/new", action="/admin/articles")
    r = admin.submit(form, {"title": "二つ目", "slug": slug, "action": "draft"})
    assert r.status == 409
    assert 'id="slug-error"' in r.text


def test_preview_renders_markdown(server, admin):
    _, form = admin.get_form("/admin/articles/new", action="/admin/articles")
    r = admin.post("/admin/preview", form={"_csrf": form.get("_csrf"),
                                           "body": "## プレビュー見出し\n\n- 項目"})
    assert r.status == 200
    assert "<h2>プレビュー見出し</h2>" in r.text
    assert "<li>項目</li>" in r.text
    r = admin.submit(form, {"title": "プレビュー", "body": "## 本文の見出し", "preview": "1"},
                     drop=("action",))
    assert r.status == 200
    # The no-JS preview is a sandboxed frame's document (srcdoc, escaped).
    assert "&lt;h2&gt;本文の見出し&lt;/h2&gt;" in r.text


# ---- settings ----

def test_settings_save_and_show_on_site(server, admin):
    _, form = admin.get_form("/admin/settings", action="/admin/settings")
    r = admin.submit(form, {"title": "人脈研究所", "description": "出版と採用のための発信"})
    assert r.status == 200
    _, form = admin.get_form("/admin/settings", action="/admin/settings")
    assert form.get("title") == "人脈研究所"
    home = server.client().get("/")
    p = jm.parse_page(home.text)
    assert p.title.strip().startswith("人脈研究所")
    assert "出版と採用のための発信" in home.text
    assert p.meta.get("og:site_name") == "人脈研究所"


def test_settings_reject_bad_values(server, admin):
    _, form = admin.get_form("/admin/settings", action="/admin/settings")
    before = form.get("title")
    r = admin.submit(form, {"title": "変更されないはず", "base_url": "javascript:alert(1)"})
    assert r.status in (400, 422)
    _, form = admin.get_form("/admin/settings", action="/admin/settings")
    assert form.get("title") == before, "a rejected save changed something"


# ---- malformed forms ----

@pytest.mark.parametrize("body", [
    b"title=%FF%FE&action=draft",
    b"title=\xff\xfe&action=draft",
    b"title=%E3%81&action=draft",
    b"title=ok&body=%",
])
def test_invalid_form_encoding_is_400(server, admin, api, body):
    before = api.get("/api/v1/articles").json()["total"]
    _, form = admin.get_form("/admin/articles/new", action="/admin/articles")
    full = b"_csrf=" + form.get("_csrf").encode() + b"&" + body
    r = admin.post("/admin/articles", body=full,
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 400
    assert api.get("/api/v1/articles").json()["total"] == before


# ---- dashboard ----

def stat(html, sid):
    m = re.search(r'id="%s"[^>]*>\s*([0-9,]+)\s*<' % sid, html)
    assert m, "no #%s on the dashboard" % sid
    return int(m.group(1).replace(",", ""))


def test_dashboard_chart_and_view_counts(server, admin, api):
    a = api.publish(title="ダッシュボードで数える記事", slug=jm.uniq("dash"))
    r = admin.get("/admin/")
    assert r.status == 200
    assert re.search(r"<svg\b", r.text)
    before = stat(r.text, "stat-views")
    reader = server.client(headers=BROWSER)
    for _ in range(3):
        assert reader.get("/articles/" + a["slug"]).status == 200

    def counted():
        page = admin.get("/admin/").text
        return page if stat(page, "stat-views") >= before + 3 else None

    page = jm.wait_until(counted, 45, interval=1.0, what="page views on the dashboard")
    assert "/articles/" + a["slug"] in page, "top paths list the article"
    assert stat(page, "stat-published") >= 1


# ---- language ----

def test_admin_language_follows_accept_language(server, owner):
    ja = server.client().get("/admin/login")
    en = server.client(headers={"Accept-Language": "en-US,en;q=0.9"}).get("/admin/login")
    assert jm.parse_page(ja.text).html_lang == "ja"
    assert jm.parse_page(en.text).html_lang == "en"
    btn = lambda html: re.search(r'id="login-submit"[^>]*>(.*?)</button>', html, re.S).group(1)
    assert JA.search(btn(ja.text)), "default UI is Japanese"
    assert not JA.search(btn(en.text)), "Accept-Language: en gives English"
    c = server.client(headers={"Accept-Language": "en"})
    assert login(c, owner.email, owner.password).status == 200
    dash = c.get("/admin/")
    assert jm.parse_page(dash.text).html_lang == "en"
    assert not JA.search(re.search(r"<h1>(.*?)</h1>", dash.text, re.S).group(1))
