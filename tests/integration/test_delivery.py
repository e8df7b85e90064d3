"""Mail magazine delivery, black-box: the real ASan binary sends through a
capturing SMTP server (aiosmtpd) and each captured mail is checked with
Python's email package and python3-dkim.

Lists and subscribers go straight into the database (jm.nl_db); broadcasts
are created and sent through the JSON API, like a client would.
"""
import email.utils
import os
import re
import time
import urllib.parse

import dkim
import pytest

import jm
import smtp_capture
import smtp_faulty

BASE = "https://mag.example.test"
SENDER = dict(mail_from_name="テスト発行者", mail_from_addr="news@example.com",
              sender_postal_address="東京都千代田区1-1-1", sender_contact="info@example.com")


def dns_for(txt_value, selector, domain):
    name = ("%s._domainkey.%s." % (selector, domain)).encode()

    def dnsfunc(qname, timeout=5):
        return txt_value.encode() if qname == name else None
    return dnsfunc


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """A capture server, a data dir with a DKIM key and the sender settings,
    and a server sending through the capture server."""
    root = tmp_path_factory.mktemp("deliv")
    cap = smtp_capture.Capture(root / "mail").start()
    data = str(root / "data")
    p = jm.run_cli(["dkim", "keygen", "--domain", "example.com", "--selector", "jm1"], data)
    assert p.returncode == 0, p.stderr
    m = re.search(r"value: (v=DKIM1;.*)", p.stdout)
    assert m and "s1._domainkey" not in p.stdout and "jm1._domainkey.example.com" in p.stdout
    db = jm.nl_db(data)
    jm.nl_settings(db, rate_per_sec=0, **SENDER)
    srv = jm.EnvServer(data, ["--base-url", BASE],
                       env={"JINMYAKU_SMTP_URL": cap.url, "JINMYAKU_RETRY_BASE_MS": "100"})
    srv.start()
    srv.add_user("owner@example.com", "correct horse battery staple")
    api = jm.Api(srv.base, srv.create_token("deliv"))
    yield dict(cap=cap, srv=srv, db=db, api=api, txt=m.group(1), data=data)
    srv.stop_and_check()
    cap.stop()
    db.close()


def create_broadcast(api, list_id, subject, body, **kw):
    r = api.post("/api/v1/broadcasts", dict(list_id=list_id, subject=subject, body=body, **kw))
    assert r.status == 201, r.body[:500]
    return r.json()["id"]


def send(api, bid):
    r = api.post("/api/v1/broadcasts/%d/send" % bid, {})
    assert r.status in (200, 202), r.body[:500]


def wait_status(db, bid, status, deadline=60):
    return jm.wait_until(
        lambda: db.execute("SELECT status FROM broadcasts WHERE id=?", (bid,)).fetchone()[0]
        == status, deadline, what="broadcast %d %s" % (bid, status))


def mails_to(cap, addrs):
    out = {}
    for envl, msg in cap.messages():
        for r in envl["rcpt_tos"]:
            if r in addrs:
                out.setdefault(r, []).append((envl, msg))
    return out


def parts(msg):
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    return text, html


def test_send_refused_without_sender_settings(env):
    db, api = env["db"], env["api"]
    lid = jm.nl_list(db, jm.uniq("nos"), "No sender")
    bid = create_broadcast(api, lid, "件名", "本文")
    db.execute("DELETE FROM settings WHERE key IN ('sender_postal_address', 'sender_contact')")
    try:
        r = api.post("/api/v1/broadcasts/%d/send" % bid, {})
        assert r.status == 422, r.body
        err = r.json()["error"]
        assert "sender_postal_address" in err["message"] and "sender_contact" in err["message"]
        row = db.execute("SELECT status, started_at FROM broadcasts WHERE id=?", (bid,)).fetchone()
        assert row == ("draft", None)
    finally:
        jm.nl_settings(db, **SENDER)


def test_broadcast_mail_headers_parts_merge_dkim_and_unsubscribe(env):
    db, api, cap, srv = env["db"], env["api"], env["cap"], env["srv"]
    slug = jm.uniq("news")
    lid = jm.nl_list(db, slug, "週刊ニュース", fields=["company"])
    sub = jm.nl_subscribers(db, lid, [
        ("yamada@example.org", "山田", {"company": "株式会社テスト"}, ["vip"]),
        ("noname@example.org", "", {}, []),
        ("excluded@example.org", "除外", {}, ["nomail"]),
    ])
    jm.nl_subscribers(db, lid, [("gone@example.org", "去った人", {}, [])], status="unsubscribed")
    bid = create_broadcast(api, lid, "{{name|読者}}さん、今週のお知らせ",
                           "こんにちは {{name|読者}} さん。\n\n会社: {{company|未設定}}\n\n"
                           "**大事な** お知らせ <script>x</script>",
                           audience={"tags_none": ["nomail"]})
    send(api, bid)
    wait_status(db, bid, "sent")
    got = mails_to(cap, {"yamada@example.org", "noname@example.org", "excluded@example.org",
                         "gone@example.org"})
    assert set(got) == {"yamada@example.org", "noname@example.org"}
    assert all(len(v) == 1 for v in got.values())
    total, sent = db.execute("SELECT total, (SELECT count(*) FROM deliveries WHERE "
                             "broadcast_id=? AND state='sent') FROM broadcasts WHERE id=?",
                             (bid, bid)).fetchone()
    assert (total, sent) == (2, 2)

    envl, msg = got["yamada@example.org"][0]
    assert envl["mail_from"] == "news@example.com"
    name, addr = email.utils.parseaddr(str(msg["From"]))
    assert (name, addr) == ("テスト発行者", "news@example.com")
    assert str(msg["Subject"]) == "山田さん、今週のお知らせ"
    assert "=?" in envl["raw"].split(b"\r\n\r\n")[0].decode("ascii"), "subject not RFC 2047"
    assert email.utils.parsedate_to_datetime(str(msg["Date"])) is not None
    assert re.fullmatch(r"<[^@\s]+@example\.com>", str(msg["Message-ID"]).strip())
    assert "<%s.mag.example.test>" % slug in str(msg["List-Id"])
    lu = str(msg["List-Unsubscribe"]).strip()
    m = re.fullmatch(r"<(https://mag\.example\.test/unsubscribe\?token=[A-Za-z0-9_.\-]+)>", lu)
    assert m, lu
    unsub_url = m.group(1)
    assert str(msg["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    text, html = parts(msg)
    assert "こんにちは 山田 さん" in text and "こんにちは 山田 さん" in html
    assert "株式会社テスト" in text and "株式会社テスト" in html
    assert "<strong>大事な</strong>" in html and "<script>" not in html
    for part in (text, html):
        assert "テスト発行者" in part and "東京都千代田区1-1-1" in part
        assert "info@example.com" in part and unsub_url in part
    assert dkim.verify(envl["raw"], dnsfunc=dns_for(env["txt"], "jm1", "example.com"))
    sig = str(msg["DKIM-Signature"]).replace(" ", "").replace("\t", "").lower()
    for h in ("from", "subject", "list-unsubscribe", "list-unsubscribe-post"):
        assert h in re.search(r";h=([^;]+)", sig).group(1).split(":")

    _, msg2 = got["noname@example.org"][0]
    assert str(msg2["Subject"]) == "読者さん、今週のお知らせ"
    text2, html2 = parts(msg2)
    assert "こんにちは 読者 さん" in text2 and "会社: 未設定" in text2
    assert "こんにちは 読者 さん" in html2 and "未設定" in html2
    other = re.search(r"token=([^>\s\"]+)", str(msg2["List-Unsubscribe"])).group(1)
    assert other not in unsub_url, "unsubscribe tokens must be per recipient"

    # RFC 8058 one-click round trip on the real server (the https host is
    # the public name of this test server).
    path = urllib.parse.urlsplit(unsub_url)
    r = srv.raw("POST", path.path + "?" + path.query,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                body=b"List-Unsubscribe=One-Click")
    assert r.status in (200, 204), r.status
    st = db.execute("SELECT status FROM subscriptions WHERE id=?",
                    (sub["yamada@example.org"],)).fetchone()[0]
    assert st == "unsubscribed"


def test_test_send_uses_fallbacks(env):
    db, api, cap = env["db"], env["api"], env["cap"]
    lid = jm.nl_list(db, jm.uniq("tst"), "テスト配信")
    bid = create_broadcast(api, lid, "{{name|読者}}様へ", "{{name|読者}}様、{{company|御社}}は？")
    r = api.post("/api/v1/broadcasts/%d/test" % bid, {"email": "Checker@Example.net"})
    assert r.status == 202, r.body
    got = jm.wait_until(lambda: mails_to(cap, {"checker@example.net"}), 30, what="test mail")
    envl, msg = got["checker@example.net"][0]
    assert str(msg["Subject"]) == "[TEST] 読者様へ"
    text, html = parts(msg)
    assert "読者様、御社は？" in text and "読者様、御社は？" in html
    assert db.execute("SELECT status FROM broadcasts WHERE id=?", (bid,)).fetchone()[0] == "draft"
    r = api.post("/api/v1/broadcasts/%d/test" % bid, {"email": "not an address"})
    assert r.status == 422


def test_multiline_field_in_subject_never_fails_the_broadcast(env):
    """A person's custom field may hold newlines (notes-like fields); merged
    into a subject it becomes one line, so the broadcast still goes out."""
    db, api, cap = env["db"], env["api"], env["cap"]
    lid = jm.nl_list(db, jm.uniq("ml"), "複数行")
    jm.nl_subscribers(db, lid, [("multi@example.org", "複数", {"company": "出版\r\nBcc: x@evil.example"}, [])])
    bid = create_broadcast(api, lid, "{{company}}様へ", "本文")
    send(api, bid)
    wait_status(db, bid, "sent")
    got = mails_to(cap, {"multi@example.org"})["multi@example.org"]
    envl, msg = got[0]
    assert str(msg["Subject"]) == "出版  Bcc: x@evil.example様へ"
    assert msg["Bcc"] is None and envl["rcpt_tos"] == ["multi@example.org"]


def test_confirm_mail_has_only_list_name_and_link(env):
    db, cap = env["db"], env["cap"]
    lid = jm.nl_list(db, jm.uniq("cf"), "確認テスト")
    spam = "BUY NOW http://spam.example/"
    sub = jm.nl_subscribers(db, lid, [("new@example.org", spam, {"company": spam}, [])],
                            status="pending")
    pid = db.execute("SELECT person_id FROM subscriptions WHERE id=?",
                     (sub["new@example.org"],)).fetchone()[0]
    db.execute("INSERT INTO deliveries(kind, subscription_id, person_id, to_addr, domain, "
               "created_at) VALUES ('confirm', ?, ?, 'new@example.org', 'example.org', ?)",
               (sub["new@example.org"], pid, int(time.time())))
    got = jm.wait_until(lambda: mails_to(cap, {"new@example.org"}), 30, what="confirm mail")
    envl, msg = got["new@example.org"][0]
    assert "確認テスト" in str(msg["Subject"])
    body = msg.get_body(("plain",)).get_content()
    assert "確認テスト" in body
    assert re.search(r"https://mag\.example\.test/subscribe/confirm\?token=\S+", body)
    # the injected text, not the bare word: a DKIM signature's base64 may
    # spell "spam" by chance (it did, once in CI's sense, on PostgreSQL)
    raw = envl["raw"].decode("utf-8", "replace").lower()
    assert "spam.example" not in raw and "buy now" not in raw
    assert "BUY" not in body


def test_window_pause_resume_cancel(env):
    """Outside the sending window a broadcast waits (transactional mail
    still goes); pause/resume/cancel follow the state machine; a cancel
    cancels the queued deliveries."""
    db, api, cap = env["db"], env["api"], env["cap"]
    now = time.gmtime(time.time() + 9 * 3600)  # tz_offset_min defaults to JST
    start = (now.tm_hour + 2) % 24
    jm.nl_settings(db, send_window="%02d:00-%02d:30" % (start, start))
    try:
        time.sleep(2.5)  # the worker rereads settings every 2 s
        lid = jm.nl_list(db, jm.uniq("win"), "Window")
        addrs = ["w%d@example.org" % i for i in range(5)]
        jm.nl_subscribers(db, lid, [(a, "", {}, []) for a in addrs])
        bid = create_broadcast(api, lid, "Window", "body")
        r = api.post("/api/v1/broadcasts/%d/pause" % bid, {})
        assert r.status == 409, "pausing a draft must be refused"
        send(api, bid)
        jm.wait_until(lambda: db.execute("SELECT expanded FROM broadcasts WHERE id=?",
                                         (bid,)).fetchone()[0] == 1, 30, what="expansion")
        r = api.post("/api/v1/broadcasts/%d/test" % bid, {"email": "win-test@example.net"})
        assert r.status == 202
        jm.wait_until(lambda: mails_to(cap, {"win-test@example.net"}), 30, what="test mail")
        assert not mails_to(cap, set(addrs)), "sent outside the sending window"
        assert api.post("/api/v1/broadcasts/%d/pause" % bid, {}).status == 200
        assert db.execute("SELECT status FROM broadcasts WHERE id=?", (bid,)).fetchone()[0] == "paused"
        assert api.post("/api/v1/broadcasts/%d/resume" % bid, {}).status == 200
        assert api.post("/api/v1/broadcasts/%d/cancel" % bid, {}).status == 200
        states = dict(db.execute("SELECT state, count(*) FROM deliveries WHERE broadcast_id=? "
                                 "GROUP BY state", (bid,)).fetchall())
        assert states == {"cancelled": 5}
        assert api.post("/api/v1/broadcasts/%d/send" % bid, {}).status == 409
    finally:
        jm.nl_settings(db, send_window="")
    time.sleep(2.5)
    assert not mails_to(cap, set(addrs))


def test_iso2022jp_for_lists_and_carriers(env):
    db, api, cap = env["db"], env["api"], env["cap"]
    jm.nl_settings(db, iso2022jp_carriers=1)
    time.sleep(2.5)
    try:
        jis = jm.nl_list(db, jm.uniq("jis"), "ガラケー便", charset="iso-2022-jp")
        jm.nl_subscribers(db, jis, [("jis@example.org", "田中", {}, [])])
        utf = jm.nl_list(db, jm.uniq("utf"), "通常便")
        jm.nl_subscribers(db, utf, [("k@docomo.ne.jp", "木村", {}, []),
                                    ("pc@example.org", "林", {}, [])])
        for lid in (jis, utf):
            bid = create_broadcast(api, lid, "{{name}}様 お知らせ", "{{name}}様、こんにちは。")
            send(api, bid)
            wait_status(db, bid, "sent")
    finally:
        jm.nl_settings(db, iso2022jp_carriers=0)
    got = mails_to(cap, {"jis@example.org", "k@docomo.ne.jp", "pc@example.org"})
    for addr, name, charset in (("jis@example.org", "田中", "iso-2022-jp"),
                                ("k@docomo.ne.jp", "木村", "iso-2022-jp"),
                                ("pc@example.org", "林", "utf-8")):
        envl, msg = got[addr][0]
        text = msg.get_body(("plain",))
        assert text.get_content_charset() == charset, addr
        assert "%s様、こんにちは。" % name in text.get_content()
        assert str(msg["Subject"]) == "%s様 お知らせ" % name
        if charset == "iso-2022-jp":
            assert max(envl["raw"]) < 128, "ISO-2022-JP mail must be 7bit"


def test_scheduled_broadcast_starts_on_time(env):
    db, api, cap = env["db"], env["api"], env["cap"]
    lid = jm.nl_list(db, jm.uniq("sch"), "Scheduled")
    jm.nl_subscribers(db, lid, [("sched@example.org", "", {}, [])])
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3))
    bid = create_broadcast(api, lid, "Later", "body", scheduled_at=at)
    send(api, bid)
    assert db.execute("SELECT status FROM broadcasts WHERE id=?", (bid,)).fetchone()[0] \
        == "scheduled"
    assert not mails_to(cap, {"sched@example.org"})
    wait_status(db, bid, "sent", deadline=30)
    assert len(mails_to(cap, {"sched@example.org"})["sched@example.org"]) == 1


def test_bad_broadcast_input_changes_nothing(env):
    db, api = env["db"], env["api"]
    lid = jm.nl_list(db, jm.uniq("bad"), "Bad")
    before = db.execute("SELECT count(*) FROM broadcasts").fetchone()[0]
    cases = [
        dict(list_id=lid, subject="x" * 201, body="b"),
        dict(list_id=lid, subject="", body="b"),
        dict(list_id=lid, subject="ok", body="b", audience={"tags_any": "vip"}),
        dict(list_id=lid, subject="ok", body="b", audience={"fields": [{"key": "k", "op": "lt", "value": "v"}]}),
        dict(list_id=lid, subject="ok", body="b", audience={"nope": []}),
        dict(list_id=999999, subject="ok", body="b"),
        dict(list_id=lid, subject="ok", body="x" * (1024 * 1024 + 1)),
    ]
    for c in cases:
        r = env["api"].post("/api/v1/broadcasts", c)
        assert r.status in (413, 422), (c.get("subject", "")[:10], r.status, r.body[:200])
    assert db.execute("SELECT count(*) FROM broadcasts").fetchone()[0] == before
    ok = create_broadcast(api, lid, "x" * 200, "b")  # at the cap
    assert ok


def test_rate_per_second_is_not_exceeded(env):
    db, api, cap = env["db"], env["api"], env["cap"]
    jm.nl_settings(db, rate_per_sec=5)
    try:
        time.sleep(2.5)
        lid = jm.nl_list(db, jm.uniq("rate"), "Rate")
        addrs = ["r%02d@example.org" % i for i in range(60)]
        jm.nl_subscribers(db, lid, [(a, "", {}, []) for a in addrs])
        bid = create_broadcast(api, lid, "Rate", "body")
        send(api, bid)
        jm.wait_until(lambda: len(mails_to(cap, set(addrs))) >= 5, 60, what="sending")
        # A confirmation queued now goes out long before the broadcast ends.
        sub = jm.nl_subscribers(db, lid, [("prio@example.org", "", {}, [])],
                                status="pending")["prio@example.org"]
        db.execute("INSERT INTO deliveries(kind, subscription_id, to_addr, domain, created_at) "
                   "VALUES ('confirm', ?, 'prio@example.org', 'example.org', ?)",
                   (sub, int(time.time())))
        jm.wait_until(lambda: mails_to(cap, {"prio@example.org"}), 30, what="confirm mail")
        assert len(mails_to(cap, set(addrs))) <= 40, "the confirmation waited behind the broadcast"
        wait_status(db, bid, "sent", deadline=90)
    finally:
        jm.nl_settings(db, rate_per_sec=0)
    got = mails_to(cap, set(addrs))
    assert set(got) == set(addrs)
    # The send times the worker recorded (the grants of the shared schedule,
    # ms): the capture server's own clock on a loaded machine adds tens of
    # milliseconds of jitter, which the 2% margin cannot be asked to absorb.
    times = sorted(r[0] for r in db.execute(
        "SELECT sent_ms FROM deliveries WHERE broadcast_id = ?", (bid,)).fetchall())
    assert len(times) == len(addrs) and None not in times
    worst = max(sum(1 for u in times if t <= u < t + 1000) for t in times)
    assert worst <= 5, "%d messages within one second: %s" % (worst, [b - a for a, b in zip(times, times[1:])])


# ---- faults: a scripted SMTP server ----

def test_faults_retry_fail_bounce_and_server_down(tmp_path):
    port = jm.free_port()
    data = str(tmp_path / "data")
    srv = jm.EnvServer(data, ["--base-url", BASE],
                       env={"JINMYAKU_SMTP_URL": "smtp://127.0.0.1:%d" % port,
                            "JINMYAKU_RETRY_BASE_MS": "100"})
    srv.start()
    faulty = None
    try:
        db = jm.nl_db(data)
        jm.nl_settings(db, rate_per_sec=0, **SENDER)
        srv.add_user("owner@example.com", "correct horse battery staple")
        api = jm.Api(srv.base, srv.create_token("faults"))
        lid = jm.nl_list(db, "faults", "Faults")
        rows = ["ok1@example.org", "temp421@example.org", "temp451@example.org",
                "unknown@example.org", "drop@example.org", "ok2@example.org", "quote@example.org"]
        sub = jm.nl_subscribers(db, lid, [(a, "", {}, []) for a in rows])
        bid = create_broadcast(api, lid, "Faults", "body")
        send(api, bid)
        # Server down: the first attempts fail with a transport error.
        jm.wait_until(lambda: db.execute("SELECT count(*) FROM deliveries WHERE broadcast_id=? "
                                         "AND attempts >= 1 AND state='queued' AND last_reply<>''",
                                         (bid,)).fetchone()[0] >= 1, 30, what="a failed attempt")
        faulty = smtp_faulty.Faulty(tmp_path / "mail", port).start()
        wait_status(db, bid, "sent", deadline=90)
        states = dict(db.execute("SELECT to_addr, state FROM deliveries WHERE broadcast_id=?",
                                 (bid,)).fetchall())
        assert states == {a: ("failed" if a.startswith("unknown") else "sent") for a in rows}
        got = {r for envl, _ in faulty.messages() for r in envl["rcpt_tos"]}
        assert got == set(rows) - {"unknown@example.org"}
        assert faulty.attempts("temp421@example.org") >= 3
        assert faulty.attempts("temp451@example.org") >= 3
        assert faulty.attempts("drop@example.org") >= 2
        assert db.execute("SELECT status FROM subscriptions WHERE id=?",
                          (sub["unknown@example.org"],)).fetchone()[0] == "bounced"
        reply = db.execute("SELECT last_reply FROM deliveries WHERE to_addr='unknown@example.org'"
                           ).fetchone()[0]
        assert "5.1.1" in reply
        reply = db.execute("SELECT last_reply FROM deliveries WHERE to_addr='quote@example.org'"
                           ).fetchone()[0]
        assert smtp_faulty.QUOTE_REPLY[4:] in reply, reply
        ev = db.execute("SELECT count(*) FROM person_events e JOIN subscriptions s ON "
                        "s.person_id = e.person_id WHERE s.id=? AND e.kind='bounced'",
                        (sub["unknown@example.org"],)).fetchone()[0]
        assert ev == 1
        assert db.execute("SELECT status FROM subscriptions WHERE id=?",
                          (sub["temp451@example.org"],)).fetchone()[0] == "active"
        db.close()
    finally:
        srv.stop_and_check()
        if faulty:
            faulty.stop()


# ---- command line: dkim keygen, import and export ----

def test_cli_dkim_keygen_bad_input(tmp_path):
    data = str(tmp_path / "data")
    p = jm.run_cli(["dkim", "keygen", "--domain", "example.com"], data)
    assert p.returncode == 2 and "--selector" in p.stderr
    p = jm.run_cli(["dkim", "keygen", "--domain", "exa mple", "--selector", "s1"], data)
    assert p.returncode == 1 and len(p.stderr.strip().splitlines()) == 1
    assert not os.path.exists(os.path.join(data, "dkim"))
    p = jm.run_cli(["dkim", "keygen", "--domain", "example.com", "--selector", "s1"], data)
    assert p.returncode == 0, p.stderr
    # The key lives in the database, shared by every node (no key file).
    assert not os.path.exists(os.path.join(data, "dkim"))
    db = jm.nl_db(data)
    q = "SELECT value FROM node_secrets WHERE name = 'dkim:s1'"
    before = db.execute(q).fetchone()[0]
    assert before.startswith("-----BEGIN PRIVATE KEY-----")
    p = jm.run_cli(["dkim", "keygen", "--domain", "example.com", "--selector", "s1"], data)
    assert p.returncode == 1 and "has a key already" in p.stderr
    assert db.execute(q).fetchone()[0] == before, "an existing key must never be replaced"
    db.close()


def test_cli_import_and_export_subscribers(tmp_path):
    data = str(tmp_path / "data")
    assert jm.run_cli(["token", "create", "--name", "x"], data).returncode == 0
    db = jm.nl_db(data)
    jm.nl_list(db, "cli", "CLI list")
    csv_path = tmp_path / "subs.csv"
    csv_path.write_bytes("email,name\na@example.org,佐藤\nnot-an-email,誰か\nb@example.org,鈴木\n"
                         .encode("cp932"))
    p = jm.run_cli(["import", "subscribers", "--list", "nope", str(csv_path)], data)
    assert p.returncode == 1 and "nope" in p.stderr
    p = jm.run_cli(["import", "subscribers", "--list", "cli", "--encoding", "latin1",
                    str(csv_path)], data)
    assert p.returncode == 2
    assert db.execute("SELECT count(*) FROM subscriptions").fetchone()[0] == 0
    p = jm.run_cli(["import", "subscribers", "--list", "cli", "--encoding", "sjis",
                    str(csv_path)], data)
    assert p.returncode == 0, p.stderr
    assert "importing" in p.stderr and "line 3" in p.stderr
    assert "imported 2" in p.stdout and "skipped 1" in p.stdout
    names = dict(db.execute("SELECT p.email, p.name FROM people p JOIN subscriptions s "
                            "ON s.person_id = p.id").fetchall())
    assert names == {"a@example.org": "佐藤", "b@example.org": "鈴木"}
    p = jm.run_cli(["export", "subscribers", "--list", "cli", "--bom"], data)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("\ufeff") and "a@example.org" in p.stdout and "佐藤" in p.stdout
    db.close()
