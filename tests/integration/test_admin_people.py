"""The people hub in the admin: the list with its filters and sorts, the
"who can help" search (出版 finds 「出版社の編集者」, flagged people only when
asked), bulk tag / stage, adding a person by hand with its validation
errors (422, nothing created), the person page with every section, stage
changes with their reason, flags, interactions moving the last contact,
introductions in three directions on both people's timelines, merging
(from the page and from the duplicates list), erasure, escaping of
script/HTML payloads, the dashboard's keep-in-touch list, CSRF and sign-in."""
import datetime
import html
import re
import time
from urllib.parse import quote

import pytest

import jm
from conftest import login

JST = datetime.timezone(datetime.timedelta(hours=9))


def q1(server, sql, *args):
    return jm.q1(server.data_dir, sql, *args)


def qall(server, sql, *args):
    return jm.qall(server.data_dir, sql, *args)


def day(days_ago):
    return (datetime.datetime.now(JST) - datetime.timedelta(days=days_ago)).strftime("%Y-%m-%d")


def csrf(admin, page="/admin/people/new"):
    r = admin.get(page)
    assert r.status == 200, r.text[:2000]
    tok = jm.csrf_of(r.text)
    assert tok
    return tok


def create(admin, status=200, **fields):
    """Adds a person through the form; returns (id or None, response)."""
    _, form = admin.get_form("/admin/people/new", action="/admin/people")
    r = admin.submit(form, fields)
    assert r.status == status, "%s: %s" % (r.status, r.text[:3000])
    if status != 200:
        return None, r
    m = re.search(r"/admin/people/(\d+)\?done=created", r.url)
    assert m, r.url
    return int(m.group(1)), r


def person_post(admin, pid, action, follow=True, **fields):
    fields.setdefault("_csrf", csrf(admin, "/admin/people/%d" % pid))
    return admin.post("/admin/people/%d/%s" % (pid, action), form=fields, follow=follow)


def page_text(r):
    return html.unescape(re.sub(r"<[^>]+>", " ", r.text))


def section(r, sid):
    m = re.search(r'<section[^>]*id="%s"[^>]*>(.*?)</section>' % sid, r.text, re.S)
    assert m, "no section #%s" % sid
    return m.group(1)


def list_ids(r):
    return [int(x) for x in re.findall(r'<tr class="person-row" data-id="(\d+)"', r.text)]


def hit_ids(r):
    return [int(x) for x in re.findall(r'<tr class="hit" data-id="(\d+)"', r.text)]


# ---- sign-in and CSRF ----

def test_people_pages_need_login(server, admin):
    pid, _ = create(admin, name="ログイン確認")
    c = server.client()
    for path in ("/admin/people", "/admin/people/new", "/admin/people/%d" % pid,
                 "/admin/people/%d/edit" % pid, "/admin/people/duplicates"):
        r = c.get(path, follow=False)
        assert r.status in (302, 303), path
        assert "/admin/login" in r.header("Location"), path
    r = c.post("/admin/people/%d/stage" % pid, form={"stage": "network"}, follow=False)
    assert r.status in (302, 303, 403)
    assert q1(server, "SELECT stage FROM people WHERE id = ?", pid) == "acquaintance"


def test_posts_without_csrf_are_refused(server, admin):
    before = q1(server, "SELECT count(*) FROM people")
    _, form = admin.get_form("/admin/people/new", action="/admin/people")
    r = admin.submit(form, {"name": "CSRFなし"}, drop=("_csrf",))
    assert r.status == 403
    r = admin.submit(form, {"name": "CSRF違い", "_csrf": "0" * 64})
    assert r.status == 403
    assert q1(server, "SELECT count(*) FROM people") == before
    pid, _ = create(admin, name="CSRF対象")
    for action, fields in (("stage", {"stage": "network", "reason": "x"}),
                           ("flag", {"flag": "blocked", "on": "1"}),
                           ("interactions", {"kind": "meal", "date": day(3)}),
                           ("delete", {"confirm": "1"})):
        r = admin.post("/admin/people/%d/%s" % (pid, action), form=fields, follow=False)
        assert r.status == 403, action
    r = admin.post("/admin/people/bulk", form=[("id", str(pid)), ("op", "stage"), ("arg", "fan")])
    assert r.status == 403
    assert q1(server, "SELECT stage || blocked FROM people WHERE id = ?", pid) == "acquaintance0"
    assert q1(server, "SELECT count(*) FROM interactions WHERE person_id = ?", pid) == 0


# ---- creating by hand ----

def test_business_card_and_person_page_sections(server, admin):
    pid, r = create(admin, name="山田 花子", furigana="やまだ はなこ", email="Hanako.Card@Example.JP",
                    company="山田出版", title="編集長", stage="acquaintance",
                    tags="出版, 講演、編集", links="https://yamada.example.jp/\nhttps://x.com/hanako",
                    can_offer="書籍の企画相談", looking_for="若い書き手", source="seminar:2026-秋",
                    notes="**大事**な人。\n\n- 異業種交流会で名刺交換")
    assert "done=created" in r.url
    row = qall(server, "SELECT name, furigana, email, company, title, stage, source FROM people "
                       "WHERE id = ?", pid)[0]
    assert row == ("山田 花子", "やまだ はなこ", "hanako.card@example.jp", "山田出版", "編集長",
                   "acquaintance", "seminar:2026-秋")
    tags = {t for (t,) in qall(server, "SELECT tag FROM person_tags WHERE person_id = ?", pid)}
    assert tags == {"出版", "講演", "編集"}
    links = qall(server, "SELECT kind, url FROM person_links WHERE person_id = ? ORDER BY position", pid)
    assert links == [("site", "https://yamada.example.jp/"), ("x", "https://x.com/hanako")]
    assert q1(server, "SELECT count(*) FROM stage_changes WHERE person_id = ?", pid) == 1

    p = admin.get("/admin/people/%d" % pid)
    assert p.status == 200
    t = page_text(p)
    for want in ("山田 花子", "やまだ はなこ", "山田出版", "編集長", "hanako.card@example.jp",
                 "書籍の企画相談", "若い書き手", "出版", "講演", "編集", "https://x.com/hanako",
                 "知り合い", "クレクレ"):
        assert want in t, want
    for sid in ("profile", "stage-card", "flags", "engagement", "offer", "fields", "notes",
                "add-interaction", "add-intro", "timeline", "merge", "erase"):
        assert 'id="%s"' % sid in p.text, sid
    assert "<strong>大事</strong>" in section(p, "notes"), "notes are rendered as Markdown"
    assert re.search(r'id="score-total"[^>]*>\d+<', p.text)
    assert re.search(r'id="given">\d+<', p.text) and re.search(r'id="received">\d+<', p.text)
    assert 'id="stage-history"' in p.text and "stage-change" in p.text
    assert 'href="/admin/people/%d/edit"' % pid in p.text
    # The interaction kinds have Japanese labels.
    form = section(p, "add-interaction")
    for label in ("面談", "会食", "電話", "メール", "メッセージ", "取引", "紹介", "手助けした",
                  "手助けしてもらった"):
        assert ">%s<" % label in form, label


def test_create_validation_errors_change_nothing(server, admin):
    before = q1(server, "SELECT count(*) FROM people")
    _, r = create(admin, status=422, name="", email="")
    assert 'id="name-error"' in r.text and "名前かメールアドレス" in r.text
    _, r = create(admin, status=422, name="メール不正", email="not-an-email")
    assert 'id="email-error"' in r.text
    assert 'value="メール不正"' in r.text, "typed values are kept"
    _, r = create(admin, status=422, name="あ" * 80)  # 240 bytes
    assert 'id="name-error"' in r.text
    _, r = create(admin, status=422, name="リンク不正", links="ftp://example.jp/file")
    assert 'id="links-error"' in r.text
    _, r = create(admin, status=422, name="段階不正", stage="boss")
    assert 'id="stage-error"' in r.text
    _, r = create(admin, status=422, name="間隔不正", touch_days="-5")
    assert 'id="touch-error"' in r.text
    _, r = create(admin, status=422, name="改行\n入り")
    assert q1(server, "SELECT count(*) FROM people") == before
    create(admin, name="重複元", email="dup-card@example.jp")
    _, r = create(admin, status=409, name="重複", email="DUP-card@example.jp")
    assert 'id="email-error"' in r.text and "すでに登録" in r.text
    assert q1(server, "SELECT count(*) FROM people") == before + 1


def test_errors_in_english(server, owner):
    c = server.client(headers={"Accept-Language": "en-US,en;q=0.9"})
    assert login(c, owner.email, owner.password).status == 200
    tok = csrf(c)
    r = c.post("/admin/people", form={"_csrf": tok, "name": "x", "email": "nope"})
    assert r.status == 422
    # Says why (issue 8, item 21): "nope" has no @.
    assert "The email address has no @." in html.unescape(r.text)


def test_edit_person(server, admin):
    pid, _ = create(admin, name="編集前", company="旧社", tags="a, b")
    _, form = admin.get_form("/admin/people/%d/edit" % pid, action="/admin/people/%d" % pid)
    assert form.get("company") == "旧社" and form.get("tags") == "a, b"
    r = admin.submit(form, {"company": "新社", "furigana": "へんしゅうご"})
    assert r.status == 200 and "done=saved" in r.url
    assert q1(server, "SELECT company || '/' || furigana FROM people WHERE id = ?", pid) == "新社/へんしゅうご"
    r = admin.submit(form, {"email": "bad@"})
    assert r.status == 422 and 'id="email-error"' in r.text
    assert q1(server, "SELECT email FROM people WHERE id = ?", pid) in ("", None)


# ---- list, filters, sorts, bulk ----

def test_list_filters_and_sorts(server, admin):
    tag = jm.uniq("lst")
    a, _ = create(admin, name="佐藤", furigana="さとう", tags=tag, stage="reader", source="import:x.csv")
    b, _ = create(admin, name="青木", furigana="あおき", tags=tag, stage="network", source="manual")
    c, _ = create(admin, name="加藤", furigana="かとう", tags=tag, stage="network", source="manual")
    assert person_post(admin, c, "interactions", kind="meal", date=day(40)).status == 200
    assert person_post(admin, b, "interactions", kind="call", date=day(2)).status == 200
    assert person_post(admin, b, "flag", flag="freeloader", on="1").status == 200

    r = admin.get("/admin/people?tag=%s" % tag)
    assert r.status == 200 and set(list_ids(r)) == {a, b, c}
    assert set(list_ids(admin.get("/admin/people?tag=%s&stage=network" % tag))) == {b, c}
    assert list_ids(admin.get("/admin/people?tag=%s&flag=freeloader" % tag)) == [b]
    assert set(list_ids(admin.get("/admin/people?tag=%s&flag=none" % tag))) == {a, c}
    assert list_ids(admin.get("/admin/people?tag=%s&source=import" % tag)) == [a]
    # Last contact before 10 days ago: c (40 days) and a (never), not b.
    r = admin.get("/admin/people?tag=%s&contact_before=%s" % (tag, day(10)))
    assert set(list_ids(r)) == {a, c}
    assert list_ids(admin.get("/admin/people?tag=%s&sort=name" % tag)) == [b, c, a]
    assert list_ids(admin.get("/admin/people?tag=%s&sort=created" % tag)) == [c, b, a]
    assert list_ids(admin.get("/admin/people?tag=%s&sort=last_contact" % tag)) == [b, c, a]
    r = admin.get("/admin/people?tag=%s&sort=engagement" % tag)
    assert set(list_ids(r)) == {a, b, c} and 'class="num engagement"' in r.text
    assert 'badge stage-network' in r.text and "人脈" in r.text, "stages shown as coloured badges"
    # Bad filters answer 422 with a message.
    for bad in ("stage=boss", "sort=random", "contact_before=2026-13-01", "flag=evil"):
        r = admin.get("/admin/people?" + bad)
        assert r.status == 422, bad
        assert 'id="form-error"' in r.text


def test_pagination(server, admin):
    tag = jm.uniq("pg")
    ids = [create(admin, name="ページ%02d" % i, furigana="ぺーじ%02d" % i, tags=tag)[0] for i in range(53)]
    r1 = admin.get("/admin/people?tag=%s&sort=name" % tag)
    assert len(list_ids(r1)) == 50 and 'id="page-next"' in r1.text
    assert ">53<" in r1.text.replace(" ", "")
    r2 = admin.get("/admin/people?tag=%s&sort=name&page=2" % tag)
    assert list_ids(r2) == ids[50:]
    assert 'id="page-prev"' in r2.text


def test_bulk_tag_untag_and_stage(server, admin):
    tag = jm.uniq("bulk")
    a, _ = create(admin, name="一括A", stage="reader")
    b, _ = create(admin, name="一括B", stage="reader")
    tok = csrf(admin, "/admin/people")
    r = admin.post("/admin/people/bulk", form=[("_csrf", tok), ("id", str(a)), ("id", str(b)),
                                               ("op", "tag"), ("arg", tag), ("back", "/admin/people")])
    assert r.status == 200 and "done=bulk_tag" in r.url
    assert set(list_ids(admin.get("/admin/people?tag=%s" % tag))) == {a, b}
    r = admin.post("/admin/people/bulk", form=[("_csrf", tok), ("id", str(a)), ("id", str(b)),
                                               ("op", "stage"), ("arg", "fan")])
    assert r.status == 200
    assert q1(server, "SELECT count(*) FROM people WHERE id IN (?, ?) AND stage = 'fan'", a, b) == 2
    assert q1(server, "SELECT reason FROM stage_changes WHERE person_id = ? ORDER BY id DESC", a) == "bulk"
    r = admin.post("/admin/people/bulk", form=[("_csrf", tok), ("id", str(a)), ("op", "untag"),
                                               ("arg", tag)])
    assert r.status == 200
    assert list_ids(admin.get("/admin/people?tag=%s" % tag)) == [b]
    # Bad requests: nothing selected, unknown op, bad stage.
    for form in ([("_csrf", tok), ("op", "tag"), ("arg", "x")],
                 [("_csrf", tok), ("id", str(a)), ("op", "erase"), ("arg", "x")],
                 [("_csrf", tok), ("id", str(a)), ("op", "stage"), ("arg", "boss")],
                 [("_csrf", tok), ("id", str(a)), ("op", "tag"), ("arg", "")]):
        assert admin.post("/admin/people/bulk", form=form).status == 422, form
    assert q1(server, "SELECT stage FROM people WHERE id = ?", a) == "fan"


# ---- stage, flags, search ----

def test_stage_change_recorded_with_reason(server, admin):
    pid, _ = create(admin, name="昇格さん", stage="reader")
    r = person_post(admin, pid, "stage", stage="network", reason="一緒に本を作った")
    assert r.status == 200 and "done=stage" in r.url
    hist = section(r, "stage-card")
    assert "一緒に本を作った" in hist and "読者" in hist and "人脈" in hist
    rows = qall(server, "SELECT from_stage, to_stage, reason FROM stage_changes WHERE person_id = ? "
                        "ORDER BY id", pid)
    assert rows[-1] == ("reader", "network", "一緒に本を作った")
    r = person_post(admin, pid, "stage", stage="boss", reason="x")
    assert r.status == 422 and 'id="stage-error"' in r.text
    r = person_post(admin, pid, "stage", stage="fan", reason="長" * 600)
    assert r.status == 422
    assert q1(server, "SELECT stage FROM people WHERE id = ?", pid) == "network"


def test_flags_toggle_and_search_hides_freeloaders(server, admin):
    word = quote("出版")
    a, _ = create(admin, name="編集の鈴木", notes="出版社の編集者。企画に強い。", company="鈴木企画")
    b, _ = create(admin, name="クレクレの田中", notes="出版社の編集者だと言っている。")
    # The index catches up in the background (and a little before each search).
    r = jm.wait_until(lambda: (lambda x: x if {a, b} <= set(hit_ids(x)) else None)(
        admin.get("/admin/people?q=%s" % word)), what="the search index to catch up")
    assert r.status == 200
    assert "出版社の編集者" in page_text(r), "the snippet shows the match"
    r = person_post(admin, b, "flag", flag="freeloader", on="1")
    assert r.status == 200 and 'id="badge-freeloader"' in r.text
    assert q1(server, "SELECT freeloader FROM people WHERE id = ?", b) == 1
    found = hit_ids(admin.get("/admin/people?q=%s" % word))
    assert a in found and b not in found, "freeloaders are hidden from who-can-help"
    found = hit_ids(admin.get("/admin/people?q=%s&include_flagged=1" % word))
    assert a in found and b in found
    # Stage filter applies to the search too.
    assert a not in hit_ids(admin.get("/admin/people?q=%s&stage=network" % word))
    r = person_post(admin, b, "flag", flag="freeloader", on="0")
    assert r.status == 200 and q1(server, "SELECT freeloader FROM people WHERE id = ?", b) == 0
    assert b in hit_ids(admin.get("/admin/people?q=%s" % word))
    r = person_post(admin, a, "flag", flag="blocked", on="1")
    assert r.status == 200 and q1(server, "SELECT blocked FROM people WHERE id = ?", a) == 1
    assert a not in hit_ids(admin.get("/admin/people?q=%s" % word))
    assert person_post(admin, a, "flag", flag="vip", on="1").status == 422
    assert person_post(admin, a, "flag", flag="blocked", on="yes").status == 422
    assert admin.get("/admin/people?q=" + quote("長" * 100)).status == 422


# ---- interactions and introductions ----

def test_interactions_move_last_contact(server, admin):
    pid, _ = create(admin, name="会食相手", stage="network")
    r = person_post(admin, pid, "interactions", kind="meal", date=day(20), note="寿司", amount="¥12,000")
    assert r.status == 200 and "done=interaction" in r.url
    first = q1(server, "SELECT last_contact_at FROM people WHERE id = ?", pid)
    assert first and q1(server, "SELECT amount FROM interactions WHERE person_id = ?", pid) == 12000
    assert "会食" in section(r, "timeline") and "寿司" in section(r, "timeline")
    r = person_post(admin, pid, "interactions", kind="call", date=day(5), note="近況")
    second = q1(server, "SELECT last_contact_at FROM people WHERE id = ?", pid)
    assert second > first
    assert day(5) in section(r, "profile")
    iid = q1(server, "SELECT id FROM interactions WHERE person_id = ? AND kind = 'call'", pid)
    r = person_post(admin, pid, "interactions/%d/delete" % iid)
    assert r.status == 200
    assert q1(server, "SELECT count(*) FROM interactions WHERE person_id = ?", pid) == 1
    assert q1(server, "SELECT last_contact_at FROM people WHERE id = ?", pid) == first
    # Bad input: kind, date, future date, amount — nothing recorded.
    for fields in ({"kind": "party", "date": day(1)}, {"kind": "meal", "date": "2026/01/01"},
                   {"kind": "meal", "date": day(-10)}, {"kind": "deal", "date": day(1), "amount": "-5"},
                   {"kind": "deal", "date": day(1), "amount": "たくさん"}):
        r = person_post(admin, pid, "interactions", **fields)
        assert r.status == 422, fields
        assert 'id="interaction-error"' in r.text
    assert q1(server, "SELECT count(*) FROM interactions WHERE person_id = ?", pid) == 1
    assert person_post(admin, pid, "interactions/999999/delete").status == 404


def test_introductions_three_directions(server, admin):
    p, _ = create(admin, name="主役")
    a, _ = create(admin, name="紹介者A")
    b, _ = create(admin, name="紹介先B")
    c, _ = create(admin, name="相手C", email="c-intro@example.jp")
    r = person_post(admin, p, "introductions", direction="introduced_by", other=str(a),
                    date=day(3), note="Aさんの紹介")
    assert r.status == 200 and "done=intro" in r.url
    r = person_post(admin, p, "introductions", direction="introduced_me_to", other=str(b), date=day(2))
    assert r.status == 200
    r = person_post(admin, p, "introductions", direction="i_introduced", other="C-Intro@example.jp",
                    date=day(1))
    assert r.status == 200
    rows = qall(server, "SELECT introducer_id, person_id, to_id FROM introductions "
                        "WHERE ? IN (introducer_id, person_id, to_id) ORDER BY id", p)
    assert rows == [(a, p, None), (p, b, None), (None, p, c)]
    mine = section(admin.get("/admin/people/%d" % p), "timeline")
    assert mine.count('data-kind="introduction"') == 3
    # Each direction reads as a sentence told from the owner's side.
    for sentence in ("紹介者Aさんから主役さんを紹介された", "主役さんから紹介先Bさんを紹介された",
                     "主役さんを相手Cさんに紹介した"):
        assert sentence in mine, sentence
    for other in (a, b, c):
        tl = section(admin.get("/admin/people/%d" % other), "timeline")
        assert 'data-kind="introduction"' in tl, other
        assert "主役" in tl
        assert 'href="/admin/people/%d"' % p in tl
    # Bad: unknown person, self, no direction.
    for fields in ({"direction": "introduced_by", "other": "999999"},
                   {"direction": "introduced_by", "other": "nobody@example.jp"},
                   {"direction": "introduced_by", "other": str(p)},
                   {"direction": "sideways", "other": str(a)},
                   {"direction": "introduced_by", "other": ""}):
        r = person_post(admin, p, "introductions", **fields)
        assert r.status == 422, fields
        assert 'id="intro-error"' in r.text
    assert q1(server, "SELECT count(*) FROM introductions WHERE ? IN (introducer_id, person_id, to_id)",
              p) == 3


# ---- merge, duplicates, erase ----

def test_merge_from_the_page(server, admin):
    tag = jm.uniq("mrg")
    keep, _ = create(admin, name="統合先", email="keep-merge@example.jp")
    gone, _ = create(admin, name="統合元", email="gone-merge@example.jp", tags=tag, notes="元のメモ")
    person_post(admin, gone, "interactions", kind="meeting", date=day(4), note="元の面談")
    r = person_post(admin, keep, "merge", other="gone-merge@example.jp")
    assert r.status == 422 and 'id="merge-error"' in r.text, "merge needs the confirmation"
    assert q1(server, "SELECT count(*) FROM people WHERE id = ?", gone) == 1
    r = person_post(admin, keep, "merge", other=str(keep), confirm="1")
    assert r.status == 422
    r = person_post(admin, keep, "merge", other="nobody-merge@example.jp", confirm="1")
    assert r.status == 422
    r = person_post(admin, keep, "merge", other="gone-merge@example.jp", confirm="1")
    assert r.status == 200 and "done=merged" in r.url
    assert q1(server, "SELECT count(*) FROM people WHERE id = ?", gone) == 0
    assert q1(server, "SELECT count(*) FROM interactions WHERE person_id = ?", keep) == 1
    assert list_ids(admin.get("/admin/people?tag=%s" % tag)) == [keep]
    assert "元のメモ" in section(r, "notes")


def test_duplicates_page_merges(server, admin):
    a, _ = create(admin, name="重複 太郎", company="同じ株式会社")
    b, _ = create(admin, name="重複　太郎", company="同じ株式会社", tags="dupe")
    r = admin.get("/admin/people/duplicates")
    assert r.status == 200
    assert re.search(r'class="dup-pair" data-a="%d" data-b="%d"' % (a, b), r.text)
    f = jm.find_form(r.text, action="/admin/people/%d/merge" % a)
    assert f is not None and f.get("other") == str(b)
    f.page = r.url
    r = admin.submit(f)
    assert r.status == 200 and "/admin/people/duplicates" in r.url
    assert q1(server, "SELECT count(*) FROM people WHERE id = ?", b) == 0
    assert 'data-b="%d"' % b not in r.text


def test_erase_needs_confirmation(server, admin):
    pid, _ = create(admin, name="消える人", email="erase-me@example.jp")
    person_post(admin, pid, "interactions", kind="call", date=day(2))
    r = person_post(admin, pid, "delete")
    assert r.status == 422 and 'id="delete-error"' in r.text
    assert q1(server, "SELECT count(*) FROM people WHERE id = ?", pid) == 1
    r = person_post(admin, pid, "delete", confirm="1")
    assert r.status == 200 and r.url.endswith("/admin/people?done=deleted")
    assert q1(server, "SELECT count(*) FROM people WHERE id = ?", pid) == 0
    assert q1(server, "SELECT count(*) FROM interactions WHERE person_id = ?", pid) == 0
    assert admin.get("/admin/people/%d" % pid).status == 404
    assert admin.get("/admin/people/abc").status == 404


# ---- untrusted input ----

PAYLOADS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')


def test_payloads_are_escaped(server, admin):
    pid, _ = create(admin, name=PAYLOADS[0] + "出版", company=PAYLOADS[1], title=PAYLOADS[0],
                    notes="出版 " + PAYLOADS[0] + "\n\n" + PAYLOADS[1] + "\n\n[x](javascript:alert(1))",
                    can_offer=PAYLOADS[1], tags="<b>tag</b>")
    search = jm.wait_until(lambda: (lambda x: x if pid in hit_ids(x) else None)(
        admin.get("/admin/people?q=%s&include_flagged=1" % quote("出版"))), what="the search index")
    pages = [admin.get("/admin/people/%d" % pid), admin.get("/admin/people/%d/edit" % pid),
             admin.get("/admin/people?sort=created"), search]
    for r in pages:
        assert r.status == 200
        assert "<script>alert(1)</script>" not in r.text, r.url
        assert "<img src=x onerror" not in r.text, r.url
        assert "<b>tag</b>" not in r.text
        assert not re.search(r'href="\s*javascript:', r.text, re.I)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text or "&lt;script&gt;" in r.text, r.url
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in pages[0].text
    # Another person referring to it shows the name escaped on the timeline.
    other, _ = create(admin, name="紹介相手")
    r = person_post(admin, other, "introductions", direction="introduced_by", other=str(pid), date=day(1))
    assert r.status == 200 and "<script>alert(1)" not in r.text
    # An error page keeps the typed payload escaped.
    _, r = create(admin, status=422, name=PAYLOADS[1], email="bad")
    assert "<img src=x onerror" not in r.text


# ---- dashboard ----

def test_dashboard_lists_who_is_due(server, admin):
    due, _ = create(admin, name="ご無沙汰さん", stage="network")
    fresh, _ = create(admin, name="最近会った人", stage="network")
    person_post(admin, due, "interactions", kind="meal", date=day(120))
    person_post(admin, fresh, "interactions", kind="meal", date=day(3))
    r = admin.get("/admin/")
    assert r.status == 200
    box = section(r, "touch-due")
    assert "連絡の時期です" in box
    assert 'data-id="%d"' % due in box and "ご無沙汰さん" in box
    assert 'data-id="%d"' % fresh not in box
    assert day(120) in box, "the last contact is shown"
    assert re.search(r'id="stat-inbox-new">\d+<', r.text)


def test_static_people_routes_win_over_id(server, admin):
    """/admin/people/{new,duplicates,import,export.csv} are their own pages,
    never taken for a person id."""
    for path in ("/admin/people/new", "/admin/people/duplicates", "/admin/people/import"):
        r = admin.get(path)
        assert r.status == 200, path
        assert 'id="person-name"' not in r.text, path
    r = admin.get("/admin/people/export.csv")
    assert r.status == 200 and "text/csv" in r.header("Content-Type")


def test_messages_on_the_timeline_are_escaped(server, admin):
    """What a stranger wrote through the contact form shows on their
    timeline, escaped, with a link to the inbox."""
    pid, _ = create(admin, name="問い合わせ主", email="writer@example.jp")
    c = jm.db_connect(server.data_dir)
    now = int(time.time())
    try:
        c.execute("INSERT INTO messages(person_id, category, subject, body, name, email, msgid, "
                  "created_at, updated_at) VALUES (?, '情報提供', ?, ?, 'x', 'writer@example.jp', "
                  "'<m1@example.jp>', ?, ?)",
                  (pid, PAYLOADS[0], PAYLOADS[1] + "\r\nBcc: evil@example.jp", now, now))
        c.commit()
        mid = c.execute("SELECT id FROM messages WHERE person_id = ?", (pid,)).fetchone()[0]
    finally:
        c.close()
    r = admin.get("/admin/people/%d" % pid)
    tl = section(r, "timeline")
    assert 'data-kind="message"' in tl and 'href="/admin/inbox/%d"' % mid in tl
    assert "<script>alert(1)</script>" not in r.text and "<img src=x onerror" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in tl


# ---- slow reads on the worker pool ----

def test_deferred_pages_survive_a_client_hanging_up(server, admin):
    """The list, the search and the duplicates run on a worker: a client that hangs
    up meanwhile leaves nothing behind (the module's server is checked for
    leaks when it stops) and the pages still answer."""
    cookie = "; ".join("%s=%s" % kv for kv in admin.cookies().items())
    for path in ("/admin/people?q=" + quote("出版"), "/admin/people/duplicates",
                 "/admin/people?sort=name") * 10:
        jm.hang_up(server.port, path, {"Cookie": cookie})
    assert server.alive()
    assert admin.get("/admin/people/duplicates").status == 200
    r = admin.get("/admin/people?q=" + quote("出版"))
    assert r.status == 200 and 'id="hits"' in r.text


def test_search_too_long_is_refused_on_the_page(server, admin):
    r = admin.get("/admin/people?q=" + quote("出" * 67))  # 201 bytes
    assert r.status == 422
    assert "200バイトまで" in page_text(r) and 'id="hits"' in r.text
    r = admin.get("/admin/people?q=" + quote("出" * 66))  # 198 bytes: a search
    assert r.status == 200
