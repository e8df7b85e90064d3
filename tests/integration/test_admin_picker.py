"""Naming another person without an id (issue 10): the introductions and
merge forms take a name (「佐藤 健」, matched folded with spaces dropped,
so 佐藤　健 and 佐藤健 are the same name), an email address, an id or the
picker's choice (other_id); an ambiguous or unknown name is a 422 that
lists the candidates as buttons and changes nothing. The picker's endpoint
/admin/people/suggest answers search-as-you-type JSON to a signed-in user
only. The bulk bar changes stages from a select (stage=) as well as the
old free-text arg."""
import json
import re
from urllib.parse import quote

import jm
from test_admin_people import create, day, person_post, q1, qall


def intro_rows(server, pid):
    return qall(server, "SELECT introducer_id, person_id, to_id FROM introductions "
                        "WHERE person_id = ? OR to_id = ? ORDER BY id", pid, pid)


def test_introduction_by_name_with_japanese_space(server, admin):
    me, _ = create(admin, name="紹介を受ける人")
    sato, _ = create(admin, name="佐藤 健", company="青空出版", email="ken-sato@example.jp")
    r = person_post(admin, me, "introductions", direction="introduced_by", other="佐藤 健", date=day(1))
    assert r.status == 200 and "done=intro" in r.url, r.text[:3000]
    assert intro_rows(server, me) == [(sato, me, None)]
    # The same name written with a full-width space, or none, is the same person.
    for typed in ("佐藤　健", "佐藤健", " 佐藤 健"):
        r = person_post(admin, me, "introductions", direction="introduced_by", other=typed, date=day(1))
        assert r.status == 200 and "done=intro" in r.url, typed
    assert len(intro_rows(server, me)) == 4
    # The id and the email still work, "#id" too.
    for typed in (str(sato), "#%d" % sato, "Ken-Sato@example.jp"):
        r = person_post(admin, me, "introductions", direction="introduced_by", other=typed, date=day(1))
        assert r.status == 200 and "done=intro" in r.url, typed
    assert "IDかメールアドレスで指定" not in r.text


def test_ambiguous_name_lists_candidates_and_changes_nothing(server, admin):
    me, _ = create(admin, name="同名の相手を探す人")
    a, _ = create(admin, name="田中 一郎", company="一郎商店", email="ichiro-a@example.jp")
    b, _ = create(admin, name="田中　一郎", company="田中デザイン")
    before = q1(server, "SELECT count(*) FROM introductions")
    r = person_post(admin, me, "introductions", direction="introduced_by", other="田中 一郎", date=day(1))
    assert r.status == 422
    assert 'id="intro-error"' in r.text and "複数います" in r.text
    cands = re.search(r'<ul class="cands" id="intro-candidates".*?</ul>', r.text, re.S)
    assert cands, r.text[:4000]
    assert sorted(int(x) for x in re.findall(r'name="other_id" value="(\d+)"', cands.group(0))) == sorted([a, b])
    assert "一郎商店" in cands.group(0) and "田中デザイン" in cands.group(0)
    assert "ichiro-a@example.jp" in cands.group(0)
    assert q1(server, "SELECT count(*) FROM introductions") == before
    # What was typed stays in the box.
    assert 'value="田中 一郎"' in r.text
    # Choosing a candidate (its button posts other_id) records that person;
    # an empty other_id (the picker's, before a choice) is ignored.
    tok = jm.csrf_of(admin.get("/admin/people/%d" % me).text)
    r = admin.post("/admin/people/%d/introductions" % me,
                   form=[("_csrf", tok), ("direction", "introduced_by"), ("other", "田中 一郎"),
                         ("other_id", ""), ("other_id", str(b)), ("date", day(1))])
    assert r.status == 200 and "done=intro" in r.url
    assert intro_rows(server, me) == [(b, me, None)]


def test_unknown_name_is_refused_with_near_candidates(server, admin):
    me, _ = create(admin, name="候補を見る人")
    near, _ = create(admin, name="渡辺 翔太", company="渡辺工務店")
    before = q1(server, "SELECT count(*) FROM introductions")
    r = person_post(admin, me, "introductions", direction="introduced_by", other="渡辺", date=day(1))
    assert r.status == 422 and "近い候補" in r.text
    assert 'name="other_id" value="%d"' % near in r.text
    r = person_post(admin, me, "introductions", direction="introduced_by", other="存在しない名前ですよ",
                    date=day(1))
    assert r.status == 422 and "見つかりません" in r.text
    assert 'class="cands"' not in r.text
    r = person_post(admin, me, "introductions", direction="introduced_by", other="", date=day(1))
    assert r.status == 422 and "名前・メールアドレス・ID" in r.text
    assert q1(server, "SELECT count(*) FROM introductions") == before


def test_merge_by_name(server, admin):
    keep, _ = create(admin, name="統合する 花子", email="keep-hanako@example.jp")
    gone, _ = create(admin, name="統合される 花子", company="旧姓の会社")
    r = person_post(admin, keep, "merge", other="統合される　花子", confirm="1")
    assert r.status == 200 and "done=merged" in r.url, r.text[:3000]
    assert q1(server, "SELECT count(*) FROM people WHERE id = ?", gone) == 0


def test_english_messages(server, admin):
    me, _ = create(admin, name="English UI")
    create(admin, name="Same Name")
    create(admin, name="same name")
    tok = jm.csrf_of(admin.get("/admin/people/%d" % me).text)
    admin.post("/admin/lang", form={"_csrf": tok, "lang": "en", "next": "/admin/"})
    try:
        r = person_post(admin, me, "introductions", direction="introduced_by", other="Same  Name",
                        date=day(1))
        assert r.status == 422 and "Several people have that name" in r.text
    finally:
        tok = jm.csrf_of(admin.get("/admin/").text)
        admin.post("/admin/lang", form={"_csrf": tok, "lang": "ja", "next": "/admin/"})


def test_suggest_endpoint(server, admin):
    sid, _ = create(admin, name="鈴木 さくら", company="さくら書房", email="sakura-suzuki@example.jp")
    r = admin.get("/admin/people/suggest?q=" + quote("鈴木 さく"))
    assert r.status == 200 and r.header("Content-Type").startswith("application/json")
    items = r.json()["items"]
    hit = [i for i in items if i["id"] == sid]
    assert hit and hit[0]["name"] == "鈴木 さくら" and hit[0]["company"] == "さくら書房"
    assert hit[0]["email"] == "sakura-suzuki@example.jp" and hit[0]["stage_label"] == \
        {"reader": "読者", "fan": "ファン", "acquaintance": "知り合い", "network": "人脈"}[hit[0]["stage"]]
    assert admin.get("/admin/people/suggest?q=").json() == {"items": []}
    assert admin.get("/admin/people/suggest?q=" + quote("あ" * 100)).json() == {"items": []}
    assert admin.get("/admin/people/suggest?q=%21%21").status == 200
    # Not for strangers.
    anon = jm.Client(server.base)
    r = anon.get("/admin/people/suggest?q=" + quote("鈴木"), follow=False)
    assert r.status in (302, 303, 401, 403)
    assert "sakura" not in r.text


def test_bulk_stage_from_a_select(server, admin):
    a, _ = create(admin, name="一括 変更A")
    b, _ = create(admin, name="一括 変更B")
    r = admin.get("/admin/people")
    assert re.search(r'<select name="stage" id="bulk-stage"', r.text)
    tok = jm.csrf_of(r.text)
    r = admin.post("/admin/people/bulk", form=[("_csrf", tok), ("op", "stage"), ("stage", "acquaintance"),
                                               ("arg", ""), ("id", str(a)), ("id", str(b))])
    assert r.status == 200 and "done=bulk_stage" in r.url, r.text[:2000]
    assert q1(server, "SELECT count(*) FROM people WHERE id IN (?, ?) AND stage = 'acquaintance'", a, b) == 2
    # The old free-text form still works; a bad stage is refused.
    r = admin.post("/admin/people/bulk", form={"_csrf": tok, "op": "stage", "arg": "network", "id": str(a)})
    assert r.status == 200 and q1(server, "SELECT stage FROM people WHERE id = ?", a) == "network"
    r = admin.post("/admin/people/bulk", form={"_csrf": tok, "op": "stage", "stage": "boss", "id": str(b)})
    assert r.status == 422 and q1(server, "SELECT stage FROM people WHERE id = ?", b) == "acquaintance"
    # Tags still go in the text box.
    r = admin.post("/admin/people/bulk", form={"_csrf": tok, "op": "tag", "arg": "一括タグ",
                                               "stage": "reader", "id": str(b)})
    assert r.status == 200 and q1(server, "SELECT stage FROM people WHERE id = ?", b) == "acquaintance"
    assert q1(server, "SELECT count(*) FROM person_tags WHERE person_id = ? AND tag = '一括タグ'", b) == 1
