"""Answering a form on its public page (/forms/{slug}), black-box on the
real ASan binary, both engines: a stranger's answer held until the mailed
link is clicked, a reader's answer from their personal {{form:SLUG}} link in
a broadcast (verified at once, editable until the form closes), every bad
input of issue 11 that concerns answering, the bot defences of the public
forms, uploaded files and their staff-only download, and escaping.

Forms go straight into the database (the 0024 schema is the contract);
the page's stamps and the readers' tokens are minted here as the server
makes them (auth/stamp.c, newsletter/token.c), so no test waits the minimum
fill time. Every refusal is checked to store nothing.
"""
import base64
import hashlib
import re
import threading
import time
import urllib.parse

import pytest

import jm

BASE = "http://forms.example.test"
OWNER = "owner@example.com"
PASSWORD = "correct horse battery staple"
SENDER = dict(mail_from_name="サイト運営者", mail_from_addr="site@example.com",
              sender_postal_address="東京都千代田区1-1-1", sender_contact="info@example.com")
UA = {"User-Agent": "Mozilla/5.0 (jinmyaku tests)"}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    e = jm.mail_env(tmp_path_factory.mktemp("answer"), SENDER, BASE, OWNER, PASSWORD,
                    headers=UA)
    jm.nl_settings(e["db"], forms_per_ip_hour=100000, forms_per_email_day=100000)
    e["api"] = jm.Api(e["srv"].base, e["srv"].create_token("answer"))
    yield e
    jm.mail_env_close(e)


# ---- helpers ----

def q(env, sql, *args):
    row = env["db"].execute(sql, args).fetchone()
    return row[0] if row else None


def make_form(env, slug, kind="ask", fields=(), **cols):
    """A form with fields [(key, label, type, options, required)] straight
    into the database; returns its id."""
    now = int(time.time())
    c = dict(kind=kind, slug=slug, title=cols.pop("title", "読者アンケート " + slug),
             created_at=now, updated_at=now)
    if kind == "event":
        c.setdefault("starts_at", now + 7 * 86400)
    c.update(cols)
    names = ", ".join(c)
    fid = env["db"].execute("INSERT INTO forms(%s) VALUES (%s) RETURNING id"
                            % (names, ", ".join("?" * len(c))), tuple(c.values())).fetchone()[0]
    for i, (key, label, typ, options, required) in enumerate(fields):
        env["db"].execute("INSERT INTO form_fields(form_id, key, label, type, options, required, "
                          "position) VALUES (?, ?, ?, ?, ?, ?, ?)",
                          (fid, key, label, typ, "\n".join(options), int(required), i))
    return fid


ASK_FIELDS = [("publisher", "出版社の知り合いはいますか", "select", ["はい", "いいえ"], True),
              ("topics", "関心のある分野", "multi", ["ビジネス", "小説", "実用書"], False),
              ("note", "ひとこと", "textarea", [], False),
              ("agree", "連絡してもよい", "checkbox", [], False)]


def stamp(env, age=10):
    return jm.form_stamp(env["secret"], "forms", int(time.time()) - age)


def form_token(secret, ctx, pid, issued=0):
    """A form token as newsletter/token.c makes it: "f." base64url(ID:ISSUED)
    "." the first 32 hex digits of keyed BLAKE2b over "nl:f:" CTX "." PAYLOAD."""
    b64 = base64.urlsafe_b64encode(("%d:%d" % (pid, issued)).encode()).decode().rstrip("=")
    mac = hashlib.blake2b(("nl:f:%s.%s" % (ctx, b64)).encode(), key=secret,
                          digest_size=32).hexdigest()[:32]
    return "f.%s.%s" % (b64, mac)


def fields(env, email=None, name="山田 花子", age=10, **kw):
    """The POST pairs of an answer; kw: f_KEY values (a list for several)."""
    pairs = [("form_token", stamp(env, age)), ("website", "")]
    if email is not None:
        pairs += [("name", name), ("email", email)]
    for k, v in kw.items():
        for x in (v if isinstance(v, list) else [v]):
            pairs.append((k, x))
    return pairs


def post(env, slug, pairs, client=None, files=None):
    c = client or env["web"]
    path = "/forms/" + urllib.parse.quote(slug)
    if files:
        body, ctype = jm.multipart(dict(pairs), files)
        return c.post(path, body=body, headers={"Content-Type": ctype}, follow=False)
    return c.post(path, form=pairs, follow=False)


def snapshot(env, fid):
    return dict(answers=q(env, "SELECT count(*) FROM answers WHERE form_id = ?", fid),
                values=q(env, "SELECT count(*) FROM answer_values WHERE form_id = ?", fid),
                people=q(env, "SELECT count(*) FROM people"),
                deliveries=q(env, "SELECT count(*) FROM deliveries"),
                events=q(env, "SELECT count(*) FROM person_events WHERE kind = 'form_answer'"),
                files=q(env, "SELECT count(*) FROM answer_files"))


def mail_to(env, addr, subject_part, n=1):
    def got():
        m = [msg for e, msg in env["cap"].messages()
             if addr in e["rcpt_tos"] and subject_part in str(msg["Subject"])]
        return m if len(m) >= n else None
    return jm.wait_until(got, 60, what="mail to " + addr)[-1]


def text_of(msg):
    return msg.get_body(("plain",)).get_content()


def person(env, email):
    return env["db"].execute("SELECT id, name FROM people WHERE email = ?", (email,)).fetchone()


def values_of(env, aid):
    return sorted(env["db"].execute("SELECT key, value FROM answer_values WHERE answer_id = ?",
                                    (aid,)).fetchall())


# ---- the page ----

def test_page_shows_fields_consent_markdown_and_a_fresh_stamp(env):
    make_form(env, "page1", fields=ASK_FIELDS, description="**編集者**を探しています",
              consent_text="回答は本人確認と連絡のみに使います。")
    r = env["web"].get("/forms/page1")
    assert r.status == 200
    assert "no-store" in r.header("Cache-Control", "")
    assert "<strong>編集者</strong>" in r.text
    f = jm.find_form(r.text, field="form_token")
    assert f is not None and f.method.lower() == "post"
    assert set(f.names()) >= {"name", "email", "f_publisher", "f_note", "website", "form_token"}
    for box in ('name="f_topics" value="小説"', 'name="f_agree"', 'name="consent"'):
        assert box in r.text  # checkboxes: sent only when ticked
    assert jm.form_stamp_time(env["secret"], "forms", f.get("form_token")) is not None
    assert "回答は本人確認と連絡のみに使います。" in r.text
    assert re.search(r'<label for="fa-publisher">', r.text)  # every input has a label
    assert env["web"].get("/forms/no-such-form").status == 404


def test_job_conditions_and_event_details_are_shown(env):
    make_form(env, "job1", kind="job", duties="編集アシスタント", contract_period="期間の定めなし",
              workplace="東京都千代田区", working_hours="10:00〜18:00", holidays="土日祝",
              wage="月給25万円", social_insurance="完備", smoking_measures="屋内禁煙")
    r = env["web"].get("/forms/job1")
    assert r.status == 200
    for s in ("業務内容", "編集アシスタント", "受動喫煙対策", "屋内禁煙", "月給25万円"):
        assert s in r.text
    make_form(env, "ev1", kind="event", venue="渋谷の会議室", fee="3,000円（当日現金）",
              capacity=20, online_url="https://meet.example.com/secret-room")
    r = env["web"].get("/forms/ev1")
    assert "渋谷の会議室" in r.text and "3,000円" in r.text
    assert "secret-room" not in r.text  # the online URL is for confirmed attendees only


# ---- a stranger's answer ----

def test_stranger_answer_is_held_until_the_mailed_link_is_clicked(env):
    fid = make_form(env, "ask1", fields=ASK_FIELDS, thanks="ご協力に**感謝**します")
    email = jm.uniq("stranger") + "@example.org"
    r = post(env, "ask1", fields(env, email, f_publisher="はい", f_topics=["小説", "実用書"],
                                 f_note="編集者を一人知っています", f_agree="1"))
    assert r.status == 200, r.text[:2000]
    assert "確認メール" in r.text
    assert "小説" in r.text and "編集者を一人知っています" in r.text
    aid, pid, status, verified = env["db"].execute(
        "SELECT id, person_id, status, verified FROM answers WHERE form_id = ?", (fid,)).fetchone()
    assert (status, verified) == ("received", 0)
    assert values_of(env, aid) == sorted([("publisher", "はい"), ("topics", "小説"),
                                          ("topics", "実用書"), ("note", "編集者を一人知っています"),
                                          ("agree", "1")])
    assert person(env, email) == (pid, "山田 花子")
    assert q(env, "SELECT count(*) FROM person_events WHERE person_id = ? AND kind = "
                  "'form_answer'", pid) == 0
    assert env["api"].get("/api/v1/forms/%d" % fid).json()["answers_count"] == 0
    msg = mail_to(env, email, "回答の確認")
    text = text_of(msg)
    assert "山田" not in text and "編集者を一人知っています" not in text  # nothing typed is relayed
    m = re.search(r"(http://forms\.example\.test/forms/ask1/confirm\?token=\S+)", text)
    assert m, text
    link = m.group(1)
    r = env["web"].get(link[len(BASE):])
    assert r.status == 200 and "回答を確定しました" in r.text
    assert "ご協力に<strong>感謝</strong>します" in r.text
    assert q(env, "SELECT verified FROM answers WHERE id = ?", aid) == 1
    assert env["api"].get("/api/v1/forms/%d" % fid).json()["answers_count"] == 1
    assert q(env, "SELECT count(*) FROM person_events WHERE person_id = ? AND kind = "
                  "'form_answer'", pid) == 1
    assert q(env, "SELECT engagement FROM people WHERE id = ?", pid) >= 3
    # a second click changes nothing
    assert env["web"].get(link[len(BASE):]).status == 200
    assert q(env, "SELECT count(*) FROM person_events WHERE person_id = ? AND kind = "
                  "'form_answer'", pid) == 1


def test_unverified_answer_changes_nothing_on_an_existing_person(env):
    fid = make_form(env, "ask2", fields=ASK_FIELDS)
    email = jm.uniq("known") + "@example.org"
    now = int(time.time())
    pid = env["db"].execute("INSERT INTO people(email, name, stage, stage_at, created_at, "
                            "updated_at) VALUES (?, '本当の名前', 'fan', ?, ?, ?) RETURNING id",
                            (email, now, now, now)).fetchone()[0]
    before = snapshot(env, fid)
    r = post(env, "ask2", fields(env, email.upper(), name="なりすまし", f_publisher="いいえ"))
    assert r.status == 200, r.text[:2000]
    assert person(env, email) == (pid, "本当の名前")
    assert q(env, "SELECT stage FROM people WHERE id = ?", pid) == "fan"
    after = snapshot(env, fid)
    assert after["people"] == before["people"] and after["events"] == before["events"]
    assert after["answers"] == before["answers"] + 1
    assert q(env, "SELECT person_id FROM answers WHERE form_id = ?", fid) == pid
    # the confirmation goes to the address, to no one's history
    mail_to(env, email, "回答の確認")
    assert q(env, "SELECT count(*) FROM deliveries WHERE person_id = ?", pid) == 0


def test_expired_or_tampered_confirmation_link(env):
    make_form(env, "ask3", fields=ASK_FIELDS)
    email = jm.uniq("late") + "@example.org"
    assert post(env, "ask3", fields(env, email, f_publisher="はい")).status == 200
    aid = q(env, "SELECT a.id FROM answers a JOIN people p ON p.id = a.person_id "
                 "WHERE p.email = ?", email)
    old = form_token(env["secret"], "/confirm", aid, int(time.time()) - 8 * 86400)
    r = env["web"].get("/forms/ask3/confirm?token=" + old)
    assert r.status == 404 and "有効期限" in r.text
    good = form_token(env["secret"], "/confirm", aid, int(time.time()))
    bad = good[:-1] + ("1" if good[-1] == "0" else "0")
    r = env["web"].get("/forms/ask3/confirm?token=" + bad)
    assert r.status == 403 and "無効" in r.text
    assert q(env, "SELECT verified FROM answers WHERE id = ?", aid) == 0


# ---- a reader from their personal link ----

def broadcast_links(env, slug, readers):
    """Sends a broadcast holding {{form:SLUG}} to readers [(email, name)];
    returns {email: the URL in their mail's text part}."""
    db = env["db"]
    lid = jm.nl_list(db, jm.uniq("l"), "読者リスト")
    jm.nl_subscribers(db, lid, [(e, n, {}, []) for e, n in readers])
    api = env["api"]
    r = api.post("/api/v1/broadcasts", dict(list_id=lid, subject="お願い",
                                            body="ご回答はこちら: {{form:%s}}\n\n"
                                                 "[回答する]({{form:%s}})\n" % (slug, slug)))
    assert r.status == 201, r.body[:500]
    bid = r.json()["id"]
    assert api.post("/api/v1/broadcasts/%d/send" % bid, {}).status in (200, 202)
    out = {}
    for e, _ in readers:
        msg = mail_to(env, e, "お願い")
        m = re.search(r"(http://forms\.example\.test/forms/\S+)", text_of(msg))
        out[e] = m.group(1)
        html = msg.get_body(("html",)).get_content()
        assert html.count('href="%s"' % out[e].replace("&", "&amp;")) == 2  # both links
    return out


def test_two_readers_get_different_working_links_and_answer_without_typing(env):
    fid = make_form(env, "ask-links", fields=ASK_FIELDS)
    a, b = jm.uniq("ra") + "@example.net", jm.uniq("rb") + "@example.net"
    links = broadcast_links(env, "ask-links", [(a, "読者A"), (b, "読者B")])
    assert links[a] != links[b]
    for e, name in ((a, "読者A"), (b, "読者B")):
        path = links[e][len(BASE):]
        assert path.startswith("/forms/ask-links?t=f.")
        r = env["web"].get(path)
        assert r.status == 200 and name in r.text and e in r.text
        assert 'name="email"' not in r.text and "x-robots-tag" in {k.lower() for k in r.headers}
        f = jm.find_form(r.text, field="form_token")
        pairs = [("form_token", stamp(env)), ("t", f.get("t")), ("f_publisher", "はい")]
        r = post(env, "ask-links", pairs)
        assert r.status == 200, r.text[:2000]
        assert "確認メール" not in r.text
    rows = env["db"].execute("SELECT p.email, a.verified, a.status FROM answers a JOIN people p "
                             "ON p.id = a.person_id WHERE a.form_id = ? ORDER BY p.email",
                             (fid,)).fetchall()
    assert sorted(rows) == sorted([(a, 1, "received"), (b, 1, "received")])
    assert q(env, "SELECT count(*) FROM person_events e JOIN people p ON p.id = e.person_id "
                  "WHERE p.email IN (?, ?) AND e.kind = 'form_answer'", a, b) == 2


def test_reader_edits_own_answer_until_the_form_closes(env):
    fid = make_form(env, "ask-edit", fields=ASK_FIELDS, consent_text="個人情報の取り扱いについて")
    email = jm.uniq("editor") + "@example.net"
    pid = jm.nl_subscribers(env["db"], jm.nl_list(env["db"], jm.uniq("l"), "L"),
                            [(email, "編集する人", {}, [])])
    pid = person(env, email)[0]
    t = form_token(env["secret"], "ask-edit", pid)
    r = post(env, "ask-edit", [("form_token", stamp(env)), ("t", t), ("consent", "1"),
                               ("f_publisher", "いいえ"), ("f_note", "最初の回答")])
    assert r.status == 200, r.text[:2000]
    aid = q(env, "SELECT id FROM answers WHERE form_id = ?", fid)
    r = env["web"].get("/forms/ask-edit?t=" + t)
    assert r.status == 200 and "最初の回答" in r.text and 'name="answer"' in r.text
    f = jm.find_form(r.text, field="form_token")
    assert f.get("answer") == str(aid) and f.get("f_publisher") == "いいえ"
    r = post(env, "ask-edit", [("form_token", stamp(env)), ("t", t), ("answer", str(aid)),
                               ("consent", "1"), ("f_publisher", "はい"), ("f_topics", "小説")])
    assert r.status == 200, r.text[:2000]
    assert q(env, "SELECT count(*) FROM answers WHERE form_id = ?", fid) == 1
    assert values_of(env, aid) == [("publisher", "はい"), ("topics", "小説")]
    assert q(env, "SELECT count(*) FROM person_events WHERE person_id = ? AND kind = "
                  "'form_answer'", pid) == 1
    # a new answer where one is allowed: refused, the answer stays one
    r = post(env, "ask-edit", [("form_token", stamp(env)), ("t", t), ("consent", "1"),
                               ("f_publisher", "はい")])
    assert r.status == 409 and "既に回答済み" in r.text
    # closed: still seen, no longer editable
    env["db"].execute("UPDATE forms SET status = 'closed' WHERE id = ?", (fid,))
    r = env["web"].get("/forms/ask-edit?t=" + t)
    assert r.status == 200 and "終了しました" in r.text and 'name="form_token"' not in r.text
    r = post(env, "ask-edit", [("form_token", stamp(env)), ("t", t), ("answer", str(aid)),
                               ("consent", "1"), ("f_publisher", "いいえ")])
    assert r.status == 409
    assert values_of(env, aid) == [("publisher", "はい"), ("topics", "小説")]


def test_tampered_or_another_forms_token_is_refused(env):
    fid = make_form(env, "ask-tok", fields=ASK_FIELDS)
    other = make_form(env, "ask-tok-other", fields=ASK_FIELDS)
    email = jm.uniq("tok") + "@example.net"
    jm.nl_subscribers(env["db"], jm.nl_list(env["db"], jm.uniq("l"), "L"), [(email, "T", {}, [])])
    pid = person(env, email)[0]
    good = form_token(env["secret"], "ask-tok", pid)
    tampered = form_token(env["secret"], "ask-tok", pid + 1)[:-32] + good[-32:]
    for t in (tampered, form_token(env["secret"], "ask-tok-other", pid), "f.garbage.x",
              form_token(b"not the secret", "ask-tok", pid)):
        r = env["web"].get("/forms/ask-tok?t=" + urllib.parse.quote(t))
        assert r.status == 403 and "無効" in r.text, t
        before = snapshot(env, fid)
        r = post(env, "ask-tok", [("form_token", stamp(env)), ("t", t), ("f_publisher", "はい")])
        assert r.status == 403, t
        assert snapshot(env, fid) == before
    assert q(env, "SELECT count(*) FROM answers WHERE form_id = ?", other) == 0


def test_another_persons_answer_cannot_be_edited(env):
    fid = make_form(env, "ask-mine", fields=ASK_FIELDS, max_answers_per_person=0)
    lid = jm.nl_list(env["db"], jm.uniq("l"), "L")
    a, b = jm.uniq("own") + "@example.net", jm.uniq("thief") + "@example.net"
    jm.nl_subscribers(env["db"], lid, [(a, "A", {}, []), (b, "B", {}, [])])
    ta = form_token(env["secret"], "ask-mine", person(env, a)[0])
    tb = form_token(env["secret"], "ask-mine", person(env, b)[0])
    assert post(env, "ask-mine", [("form_token", stamp(env)), ("t", ta),
                                  ("f_publisher", "はい")]).status == 200
    aid = q(env, "SELECT id FROM answers WHERE form_id = ?", fid)
    r = post(env, "ask-mine", [("form_token", stamp(env)), ("t", tb), ("answer", str(aid)),
                               ("f_publisher", "いいえ")])
    assert r.status == 403 and "あなたのもの" in r.text
    # a stranger cannot edit at all
    r = post(env, "ask-mine", fields(env, b, answer=str(aid), f_publisher="いいえ"))
    assert r.status == 403
    assert values_of(env, aid) == [("publisher", "はい")]


# ---- bad input ----

BAD = [
    ("required missing", dict(f_note="x"), "f_publisher", "入力してください"),
    ("a choice not offered", dict(f_publisher="たぶん"), "f_publisher", "選択肢から選んで"),
    ("a multi choice not offered", dict(f_publisher="はい", f_topics=["小説", "詩"]), "f_topics",
     "選択肢から選んで"),
    ("two values for one choice", dict(f_publisher=["はい", "いいえ"]), "f_publisher",
     "選択肢から選んで"),
    ("over-long", dict(f_publisher="はい", f_note="あ" * 10001), "f_note", "長すぎます"),
]


@pytest.mark.parametrize("why,kw,field,msg", BAD, ids=[b[0] for b in BAD])
def test_bad_values_are_refused_beside_the_field_and_kept(env, why, kw, field, msg):
    slug = jm.uniq("bad")
    fid = make_form(env, slug, fields=ASK_FIELDS)
    before = snapshot(env, fid)
    email = jm.uniq("b") + "@example.org"
    r = post(env, slug, fields(env, email, name="<b>名前</b>", **kw))
    assert r.status == 422, r.text[:1000]
    row = r.text.split('id="row-%s"' % field[2:])[1].split("</div>")[0]
    assert msg in row
    assert "&lt;b&gt;名前&lt;/b&gt;" in r.text  # kept, escaped
    assert snapshot(env, fid) == before


def test_a_body_past_max_body_is_413_unless_the_form_takes_files(env):
    slug = jm.uniq("body")
    fid = make_form(env, slug, fields=ASK_FIELDS)
    before = snapshot(env, fid)
    r = post(env, slug, fields(env, jm.uniq("b") + "@example.org", f_publisher="はい",
                               f_note="x" * (3 << 20)))
    assert r.status == 413
    assert snapshot(env, fid) == before


def test_name_email_and_consent_are_checked(env):
    slug = jm.uniq("who")
    fid = make_form(env, slug, fields=ASK_FIELDS, consent_text="個人情報は適切に扱います")
    before = snapshot(env, fid)
    r = post(env, slug, fields(env, "not-an-address", name="", f_publisher="はい"))
    assert r.status == 422
    assert "メールアドレスの形式" in r.text and "入力してください" in r.text
    assert "同意が必要" in r.text
    r = post(env, slug, fields(env, "ok@example.org", name="改行\r\nBcc: x@example.com",
                               f_publisher="はい", consent="1"))
    assert r.status == 422
    assert snapshot(env, fid) == before
    r = post(env, slug, fields(env, jm.uniq("c") + "@example.org", f_publisher="はい",
                               consent="1"))
    assert r.status == 200


def test_before_opening_and_after_closing(env):
    now = int(time.time())
    cases = [("opens_at", now + 3600, "受付開始前"), ("closes_at", now - 1, "終了しました"),
             ("status", "closed", "終了しました")]
    for col, val, text in cases:
        slug = jm.uniq("time")
        fid = make_form(env, slug, fields=ASK_FIELDS, **{col: val})
        assert text in env["web"].get("/forms/" + slug).text
        before = snapshot(env, fid)
        r = post(env, slug, fields(env, jm.uniq("t") + "@example.org", f_publisher="はい"))
        assert r.status == 409 and "受け付けていません" in r.text, col
        assert snapshot(env, fid) == before


def test_twice_where_once_is_allowed(env):
    slug = jm.uniq("once")
    fid = make_form(env, slug, fields=ASK_FIELDS)
    email = jm.uniq("twice") + "@example.org"
    assert post(env, slug, fields(env, email, f_publisher="はい")).status == 200
    before = snapshot(env, fid)
    r = post(env, slug, fields(env, email, f_publisher="いいえ"))
    assert r.status == 409 and "既に回答済み" in r.text
    assert snapshot(env, fid) == before


def race(env, slug, make_pairs, n):
    results = []
    go = threading.Barrier(n)

    def one(i):
        c = env["srv"].client(headers=UA)
        pairs = make_pairs(i)
        go.wait()
        results.append(post(env, slug, pairs, client=c).status)
    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sorted(results)


def test_concurrent_answers_where_one_is_allowed_store_one(env):
    slug = jm.uniq("race")
    fid = make_form(env, slug, fields=ASK_FIELDS)
    email = jm.uniq("racer") + "@example.org"
    got = race(env, slug, lambda i: fields(env, email, f_publisher="はい"), 8)
    assert got == [200] + [409] * 7, got
    assert q(env, "SELECT count(*) FROM answers WHERE form_id = ?", fid) == 1
    assert q(env, "SELECT count(*) FROM people WHERE email = ?", email) == 1
    # the same race with a reader's token
    slug2 = jm.uniq("race-t")
    fid2 = make_form(env, slug2, fields=ASK_FIELDS)
    t = form_token(env["secret"], slug2, person(env, email)[0])
    got = race(env, slug2, lambda i: [("form_token", stamp(env)), ("t", t),
                                      ("f_publisher", "はい")], 8)
    assert got == [200] + [409] * 7, got
    assert q(env, "SELECT count(*) FROM answers WHERE form_id = ?", fid2) == 1
    assert q(env, "SELECT count(*) FROM person_events WHERE kind = 'form_answer' AND "
                  "person_id = ?", person(env, email)[0]) == 1


def test_several_answers_when_the_form_allows_them(env):
    slug = jm.uniq("many")
    fid = make_form(env, slug, fields=ASK_FIELDS, max_answers_per_person=2)
    email = jm.uniq("many") + "@example.org"
    assert post(env, slug, fields(env, email, f_publisher="はい")).status == 200
    assert post(env, slug, fields(env, email, f_publisher="いいえ")).status == 200
    assert post(env, slug, fields(env, email, f_publisher="はい")).status == 409
    assert q(env, "SELECT count(*) FROM answers WHERE form_id = ?", fid) == 2


# ---- the public form's defences ----

def test_bot_checks_refuse_and_store_nothing(env):
    slug = jm.uniq("bot")
    fid = make_form(env, slug, fields=ASK_FIELDS)
    email = jm.uniq("bot") + "@example.org"
    before = snapshot(env, fid)
    cases = [
        ("honeypot", [("website", "http://spam.example")], "site.contact"),
        ("no stamp", [("form_token", "")], None),
        ("forged", [("form_token", jm.form_stamp(b"x" * 32, "forms", int(time.time()) - 10))],
         None),
        ("another form's stamp", [("form_token", jm.contact_token(env["secret"],
                                                                   int(time.time()) - 10))],
         None),
        ("too fast", [("form_token", stamp(env, age=0))], None),
    ]
    for why, override, _ in cases:
        pairs = dict(fields(env, email, f_publisher="はい"))
        pairs.update(override)
        r = post(env, slug, list(pairs.items()))
        assert r.status == 422, why
        assert 'id="form-error"' in r.text, why
    assert snapshot(env, fid) == before
    # single use: the same stamp twice stores one answer
    pairs = fields(env, email, f_publisher="はい")
    assert post(env, slug, pairs).status == 200
    after = snapshot(env, fid)
    r = post(env, slug, pairs)
    assert r.status == 422 and "送信済み" in r.text
    assert snapshot(env, fid) == after


def test_rate_limits_per_ip_and_per_address(env):
    db = env["db"]
    slug = jm.uniq("rate")
    fid = make_form(env, slug, fields=ASK_FIELDS, max_answers_per_person=0)
    try:
        jm.nl_settings(db, forms_per_ip_hour=2)
        db.execute("DELETE FROM signup_attempts WHERE key LIKE 'form-%'")
        for i in range(2):
            assert post(env, slug, fields(env, jm.uniq("r") + "@example.org",
                                          f_publisher="はい")).status == 200
        before = snapshot(env, fid)
        r = post(env, slug, fields(env, jm.uniq("r") + "@example.org", f_publisher="はい"))
        assert r.status == 429
        assert snapshot(env, fid) == before
        jm.nl_settings(db, forms_per_ip_hour=100000, forms_per_email_day=1)
        email = jm.uniq("r") + "@example.org"
        assert post(env, slug, fields(env, email, f_publisher="はい")).status == 200
        assert post(env, slug, fields(env, email, f_publisher="はい")).status == 429
    finally:
        jm.nl_settings(db, forms_per_ip_hour=100000, forms_per_email_day=100000)
        db.execute("DELETE FROM signup_attempts WHERE key LIKE 'form-%'")


# ---- files ----

def test_file_upload_sniffed_limited_and_downloaded_by_staff_only(env):
    slug = jm.uniq("cv")
    fid = make_form(env, slug, kind="job", fields=[("cv", "履歴書", "file", [], True)],
                    duties="d", contract_period="c", workplace="w", working_hours="h",
                    holidays="h", wage="w", social_insurance="s", smoking_measures="s")
    email = jm.uniq("cv") + "@example.org"
    before = snapshot(env, fid)
    r = post(env, slug, fields(env, email), files={"f_cv": ("virus.pdf", b"MZ\x90\x00" + b"x" * 100)})
    assert r.status == 422 and "PDF・JPEG・PNG・Word" in r.text
    r = post(env, slug, fields(env, email), files={"f_cv": ("big.pdf", PDF + b"0" * (10 << 20))})
    assert r.status == 413
    r = post(env, slug, fields(env, email))
    assert r.status == 422 and "入力してください" in r.text
    assert snapshot(env, fid) == before
    big = PDF + b"0" * (3 << 20)  # past --max-body (2 MB), within the 10 MB of a file
    r = post(env, slug, fields(env, email), files={"f_cv": ("履歴書 <山田>.pdf", big)})
    assert r.status == 200, r.text[:2000]
    aid, status = env["db"].execute("SELECT id, status FROM answers WHERE form_id = ?",
                                    (fid,)).fetchone()
    assert status == "applied"
    fid_, name, ctype, size = env["db"].execute(
        "SELECT id, name, ctype, bytes FROM answer_files WHERE answer_id = ?", (aid,)).fetchone()
    assert (name, ctype, size) == ("履歴書 <山田>.pdf", "application/pdf", len(big))
    assert values_of(env, aid) == [("cv", str(fid_))]
    anon = env["srv"].client()
    r = anon.get("/admin/forms/files/%d" % fid_, follow=False)
    assert r.status in (302, 303) and "/admin/login" in r.header("Location", "")
    admin = env["srv"].client()
    from conftest import login
    assert login(admin, OWNER, PASSWORD).status == 200
    r = admin.get("/admin/forms/files/%d" % fid_)
    assert r.status == 200 and r.body == big
    assert r.header("Content-Type").startswith("application/pdf")
    assert r.header("Content-Disposition").startswith("attachment")
    assert admin.get("/admin/forms/files/%d" % (fid_ + 1000)).status == 404


# ---- escaping ----

def test_everything_typed_is_escaped_on_the_thanks_page_and_in_the_admin(env):
    slug = jm.uniq("esc")
    fid = make_form(env, slug, fields=ASK_FIELDS)
    evil = "<script>alert(1)</script>"
    email = jm.uniq("esc") + "@example.org"
    r = post(env, slug, fields(env, email, name=evil, f_publisher="はい", f_note=evil))
    assert r.status == 200
    assert evil not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    pid = person(env, email)[0]
    admin = env["srv"].client()
    from conftest import login
    assert login(admin, OWNER, PASSWORD).status == 200
    r = admin.get("/admin/people/%d" % pid)
    assert r.status == 200 and evil not in r.text
    # a reader's verified answer in the owner's results (results.c's page,
    # when it is on this build)
    reader = jm.uniq("escr") + "@example.net"
    jm.nl_subscribers(env["db"], jm.nl_list(env["db"], jm.uniq("l"), "L"),
                      [(reader, "R", {}, [])])
    t = form_token(env["secret"], slug, person(env, reader)[0])
    r = post(env, slug, [("form_token", stamp(env)), ("t", t), ("f_publisher", "はい"),
                         ("f_note", evil)])
    assert r.status == 200 and evil not in r.text
    r = admin.get("/admin/forms/%d/answers" % fid)
    if r.status != 404:
        assert r.status == 200 and evil not in r.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text


def test_reader_keeps_or_replaces_the_file_of_their_answer(env):
    slug = jm.uniq("cv-edit")
    fid = make_form(env, slug, fields=[("cv", "履歴書", "file", [], True),
                                       ("note", "ひとこと", "text", [], False)])
    email = jm.uniq("cve") + "@example.net"
    jm.nl_subscribers(env["db"], jm.nl_list(env["db"], jm.uniq("l"), "L"), [(email, "E", {}, [])])
    t = form_token(env["secret"], slug, person(env, email)[0])
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    r = post(env, slug, [("form_token", stamp(env)), ("t", t), ("f_note", "一回目")],
             files={"f_cv": ("cv.png", png)})
    assert r.status == 200, r.text[:2000]
    aid = q(env, "SELECT id FROM answers WHERE form_id = ?", fid)
    first = q(env, "SELECT id FROM answer_files WHERE answer_id = ?", aid)
    # edited without a file: the file stays (required is met by it)
    r = post(env, slug, [("form_token", stamp(env)), ("t", t), ("answer", str(aid)),
                         ("f_note", "二回目")], files={"f_cv": ("", b"")})
    assert r.status == 200, r.text[:2000]
    assert values_of(env, aid) == [("cv", str(first)), ("note", "二回目")]
    # edited with a new file: it replaces the old one, whose bytes go
    r = post(env, slug, [("form_token", stamp(env)), ("t", t), ("answer", str(aid)),
                         ("f_note", "三回目")], files={"f_cv": ("cv.pdf", PDF)})
    assert r.status == 200, r.text[:2000]
    rows = env["db"].execute("SELECT id, ctype, name FROM answer_files WHERE answer_id = ?",
                             (aid,)).fetchall()
    assert len(rows) == 1 and rows[0][1:] == ("application/pdf", "cv.pdf")
    assert values_of(env, aid) == [("cv", str(rows[0][0])), ("note", "三回目")]


def test_erasing_a_person_takes_their_answers_and_rate_limit_hits(env):
    slug = jm.uniq("erase")
    fid = make_form(env, slug, fields=ASK_FIELDS)
    email = jm.uniq("gone") + "@example.org"
    assert post(env, slug, fields(env, email, f_publisher="はい")).status == 200
    pid = person(env, email)[0]
    assert q(env, "SELECT count(*) FROM signup_attempts WHERE key = ?", "form-email:" + email) == 1
    r = env["api"].post("/api/v1/subscribers/bulk", {"op": "erase", "person_ids": [pid]})
    assert r.status == 200, r.body[:500]
    assert q(env, "SELECT count(*) FROM signup_attempts WHERE key = ?", "form-email:" + email) == 0
    assert q(env, "SELECT count(*) FROM answers WHERE form_id = ?", fid) == 0
