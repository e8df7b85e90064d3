"""The mail settings, black-box: the real ASan binary, its admin settings
page and API, sending through aiosmtpd servers on loopback.

- a settings save reaches the delivery worker before its next batch (a
  settings generation in the database, also across processes);
- no bulk mail leaves without the sender identity 特定電子メール法 requires:
  the send is refused, or the queued mail waits and the broadcast says why;
- a relay password is never sent without TLS, unless explicitly allowed;
- smtp_url's password is never shown back, and saving keeps it;
- the time zone is an IANA name; an SMTP URL needs its scheme; errors name
  the field in Japanese; the test-mail button reports the relay's answer.
"""
import email.utils
import re
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

import jm
import smtp_capture

OWNER = ("owner@example.com", "correct horse battery staple")
SENDER_A = dict(mail_from_name="発行者エー", mail_from_addr="a-news@example.com",
                sender_postal_address="東京都千代田区A町1-1", sender_contact="a-info@example.com")
SENDER_B = dict(mail_from_name="発行者ビー", mail_from_addr="b-news@example.com",
                sender_postal_address="大阪府大阪市B町2-2", sender_contact="b-info@example.com")


def login(client, email, password):
    r, form = client.get_form("/admin/login", field="password")
    r = client.submit(form, {"email": email, "password": password})
    assert r.status == 200 and "/admin/login" not in r.url, r.text[:1000]
    return client


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = tmp_path_factory.mktemp("mailset")
    cap = smtp_capture.Capture(root / "mail").start()
    data = str(root / "data")
    srv = jm.EnvServer(data, [],
                       env={"JINMYAKU_RETRY_BASE_MS": "100"})
    srv.start()
    srv.add_user(*OWNER)
    db = jm.nl_db(data)
    api = jm.Api(srv.base, srv.create_token("mailset"))
    admin = login(srv.client(), *OWNER)
    yield dict(cap=cap, srv=srv, db=db, api=api, admin=admin, data=data, root=root)
    srv.stop_and_check()
    cap.stop()
    db.close()


def save_settings(admin, values, expect=200):
    """Submits the settings page's form with values changed."""
    _, form = admin.get_form("/admin/settings", action="/admin/settings")
    r = admin.submit(form, values)
    assert r.status == expect, r.text[:3000]
    return r


def setting(db, key):
    row = db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def new_list(db, who):
    lid = jm.nl_list(db, jm.uniq("ms"), "設定テスト")
    addr = "%s-%s@example.org" % (who, jm.uniq("r"))
    jm.nl_subscribers(db, lid, [(addr, "読者", {}, [])])
    return lid, addr


def broadcast(api, lid, subject, **kw):
    r = api.post("/api/v1/broadcasts", dict(list_id=lid, subject=subject, body="本文です。", **kw))
    assert r.status == 201, r.body[:500]
    return r.json()["id"]


def send(api, bid, expect=(200, 202)):
    r = api.post("/api/v1/broadcasts/%d/send" % bid, {})
    assert r.status in expect, r.body[:500]
    return r


def mail_to(cap, addr, deadline=60):
    def find():
        got = [(e, m) for e, m in cap.messages() if addr in e["rcpt_tos"]]
        return got or None
    return jm.wait_until(find, deadline, what="mail to " + addr)


def footer_of(msg):
    return msg.get_body(("plain",)).get_content()


def test_settings_save_reaches_the_worker_at_once(env):
    """Save the mail settings and send at once: the mail carries the new
    sender, footer and DKIM signature — twice in a row, and also when
    another process (the CLI) writes the settings."""
    admin, api, db, cap = env["admin"], env["api"], env["db"], env["cap"]
    save_settings(admin, dict(SENDER_A, smtp_url=cap.url))
    lid, addr = new_list(db, "a")
    send(api, broadcast(api, lid, "Aのお知らせ"))
    envl, msg = mail_to(cap, addr)[0]
    assert email.utils.parseaddr(str(msg["From"])) == ("発行者エー", "a-news@example.com")
    foot = footer_of(msg)
    for v in SENDER_A.values():
        assert v in foot or v == "a-news@example.com", (v, foot)
    # Change the sender and send immediately: no stale settings.
    save_settings(admin, SENDER_B)
    lid, addr = new_list(db, "b")
    send(api, broadcast(api, lid, "Bのお知らせ"))
    envl, msg = mail_to(cap, addr)[0]
    assert email.utils.parseaddr(str(msg["From"])) == ("発行者ビー", "b-news@example.com")
    assert envl["mail_from"] == "b-news@example.com"
    foot = footer_of(msg)
    assert "大阪府大阪市B町2-2" in foot and "b-info@example.com" in foot
    assert "A町" not in foot and "noreply@" not in str(msg["From"])
    assert "DKIM-Signature" not in msg
    # Another process (the CLI) configures DKIM: the next mail is signed.
    p = jm.run_cli(["dkim", "keygen", "--domain", "example.com", "--selector", "ms1"],
                   env["data"])
    assert p.returncode == 0, p.stderr
    lid, addr = new_list(db, "d")
    send(api, broadcast(api, lid, "署名つき"))
    _, msg = mail_to(cap, addr)[0]
    assert "d=example.com" in str(msg["DKIM-Signature"]) and "s=ms1" in str(msg["DKIM-Signature"])


def test_send_refused_naming_the_missing_setting(env):
    admin, api, db = env["admin"], env["api"], env["db"]
    save_settings(admin, dict(SENDER_A, smtp_url=env["cap"].url))
    save_settings(admin, {"sender_postal_address": ""})
    try:
        lid, _ = new_list(db, "refused")
        bid = broadcast(api, lid, "送れない")
        r = send(api, bid, expect=(422,))
        err = r.json()["error"]
        assert err["field"] == "settings" if "field" in err else True
        assert "sender_postal_address" in err["message"]
        assert "sender_contact" not in err["message"]
        assert db.execute("SELECT status FROM broadcasts WHERE id=?", (bid,)).fetchone()[0] == "draft"
        # The admin's answer names it too, in Japanese.
        _, form = admin.get_form("/admin/broadcasts/%d" % bid, action="/admin/broadcasts/%d" % bid)
        r = admin.submit(form, {"action": "send"})
        assert r.status == 422
        banner = re.search(r'id="form-error"[^>]*>(.*?)</div>', r.text, re.S).group(1)
        assert "送信者情報" in banner and "「発行者の住所」" in banner, banner
        assert "sender_postal_address" not in banner and "連絡先」" not in banner
    finally:
        save_settings(admin, SENDER_A)


def test_queued_mail_waits_for_the_sender_identity(env):
    """Identity blanked after a broadcast was scheduled: nothing leaves with
    a blank footer; the broadcast says why (API and admin); filling the
    identity in sends it."""
    admin, api, db, cap = env["admin"], env["api"], env["db"], env["cap"]
    save_settings(admin, dict(SENDER_A, smtp_url=cap.url))
    lid, addr = new_list(db, "wait")
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3))
    bid = broadcast(api, lid, "待つ配信", scheduled_at=at)
    send(api, bid)
    save_settings(admin, {"sender_postal_address": "", "sender_contact": ""})
    jm.wait_until(lambda: db.execute(
        "SELECT count(*) FROM deliveries WHERE broadcast_id=? AND state='queued'",
        (bid,)).fetchone()[0] == 1, 60, what="deliveries queued")
    # The worker has had every chance to send it; it must wait instead.
    time.sleep(2)
    assert not [e for e, _ in cap.messages() if addr in e["rcpt_tos"]]
    b = api.get("/api/v1/broadcasts/%d" % bid).json()
    assert b["waiting"] and "sender_postal_address" in b["waiting"]
    assert "sender_contact" in b["waiting"] and "mail_from_name" not in b["waiting"]
    page = admin.get("/admin/broadcasts/%d" % bid).text
    assert 'id="bc-waiting"' in page and "送信者情報" in page
    row = db.execute("SELECT state, attempts FROM deliveries WHERE broadcast_id=?",
                     (bid,)).fetchone()
    assert row[0] == "queued"
    save_settings(admin, SENDER_A)
    _, msg = mail_to(cap, addr)[0]
    foot = footer_of(msg)
    assert "東京都千代田区A町1-1" in foot and "a-info@example.com" in foot
    assert api.get("/api/v1/broadcasts/%d" % bid).json()["waiting"] is None


class _AuthLog:
    """Handler for an aiosmtpd relay that wants AUTH and offers no TLS."""

    def __init__(self):
        self.attempts = []
        self.lock = threading.Lock()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        with self.lock:
            self.attempts.append((mechanism, auth_data))
        return AuthResult(success=True)

    async def handle_DATA(self, server, session, envelope):
        return "250 OK"


@pytest.fixture
def auth_relay():
    log = _AuthLog()
    port = jm.free_port()
    c = Controller(log, hostname="127.0.0.1", port=port, authenticator=log,
                   auth_required=True, auth_require_tls=False)
    c.start()
    yield port, log
    c.stop()


def test_relay_password_needs_tls(env, auth_relay):
    """README's old ?starttls=1 fell back to plain AUTH when STARTTLS was
    missing: the password went out in clear. Now the send fails with a clear
    error and the relay never sees the password."""
    admin, api, db, cap = env["admin"], env["api"], env["db"], env["cap"]
    port, log = auth_relay
    save_settings(admin, dict(SENDER_A, smtp_url="smtp://127.0.0.1:%d?starttls=1" % port,
                              smtp_user="relay-user", smtp_password="Pa55-secret"))
    try:
        r = admin.submit(admin.get_form("/admin/settings", action="/admin/settings/test-mail")[1])
        assert r.status == 200, r.text[:2000]
        res = re.search(r'id="test-mail-result"[^>]*>([^<]*)<', r.text)
        assert res and "STARTTLS" in res.group(1) and "平文で送らずに中止" in res.group(1), r.text[-3000:]
        lid, addr = new_list(db, "tls")
        bid = broadcast(api, lid, "平文では送らない")
        send(api, bid)
        jm.wait_until(lambda: (db.execute(
            "SELECT last_reply FROM deliveries WHERE broadcast_id=?", (bid,)).fetchone()
            or [""])[0], 60, what="a delivery attempt")
        reply = db.execute("SELECT last_reply, state FROM deliveries WHERE broadcast_id=?",
                           (bid,)).fetchone()
        # A retry may have claimed it again ('sending' keeps the last reply):
        # what matters is that it was never sent.
        assert "STARTTLS" in reply[0] and reply[1] in ("queued", "sending", "failed"), reply
        assert log.attempts == [], "the password was sent without TLS"
        # Only the explicit, documented option allows plaintext AUTH.
        save_settings(admin, {"smtp_url": "smtp://127.0.0.1:%d?insecure_plaintext_auth=1" % port})
        r = admin.submit(admin.get_form("/admin/settings", action="/admin/settings/test-mail")[1])
        res = re.search(r'id="test-mail-result"[^>]*>([^<]*)<', r.text)
        assert res and "受け付けました" in res.group(1) and "250" in res.group(1), r.text[-3000:]
        assert log.attempts
    finally:
        save_settings(admin, {"smtp_url": cap.url, "smtp_user": "", "smtp_password_clear": "1"})
        assert setting(db, "smtp_password") == ""
        db.execute("UPDATE deliveries SET state='cancelled' WHERE state IN ('queued','sending')")


def test_test_mail_reports_the_relay_answer(env):
    admin, cap = env["admin"], env["cap"]
    save_settings(admin, dict(SENDER_A, smtp_url=cap.url))
    _, form = admin.get_form("/admin/settings", action="/admin/settings/test-mail")
    assert "テストメールを送信" in admin.get("/admin/settings").text
    r = admin.submit(form)
    res = re.search(r'id="test-mail-result"[^>]*>([^<]*)<', r.text)
    assert res and "250" in res.group(1) and "受け付けました" in res.group(1)
    _, msg = mail_to(cap, OWNER[0])[-1]
    assert email.utils.parseaddr(str(msg["From"]))[1] == "a-news@example.com"


def test_smtp_url_password_is_never_shown(env):
    admin, db, cap = env["admin"], env["db"], env["cap"]
    url = "smtps://relayuser:T0p-S3cret@mail.example.net:465"
    save_settings(admin, {"smtp_url": url, "smtp_password": ""})
    try:
        page = admin.get("/admin/settings").text
        assert "T0p-S3cret" not in page
        assert 'value="smtps://relayuser@mail.example.net:465"' in page
        assert "パスワード: 設定済み" in page
        save_settings(admin, {})  # the form as shown, password not retyped
        assert setting(db, "smtp_url") == url
        assert "T0p-S3cret" not in admin.get("/admin/settings?saved=1").text
    finally:
        save_settings(admin, {"smtp_url": cap.url})
    assert setting(db, "smtp_url") == cap.url
    page = admin.get("/admin/settings").text
    if not setting(db, "smtp_password"):
        assert "パスワード: 未設定" in page


def test_smtp_url_without_scheme_is_refused(env):
    admin, db, cap = env["admin"], env["db"], env["cap"]
    save_settings(admin, {"smtp_url": cap.url})
    r = save_settings(admin, {"smtp_url": "mail.example.com:587", "title": "変わらない"},
                      expect=422)
    banner = re.search(r'id="form-error"[^>]*>([^<]*)<', r.text).group(1)
    assert "送信用 SMTP サーバー" in banner and "smtp://" in banner, banner
    assert 'id="set-smtp_url-error"' in r.text
    assert setting(db, "smtp_url") == cap.url and setting(db, "title") != "変わらない"


def test_time_zone_is_an_iana_choice(env):
    admin, db = env["admin"], env["db"]
    page = admin.get("/admin/settings").text
    sel = re.search(r'<select id="set-timezone" name="timezone">(.*?)</select>', page, re.S)
    assert sel and '<option value="Asia/Tokyo" selected>' in sel.group(1)
    assert '<option value="Europe/Berlin">' in sel.group(1)
    save_settings(admin, {"timezone": "Europe/Berlin"})
    assert setting(db, "timezone") == "Europe/Berlin"
    # "+9" was once stored as nine minutes: now refused, naming the field.
    r = save_settings(admin, {"timezone": "+9"}, expect=422)
    banner = re.search(r'id="form-error"[^>]*>([^<]*)<', r.text).group(1)
    assert "タイムゾーン" in banner and "Asia/Tokyo" in banner, banner
    assert setting(db, "timezone") == "Europe/Berlin"
    save_settings(admin, {"timezone": "Asia/Tokyo"})
    assert setting(db, "tz_offset_min") is None


def test_settings_errors_name_the_field_in_japanese(env):
    admin = env["admin"]
    r = save_settings(admin, {"mail_from_addr": "news＠example.com"}, expect=422)
    banner = re.search(r'id="form-error"[^>]*>([^<]*)<', r.text).group(1)
    assert banner.startswith("「") and "」" in banner, banner
    assert "メール" in banner or "アドレス" in banner, banner
    assert not re.search(r"invalid value|[a-z]+_[a-z]+", banner), banner


@pytest.mark.sqlite_only("upgrades a SQLite database made by migrations before 0006")
def test_migration_0007_converts_old_settings(tmp_path):
    """A database from before 0006/0007: "+9" stored as tz_offset_min 9
    becomes Asia/Tokyo; the digest's last day moves out of settings (0006);
    the circle rollup is rebuilt in the zone."""
    import os
    import sqlite3
    share = tmp_path / "share"
    (share / "migrations").mkdir(parents=True)
    for d in ("templates", "static", "po"):
        os.symlink(os.path.join(jm.ROOT, d), str(share / d))
    for f in sorted(os.listdir(os.path.join(jm.ROOT, "migrations"))):
        if f < "0006":
            os.symlink(os.path.join(jm.ROOT, "migrations", f), str(share / "migrations" / f))
    data = str(tmp_path / "data")
    p = jm.run_cli(["token", "create", "--name", "old", "--share", str(share)], data)
    assert p.returncode == 0, p.stderr
    db = sqlite3.connect(os.path.join(data, "jinmyaku.db"), isolation_level=None)
    db.execute("INSERT INTO settings(key, value) VALUES ('tz_offset_min', '9'), "
               "('digest_last_day', '2026-12-01')")
    pid = db.execute("INSERT INTO people(email, created_at, updated_at) "
                     "VALUES ('m@example.org', 0, 0)").lastrowid
    # 2025-12-31 15:30Z: 2026 in Japan, 2025 nine minutes east of UTC.
    db.execute("INSERT INTO interactions(person_id, kind, happened_at, created_at) "
               "VALUES (?, 'meeting', 1767195000, 0)", (pid,))
    assert db.execute("SELECT year FROM circle_years").fetchall() == [(2025,)]
    db.close()
    p = jm.run_cli(["token", "create", "--name", "new"], data)
    assert p.returncode == 0, p.stderr
    db = sqlite3.connect(os.path.join(data, "jinmyaku.db"), isolation_level=None)
    s = dict(db.execute("SELECT key, value FROM settings").fetchall())
    assert s.get("timezone") == "Asia/Tokyo" and "tz_offset_min" not in s
    assert "digest_last_day" not in s
    assert db.execute("SELECT last_day FROM digest_state WHERE id = 1").fetchone() == ("2026-12-01",)
    assert db.execute("SELECT zone, newyear_offset_min FROM circle_zone").fetchone() == \
        ("Asia/Tokyo", 540)
    assert db.execute("SELECT year FROM circle_years").fetchall() == [(2026,)]
    db.close()
