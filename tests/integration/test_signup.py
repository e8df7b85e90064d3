"""The mail magazine's public pages: the sign-up form in the layout's slot
and at /subscribe, the bot checks (honeypot, signed render time), the
neutral answer (no address probing), 422 form errors that store nothing,
the confirmation link, the unsubscribe page and its RFC 8058 one-click
POST, and the public back numbers (/newsletter, /newsletter/{slug}, Atom).

State is checked in the server's database with jm.db_connect (read-mostly;
a few rows are inserted to set up a situation)."""
import hashlib
import os
import re
import time
import urllib.parse

import feedparser
import pytest

import jm

THANKS = "確認メールを送りました"
CONFIRMED = "登録が完了しました"
TS_MIN_AGE = 2.2  # the form refuses anything sent sooner (bot check)


# ---- fixtures and helpers ----

@pytest.fixture(scope="module")
def web(server):
    return server.client(headers={"User-Agent": "Mozilla/5.0 (jinmyaku tests)"})


class Db:
    def __init__(self, server):
        self.data_dir = server.data_dir

    def rows(self, sql, *args):
        c = jm.db_connect(self.data_dir)
        try:
            return c.execute(sql, args).fetchall()
        finally:
            c.close()

    def one(self, sql, *args):
        r = self.rows(sql, *args)
        return r[0][0] if r else None

    def exec(self, sql, *args):
        c = jm.db_connect(self.data_dir)
        try:
            c.execute(sql, args)
            c.commit()
        finally:
            c.close()

    def people(self, email):
        return self.one("SELECT count(*) FROM people WHERE email = ?", email.lower())

    def sub(self, email, slug):
        r = self.rows("SELECT s.id, s.status, s.consent_source, s.consent_ip, s.consent_text "
                      "FROM subscriptions s JOIN people p ON p.id = s.person_id "
                      "JOIN lists l ON l.id = s.list_id WHERE p.email = ? AND l.slug = ?",
                      email.lower(), slug)
        return r[0] if r else None

    def confirms(self, email):
        return self.one("SELECT count(*) FROM deliveries WHERE kind = 'confirm' AND to_addr = ?",
                        email.lower())

    def reset_limits(self):
        self.exec("DELETE FROM signup_attempts")


@pytest.fixture(scope="module")
def db(server):
    return Db(server)


@pytest.fixture(scope="module")
def lists(api):
    """news: the first public list (the slot's); biz: custom fields;
    hidden: not public."""
    out = {}
    for body in (
        {"name": "人脈通信", "slug": "news", "description": "週に一度の便り",
         "consent_text": "メールの受け取りに同意します"},
        {"name": "ビジネス便", "slug": "biz", "fields": [
            {"key": "company", "label": "会社名", "type": "text", "required": True},
            {"key": "topic", "label": "分野", "type": "select", "options": ["出版", "IT"]},
        ]},
        {"name": "顧客限定", "slug": "hidden", "public": False},
    ):
        r = api.post("/api/v1/lists", body)
        assert r.status == 201, r.text
        out[body["slug"]] = r.json()
    return out


@pytest.fixture(scope="module")
def article(api, lists):
    return api.publish(title="メルマガ登録のテスト記事", slug=jm.uniq("nl-article"))


@pytest.fixture(scope="module")
def slot_form(web, article):
    """The slot's form on an article page with the per-visitor stamp that
    static/signup.js fetches on load (GET /subscribe/stamp), aged past the
    bot check once (a stamp stays valid for days, so every test can reuse
    it)."""
    r, form = web.get_form("/articles/" + article["slug"], action="/subscribe")
    assert form.get("ts") == "", "a cached page's form carries no stamp"
    r = web.get("/subscribe/stamp")
    assert r.status == 200
    form.set("ts", r.text)
    time.sleep(TS_MIN_AGE)
    return form


def signup(web, form, **updates):
    return web.submit(form, updates)


def secret_of(server):
    with open(os.path.join(server.data_dir, "secret"), "rb") as f:
        return f.read()


def signed_ts(server, t):
    """A sign-up stamp issued at t, signed like the server does."""
    return jm.form_stamp(secret_of(server), "signup", t)


def addr(prefix):
    return "%s@example.jp" % jm.uniq(prefix)


# ---- the form in the layout slot ----

def test_slot_form_on_every_site_page(web, article, lists):
    for path in ("/articles/" + article["slug"], "/", "/about"):
        r = web.get(path)
        assert r.status == 200, path
        slot = r.text[r.text.index('id="newsletter-signup"'):]
        f = jm.find_form(slot, action="/subscribe")
        assert f is not None, "no sign-up form in the slot of " + path
        assert f.method.lower() == "post"
        assert f.get("list") == "news", "the slot signs up to the first public list"
        assert f.has("email") and f.has("name") and f.has("ts")
        assert f.get("website") == "", "honeypot present and empty"
        assert f.get("ts") == "", "no stamp in a page for the cache (issue 8, 17)"
        assert 'src="/static/signup.js"' in slot
        assert "人脈通信" in slot


def test_slot_page_is_cached_without_per_visitor_data(web, article):
    path = "/articles/" + article["slug"]
    a = web.get(path)
    b = server_client_without_cookies(web).get(path)
    assert a.status == b.status == 200
    assert a.body == b.body, "a cached page is the same for every visitor"
    f = jm.find_form(a.text, action="/subscribe")
    assert f.get("source").endswith(path), "source records the page the form was on"


def server_client_without_cookies(web):
    return jm.Client(web.base, headers={"User-Agent": "Mozilla/5.0 (another visitor)"})


# ---- sign-up ----

def test_signup_new_address_thanks_and_queues_confirmation(web, db, slot_form, lists, article):
    db.reset_limits()
    email = addr("new")
    r = signup(web, slot_form, email=email, name="山田 花子")
    assert r.status == 200, r.text[:2000]
    assert THANKS in r.text
    assert "no-store" in r.header("Cache-Control", "")
    assert email not in r.text, "the thank-you page does not echo the address"
    sid, status, source, ip, text = db.sub(email, "news")
    assert status == "pending"
    assert source.endswith("/articles/" + article["slug"])
    assert ip == "127.0.0.1"
    assert text == "メールの受け取りに同意します"
    assert db.confirms(email) == 1, "a 'confirm' delivery is queued"


def test_signup_active_address_gets_the_same_neutral_page(web, api, db, slot_form, lists):
    db.reset_limits()
    active = addr("active")
    r = api.post("/api/v1/subscribers", {"list_id": lists["news"]["id"], "email": active})
    assert r.status == 201, r.text
    fresh = addr("fresh")
    a = signup(web, slot_form, email=active, name="")
    b = signup(web, slot_form, email=fresh, name="")
    assert a.status == b.status == 200
    assert THANKS in a.text
    assert a.body == b.body, "an active address cannot be told from a new one"
    assert db.confirms(active) == 0, "no mail to an already active address"
    assert db.sub(active, "news")[1] == "active"


def test_signup_rate_limited_gets_the_same_page_and_no_mail(web, db, slot_form, lists):
    db.reset_limits()
    now = int(time.time())
    for _ in range(50):
        db.exec("INSERT INTO signup_attempts(key, created_at) VALUES ('ip:127.0.0.1', ?)", now)
    email = addr("limited")
    r = signup(web, slot_form, email=email)
    assert r.status == 200
    assert THANKS in r.text
    assert db.confirms(email) == 0
    assert db.sub(email, "news") is None
    db.reset_limits()


def test_unsubscribed_address_can_subscribe_again(web, api, db, slot_form, lists):
    db.reset_limits()
    email = addr("again")
    r = api.post("/api/v1/subscribers", {"list_id": lists["news"]["id"], "email": email})
    pid = r.json()["person_id"]
    r = api.post("/api/v1/subscribers/bulk", {"op": "unsubscribe", "person_ids": [pid],
                                              "list_id": lists["news"]["id"]})
    assert r.status == 200, r.text
    assert db.sub(email, "news")[1] == "unsubscribed"
    r = signup(web, slot_form, email=email)
    assert r.status == 200 and THANKS in r.text
    assert db.sub(email, "news")[1] == "pending"
    assert db.confirms(email) == 1


def test_honeypot_filled_is_refused_without_mail(web, db, slot_form):
    db.reset_limits()
    email = addr("bot")
    r = signup(web, slot_form, email=email, website="http://spam.example/")
    assert r.status == 400
    assert THANKS not in r.text
    assert "no-store" in r.header("Cache-Control", "")
    assert db.people(email) == 0


@pytest.mark.parametrize("ts", ["12345", "1700000000.deadbeef", "abc.def",
                                "1700000000.AAAAAAAAAAAAAAAA." + "0" * 32])
def test_bad_or_missing_render_time_is_refused(web, db, slot_form, ts):
    email = addr("nots")
    r = web.submit(slot_form, {"email": email, "ts": ts})
    assert r.status == 400
    assert db.people(email) == 0


def test_form_sent_too_fast_is_refused(server, web, db, slot_form):
    # A correctly signed time that is not yet 2 s old (here: in the future).
    email = addr("fast")
    r = signup(web, slot_form, email=email, ts=signed_ts(server, int(time.time()) + 3600))
    assert r.status == 400
    assert db.people(email) == 0


def test_form_older_than_a_week_asks_to_send_again(server, web, db, slot_form):
    email = addr("old")
    old = signed_ts(server, int(time.time()) - 8 * 86400)
    r = signup(web, slot_form, email=email, name="古い フォーム", ts=old)
    assert r.status == 422
    assert "有効期限" in r.text
    f = jm.find_form(r.text, action="/subscribe")
    assert f.get("email") == email and f.get("name") == "古い フォーム", "values are kept"
    assert f.get("ts") != old, "the re-rendered form carries a fresh time"
    assert db.people(email) == 0


@pytest.mark.parametrize("updates,field,message", [
    ({"email": "not-an-address"}, "email", "メールアドレスに「@」がありません"),
    ({"email": ""}, "email", "必須"),
    ({"email": "a" * 300 + "@example.jp"}, "email", "メールアドレスが長すぎます"),
    ({"email": "zen＠example.jp"}, "email", "全角の「＠」"),
    ({"name": "長" * 101}, "name", "100 文字"),
    ({"name": "改行\r\n入り"}, "name", "100 文字"),
])
def test_invalid_input_is_422_with_the_form_and_stores_nothing(web, db, slot_form, updates,
                                                               field, message):
    before = db.one("SELECT count(*) FROM people")
    fields = {"email": addr("bad"), "name": "正しい名前"}
    fields.update(updates)
    r = signup(web, slot_form, **fields)
    assert r.status == 422, r.text[:1500]
    assert message in r.text
    assert "no-store" in r.header("Cache-Control", "")
    f = jm.find_form(r.text, action="/subscribe")
    assert f is not None, "the form is shown again"
    assert re.search(r'class="signup-row has-error">\s*<label for="nl-%s"' % field, r.text)
    assert db.one("SELECT count(*) FROM people") == before


def test_required_custom_field_and_select_options(web, db, slot_form, lists):
    db.reset_limits()
    email = addr("biz")
    r = signup(web, slot_form, email=email, list="biz")
    assert r.status == 422
    assert "この項目は必須です" in r.text
    f = jm.find_form(r.text, action="/subscribe")
    assert f.get("list") == "biz" and f.has("company"), "the biz form with its fields"
    r = signup(web, slot_form, email=email, list="biz", company="人脈出版", topic="料理")
    assert r.status == 422, "a value outside the select options"
    assert db.people(email) == 0
    r = signup(web, slot_form, email=email, list="biz", company="人脈出版", topic="出版")
    assert r.status == 200 and THANKS in r.text
    assert db.sub(email, "biz")[1] == "pending"
    assert db.one("SELECT value FROM person_fields f JOIN people p ON p.id = f.person_id "
                  "WHERE p.email = ? AND f.key = 'company'", email) == "人脈出版"


@pytest.mark.parametrize("slug", ["nope", "hidden"])
def test_unknown_or_private_list_is_422(web, db, slot_form, lists, slug):
    email = addr("nolist")
    r = signup(web, slot_form, email=email, list=slug)
    assert r.status == 422
    assert "見つかりません" in r.text
    assert db.people(email) == 0


# ---- /subscribe ----

def test_subscribe_page_lists_public_lists(web, lists):
    r = web.get("/subscribe")
    assert r.status == 200
    assert "no-store" in r.header("Cache-Control", "")
    assert "人脈通信" in r.text and "ビジネス便" in r.text
    assert "顧客限定" not in r.text, "a private list is not offered"
    f = jm.find_form(r.text, action="/subscribe")
    assert f.get("list") == "news" and f.get("source") == "form:/subscribe"
    r = web.get("/subscribe?list=biz")
    f = jm.find_form(r.text, action="/subscribe")
    assert f.get("list") == "biz" and f.has("company")
    assert "会社名" in r.text and "<option value=\"出版\"" in r.text
    assert 'id="newsletter-signup"' in r.text
    assert r.text.count('action="/subscribe"') == 1, "no second form in the slot"
    assert web.get("/subscribe?list=nope").status == 404
    assert web.get("/subscribe?list=hidden").status == 404


def test_embed_script_writes_a_signed_form(server, web, lists):
    r = web.get("/subscribe/embed.js?list=biz")
    assert r.status == 200
    assert r.header("Content-Type").startswith("text/javascript")
    assert "no-store" in r.header("Cache-Control", "")
    js = r.text
    assert "<" not in js, "markup is escaped inside the script string"
    html = js.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
    f = jm.find_form(html, action="/subscribe")
    assert f.action == server.base + "/subscribe"
    assert f.get("list") == "biz" and f.get("source") == "embed"
    assert jm.form_stamp_time(secret_of(server), "signup", f.get("ts")) is not None
    assert web.get("/subscribe/embed.js?list=hidden").status == 404


# ---- confirm and unsubscribe with bad tokens ----

BAD_TOKENS = ["", "x", "A" * 80, "1.2.3", "%00", "..%2F..%2Fetc", "A" * 600]


@pytest.mark.parametrize("tok", BAD_TOKENS)
def test_confirm_with_a_bad_token_is_400_and_changes_nothing(web, db, tok):
    before = db.rows("SELECT id, status FROM subscriptions ORDER BY id")
    r = web.get("/subscribe/confirm?token=" + tok)
    assert r.status == 400
    assert "リンクが正しくありません" in r.text
    assert CONFIRMED not in r.text
    assert "no-store" in r.header("Cache-Control", "")
    assert db.rows("SELECT id, status FROM subscriptions ORDER BY id") == before


def test_confirm_without_token_is_400(web):
    assert web.get("/subscribe/confirm").status == 400


@pytest.mark.parametrize("tok", BAD_TOKENS)
def test_unsubscribe_with_a_bad_token_is_400_and_changes_nothing(web, db, tok):
    before = db.rows("SELECT id, status FROM subscriptions ORDER BY id")
    r = web.get("/unsubscribe?token=" + tok)
    assert r.status == 400
    assert "リンクが正しくありません" in r.text
    r = web.post("/unsubscribe?token=" + tok, form={"List-Unsubscribe": "One-Click"})
    assert r.status == 400
    assert db.rows("SELECT id, status FROM subscriptions ORDER BY id") == before


def nl_token(server, kind, sub_id, issued):
    """A link token made as the domain makes them (token.c): kind "c" or
    "u", base64url("ID:ISSUED"), keyed BLAKE2b over "nl:KIND.PAYLOAD"."""
    import base64
    payload = base64.urlsafe_b64encode(("%d:%d" % (sub_id, issued)).encode()).decode().rstrip("=")
    mac = hashlib.blake2b(("nl:%s.%s" % (kind, payload)).encode(), key=secret_of(server),
                          digest_size=32).hexdigest()[:32]
    return "%s.%s.%s" % (kind, payload, mac)


def test_expired_or_misused_tokens_are_400_and_change_nothing(server, web, db, slot_form):
    db.reset_limits()
    email = addr("expired")
    assert signup(web, slot_form, email=email).status == 200
    sid = db.sub(email, "news")[0]
    old = nl_token(server, "c", sid, int(time.time()) - 8 * 86400)
    r = web.get("/subscribe/confirm?token=" + old)
    assert r.status == 400
    assert "有効期限" in r.text and CONFIRMED not in r.text
    assert db.sub(email, "news")[1] == "pending"
    # A confirm token is no unsubscribe token and the other way round.
    fresh_c = nl_token(server, "c", sid, int(time.time()))
    unsub = nl_token(server, "u", sid, 0)
    assert web.get("/unsubscribe?token=" + fresh_c).status == 400
    assert web.post("/unsubscribe?token=" + fresh_c, form={"List-Unsubscribe": "One-Click"}).status == 400
    assert web.get("/subscribe/confirm?token=" + unsub).status == 400
    assert db.sub(email, "news")[1] == "pending"
    # A well-signed token for a subscription that does not exist.
    assert web.get("/subscribe/confirm?token=" + nl_token(server, "c", 999999, int(time.time()))).status == 400
    assert web.get("/unsubscribe?token=" + nl_token(server, "u", 999999, 0)).status == 400
    # After unsubscribing, the old confirm link does not resubscribe.
    r = web.post("/unsubscribe?token=" + unsub, form={"List-Unsubscribe": "One-Click"})
    assert r.status == 200
    assert db.sub(email, "news")[1] == "unsubscribed"
    r = web.get("/subscribe/confirm?token=" + fresh_c)
    assert r.status == 400
    assert db.sub(email, "news")[1] == "unsubscribed"


# ---- public back numbers ----

def add_broadcast(db, list_id, slug, subject, body, status="sent", public=1, at=None):
    at = at or int(time.time())
    db.exec("INSERT INTO broadcasts(list_id, subject, body_md, status, public, slug, "
            "started_at, finished_at, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            list_id, subject, body, status, public, slug, at, at, at, at)


@pytest.fixture(scope="module")
def issues(db, lists):
    lid = lists["news"]["id"]
    t = int(time.time()) - 86400
    add_broadcast(db, lid, "issue-1", "創刊号のお知らせ",
                  "{{name|読者}}さん、こんにちは。\n\n**人脈**の話です。{{company|}}", at=t)
    add_broadcast(db, lid, "issue-2", "第2号 <script>alert(1)</script>",
                  "第2号の本文 <script>alert(1)</script>", at=t + 60)
    add_broadcast(db, lid, "draft-1", "下書きの号", "本文", status="draft")
    add_broadcast(db, lid, "private-1", "非公開の号", "本文", public=0)
    return ["issue-1", "issue-2"]


def test_backnumbers_index(web, issues):
    r = web.get("/newsletter")
    assert r.status == 200
    assert "創刊号のお知らせ" in r.text and "/newsletter/issue-1" in r.text
    assert r.text.index("第2号") < r.text.index("創刊号"), "newest first"
    assert "下書きの号" not in r.text and "非公開の号" not in r.text
    assert "<script>alert(1)</script>" not in r.text
    assert "/newsletter/feed.xml" in r.text
    assert web.get("/newsletter?page=2").status == 404
    assert web.get("/newsletter?page=x").status == 404


def test_backnumber_page_renders_merge_fallbacks(web, issues):
    r = web.get("/newsletter/issue-1")
    assert r.status == 200
    assert "読者さん、こんにちは。" in r.text
    assert "<strong>人脈</strong>" in r.text
    assert "{{" not in r.text and "|読者" not in r.text
    etag = r.header("ETag")
    assert etag
    r2 = web.get("/newsletter/issue-1", headers={"If-None-Match": etag})
    assert r2.status == 304
    r = web.get("/newsletter/issue-2")
    assert "<script>alert(1)</script>" not in r.text, "Markdown safe mode and escaped subject"


@pytest.mark.parametrize("slug", ["draft-1", "private-1", "nope", "UPPER", "a" * 200])
def test_backnumber_not_public_is_404(web, issues, slug):
    assert web.get("/newsletter/" + slug).status == 404


def test_backnumber_feed(server, web, issues):
    r = web.get("/newsletter/feed.xml")
    assert r.status == 200
    assert r.header("Content-Type").startswith("application/atom+xml")
    feed = feedparser.parse(r.body)
    assert not feed.bozo, feed.bozo_exception
    titles = [e.title for e in feed.entries]
    assert titles[0].startswith("第2号") and "創刊号のお知らせ" in titles
    assert "下書きの号" not in titles and "非公開の号" not in titles
    e = [e for e in feed.entries if e.title == "創刊号のお知らせ"][0]
    assert e.link.endswith("/newsletter/issue-1")
    assert "読者さん" in e.content[0].value


# ---- the whole round trip through real mail (capture server) ----

SENDER = dict(mail_from_name="人脈通信の発行者", mail_from_addr="news@example.jp",
              sender_postal_address="東京都千代田区1-1-1", sender_contact="info@example.jp",
              rate_per_sec=0)


@pytest.fixture(scope="module")
def mail(tmp_path_factory):
    """A server that sends through a capturing SMTP server; links in the
    mails point back at this server (no --base-url: http://LISTEN)."""
    root = tmp_path_factory.mktemp("signup-mail")
    env = jm.mail_env(root, SENDER)
    srv = env["srv"]
    api = jm.Api(srv.base, srv.create_token("signup"))
    for body in ({"name": "人脈通信", "slug": "news"}, {"name": "求人便", "slug": "jobs"}):
        assert api.post("/api/v1/lists", body).status == 201
    web = srv.client(headers={"User-Agent": "Mozilla/5.0 (jinmyaku tests)"})
    art = api.publish(title="往復テストの記事", slug="round-trip")
    _, form = web.get_form("/articles/" + art["slug"], action="/subscribe")
    form.set("ts", web.get("/subscribe/stamp").text)  # what static/signup.js does
    time.sleep(TS_MIN_AGE)
    yield dict(env, api=api, web=web, form=form)
    jm.mail_env_close(env)


def mail_to(cap, addr, what, n=1):
    def got():
        m = [msg for env, msg in cap.messages() if addr in env["rcpt_tos"]]
        return m if len(m) >= n else None
    return jm.wait_until(got, 60, what=what)[n - 1]


def local(srv, url):
    """A link from a mail, as a path on the test server (it is the same host)."""
    u = urllib.parse.urlsplit(url)
    assert u.netloc == "127.0.0.1:%d" % srv.port, url
    return u.path + ("?" + u.query if u.query else "")


def status_of(db, email, slug):
    r = db.execute("SELECT s.status FROM subscriptions s JOIN people p ON p.id = s.person_id "
                   "JOIN lists l ON l.id = s.list_id WHERE p.email = ? AND l.slug = ?",
                   (email, slug)).fetchone()
    return r[0] if r else None


def test_confirm_link_from_the_mail_confirms_in_one_click(mail):
    web, db, srv = mail["web"], mail["db"], mail["srv"]
    email = "reader@example.org"
    r = web.submit(mail["form"], {"email": email, "name": "http://spam.example/ 買って"})
    assert r.status == 200 and THANKS in r.text
    assert status_of(db, email, "news") == "pending"
    msg = mail_to(mail["cap"], email, "the confirmation mail")
    body = msg.get_body(("plain",)).get_content()
    assert "spam.example" not in body, "the mail never echoes what the form received"
    link = re.search(r"https?://\S+/subscribe/confirm\?token=[^\s>\"]+", body).group(0)
    path = local(srv, link)
    # A tampered token changes nothing.
    bad = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    r = web.get(bad)
    assert r.status == 400 and CONFIRMED not in r.text
    assert status_of(db, email, "news") == "pending"
    # One GET confirms; no second page, no form to press.
    r = web.get(path)
    assert r.status == 200, r.text[:1000]
    assert CONFIRMED in r.text and "人脈通信" in r.text
    assert jm.find_form(r.text, action="/subscribe/confirm") is None
    assert "no-store" in r.header("Cache-Control", "")
    assert status_of(db, email, "news") == "active"
    r = web.get(path)
    assert r.status == 200 and CONFIRMED in r.text, "confirming again is harmless"
    assert status_of(db, email, "news") == "active"


def send_broadcast(mail, slug, subject):
    api, db = mail["api"], mail["db"]
    lid = db.execute("SELECT id FROM lists WHERE slug = ?", (slug,)).fetchone()[0]
    r = api.post("/api/v1/broadcasts", {"list_id": lid, "subject": subject,
                                        "body": "{{name|読者}}さん、こんにちは"})
    assert r.status == 201, r.text
    r = api.post("/api/v1/broadcasts/%d/send" % r.json()["id"], {})
    assert r.status == 202, r.text


def test_one_click_unsubscribe_from_a_broadcast(mail):
    db, srv, api = mail["db"], mail["srv"], mail["api"]
    email = "oneclick@example.org"
    lid = db.execute("SELECT id FROM lists WHERE slug = 'news'").fetchone()[0]
    assert api.post("/api/v1/subscribers", {"list_id": lid, "email": email}).status == 201
    send_broadcast(mail, "news", "ワンクリック号")
    msg = mail_to(mail["cap"], email, "the broadcast")
    assert str(msg["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    url = re.search(r"<([^>]+)>", str(msg["List-Unsubscribe"])).group(1)
    path = local(srv, url)
    # A GET (a link scanner) shows the page and changes nothing.
    r = srv.client().get(path)
    assert r.status == 200 and "配信を停止する" in r.text
    assert "no-store" in r.header("Cache-Control", "")
    assert jm.find_form(r.text, method="post") is not None
    assert status_of(db, email, "news") == "active"
    # RFC 8058: a POST with no cookie and no CSRF token, idempotent.
    for _ in range(2):
        r = srv.raw("POST", path, body=b"List-Unsubscribe=One-Click",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status == 200
        assert status_of(db, email, "news") == "unsubscribed"
    r = srv.raw("POST", path, body=b"--b\r\nContent-Disposition: form-data; "
                b"name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--b--\r\n",
                headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert r.status == 200, "RFC 8058 allows multipart/form-data too"


def test_unsubscribe_page_shows_and_changes_list_preferences(mail):
    db, srv, api = mail["db"], mail["srv"], mail["api"]
    email = "prefs@example.org"
    for slug in ("news", "jobs"):
        lid = db.execute("SELECT id FROM lists WHERE slug = ?", (slug,)).fetchone()[0]
        assert api.post("/api/v1/subscribers", {"list_id": lid, "email": email}).status == 201
    send_broadcast(mail, "jobs", "求人便 第1号")
    msg = mail_to(mail["cap"], email, "the jobs broadcast")
    path = local(srv, re.search(r"<([^>]+)>", str(msg["List-Unsubscribe"])).group(1))
    c = srv.client()
    r, form = c.get_form(path, method="post")
    assert "人脈通信" in r.text and "求人便" in r.text, "every list of this person"
    subs = [v for n, v in form.pairs({}) if n == "sub"]
    assert len(subs) == 1, "only this mail's list is checked by default"
    # The button POST (no CSRF token: the signed link is the credential).
    r = c.submit(form)
    assert r.status == 200 and "配信を停止しました" in r.text
    assert status_of(db, email, "jobs") == "unsubscribed"
    assert status_of(db, email, "news") == "active", "only the chosen list stops"
    # Now both: check the other box too.
    r, form = c.get_form(path, method="post")
    all_ids = re.findall(r'name="sub" value="(\d+)"', r.text)
    assert len(all_ids) == 1, "a stopped list has no checkbox"
    r = c.submit(form, {"sub": all_ids})
    assert r.status == 200
    assert status_of(db, email, "news") == "unsubscribed"
