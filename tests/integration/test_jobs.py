"""Job posts (採用, issue 11), black-box against the real ASan binary on
either engine (JM_TEST_ENGINE): a job post must state the eight working
conditions (職業安定法) and shows them on its public page; applications
arrive through /forms/{slug} and move through the pipeline (applied →
screening → interview → offer → hired | declined) by
PATCH /api/v1/forms/{id}/answers/{aid} and by the admin's board, with
notes and dates kept; the owner mails an applicant from the admin (the
threading headers checked in the real SMTP capture, the mail on the
person's timeline); the applicant card shows their history as a reader;
announcing drafts a broadcast to the list; closing the post stops
applications.
"""
import html
import re
import time

import pytest

import conftest
import jm

BASE = "http://jobs.example.test"  # http: the admin cookie is not Secure
OWNER = "owner@example.com"
PASSWORD = "correct horse battery staple"
SENDER = dict(mail_from_name="サイト運営者", mail_from_addr="site@example.com",
              sender_postal_address="東京都千代田区1-1-1", sender_contact="info@example.com")

CONDITIONS = {
    "duties": "編集アシスタント（原稿整理・校正）",
    "contract_period": "期間の定めなし（試用期間3か月）",
    "workplace": "東京都千代田区（在宅可）",
    "working_hours": "10:00〜18:00（休憩1時間）",
    "holidays": "土日祝、年末年始",
    "wage": "月給25万円〜",
    "social_insurance": "雇用・労災・健康・厚生年金",
    "smoking_measures": "屋内禁煙",
}
LABELS = ["業務内容", "契約期間", "就業場所", "就業時間", "休日", "賃金", "社会保険", "受動喫煙対策"]
FIELDS = [
    {"key": "motivation", "label": "志望動機", "type": "textarea", "required": True},
    {"key": "years", "label": "経験年数", "type": "select", "options": ["1年未満", "1〜3年", "3年以上"],
     "required": True},
]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    e = jm.mail_env(tmp_path_factory.mktemp("jobs"), SENDER, BASE, OWNER, PASSWORD)
    e["admin"] = e["srv"].client()
    r = conftest.login(e["admin"], OWNER, PASSWORD)
    assert r.status == 200 and "/admin/login" not in r.url
    e["api"] = jm.Api(e["srv"].base, e["srv"].create_token())
    yield e
    jm.mail_env_close(e)


@pytest.fixture(autouse=True)
def _fresh_limits(env):
    env["db"].execute("DELETE FROM signup_attempts")
    yield


def create_job(env, **kv):
    body = dict(CONDITIONS, kind="job", slug=jm.uniq("job"), title="編集アシスタント募集",
                description="読者の皆さんから**一緒に働く仲間**を募集します。", fields=FIELDS)
    body.update(kv)
    r = env["api"].post("/api/v1/forms", body)
    assert r.status == 201, (r.status, r.text[:500])
    return r.json()


def apply(env, job, name="応募 太郎", email=None, expect=200, **values):
    """One application through the public page as a stranger; returns
    (answer id, email, the response), checking its status is expect."""
    email = email or jm.uniq("app") + "@example.org"
    form = {"name": name, "email": email, "website": "",
            "form_token": jm.form_stamp(env["secret"], "forms", int(time.time()) - 10),
            "f_motivation": values.get("motivation", "御社の読者です。"),
            "f_years": values.get("years", "1〜3年")}
    r = env["web"].post("/forms/%s" % job["slug"], form=form, follow=False)
    assert expect is None or r.status == expect, (r.status, r.text[:2000])
    env["db"].execute("DELETE FROM signup_attempts")
    aid = env["db"].execute("SELECT max(a.id) FROM answers a JOIN people p ON p.id = a.person_id "
                            "WHERE a.form_id = ? AND p.email = ?", (job["id"], email)).fetchone()[0]
    return aid, email, r


def patch(env, job, aid, body):
    return env["api"].patch("/api/v1/forms/%d/answers/%d" % (job["id"], aid), body)


def csrf(env, path):
    r = env["admin"].get(path)
    assert r.status == 200, (path, r.status, r.text[:500])
    return jm.csrf_of(r.text)


def mails_to(cap, addr, n):
    def got():
        m = [(e, msg) for e, msg in cap.messages() if addr in e["rcpt_tos"]]
        return m if len(m) >= n else None
    return jm.wait_until(got, 60, what="%d mail(s) to %s" % (n, addr))


# ---- the post ----

def test_a_job_post_without_its_conditions_is_refused(env):
    before = env["db"].execute("SELECT count(*) FROM forms").fetchone()[0]
    for key in CONDITIONS:
        body = dict(CONDITIONS, kind="job", slug=jm.uniq("nocond"), title="条件なし")
        del body[key]
        r = env["api"].post("/api/v1/forms", body)
        assert r.status == 422, (key, r.status, r.text)
        assert r.json()["error"]["field"] == key, r.text
        body[key] = ""
        assert env["api"].post("/api/v1/forms", body).status == 422
    assert env["db"].execute("SELECT count(*) FROM forms").fetchone()[0] == before


def test_the_conditions_are_on_the_public_page(env):
    job = create_job(env, wage="月給25万円〜 <script>alert(1)</script>")
    r = env["web"].get("/forms/%s" % job["slug"])
    assert r.status == 200
    table = re.search(r'<table class="form-conditions form-job">.*?</table>', r.text, re.S)
    assert table, r.text[:3000]
    t = table.group(0)
    for label in LABELS:
        assert ">%s<" % label in t, label
    for key, value in CONDITIONS.items():
        if key != "wage":
            assert html.escape(value, quote=False) in t, key
    assert "<script>alert(1)</script>" not in r.text
    assert "&lt;script&gt;" in t
    # In the order the law lists them.
    pos = [t.index(">%s<" % label) for label in LABELS]
    assert pos == sorted(pos)


# ---- the pipeline ----

def test_an_application_moves_through_the_pipeline_by_patch(env):
    job = create_job(env)
    aid, _, r = apply(env, job)
    assert aid, r.text[:2000]
    assert env["db"].execute("SELECT status FROM answers WHERE id = ?", (aid,)).fetchone()[0] == "applied"
    r = patch(env, job, aid, {"status": "screening", "note": "書類OK", "at": "2026-12-10T14:00:00+09:00"})
    assert r.status == 200, r.text
    a = r.json()
    assert a["id"] == aid and a["status"] == "screening" and a["form_id"] == job["id"]
    assert a["values"]["years"] == "1〜3年"
    assert a["notes"][-1]["status"] == "screening" and a["notes"][-1]["note"] == "書類OK"
    assert a["notes"][-1]["at"] == "2026-12-10T05:00:00Z"
    # A note alone keeps the status; at as Unix seconds.
    r = patch(env, job, aid, {"note": "面接日を調整中", "at": 1797000000})
    assert r.status == 200 and r.json()["status"] == "screening"
    for st in ("interview", "offer", "hired"):
        r = patch(env, job, aid, {"status": st})
        assert r.status == 200 and r.json()["status"] == st, r.text
    notes = r.json()["notes"]
    assert [n["status"] for n in notes] == ["screening", "", "interview", "offer", "hired"]
    rows = env["db"].execute("SELECT status, body, at FROM answer_notes WHERE answer_id = ? "
                             "ORDER BY id", (aid,)).fetchall()
    assert [tuple(x) for x in rows] == [("screening", "書類OK", 1796878800),
                                       ("", "面接日を調整中", 1797000000),
                                       ("interview", "", None), ("offer", "", None),
                                       ("hired", "", None)]
    # hired is final.
    r = patch(env, job, aid, {"status": "declined"})
    assert r.status == 409 and r.json()["error"]["field"] == "status", r.text
    assert env["db"].execute("SELECT count(*) FROM answer_notes WHERE answer_id = ?",
                             (aid,)).fetchone()[0] == 5


def test_bad_statuses_and_answers_are_refused(env):
    job = create_job(env)
    other = create_job(env)
    aid, _, _ = apply(env, job)
    for bad in ("hired!", "HIRED", "received", "confirmed", " applied"):
        r = patch(env, job, aid, {"status": bad})
        assert r.status == 400, (bad, r.status, r.text)
        assert r.json()["error"]["code"] == "invalid_status"
    assert patch(env, job, aid, {"status": 3}).status == 422
    assert patch(env, job, aid, {"stage": "fan"}).status == 422       # unknown key
    assert patch(env, job, aid, {}).status == 400                     # nothing to do
    assert patch(env, job, aid, {"note": "x" * 10001}).status == 422
    assert patch(env, job, aid, {"note": "ok", "at": "来週"}).status == 422
    r = patch(env, job, aid, {"status": "interview"})
    assert r.status == 200
    r = patch(env, job, aid, {"status": "screening"})                 # backwards
    assert r.status == 409
    assert patch(env, other, aid, {"status": "offer"}).status == 404  # another form's answer
    assert patch(env, job, aid + 100000, {"status": "offer"}).status == 404
    r = env["api"].patch("/api/v1/forms/%d/answers/x" % job["id"], {"status": "offer"})
    assert r.status == 404
    st, n = env["db"].execute("SELECT a.status, (SELECT count(*) FROM answer_notes WHERE answer_id = a.id) "
                              "FROM answers a WHERE a.id = ?", (aid,)).fetchone()
    assert (st, n) == ("interview", 1)
    # declined is reachable from any open status, and final.
    assert patch(env, job, aid, {"status": "declined", "note": "辞退の連絡"}).status == 200
    assert patch(env, job, aid, {"status": "offer"}).status == 409


def test_two_final_moves_at_once_one_wins(env):
    import concurrent.futures
    job = create_job(env)
    aid, _, _ = apply(env, job)
    moves = ["hired", "declined"] * 5
    with concurrent.futures.ThreadPoolExecutor(len(moves)) as ex:
        codes = list(ex.map(lambda st: patch(env, job, aid, {"status": st}).status, moves))
    rows = env["db"].execute("SELECT status FROM answer_notes WHERE answer_id = ?", (aid,)).fetchall()
    final = env["db"].execute("SELECT status FROM answers WHERE id = ?", (aid,)).fetchone()[0]
    # One move took effect (logged once); the same status again is no
    # change (200), the other final status a conflict.
    assert [r[0] for r in rows] == [final] and final in ("hired", "declined")
    assert codes == [200 if m == final else 409 for m in moves], codes


def board_card(text, aid):
    m = re.search(r'<article class="job-card" data-id="%d" data-status="([a-z]+)">(.*?)</article>'
                  % aid, text, re.S)
    assert m, text[:3000]
    return m.group(1), m.group(2)


def test_the_board_moves_an_application_without_javascript(env):
    job = create_job(env)
    aid, email, _ = apply(env, job, name="<b>ボード</b> 花子")
    path = "/admin/forms/%d/board" % job["id"]
    r = env["admin"].get(path)
    assert r.status == 200
    for st in ("applied", "screening", "interview", "offer", "hired", "declined"):
        assert 'id="col-%s"' % st in r.text
    status, card = board_card(r.text, aid)
    assert status == "applied"
    assert "&lt;b&gt;ボード&lt;/b&gt; 花子" in card and "<b>ボード</b>" not in r.text
    # The values summary, under the fields' labels.
    assert "<dt>経験年数</dt><dd>1〜3年</dd>" in card and "<dt>志望動機</dt>" in card
    col = re.search(r'id="col-applied".*?</section>', r.text, re.S).group(0)
    assert 'data-id="%d"' % aid in col
    # Every select has a label; the move is a plain form post.
    form = jm.find_form(card, action="/admin/forms/%d/answers/%d/status" % (job["id"], aid))
    assert form is not None
    assert 'for="mv-%d"' % aid in card
    opts = re.findall(r'<option value="([a-z]+)"', card)
    assert opts == ["screening", "interview", "offer", "hired", "declined"]
    r = env["admin"].post(form.attrs["action"], form=dict(form.pairs({"status": "interview"})),
                          follow=True)
    assert r.status == 200 and r.url.endswith("/board?done=moved"), r.url
    status, card = board_card(r.text, aid)
    assert status == "interview"
    col = re.search(r'id="col-interview".*?</section>', r.text, re.S).group(0)
    assert 'data-id="%d"' % aid in col
    # A forbidden move from the board is refused and changes nothing.
    tok = jm.csrf_of(r.text)
    r = env["admin"].post("/admin/forms/%d/answers/%d/status" % (job["id"], aid),
                          form={"_csrf": tok, "status": "applied"})
    assert r.status == 409
    assert env["db"].execute("SELECT status FROM answers WHERE id = ?", (aid,)).fetchone()[0] == "interview"
    # Not a job post's board: 404.
    ask = env["api"].post("/api/v1/forms", {"kind": "ask", "slug": jm.uniq("ask"), "title": "質問",
                                            "fields": FIELDS}).json()
    assert env["admin"].get("/admin/forms/%d/board" % ask["id"]).status == 404


def test_notes_and_dates_from_the_card(env):
    job = create_job(env)
    aid, _, _ = apply(env, job)
    path = "/admin/forms/%d/answers/%d" % (job["id"], aid)
    r, form = env["admin"].get_form(path, action=path + "/status")
    r = env["admin"].submit(form, {"status": "screening", "note": "一次面接は12/10 14時\n<i>持ち物</i>",
                                   "at": "2026-12-10T14:00"})
    assert r.status == 200 and "done=saved" in r.url
    notes = re.search(r'id="notes".*?</ol>', r.text, re.S).group(0)
    assert "2026-12-10 14:00" in notes
    assert "&lt;i&gt;持ち物&lt;/i&gt;" in notes and "<i>持ち物" not in notes
    assert 'id="applicant-status" data-status="screening"' in r.text
    row = env["db"].execute("SELECT status, at, user_id FROM answer_notes WHERE answer_id = ?",
                            (aid,)).fetchone()
    assert row[0] == "screening" and row[1] == 1796878800 and row[2]  # 14:00 JST, by the owner
    r, form = env["admin"].get_form(path, action=path + "/status")
    r = env["admin"].submit(form, {"note": "x", "at": "そのうち"})
    assert r.status == 422
    assert env["db"].execute("SELECT count(*) FROM answer_notes WHERE answer_id = ?",
                             (aid,)).fetchone()[0] == 1


# ---- mail and the reader history ----

def test_mail_to_the_applicant_is_threaded_and_on_the_timeline(env):
    job = create_job(env, title="ライター募集")
    aid, email, _ = apply(env, job, name="山田 太郎")
    path = "/admin/forms/%d/answers/%d" % (job["id"], aid)
    for i, body in enumerate(["ご応募ありがとうございます。面接の日程を…", "面接の詳細です。"]):
        r, form = env["admin"].get_form(path, action=path + "/mail")
        assert form.get("subject") == "Re: ライター募集"
        r = env["admin"].submit(form, {"body": body})
        assert r.status == 200 and "done=mailed" in r.url, r.text[:2000]
    def threaded():
        m = [(e, msg) for e, msg in env["cap"].messages()
             if email in e["rcpt_tos"] and str(msg["Subject"]) == "Re: ライター募集"]
        return m if len(m) >= 2 else None
    got = jm.wait_until(threaded, 60, what="two mails to the applicant")
    assert len(got) == 2
    first, second = got[0][1], got[1][1]
    root = env["db"].execute("SELECT m.msgid FROM answers a JOIN messages m ON m.id = a.message_id "
                             "WHERE a.id = ?", (aid,)).fetchone()[0]
    # The inbox's threading: every mail answers the thread's root and
    # References lists the root and every earlier mail, oldest first.
    assert re.fullmatch(r"<job-\d+\.[A-Za-z0-9_-]+@jobs\.example\.test>", root), root
    assert first["In-Reply-To"] == root and first["References"].split() == [root]
    assert second["In-Reply-To"] == root
    assert second["References"].split() == [root, first["Message-ID"]]
    assert first["Message-ID"] != second["Message-ID"]
    assert "面接の詳細です。" in second.get_payload(decode=True).decode("utf-8")
    # Sent through the queue (deliveries of kind reply), logged on the timeline.
    pid = env["db"].execute("SELECT person_id FROM answers WHERE id = ?", (aid,)).fetchone()[0]
    assert env["db"].execute("SELECT count(*) FROM deliveries WHERE person_id = ? AND kind = 'reply'",
                             (pid,)).fetchone()[0] == 2
    tl = env["api"].get("/api/v1/people/%d/timeline" % pid).json()
    items = tl["items"] if isinstance(tl, dict) else tl
    assert sum(1 for e in items if e["kind"] == "reply" and "ライター募集" in (e.get("title") or "")) == 2
    r = env["admin"].get(path)
    assert r.text.count('class="reply-subject"') == 2
    # An empty mail is refused and makes no thread for nothing.
    aid2, _, _ = apply(env, job)
    p2 = "/admin/forms/%d/answers/%d" % (job["id"], aid2)
    r, form = env["admin"].get_form(p2, action=p2 + "/mail")
    r = env["admin"].submit(form, {"body": "  "})
    assert r.status == 422
    assert env["db"].execute("SELECT message_id FROM answers WHERE id = ?", (aid2,)).fetchone()[0] is None


def test_the_applicant_card_shows_the_reader_history(env):
    api, db = env["api"], env["db"]
    email = jm.uniq("reader") + "@example.org"
    lst = api.post("/api/v1/lists", {"slug": jm.uniq("news"), "name": "人脈通信"}).json()
    sub = api.post("/api/v1/subscribers", {"list_id": lst["id"], "email": email, "name": "読者 一郎"})
    assert sub.status == 201, sub.text
    pid = sub.json()["person_id"]
    bc = api.post("/api/v1/broadcasts", {"list_id": lst["id"], "subject": "第1号 " + jm.uniq("bc"),
                                         "body": "こんにちは"}).json()
    assert api.post("/api/v1/broadcasts/%d/send" % bc["id"]).status in (200, 202)
    jm.wait_until(lambda: db.execute("SELECT count(*) FROM deliveries WHERE broadcast_id = ? "
                                     "AND state = 'sent'", (bc["id"],)).fetchone()[0] == 1,
                  60, what="the broadcast sent")
    # A contact message from them.
    r = env["web"].post("/contact", form=dict(name="読者 一郎", email=email, category="その他",
                                              subject="情報提供です", message="本文", website="",
                                              form_token=jm.contact_token(env["secret"],
                                                                          int(time.time()) - 10)),
                        follow=False)
    assert r.status == 303, r.text[:1000]
    # An ask they answered (verified) and an event they attended.
    ask = api.post("/api/v1/forms", {"kind": "ask", "slug": jm.uniq("ask"), "title": "出版社とのつながり",
                                     "fields": [{"key": "ties", "label": "つながり", "type": "text"}]}).json()
    ev = api.post("/api/v1/forms", {"kind": "event", "slug": jm.uniq("ev"), "title": "読者交流会",
                                    "starts_at": "2026-12-24T18:00:00+09:00",
                                    "fields": []}).json()
    now = int(time.time())
    for fid, status, attended in ((ask["id"], "received", None), (ev["id"], "confirmed", now)):
        db.execute("INSERT INTO answers(form_id, person_id, status, verified, attended_at, status_at, "
                   "created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?)",
                   (fid, pid, status, attended, now, now, now))
    job = create_job(env)
    aid, _, _ = apply(env, job, email=email, name="読者 一郎")
    path = "/admin/forms/%d/answers/%d" % (job["id"], aid)
    r, form = env["admin"].get_form(path, action=path + "/mail")
    env["admin"].submit(form, {"body": "ご応募ありがとうございます。"})
    r = env["admin"].get(path)
    assert r.status == 200
    h = re.search(r'<section class="card" id="history">.*?</section>', r.text, re.S).group(0)
    since = re.search(r'id="subscribed-since">.*?<span class="time">([^<]+)</span>', h, re.S).group(1)
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d$", since), since
    assert bc["subject"] in h and 'id="n-broadcasts">1<' in h
    assert "情報提供です" in h and 'id="n-messages">1<' in h
    assert 'id="n-replies">1<' in h
    assert "出版社とのつながり" in h and 'id="n-asks">1<' in h
    assert "読者交流会" in h and 'id="n-events">1<' in h
    # All their answers are on the card.
    ans = re.search(r'id="answers".*?</section>', r.text, re.S).group(0)
    assert "志望動機" in ans and "御社の読者です。" in ans and "1〜3年" in ans
    # Another form's answer id under this form: 404.
    other = create_job(env)
    assert env["admin"].get("/admin/forms/%d/answers/%d" % (other["id"], aid)).status == 404


def test_the_card_links_the_files_an_applicant_sent(env):
    job = create_job(env, fields=FIELDS + [{"key": "cv", "label": "履歴書", "type": "file"}])
    email = jm.uniq("cv") + "@example.org"
    pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    fields = {"name": "履歴書 添付", "email": email, "website": "",
              "form_token": jm.form_stamp(env["secret"], "forms", int(time.time()) - 10),
              "f_motivation": "PDFを添付します。", "f_years": "3年以上"}
    body, ctype = jm.multipart(fields, {"f_cv": ("履歴書 <山田>.pdf", pdf)})
    r = env["web"].post("/forms/%s" % job["slug"], body=body, headers={"Content-Type": ctype},
                        follow=False)
    assert r.status == 200, r.text[:2000]
    aid = env["db"].execute("SELECT max(id) FROM answers WHERE form_id = ?", (job["id"],)).fetchone()[0]
    r = env["admin"].get("/admin/forms/%d/answers/%d" % (job["id"], aid))
    m = re.search(r'<tr data-key="cv">.*?</tr>', r.text, re.S)
    assert m, re.search(r'id="answers".*?</section>', r.text, re.S).group(0)
    row = m.group(0)
    assert "履歴書 &lt;山田&gt;.pdf" in row and "<山田>" not in row
    m = re.search(r'href="(/admin/forms/files/\d+)"', row)
    assert m, row
    href = m.group(1)
    d = env["admin"].get(href)
    assert d.status == 200 and d.body == pdf
    assert d.header("Content-Disposition").startswith("attachment")
    assert env["srv"].client().get(href, follow=False).status in (302, 303, 401, 403)


# ---- announcing and closing ----

def test_announcing_drafts_a_broadcast_to_the_list(env):
    lst = env["api"].post("/api/v1/lists", {"slug": jm.uniq("ann"), "name": "告知先"}).json()
    job = create_job(env, list_id=lst["id"], title="編集者募集 " + jm.uniq("t"))
    path = "/admin/forms/%d/board" % job["id"]
    r, form = env["admin"].get_form(path, action="/admin/forms/%d/announce" % job["id"])
    assert form.get("list_id") == str(lst["id"])
    r = env["admin"].submit(form, follow=False)
    assert r.status == 303, r.text[:1000]
    bid = int(re.search(r"/admin/broadcasts/(\d+)$", r.header("Location")).group(1))
    b = env["api"].get("/api/v1/broadcasts/%d" % bid).json()
    assert b["subject"] == job["title"] and b["list_id"] == lst["id"] and b["status"] == "draft"
    body = b["body"]
    assert "{{form:%s}}" % job["slug"] in body
    for label, value in zip(LABELS, CONDITIONS.values()):
        assert "**%s**: %s" % (label, value) in body
    assert env["db"].execute("SELECT count(*) FROM deliveries WHERE broadcast_id = ?",
                             (bid,)).fetchone()[0] == 0  # a draft: nothing sent


def test_closing_the_post_stops_applications(env):
    job = create_job(env)
    aid, _, _ = apply(env, job)
    assert aid
    path = "/admin/forms/%d/board" % job["id"]
    r, form = env["admin"].get_form(path, action="/admin/forms/%d/close" % job["id"])
    r = env["admin"].submit(form)
    assert r.status == 200 and "done=closed" in r.url
    assert 'id="form-status" data-status="closed"' in r.text
    assert env["api"].get("/api/v1/forms/%d" % job["id"]).json()["status"] == "closed"
    assert 'id="form-closed"' in env["web"].get("/forms/%s" % job["slug"]).text
    n = env["db"].execute("SELECT count(*) FROM answers WHERE form_id = ?", (job["id"],)).fetchone()[0]
    late, _, r = apply(env, job, expect=409)
    assert late is None and 'id="form-closed"' in r.text
    assert env["db"].execute("SELECT count(*) FROM answers WHERE form_id = ?",
                             (job["id"],)).fetchone()[0] == n
    # The pipeline of the applications it has still works.
    assert patch(env, job, aid, {"status": "screening"}).status == 200
    # The API closes it the same way: PATCH {"status": "closed"}.
    job2 = create_job(env)
    r = env["api"].patch("/api/v1/forms/%d" % job2["id"], {"status": "closed"})
    assert r.status == 200 and r.json()["status"] == "closed", r.text
    late, _, r = apply(env, job2, expect=409)
    assert late is None
    assert 'id="btn-close"' not in env["admin"].get("/admin/forms/%d/board" % job2["id"]).text
