"""The public contact form (/contact), black-box: the real ASan binary, a
capturing SMTP server for the owner's notification, the database read with
jm.db_connect.

Form tokens are minted here as the server makes them (auth/stamp.c:
"TIME.NONCE.MAC", jm.form_stamp), so most tests need not wait the minimum
fill time; one test goes through the real form and waits.

Every refusal is checked to store nothing: no message, no person, no
delivery, no rate-limit row.
"""
import re
import time

import pytest

import jm

BASE = "https://contact.example.test"
OWNER = "owner@example.com"
SENDER = dict(mail_from_name="サイト運営者", mail_from_addr="site@example.com",
              sender_postal_address="東京都千代田区1-1-1", sender_contact="info@example.com")
CATEGORIES = ["情報提供", "仕事のご依頼", "取材", "その他"]
MIN_FILL = 3
UA = {"User-Agent": "Mozilla/5.0 (jinmyaku tests)"}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    e = jm.contact_env(tmp_path_factory.mktemp("contact"), BASE, OWNER,
                       "correct horse battery staple", SENDER, headers=UA)
    yield e
    jm.contact_env_close(e)


@pytest.fixture(autouse=True)
def _fresh_limits(env):
    """Every test starts with no contact rate-limit rows (all requests come
    from 127.0.0.1)."""
    env["db"].execute("DELETE FROM signup_attempts WHERE key LIKE 'contact-%'")
    yield


token = jm.contact_token


def fields(env, age=10, **kw):
    f = dict(name="山田 太郎", email=jm.uniq("sender") + "@example.org", category="仕事のご依頼",
             subject="ご相談", message="はじめまして。\nお仕事のご相談です。", website="",
             form_token=token(env["secret"], int(time.time()) - age))
    f.update(kw)
    return {k: v for k, v in f.items() if v is not None}


def post(env, form, **kw):
    return env["web"].post("/contact", form=form, follow=False, **kw)


def snapshot(db):
    """What a refused message must not change."""
    q = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
    return dict(messages=q("SELECT count(*) FROM messages"),
                people=q("SELECT count(*) FROM people"),
                deliveries=q("SELECT count(*) FROM deliveries"),
                events=q("SELECT count(*) FROM person_events"),
                attempts=q("SELECT count(*) FROM signup_attempts WHERE key LIKE 'contact-%'"))


def message_of(db, email):
    return db.execute("SELECT id, person_id, name, email, category, subject, body, status, msgid, "
                      "ip FROM messages WHERE email = ? ORDER BY id DESC", (email,)).fetchone()


def notification_for(env, subject_contains, n=1):
    def got():
        m = [(e, msg) for e, msg in env["cap"].messages()
             if subject_contains in str(msg["Subject"])]
        return m if len(m) >= n else None
    return jm.wait_until(got, 60, what="notification " + subject_contains)


# ---- the form page ----

def category_options(html):
    sel = html.split('name="category"')[1].split("</select>")[0]
    return re.findall(r'<option value="([^"]*)"', sel)


def test_form_renders_with_categories_honeypot_and_a_fresh_token(env):
    r = env["web"].get("/contact")
    assert r.status == 200
    assert "no-store" in r.header("Cache-Control", "")
    f = jm.find_form(r.text, action="/contact", field="form_token")
    assert f is not None
    assert set(f.names()) >= {"name", "email", "category", "subject", "message", "website",
                              "form_token"}
    assert f.get("website") == ""
    assert category_options(r.text) == CATEGORIES
    t = jm.form_stamp_time(env["secret"], "contact", f.get("form_token"))
    assert t is not None and abs(t - time.time()) < 120
    assert "_csrf" not in f.names()


def test_form_is_never_served_stale(env):
    """Settings changed straight in the database (no cache invalidation):
    the next GET shows them, so the page is rendered for every request."""
    db = env["db"]
    web = env["web"]
    assert web.get("/contact").status == 200
    jm.nl_settings(db, contact_categories="講演のご依頼\nその他")
    try:
        assert category_options(web.get("/contact").text) == ["講演のご依頼", "その他"]
    finally:
        db.execute("DELETE FROM settings WHERE key = 'contact_categories'")
    assert category_options(web.get("/contact").text) == CATEGORIES


def test_site_footer_links_to_the_contact_form(env):
    r = env["web"].get("/")
    assert r.status == 200
    assert 'href="/contact"' in r.text


# ---- a valid message ----

def test_real_form_round_trip_stores_links_person_and_notifies_owner(env):
    db, web = env["db"], env["web"]
    r, form = web.get_form("/contact", field="form_token")
    email = jm.uniq("real") + "@example.org"
    time.sleep(MIN_FILL + 0.5)  # the minimum fill time (not a timing assertion)
    r = web.submit(form, {"name": "佐藤 花子", "email": email.upper(), "category": "取材",
                          "subject": "取材のお願い " + email, "message": "一行目\n二行目"},
                   follow=False)
    assert r.status == 303, r.text[:2000]
    assert r.header("Location") == "/contact/thanks"
    thanks = web.get("/contact/thanks")
    assert thanks.status == 200 and "受け付けました" in thanks.text
    assert "no-store" in thanks.header("Cache-Control", "")
    assert email not in thanks.text

    mid, pid, name, stored_email, cat, subj, body, status, msgid, ip = message_of(db, email)
    assert (name, stored_email, cat, body, status) == ("佐藤 花子", email, "取材", "一行目\n二行目",
                                                       "new")
    assert ip == "127.0.0.1"
    assert re.fullmatch(r"<contact-%d\.[A-Za-z0-9_-]+@contact\.example\.test>" % mid, msgid)
    stage, source, pemail = db.execute("SELECT stage, source, email FROM people WHERE id = ?",
                                       (pid,)).fetchone()
    assert (stage, source, pemail) == ("reader", "contact", email)
    assert db.execute("SELECT count(*) FROM person_events WHERE person_id = ? AND kind = 'message'",
                      (pid,)).fetchone()[0] == 1

    (envl, msg), = notification_for(env, "取材のお願い " + email)
    assert envl["rcpt_tos"] == [OWNER]
    assert str(msg["Subject"]) == "[お問い合わせ] 取材のお願い " + email
    assert str(msg["Reply-To"]).strip() == email
    assert "site@example.com" in str(msg["From"]) and "サイト運営者" in str(msg["From"])
    assert msg["List-Unsubscribe"] is None and msg["List-Id"] is None
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    for part in ("佐藤 花子", email, "取材", "一行目\n二行目", "%s/admin/inbox/%d" % (BASE, mid)):
        assert part in text, part


def test_a_message_never_names_a_known_person(env):
    """Anyone can type any address into the form: the name given there stays
    with the message and does not become a known person's name (issue 8,
    item 2's rule for unconfirmed input)."""
    db = env["db"]
    email = jm.uniq("known") + "@example.org"
    db.execute("INSERT INTO people(email, name, created_at, updated_at) VALUES (?, '', 0, 0)",
               (email,))
    assert post(env, fields(env, email=email, name="Hacked", subject="なりすまし")).status == 303
    assert message_of(db, email)[2] == "Hacked"
    assert db.execute("SELECT name FROM people WHERE email = ?", (email,)).fetchone()[0] == ""


def test_second_message_links_to_the_same_person_and_keeps_the_stage(env):
    db = env["db"]
    email = jm.uniq("again") + "@example.org"
    assert post(env, fields(env, email=email, subject="一通目")).status == 303
    pid = message_of(db, email)[1]
    db.execute("UPDATE people SET stage = 'fan' WHERE id = ?", (pid,))
    assert post(env, fields(env, email=email.upper(), name="別の名前", subject="二通目")).status == 303
    rows = db.execute("SELECT person_id, subject FROM messages WHERE email = ? ORDER BY id",
                      (email,)).fetchall()
    assert rows == [(pid, "一通目"), (pid, "二通目")]
    assert db.execute("SELECT count(*) FROM people WHERE email = ?", (email,)).fetchone()[0] == 1
    assert db.execute("SELECT stage FROM people WHERE id = ?", (pid,)).fetchone()[0] == "fan"


def test_notify_to_setting_wins_over_the_owner(env):
    db = env["db"]
    jm.nl_settings(db, contact_notify_to="inbox-watch@example.com")
    try:
        subj = "通知先テスト " + jm.uniq("n")
        assert post(env, fields(env, subject=subj)).status == 303
        (envl, _), = notification_for(env, subj)
        assert envl["rcpt_tos"] == ["inbox-watch@example.com"]
    finally:
        db.execute("DELETE FROM settings WHERE key = 'contact_notify_to'")


def test_values_at_their_caps_are_accepted(env):
    db = env["db"]
    email = jm.uniq("caps") + "@example.org"
    name = "あ" * 33 + "a"          # 100 bytes
    subject = "い" * 66 + "ab"      # 200 bytes
    body = "う" * 3333 + "a"        # 10000 bytes
    assert len(name.encode()) == 100 and len(subject.encode()) == 200
    assert len(body.encode()) == 10000
    r = post(env, fields(env, email=email, name=name, subject=subject, message=body))
    assert r.status == 303, r.text[:1000]
    row = message_of(db, email)
    assert (row[2], row[5], row[6]) == (name, subject, body)


def test_empty_subject_is_allowed_and_the_category_names_the_notification(env):
    email = jm.uniq("nosubj") + "@example.org"
    assert post(env, fields(env, email=email, subject="", category="その他")).status == 303
    row = message_of(env["db"], email)
    assert row[5] == "" and row[4] == "その他"


# ---- every defence: a clear error, nothing stored ----

LONG = "x" * 101

REFUSALS = [
    # (case, overrides, status, field message)
    ("honeypot", dict(website="http://spam.example"), "自動送信"),
    ("too fast", dict(age=0), "早すぎます"),
    ("forged token", dict(form_token="1700000000." + "0" * 32), "フォームが正しくありません"),
    ("garbage token", dict(form_token="<script>"), "フォームが正しくありません"),
    ("missing token", dict(form_token=None), "フォームが正しくありません"),
    ("future token", dict(age=-3600), "フォームが正しくありません"),
    ("expired token", dict(age=2 * 86400), "有効期限"),
    ("missing name", dict(name=""), "必須"),
    ("blank name", dict(name="   "), "必須"),
    ("long name", dict(name=LONG), "100バイト"),
    ("name with CRLF", dict(name="x\r\nBcc: evil@example.com"), "制御文字"),
    ("name with LF", dict(name="山田\n太郎"), "制御文字"),
    ("name with tab", dict(name="山田\t太郎"), "制御文字"),
    ("name with U+2028", dict(name="山田\u2028太郎"), "制御文字"),
    ("missing email", dict(email=""), "必須"),
    ("bad email", dict(email="not-an-address"), "形式"),
    ("email with CRLF", dict(email="a@example.org\r\nBcc: evil@example.com"), "形式"),
    ("unknown category", dict(category="宣伝"), "種類"),
    ("missing category", dict(category=None), "種類"),
    ("long subject", dict(subject="s" * 201), "200バイト"),
    ("subject with CRLF", dict(subject="x\r\nBcc: evil@example.com"), "制御文字"),
    ("subject with LF", dict(subject="件名\nX-Injected: 1"), "制御文字"),
    ("subject with NEL", dict(subject="件名\u0085X-Injected: 1"), "制御文字"),
    ("name with an encoded word", dict(name="=?utf-8?B?5bGx55Sw?="), "制御文字"),
    ("subject with C1 control", dict(subject="件名\u009b1m"), "制御文字"),
    ("missing message", dict(message=""), "必須"),
    ("blank message", dict(message=" \r\n "), "必須"),
    ("long message", dict(message="m" * 10001), "10000バイト"),
    ("message with NUL-like control", dict(message="本文\x01"), "10000バイト"),
]


@pytest.mark.parametrize("case,over,msg", REFUSALS, ids=[c[0] for c in REFUSALS])
def test_each_refusal_is_422_with_a_clear_message_and_stores_nothing(env, case, over, msg):
    db = env["db"]
    over = dict(over)
    age = over.pop("age", 10)
    email = over.get("email", jm.uniq("ref") + "@example.org")
    form = fields(env, age=age, **dict(over, email=email))
    before = snapshot(db)
    r = post(env, form)
    assert r.status == 422, (case, r.status, r.text[:500])
    assert msg in r.text, (case, r.text[:3000])
    assert "no-store" in r.header("Cache-Control", "")
    assert snapshot(db) == before, case
    # The form comes back with a fresh token and what was typed.
    f = jm.find_form(r.text, action="/contact", field="form_token")
    assert f is not None and f.get("website") == ""
    t = jm.form_stamp_time(env["secret"], "contact", f.get("form_token"))
    assert t is not None and abs(t - time.time()) < 120
    assert f.get("email") == email
    if "subject" not in over:
        assert f.get("subject") == "ご相談"
    if "name" not in over:
        assert f.get("name") == "山田 太郎"


def test_refused_form_keeps_values_escaped(env):
    """An XSS payload typed into a refused form comes back escaped."""
    payload = '"><img src=x onerror=alert(1)><script>alert(1)</script>'
    r = post(env, fields(env, name=payload, subject=payload, message=payload,
                         email="broken-address"))
    assert r.status == 422
    assert "<script>alert(1)</script>" not in r.text
    assert "<img src=x" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    f = jm.find_form(r.text, action="/contact", field="form_token")
    assert f.get("name") == payload and f.get("subject") == payload
    assert f.get("message") == payload and f.get("email") == "broken-address"


def test_header_injection_never_reaches_a_mail(env):
    before = env["cap"].count()
    for over in (dict(name="x\r\nBcc: evil@example.com"),
                 dict(subject="x\r\nBcc: evil@example.com"),
                 dict(name="x\nBcc: evil@example.com", subject="y\rBcc: evil@example.com")):
        assert post(env, fields(env, **over)).status == 422
    # A message that is accepted goes out; nothing ever reached evil@.
    subj = "後続 " + jm.uniq("h")
    assert post(env, fields(env, subject=subj)).status == 303
    notification_for(env, subj)
    for envl, msg in env["cap"].messages():
        assert "evil@example.com" not in envl["rcpt_tos"]
        assert msg["Bcc"] is None
    assert env["cap"].count() >= before + 1


def test_malformed_body_is_400(env):
    before = snapshot(env["db"])
    r = env["web"].post("/contact", body=b"name=%ZZ&email=a%40b.c", follow=False,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 400
    r = env["web"].post("/contact", body=b"name=%FF%FE", follow=False,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 400
    assert snapshot(env["db"]) == before


# ---- rate limits ----

def test_per_ip_limit_is_429_and_stores_nothing(env):
    db = env["db"]
    sent = []
    for i in range(5):  # INBOX_PER_IP_HOUR
        email = jm.uniq("ip%d" % i) + "@example.org"
        assert post(env, fields(env, email=email)).status == 303
        sent.append(email)
    before = snapshot(db)
    email = jm.uniq("ip-over") + "@example.org"
    r = post(env, fields(env, email=email, subject="6通目"))
    assert r.status == 429
    assert "1時間" in r.text
    assert snapshot(db) == before
    assert message_of(db, email) is None
    f = jm.find_form(r.text, action="/contact", field="form_token")
    assert f.get("email") == email and f.get("subject") == "6通目"


def test_per_email_limit_is_429_and_other_addresses_still_pass(env):
    db = env["db"]
    email = jm.uniq("mail-limit") + "@example.org"
    now = int(time.time())
    for i in range(5):  # INBOX_PER_EMAIL_DAY, within the last day
        db.execute("INSERT INTO signup_attempts(key, created_at) VALUES (?, ?)",
                   ("contact-email:" + email, now - 3600 * (i + 2)))
    before = snapshot(db)
    r = post(env, fields(env, email=email.upper()))
    assert r.status == 429
    assert "上限" in r.text
    assert snapshot(db) == before
    assert post(env, fields(env, email=jm.uniq("other") + "@example.org")).status == 303


def test_limits_count_only_recent_messages(env):
    db = env["db"]
    now = int(time.time())
    for i in range(5):
        db.execute("INSERT INTO signup_attempts(key, created_at) VALUES (?, ?)",
                   ("contact-ip:127.0.0.1", now - 3700))  # older than an hour
    assert post(env, fields(env)).status == 303
    for i in range(5):
        db.execute("INSERT INTO signup_attempts(key, created_at) VALUES (?, ?)",
                   ("contact-ip:127.0.0.1", now - 60))
    assert post(env, fields(env)).status == 429
