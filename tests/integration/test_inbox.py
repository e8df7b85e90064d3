"""The owner's inbox in the admin, black-box: messages arrive through the
public form (/contact) of the real ASan binary, the owner reads, filters,
changes status and replies in /admin/inbox; replies are captured by a real
SMTP server and their threading headers checked.

Untrusted payloads (script, HTML, attribute breakers, CR/LF header
injection) typed by a stranger must show escaped on every admin page and
never reach a mail header.
"""
import email.utils
import html
import re
import time
from urllib.parse import quote as Q

import pytest

import conftest
import jm

BASE = "http://inbox.example.test"  # http: the admin cookie is not Secure
OWNER = "owner@example.com"
PASSWORD = "correct horse battery staple"
SENDER = dict(mail_from_name="サイト運営者", mail_from_addr="site@example.com",
              sender_postal_address="東京都千代田区1-1-1", sender_contact="info@example.com")
UA = {"User-Agent": "Mozilla/5.0 (jinmyaku tests)"}

XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<b>太字</b><a href=\"javascript:alert(1)\">link</a>",
    "**markdown** [x](javascript:alert(1)) &amp; &lt;",
]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    e = jm.contact_env(tmp_path_factory.mktemp("inbox"), BASE, OWNER, PASSWORD, SENDER,
                       headers=UA)
    e["admin"] = e["srv"].client()
    r = conftest.login(e["admin"], OWNER, PASSWORD)
    assert r.status == 200 and "/admin/login" not in r.url
    yield e
    jm.contact_env_close(e)


@pytest.fixture(autouse=True)
def _fresh_limits(env):
    env["db"].execute("DELETE FROM signup_attempts WHERE key LIKE 'contact-%'")
    yield


token = jm.contact_token


def send_message(env, **kw):
    """Sends one message through the public form; returns (id, email)."""
    f = dict(name="山田 太郎", email=jm.uniq("s") + "@example.org", category="仕事のご依頼",
             subject="ご相談 " + jm.uniq("m"), message="本文です。", website="",
             form_token=token(env["secret"], int(time.time()) - 10))
    f.update(kw)
    r = env["web"].post("/contact", form=f, follow=False)
    assert r.status == 303, r.text[:2000]
    env["db"].execute("DELETE FROM signup_attempts WHERE key LIKE 'contact-%'")
    mid = env["db"].execute("SELECT max(id) FROM messages WHERE email = ?",
                            (f["email"].lower(),)).fetchone()[0]
    assert mid
    return mid, f["email"].lower()


def csrf(env, path):
    r = env["admin"].get(path)
    assert r.status == 200, (path, r.status)
    return jm.csrf_of(r.text)


def apost(env, path, form, page=None, follow=False):
    form = dict(form)
    form.setdefault("_csrf", csrf(env, page or path.rsplit("/", 1)[0]))
    return env["admin"].post(path, form=form, follow=follow)


def mails_to(cap, addr, n):
    def got():
        m = [(e, msg) for e, msg in cap.messages() if addr in e["rcpt_tos"]]
        return m if len(m) >= n else None
    return jm.wait_until(got, 60, what="%d mail(s) to %s" % (n, addr))


def assert_escaped(text, payload):
    assert payload not in text or payload == html.escape(payload, quote=True), payload
    assert html.escape(payload, quote=True) in text or \
        html.escape(payload, quote=False) in text, payload


def ids_in_list(text):
    return [int(x) for x in re.findall(r'class="inbox-row" data-id="(\d+)"', text)]


# ---- untrusted payloads ----

def test_payloads_show_escaped_in_the_list_and_the_message_page(env):
    mids = []
    for p in XSS:
        mid, _ = send_message(env, name=p[:100], subject=p, message=p + "\n2行目 " + p)
        mids.append(mid)
    r = env["admin"].get("/admin/inbox")
    assert r.status == 200
    assert set(mids) <= set(ids_in_list(r.text))
    for p in XSS:
        assert_escaped(r.text, p)
    assert "<script>alert(1)</script>" not in r.text
    assert "<img src=x" not in r.text and "<b>太字</b>" not in r.text
    for mid, p in zip(mids, XSS):
        page = env["admin"].get("/admin/inbox/%d" % mid)
        assert page.status == 200
        assert "<script>alert(1)</script>" not in page.text
        assert "<img src=x" not in page.text and "<b>太字</b>" not in page.text
        assert "<strong>markdown</strong>" not in page.text
        body = re.search(r'<div class="msg-body"[^>]*>(.*?)</div>', page.text, re.S).group(1)
        assert html.unescape(body) == p + "\n2行目 " + p  # line break kept, nothing rendered
        assert_escaped(page.text, p)


def test_notification_mail_carries_payloads_only_in_safe_places(env):
    p = '"><img src=x onerror=alert(1)> <script>'
    mid, addr = send_message(env, name=p, subject="XSS " + p)
    envl, msg = jm.wait_until(
        lambda: next((m for m in env["cap"].messages()
                      if OWNER in m[0]["rcpt_tos"] and "XSS " in str(m[1]["Subject"])), None),
        60, what="notification")
    assert str(msg["Subject"]) == "[お問い合わせ] XSS " + p
    assert str(msg["Reply-To"]).strip() == addr
    assert msg.get_content_type() == "text/plain"
    assert msg["Bcc"] is None and msg["Cc"] is None
    heads = envl["raw"].split(b"\r\n\r\n")[0].decode("ascii")  # 7-bit, RFC 2047
    names = {line.split(":", 1)[0].lower() for line in heads.split("\r\n")
             if line and not line[0].isspace()}
    assert names <= {"dkim-signature", "date", "from", "reply-to", "to", "subject", "message-id",
                     "mime-version", "content-type", "content-transfer-encoding"}, names


def test_header_injection_in_name_and_subject_is_refused_and_mails_nobody(env):
    before = env["db"].execute("SELECT count(*) FROM messages").fetchone()[0]
    for over in (dict(name="x\r\nBcc: evil@example.com"),
                 dict(subject="x\r\nBcc: evil@example.com"),
                 dict(subject="x\nTo: evil@example.com")):
        f = dict(name="n", email=jm.uniq("inj") + "@example.org", category="その他",
                 subject="s", message="m", website="",
                 form_token=token(env["secret"], int(time.time()) - 10))
        f.update(over)
        r = env["web"].post("/contact", form=f, follow=False)
        assert r.status == 422
    assert env["db"].execute("SELECT count(*) FROM messages").fetchone()[0] == before
    for envl, msg in env["cap"].messages():
        assert "evil@example.com" not in envl["rcpt_tos"]
        assert msg["Bcc"] is None


# ---- replies and threading ----

def reply(env, mid, subject=None, body="お返事です。", follow=False):
    form = {"body": body}
    if subject is not None:
        form["subject"] = subject
    return apost(env, "/admin/inbox/%d/reply" % mid, form, page="/admin/inbox/%d" % mid,
                 follow=follow)


def test_reply_is_threaded_logged_and_marks_the_message(env):
    db, cap = env["db"], env["cap"]
    mid, addr = send_message(env, name="返信 太郎", subject="取材のお願い")
    page = env["admin"].get("/admin/inbox/%d" % mid)
    f = jm.find_form(page.text, action="/reply")
    assert f.get("subject") == "Re: 取材のお願い"
    pid = db.execute("SELECT person_id FROM messages WHERE id = ?", (mid,)).fetchone()[0]
    assert 'id="person-link" href="/admin/people/%d"' % pid in page.text
    assert 'data-stage="reader"' in page.text
    timeline = page.text.split('id="timeline"')[1].split("</ol>")[0]
    # The message itself is on the sender's history, once.
    assert timeline.count('class="tl-title">取材のお願い<') == 1, timeline
    # Kinds and stages in the UI language, as on the person page.
    assert 'data-kind="message">メッセージ<' in timeline and ">段階<" in timeline, timeline
    assert 'tl-title">読者<' in timeline, timeline
    msgid = db.execute("SELECT msgid FROM messages WHERE id = ?", (mid,)).fetchone()[0]

    r = reply(env, mid, "Re: 取材のお願い", "ありがとうございます。\n承知しました。")
    assert r.status == 303
    assert r.header("Location") == "/admin/inbox/%d?done=replied" % mid
    (envl, m1), = mails_to(cap, addr, 1)
    assert envl["mail_from"] == "site@example.com"
    name, frm = email.utils.parseaddr(str(m1["From"]))
    assert (name, frm) == ("サイト運営者", "site@example.com")
    assert email.utils.parseaddr(str(m1["To"])) == ("返信 太郎", addr)
    assert str(m1["Subject"]) == "Re: 取材のお願い"
    assert str(m1["In-Reply-To"]).strip() == msgid
    assert str(m1["References"]).split() == [msgid]
    assert m1["List-Unsubscribe"] is None
    text = m1.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "ありがとうございます。\n承知しました。" in text
    r1 = db.execute("SELECT msgid, delivery_id FROM message_replies WHERE message_id = ?",
                    (mid,)).fetchone()
    assert str(m1["Message-ID"]).strip() == r1[0]
    assert re.fullmatch(r"<reply-%d\.[A-Za-z0-9_-]+@inbox\.example\.test>" % mid, r1[0])

    status, pid = db.execute("SELECT status, person_id FROM messages WHERE id = ?",
                             (mid,)).fetchone()
    assert status == "replied"
    last = db.execute("SELECT last_contact_at FROM people WHERE id = ?", (pid,)).fetchone()[0]
    assert last and abs(last - time.time()) < 600
    assert db.execute("SELECT count(*) FROM person_events WHERE person_id = ? AND kind = 'reply'",
                      (pid,)).fetchone()[0] == 1

    # The reply shows on the message page with its delivery state, and on
    # the person's history.
    jm.wait_until(lambda: db.execute("SELECT state FROM deliveries WHERE id = ?",
                                     (r1[1],)).fetchone()[0] == "sent", what="reply sent")
    page = env["admin"].get("/admin/inbox/%d?done=replied" % mid)
    assert 'id="flash"' in page.text
    assert re.search(r'class="reply" data-id="\d+" data-state="sent"', page.text)
    assert "承知しました。" in page.text
    timeline = page.text.split('id="timeline"')[1].split("</ol>")[0]
    assert timeline.count('class="tl-title">Re: 取材のお願い<') == 1, timeline
    assert 'data-kind="reply">返信<' in timeline, timeline
    person = env["admin"].get("/admin/people/%d" % pid)
    assert person.status == 200 and "Re: 取材のお願い" in person.text

    # A second reply: References holds the message and the first reply.
    assert reply(env, mid, "Re: 取材のお願い（追伸）", "追伸です。").status == 303
    _, m2 = mails_to(cap, addr, 2)[1]
    assert str(m2["In-Reply-To"]).strip() == msgid
    assert str(m2["References"]).split() == [msgid, r1[0]]
    ids = [x[0] for x in db.execute("SELECT msgid FROM message_replies WHERE message_id = ? "
                                    "ORDER BY id", (mid,)).fetchall()]
    assert len(ids) == 2 and str(m2["Message-ID"]).strip() == ids[1]


def test_reply_with_empty_subject_gets_the_default(env):
    mid, addr = send_message(env, subject="見積もり")
    assert reply(env, mid, "", "お見積もりを送ります。").status == 303
    _, m = mails_to(env["cap"], addr, 1)[0]
    assert str(m["Subject"]) == "Re: 見積もり"


def test_bad_replies_are_refused_and_store_nothing(env):
    db = env["db"]
    mid, addr = send_message(env, subject="断られる返信")
    count = lambda: db.execute("SELECT (SELECT count(*) FROM message_replies), "  # noqa: E731
                               "(SELECT count(*) FROM deliveries)").fetchone()
    before = count()
    for subject, body, word in (("Re: x", "", "本文"), ("Re: x", "  \n ", "本文"),
                                ("Re: x\r\nBcc: evil@example.com", "本文", "件名"),
                                ("s" * 201, "本文", "件名"),
                                ("Re: x", "b" * 20001, "本文")):
        r = reply(env, mid, subject, body)
        assert r.status == 422, (subject[:20], r.status)
        assert word in r.text and 'id="form-error"' in r.text
        f = jm.find_form(r.text, action="/reply")
        assert f.get("body") == body.replace("\r\n", "\n") or len(body) > 20000 or not body.strip()
    assert count() == before
    assert db.execute("SELECT status FROM messages WHERE id = ?", (mid,)).fetchone()[0] == "new"
    # Unknown message → 404; no CSRF token → 403: nothing stored either way.
    r = apost(env, "/admin/inbox/999999/reply", {"subject": "x", "body": "y"},
              page="/admin/inbox")
    assert r.status == 404
    r = env["admin"].post("/admin/inbox/%d/reply" % mid, form={"subject": "x", "body": "y"},
                          follow=False)
    assert r.status == 403
    assert count() == before


def test_inbox_needs_a_signed_in_user(env):
    anon = env["srv"].client()
    r = anon.get("/admin/inbox", follow=False)
    assert r.status in (302, 303) and "/admin/login" in r.header("Location", "")
    r = anon.get("/admin/inbox/1", follow=False)
    assert r.status in (302, 303)


# ---- status, tabs, filters ----

def tab_count(text, key):
    m = re.search(r'id="tab-%s"[^>]*>[^<]*<span class="badge tab-count" data-count="(\d+)"' % key,
                  text)
    return int(m.group(1))


def test_status_changes_move_the_message_between_tabs(env):
    db = env["db"]
    mid, _ = send_message(env, subject="状態の確認")
    r = env["admin"].get("/admin/inbox")
    counts = {k: tab_count(r.text, k) for k in ("new", "replied", "archived", "spam")}
    real = dict(db.execute("SELECT status, count(*) FROM messages GROUP BY status").fetchall())
    assert counts == {k: real.get(k, 0) for k in counts}
    assert mid in ids_in_list(r.text)

    r = apost(env, "/admin/inbox/%d/status" % mid, {"status": "archived"},
              page="/admin/inbox/%d" % mid)
    assert r.status == 303 and r.header("Location") == "/admin/inbox/%d?done=status" % mid
    assert db.execute("SELECT status FROM messages WHERE id = ?", (mid,)).fetchone()[0] == "archived"
    r = env["admin"].get("/admin/inbox")
    assert mid not in ids_in_list(r.text)
    assert tab_count(r.text, "archived") == counts["archived"] + 1
    assert tab_count(r.text, "new") == counts["new"] - 1
    assert mid in ids_in_list(env["admin"].get("/admin/inbox?status=archived").text)
    assert mid in ids_in_list(env["admin"].get("/admin/inbox?status=all").text)

    assert apost(env, "/admin/inbox/%d/status" % mid, {"status": "spam"},
                 page="/admin/inbox/%d" % mid).status == 303
    assert mid in ids_in_list(env["admin"].get("/admin/inbox?status=spam").text)
    assert mid not in ids_in_list(env["admin"].get("/admin/inbox?status=archived").text)

    for bad in ("deleted", "", "new' OR 1=1 --"):
        r = apost(env, "/admin/inbox/%d/status" % mid, {"status": bad},
                  page="/admin/inbox/%d" % mid)
        assert r.status == 422
    assert db.execute("SELECT status FROM messages WHERE id = ?", (mid,)).fetchone()[0] == "spam"

    assert apost(env, "/admin/inbox/%d/status" % mid, {"status": "new"},
                 page="/admin/inbox/%d" % mid).status == 303
    assert mid in ids_in_list(env["admin"].get("/admin/inbox").text)
    # The tab counts (kept by triggers) follow deletes too, e.g. an erased sender.
    db.execute("DELETE FROM messages WHERE id = ?", (mid,))
    db.commit()
    r = env["admin"].get("/admin/inbox")
    real = dict(db.execute("SELECT status, count(*) FROM messages GROUP BY status").fetchall())
    assert {k: tab_count(r.text, k) for k in counts} == {k: real.get(k, 0) for k in counts}
    r = apost(env, "/admin/inbox/999999/status", {"status": "new"}, page="/admin/inbox")
    assert r.status == 404


def test_category_filter_and_search(env):
    tag = jm.uniq("kw")
    a, _ = send_message(env, category="取材", subject="取材 " + tag)
    b, _ = send_message(env, category="情報提供", subject="情報", message="本文に " + tag + " あり")
    c, addr = send_message(env, category="情報提供", subject="別件")
    ids = ids_in_list(env["admin"].get("/admin/inbox?category=" + Q("情報提供")).text)
    assert b in ids and c in ids and a not in ids
    ids = ids_in_list(env["admin"].get("/admin/inbox?q=" + tag).text)
    assert sorted(ids) == sorted([a, b])
    ids = ids_in_list(env["admin"].get("/admin/inbox?category=%s&q=%s" % (Q("取材"), tag)).text)
    assert ids == [a]
    assert ids_in_list(env["admin"].get("/admin/inbox?q=" + addr).text) == [c]
    # LIKE wildcards are literal.
    assert ids_in_list(env["admin"].get("/admin/inbox?q=%25").text) == []
    assert ids_in_list(env["admin"].get("/admin/inbox?q=_").text) == []
    # The filters survive in the tab links; the search box keeps the query escaped.
    r = env["admin"].get("/admin/inbox?q=%3Cscript%3E")
    assert r.status == 200 and "<script>" not in r.text.split('id="inbox-search"')[1]
    assert 'value="&lt;script&gt;"' in r.text


def test_pagination(env):
    db = env["db"]
    pid = db.execute("SELECT person_id FROM messages LIMIT 1").fetchone()[0]
    tag = jm.uniq("page")
    now = int(time.time())
    for i in range(35):
        db.execute("INSERT INTO messages(person_id, category, subject, body, name, email, "
                   "status, msgid, created_at, updated_at) VALUES (?, 'その他', ?, 'b', 'n', "
                   "'p@example.org', 'new', ?, ?, ?)",
                   (pid, "%s %02d" % (tag, i), "<p%d.%s@x>" % (i, tag), now - 1000 + i, now))
    r = env["admin"].get("/admin/inbox?q=" + tag)
    first = ids_in_list(r.text)
    assert len(first) == 30
    assert 'id="page-info">1 / 2<' in r.text and 'id="page-next"' in r.text
    nxt = re.search(r'id="page-next" href="([^"]+)"', r.text).group(1)
    r2 = env["admin"].get(html.unescape(nxt))
    second = ids_in_list(r2.text)
    assert len(second) == 5 and not set(first) & set(second)
    # newest first
    subjects = re.findall(r'class="title-link msg-subject"[^>]*>([^<]*)<', r.text)
    assert subjects[0] == "%s 34" % tag


def test_reply_to_a_message_without_a_valid_address_is_refused(env):
    db = env["db"]
    pid = db.execute("SELECT person_id FROM messages LIMIT 1").fetchone()[0]
    now = int(time.time())
    mid = db.execute("INSERT INTO messages(person_id, subject, body, name, email, msgid, "
                     "created_at, updated_at) VALUES (?, '古い取り込み', 'b', 'n', 'broken', "
                     "'<old.1@x.test>', ?, ?) RETURNING id", (pid, now, now)).fetchone()[0]
    before = db.execute("SELECT count(*) FROM deliveries").fetchone()[0]
    r = reply(env, mid, "Re: 古い取り込み", "本文")
    assert r.status == 422 and "返信できません" in r.text
    assert db.execute("SELECT count(*) FROM deliveries").fetchone()[0] == before
    assert db.execute("SELECT count(*) FROM message_replies WHERE message_id = ?",
                      (mid,)).fetchone()[0] == 0
    assert db.execute("SELECT status FROM messages WHERE id = ?", (mid,)).fetchone()[0] == "new"
