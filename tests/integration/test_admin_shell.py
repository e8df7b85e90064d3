"""The admin's daily-work fixes of issue 10 that live on the server: the
inbox search covers every tab (a message answered a minute ago is found
under 返信済み, not lost), a tab chosen after a search narrows it; a reply's
mail quotes the original below the owner's text (the stored reply does
not); the settings page groups its sections as tabs and puts each error
beside its field (aria-invalid, aria-describedby), in Japanese and
English; every admin page has a skip link and a labelled menu button."""
import re
import time
from urllib.parse import quote

import jm
from conftest import login
from test_inbox import env, ids_in_list, mails_to, reply, send_message  # noqa: F401 (fixture)


def test_inbox_search_finds_messages_in_every_tab(env):
    tag = jm.uniq("探す")
    a, _ = send_message(env, subject="新着の相談 " + tag)
    b, _ = send_message(env, subject="返信した相談 " + tag)
    c, _ = send_message(env, subject="保管した相談 " + tag)
    assert reply(env, b, "Re: 返信した相談", "お返事です。").status == 303
    env["db"].execute("UPDATE messages SET status = 'archived' WHERE id = ?", (c,))
    r = env["admin"].get("/admin/inbox?q=" + quote(tag))
    assert r.status == 200
    assert sorted(ids_in_list(r.text)) == sorted([a, b, c])
    assert 'id="tab-all" href="/admin/inbox?status=all&amp;q=' in r.text.replace("&q=", "&amp;q=") or \
        re.search(r'id="tab-all"[^>]*class="active"', r.text)
    # The search form searches all tabs (no hidden status pins it).
    form = r.text.split('id="inbox-search"')[1].split("</form>")[0]
    assert 'name="status"' not in form
    # A tab chosen after the search narrows it.
    assert ids_in_list(env["admin"].get("/admin/inbox?status=replied&q=" + quote(tag)).text) == [b]
    assert ids_in_list(env["admin"].get("/admin/inbox?status=new&q=" + quote(tag)).text) == [a]
    # Without a search the default tab is still 新着.
    assert re.search(r'id="tab-new"[^>]*class="active"', env["admin"].get("/admin/inbox").text)


def test_reply_mail_quotes_the_original(env):
    mid, addr = send_message(env, name="引用 花子", subject="引用のテスト",
                             message="一行目です。\r\n\r\n三行目です。")
    assert reply(env, mid, "Re: 引用のテスト", "ご連絡ありがとうございます。").status == 303
    (_, m), = mails_to(env["cap"], addr, 1)
    text = m.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "ご連絡ありがとうございます。\n\n引用 花子 <%s>:\n> 一行目です。\n>\n> 三行目です。\n" % addr in text, text
    stored = env["db"].execute("SELECT body FROM message_replies WHERE message_id = ?", (mid,)).fetchone()[0]
    assert stored == "ご連絡ありがとうございます。"


def test_settings_tabs_and_errors_beside_the_field(server, admin):
    r = admin.get("/admin/settings")
    assert r.status == 200
    tabs = re.search(r'<nav class="tabs" id="settings-tabs" data-tabs[^>]*>(.*?)</nav>', r.text, re.S)
    assert tabs, r.text[:3000]
    links = re.findall(r'<a href="#(group-[\w-]+)" id="tab-[\w-]+">', tabs.group(1))
    assert len(links) >= 3
    for g in links:
        assert 'id="%s" aria-labelledby="tab-' % g in r.text
    _, form = admin.get_form("/admin/settings", field="base_url")
    r = admin.submit(form, {"base_url": "ftp://nope", "mail_from_addr": "not-an-address"})
    assert r.status == 422
    # The error stands in the field's own block, tied to its input.
    m = re.search(r'<div class="field has-error">(.*?)</div>', r.text, re.S)
    assert m, r.text[:5000]
    block = m.group(1)
    fid = re.search(r'id="(set-[\w]+)" aria-invalid="true" aria-describedby="(set-[\w]+)-error"', block)
    assert fid and fid.group(1) == fid.group(2), block
    assert 'class="field-error" id="%s-error"' % fid.group(1) in block
    err = re.search(r'class="field-error" id="[\w-]+">([^<]+)<', block).group(1)
    assert re.search(r"[ぁ-んァ-ン一-龥]", err), err
    # Nothing was saved.
    assert "ftp://nope" not in (jm.q1(server.data_dir, "SELECT value FROM settings WHERE key = 'base_url'") or "")


def test_settings_errors_in_english(server, admin):
    tok = jm.csrf_of(admin.get("/admin/").text)
    admin.post("/admin/lang", form={"_csrf": tok, "lang": "en", "next": "/admin/"})
    try:
        _, form = admin.get_form("/admin/settings", field="base_url")
        r = admin.submit(form, {"base_url": "ftp://nope"})
        assert r.status == 422
        err = re.search(r'<p class="field-error" id="set-base_url-error">([^<]+)<', r.text)
        assert err and not re.search(r"[ぁ-んァ-ン一-龥]", err.group(1)), r.text[:3000]
    finally:
        tok = jm.csrf_of(admin.get("/admin/").text)
        admin.post("/admin/lang", form={"_csrf": tok, "lang": "ja", "next": "/admin/"})


def test_shell_has_skip_link_and_menu_button(server, admin):
    for page in ("/admin/", "/admin/people", "/admin/inbox", "/admin/settings"):
        r = admin.get(page)
        assert r.status == 200
        assert '<a class="skip-link" href="#main" id="skip-link">本文へ移動</a>' in r.text
        assert re.search(r'<a class="menu-btn" id="menu-btn" href="#nav-menu" role="button" '
                         r'aria-controls="nav-menu" aria-expanded="false">', r.text)
        assert 'id="nav-menu"' in r.text and 'id="main" tabindex="-1"' in r.text
    anon = jm.Client(server.base)
    r = anon.get("/admin/login")
    assert 'class="skip-link"' in r.text and 'id="menu-btn"' not in r.text


def steps_done(r):
    return dict((k, v == "1") for k, v in re.findall(r'id="start-(\w+)" data-done="([01])"', r.text))


def test_onboarding_checklist_until_done(make_server):
    srv = make_server()
    srv.add_user("first@example.jp", "first-owner-password", role="owner", name="はじめ")
    srv.add_user("editor@example.jp", "an-editor-password", role="editor", name="編集")
    owner = srv.client()
    assert login(owner, "first@example.jp", "first-owner-password").status == 200
    r = owner.get("/admin/")
    assert 'id="onboarding"' in r.text
    assert steps_done(r) == {"sender": False, "list": False, "dkim": False, "article": False, "signup": False}
    # Each undone step links to where it is done.
    assert re.search(r'id="start-list"[^>]*>.*?href="/admin/lists/new"', r.text, re.S)
    # An editor sees no checklist (the settings are the owner's).
    ed = srv.client()
    assert login(ed, "editor@example.jp", "an-editor-password").status == 200
    assert 'id="onboarding"' not in ed.get("/admin/").text

    api = jm.Api(srv.base, srv.create_token("onboarding"))
    lst = api.post("/api/v1/lists", {"slug": "news", "name": "人脈通信", "public": False}).json()
    api.publish(title="はじめての記事")
    d = steps_done(owner.get("/admin/"))
    assert d["list"] and d["article"] and not d["signup"] and not d["sender"]
    assert api.patch("/api/v1/lists/%d" % lst["id"], {"public": True}).status == 200
    _, form = owner.get_form("/admin/settings", field="base_url")
    r = owner.submit(form, {"mail_from_name": "人脈通信", "mail_from_addr": "news@example.jp",
                            "sender_postal_address": "東京都千代田区1-1", "sender_contact": "info@example.jp"})
    assert r.status == 200, r.text[:2000]
    r = owner.get("/admin/")
    assert steps_done(r) == {"sender": True, "list": True, "dkim": False, "article": True, "signup": True}
    assert 'id="onboarding-left">1<' in r.text
    _, form = owner.get_form("/admin/settings", field="base_url")
    assert owner.submit(form, {"dkim_domain": "example.jp", "dkim_selector": "jm1"}).status == 200
    r = owner.get("/admin/")
    assert r.status == 200 and 'id="onboarding"' not in r.text and 'id="start-' not in r.text


def test_the_owner_is_not_counted_as_a_person(make_server):
    """The funnel counts the people the owner knows, not the owner; the
    map's faint owner edges are explained in its legend."""
    srv = make_server()
    srv.add_user("me@example.jp", "owner-password-1234", role="owner", name="わたし自身")
    c = srv.client()
    assert login(c, "me@example.jp", "owner-password-1234").status == 200
    owner_pid = jm.q1(srv.data_dir, "SELECT person_id FROM users WHERE email = 'me@example.jp'")
    assert owner_pid, "the owner is a person row (for the map's centre)"
    r = c.get("/admin/reports")
    counts = {s: int(re.search(r'id="count-%s">(\d+)<' % s, r.text).group(1))
              for s in ("reader", "fan", "acquaintance", "network")}
    assert counts == {"reader": 0, "fan": 0, "acquaintance": 0, "network": 0}, counts
    api = jm.Api(srv.base, srv.create_token("funnel"))
    assert api.post("/api/v1/people", {"name": "人脈の人", "stage": "network"}).status == 201
    r = c.get("/admin/reports")
    assert re.search(r'id="count-network">1<', r.text)
    months = re.search(r'<table class="table" id="funnel-months">.*?</table>', r.text, re.S).group(0)
    assert sum(int(x) for x in re.findall(r'<td class="num">(\d+)</td>', months)) <= 1
    r = c.get("/admin/map")
    assert 'id="legend-direct"' in r.text and "直接知り合った" in r.text
    # Where the owner's own row is listed, it reads as わたし.
    r = c.get("/admin/people")
    row = re.search(r'<tr class="person-row" data-id="%d">.*?</tr>' % owner_pid, r.text, re.S).group(0)
    assert 'id="me-badge">わたし（オーナー）<' in row
    assert r.text.count('id="me-badge"') == 1
    assert 'id="me-badge"' in c.get("/admin/people/%d" % owner_pid).text


def test_internal_source_values_are_shown_in_words(server, admin, api):
    lst = api.post("/api/v1/lists", {"slug": jm.uniq("src"), "name": "出典のリスト"}).json()
    sub = api.post("/api/v1/subscribers", {"list_id": lst["id"], "email": jm.uniq("src") + "@example.jp",
                                            "name": "出典 太郎"}).json()
    r = admin.get("/admin/subscribers/%d" % sub["person_id"])
    assert r.status == 200
    consent = re.search(r'<div class="consent".*?</dl>', r.text, re.S) or re.search(r'id="subscriptions".*?</section>', r.text, re.S)
    block = consent.group(0)
    assert "管理画面・APIで追加" in block, block
    assert "<dd>admin</dd>" not in block and "「admin」" not in block
    r = admin.get("/admin/people/%d" % sub["person_id"])
    assert "メールマガジンの登録" in r.text and "<td>newsletter</td>" not in r.text
    # Stage-change reasons the system wrote read as words too.
    hist = re.search(r'id="stage-history".*?</table>', r.text, re.S).group(0)
    assert 'class="reason">メールマガジンの登録<' in hist, hist
    tok = jm.csrf_of(admin.get("/admin/people").text)
    assert admin.post("/admin/people/bulk", form={"_csrf": tok, "op": "stage", "stage": "fan",
                                                  "id": str(sub["person_id"])}).status == 200
    r = admin.get("/admin/people/%d" % sub["person_id"])
    hist = re.search(r'id="stage-history".*?</table>', r.text, re.S).group(0)
    assert 'class="reason">一括変更<' in hist, hist and 'class="reason">bulk<' not in r.text
    assert ">bulk<" not in re.search(r'id="timeline".*?</section>', r.text, re.S).group(0)


def set_settings(env, updates, drop=()):
    _, form = env["admin"].get_form("/admin/settings", field="base_url")
    r = env["admin"].submit(form, updates, drop=drop)
    assert r.status == 200, r.text[:3000]


def test_contact_autoreply_is_fixed_text_and_threads(env):
    text = "お問い合わせありがとうございます。\n三営業日以内にお返事します。"
    set_settings(env, {"contact_autoreply_subject": "受け付けました", "contact_autoreply_text": text})
    try:
        spam = "今すぐ http://spam.example/win を開いて"
        mid, addr = send_message(env, name=spam, subject=spam, message=spam + "\n" + spam)
        (_, m), = mails_to(env["cap"], addr, 1)
        assert str(m["Subject"]) == "受け付けました"
        body = m.get_body(("plain",)).get_content().replace("\r\n", "\n")
        assert text in body
        raw = m.as_string()
        assert "spam.example" not in raw and "今すぐ" not in raw, "the auto-reply repeats nothing sent"
        msgid = env["db"].execute("SELECT msgid FROM messages WHERE id = ?", (mid,)).fetchone()[0]
        assert str(m["Message-ID"]).strip() == msgid
        # The owner's reply threads under it in the sender's mail program.
        assert reply(env, mid, "Re: ご連絡", "お返事です。").status == 303
        _, r2 = mails_to(env["cap"], addr, 2)[1]
        assert str(r2["In-Reply-To"]).strip() == msgid
    finally:
        set_settings(env, {"contact_autoreply_text": ""})
    # Off again: nothing is queued for the sender (queued in the same
    # transaction as the message, so there is nothing to wait for).
    _, addr = send_message(env, subject="自動返信なし")
    assert env["db"].execute("SELECT count(*) FROM deliveries WHERE to_addr = ?", (addr,)).fetchone()[0] == 0


def test_contact_confirmation_step(env):
    set_settings(env, {"contact_confirm": "1"})
    try:
        before = env["db"].execute("SELECT count(*) FROM messages").fetchone()[0]
        f = dict(name="確認 <b>太郎</b>", email=jm.uniq("cf") + "@example.org", category="仕事のご依頼",
                 subject="確認画面のテスト", message="一行目\n二行目 <script>x</script>", website="",
                 form_token=jm.contact_token(env["secret"], int(time.time()) - 10))
        r = env["web"].post("/contact", form=f, follow=False)
        assert r.status == 200 and 'id="contact-confirm"' in r.text
        assert "確認 &lt;b&gt;太郎&lt;/b&gt;" in r.text and "<script>x" not in r.text
        assert env["db"].execute("SELECT count(*) FROM messages").fetchone()[0] == before
        # 修正する: the filled form again.
        r = env["web"].post("/contact", form=dict(f, edit="1"), follow=False)
        assert r.status == 200 and 'id="contact-form"' in r.text and "確認画面のテスト" in r.text
        # A field error shows on the form, not on the confirmation page.
        r = env["web"].post("/contact", form=dict(f, email="not-an-address"), follow=False)
        assert r.status == 422 and 'id="contact-confirm"' not in r.text
        # 送信する: stored once (the stamp was not spent by the check).
        r = env["web"].post("/contact", form=dict(f, confirmed="1"), follow=False)
        assert r.status == 303, r.text[:2000]
        assert env["db"].execute("SELECT count(*) FROM messages").fetchone()[0] == before + 1
        row = env["db"].execute("SELECT body FROM messages WHERE email = ?", (f["email"],)).fetchone()
        assert row[0].replace("\r\n", "\n") == "一行目\n二行目 <script>x</script>"
    finally:
        env["db"].execute("DELETE FROM signup_attempts WHERE key LIKE 'contact-%'")
        set_settings(env, {}, drop=("contact_confirm",))
    f2 = dict(name="確認なし", email=jm.uniq("cf") + "@example.org", category="仕事のご依頼",
              subject="直接", message="本文", website="",
              form_token=jm.contact_token(env["secret"], int(time.time()) - 10))
    assert env["web"].post("/contact", form=f2, follow=False).status == 303


def test_settings_every_error_beside_its_field_and_typed_values_kept(server, admin):
    """Every refused field is shown beside itself (not only the first), the
    banner lists them, and what the owner typed stays in the form."""
    _, form = admin.get_form("/admin/settings", field="base_url")
    r = admin.submit(form, {"base_url": "ftp://nope", "mail_from_addr": "not-an-address",
                            "per_page": "0", "title": "打ったままのタイトル"})
    assert r.status == 422
    bad = set(re.findall(r'<p class="field-error" id="set-(\w+)-error">[^<]+<', r.text))
    assert bad == {"base_url", "mail_from_addr", "per_page"}, bad
    for key in bad:
        assert 'id="set-%s" aria-invalid="true" aria-describedby="set-%s-error"' % (key, key) in r.text
    items = re.search(r'<ul id="form-errors">(.*?)</ul>', r.text, re.S).group(1)
    assert sorted(re.findall(r'<a href="#set-(\w+)">', items)) == sorted(bad)
    assert 'value="ftp://nope"' in r.text and 'value="打ったままのタイトル"' in r.text
    assert 'value="not-an-address"' in r.text
    assert jm.q1(server.data_dir, "SELECT value FROM settings WHERE key = 'title'") != "打ったままのタイトル"


def test_settings_api_reports_every_refused_field(api, server):
    before = jm.q1(server.data_dir, "SELECT value FROM settings WHERE key = 'title'")
    r = api.patch("/api/v1/settings", {"title": "保存されない", "base_url": "ftp://x",
                                       "per_page": 0, "timezone": "Mars/Olympus",
                                       "sns_x": ["a"]})
    assert r.status == 400, r.body[:300]
    e = r.json()["error"]
    fields = [x["field"] for x in e["errors"]]
    assert sorted(fields) == ["base_url", "per_page", "sns_x", "timezone"], e
    assert e["field"] == e["errors"][0]["field"] and e["message"] == e["errors"][0]["message"]
    assert all(x["message"] for x in e["errors"])
    assert jm.q1(server.data_dir, "SELECT value FROM settings WHERE key = 'title'") == before
