"""One CSV header rule (src/core/csvhead.c, issue 8 §1): the CLI
`import subscribers`, the admin upload's mapping screen, `import people`
and the admin people import map a Japanese-headed file the same way
(メールアドレス, お名前, フリガナ, 会社名, 役職, ＴＥＬ, タグ …, full- and
half-width folded)."""
import re

import pytest

import jm

HEADER = "メールアドレス,お名前,ﾌﾘｶﾞﾅ,会社名,役職,ＴＥＬ,メモ欄"
ROWS = [("taro", "山田 太郎", "ヤマダ タロウ", "山田出版", "編集長", "03-1234-5678", "x"),
        ("hana", "佐藤 花子", "サトウ ハナコ", "佐藤商事", "部長", "090-0000-0000", "y")]


def csv_for(prefix):
    lines = [HEADER] + [",".join(("%s-%s@example.jp" % (prefix, r[0]),) + r[1:]) for r in ROWS]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def q1(server, sql, *args):
    return jm.q1(server.data_dir, sql, *args)


def person_values(server, email):
    pid = q1(server, "SELECT id FROM people WHERE email = ?", email)
    assert pid, email
    row = tuple(q1(server, "SELECT %s FROM people WHERE id = ?" % c, pid)
                for c in ("name", "furigana", "company", "title"))
    phone = q1(server, "SELECT value FROM person_fields WHERE person_id = ? AND key = 'tel'", pid)
    return row + (phone,)


def make_list(api, slug):
    r = api.post("/api/v1/lists", {"name": "対応表 " + slug, "slug": slug,
                                   "fields": [{"key": "tel", "label": "電話番号"}]})
    assert r.status == 201, r.body[:500]
    return r.json()["id"]


def admin_upload(admin, lid, data):
    tok = jm.csrf_of(admin.get("/admin/imports/new").text)
    body, ctype = jm.multipart({"_csrf": tok, "list": str(lid), "encoding": "auto"},
                               {"file": ("readers.csv", data)}, "text/csv")
    r = admin.post("/admin/imports", body=body, headers={"Content-Type": ctype})
    assert r.status == 200, r.text[:2000]
    return r


def selected(page, i):
    sel = re.search(r'<select name="col%d".*?</select>' % i, page, re.S).group(0)
    m = re.search(r'<option value="([^"]*)" selected', sel)
    return m.group(1) if m else None


def test_cli_and_admin_map_the_same_file_identically(server, admin, api):
    lid_a = make_list(api, jm.uniq("map-admin"))
    lid_c = make_list(api, jm.uniq("map-cli"))
    slug_c = q1(server, "SELECT slug FROM lists WHERE id = ?", lid_c)
    # The admin's mapping screen guesses with the domain rule.
    r = admin_upload(admin, lid_a, csv_for("a"))
    guesses = [selected(r.text, i) for i in range(7)]
    assert guesses == ["email", "name", "person:furigana", "person:company", "person:title",
                       "tel", "skip"], guesses
    form = jm.find_form(r.text, action="/admin/imports/")
    form.page = r.url
    done = admin.submit(form, {})
    assert 'id="import-report"' in done.text, done.text[-3000:]
    # The CLI maps the same bytes on its own.
    path = server.data_dir + "/../map.csv"
    with open(path, "wb") as f:
        f.write(csv_for("c"))
    p = server.cli("import", "subscribers", "--list", slug_c, path)
    assert p.returncode == 0, p.stderr
    for r_ in ROWS:
        a = person_values(server, "a-%s@example.jp" % r_[0])
        c = person_values(server, "c-%s@example.jp" % r_[0])
        assert a == c == r_[1:6], (a, c)


def test_field_named_by_a_synonym_takes_the_column(server, api):
    # A list field labelled 会社 takes the column 会社名 (same person field).
    slug = jm.uniq("syn")
    r = api.post("/api/v1/lists", {"name": "同義語", "slug": slug,
                                   "fields": [{"key": "kaisha", "label": "会社"}]})
    assert r.status == 201, r.body[:500]
    path = server.data_dir + "/../syn.csv"
    with open(path, "wb") as f:
        f.write("Ｅメール,名前,勤務先\nsyn@example.jp,同義 語,株式会社シノニム\n".encode("utf-8"))
    p = server.cli("import", "subscribers", "--list", slug, path)
    assert p.returncode == 0, p.stderr
    pid = q1(server, "SELECT id FROM people WHERE email = 'syn@example.jp'")
    assert q1(server, "SELECT name FROM people WHERE id = ?", pid) == "同義 語"
    assert q1(server, "SELECT value FROM person_fields WHERE person_id = ? AND key = 'kaisha'",
              pid) == "株式会社シノニム"


def test_people_import_reads_japanese_headers(server, admin):
    data = ("メールアドレス,氏名,フリガナ,会社,役職,タグ\n"
            "ppl@example.jp,鈴木 一郎,スズキ イチロウ,鈴木製作所,社長,取引先;製造\n").encode("utf-8")
    path = server.data_dir + "/../people.csv"
    with open(path, "wb") as f:
        f.write(data)
    p = server.cli("import", "people", path)
    assert p.returncode == 0, p.stderr
    pid = q1(server, "SELECT id FROM people WHERE email = 'ppl@example.jp'")
    assert [q1(server, "SELECT %s FROM people WHERE id = ?" % c, pid)
            for c in ("name", "furigana", "company", "title")] == \
        ["鈴木 一郎", "スズキ イチロウ", "鈴木製作所", "社長"]
    assert q1(server, "SELECT count(*) FROM person_tags WHERE person_id = ?", pid) == 2
    # The admin people import reads the same header the same way.
    tok = jm.csrf_of(admin.get("/admin/people/import").text)
    body, ctype = jm.multipart({"_csrf": tok}, {"file": ("people.csv", data.replace(
        b"ppl@", b"ppl2@"))}, "text/csv")
    r = admin.post("/admin/people/import", body=body, headers={"Content-Type": ctype})
    assert r.status == 200, r.text[-2000:]
    pid2 = q1(server, "SELECT id FROM people WHERE email = 'ppl2@example.jp'")
    assert [q1(server, "SELECT %s FROM people WHERE id = ?" % c, pid2)
            for c in ("name", "furigana", "company", "title")] == \
        ["鈴木 一郎", "スズキ イチロウ", "鈴木製作所", "社長"]


# ---- a sign-up field kept in the person's own column (issue 8, item 19) ----

def test_signup_field_mapped_onto_company(server, admin, api):
    import time
    slug = jm.uniq("biz")
    r = api.post("/api/v1/lists", {"name": "会社名つき", "slug": slug, "fields": [
        {"key": "kaisha", "label": "会社名", "person": "company"}]})
    assert r.status == 201, r.body[:500]
    assert r.json()["fields"][0]["person"] == "company"
    bad = api.post("/api/v1/lists", {"name": "x", "slug": jm.uniq("bad"), "fields": [
        {"key": "k", "label": "k", "person": "phone"}]})
    assert bad.status == 422, bad.body[:300]
    # The admin editor shows the mapping.
    lid = r.json()["id"]
    page = admin.get("/admin/lists/%d" % lid).text
    assert re.search(r'<option value="company" selected>', page), "the editor shows the mapping"
    web = server.client(headers={"User-Agent": "Mozilla/5.0 (jinmyaku tests)"})
    _, form = web.get_form("/subscribe?list=" + slug, action="/subscribe")
    time.sleep(2.2)  # the sign-up form's bot check wants an aged render time
    r = web.submit(form, {"email": "mapped@example.jp", "name": "会社 太郎",
                          "kaisha": "株式会社マップ"})
    assert r.status == 200, r.text[-2000:]
    pid = q1(server, "SELECT id FROM people WHERE email = 'mapped@example.jp'")
    assert q1(server, "SELECT company FROM people WHERE id = ?", pid) == "株式会社マップ"
    assert q1(server, "SELECT count(*) FROM person_fields WHERE person_id = ?", pid) == 0, \
        "no separate custom field"
    person = admin.get("/admin/people/%d" % pid).text
    m = re.search(r'id="person-company">([^<]*)<', person)
    assert m and m.group(1) == "株式会社マップ", person[:3000]
    # An existing person's company is not a stranger's to change.
    r = web.submit(form, {"email": "mapped@example.jp", "kaisha": "乗っ取り"})
    assert q1(server, "SELECT company FROM people WHERE id = ?", pid) == "株式会社マップ"


@pytest.mark.sqlite_only("upgrades a SQLite database made by migrations before 0011")
def test_migration_0011_moves_company_fields_onto_people(tmp_path):
    """A database from before 0011: a list field keyed company kept its
    values apart from the person's 会社. The migration maps the field and
    moves the values into empty person columns."""
    import os
    import sqlite3
    import time
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    share = tmp_path / "share"
    (share / "migrations").mkdir(parents=True)
    for d in ("templates", "static", "po"):
        os.symlink(os.path.join(root, d), str(share / d))
    for m in os.listdir(os.path.join(root, "migrations")):
        if m < "0011":
            os.symlink(os.path.join(root, "migrations", m), str(share / "migrations" / m))
    data = str(tmp_path / "data")
    p = jm.run_cli(["token", "create", "--name", "m", "--share", str(share)], data)
    assert p.returncode == 0, p.stderr
    db = sqlite3.connect(data + "/jinmyaku.db", isolation_level=None)
    now = int(time.time())
    lid = db.execute("INSERT INTO lists(slug, name, created_at, updated_at) VALUES "
                     "('old', '旧', ?, ?)", (now, now)).lastrowid
    db.execute("INSERT INTO list_fields(list_id, key, label, type) VALUES (?, 'company', "
               "'会社名', 'text')", (lid,))
    empty = db.execute("INSERT INTO people(email, name, created_at, updated_at) VALUES "
                       "('old1@example.jp', '旧一', ?, ?)", (now, now)).lastrowid
    kept = db.execute("INSERT INTO people(email, name, company, created_at, updated_at) VALUES "
                      "('old2@example.jp', '旧二', '本当の会社', ?, ?)", (now, now)).lastrowid
    for pid, v in ((empty, "登録時の会社"), (kept, "別の会社")):
        db.execute("INSERT INTO person_fields(person_id, key, value) VALUES (?, 'company', ?)",
                   (pid, v))
    db.close()
    p = jm.run_cli(["token", "create", "--name", "m2"], data)
    assert p.returncode == 0, p.stderr
    db = sqlite3.connect(data + "/jinmyaku.db")
    assert db.execute("SELECT person_field FROM list_fields WHERE key = 'company'").fetchone()[0] \
        == "company"
    assert db.execute("SELECT company FROM people WHERE id = ?", (empty,)).fetchone()[0] == \
        "登録時の会社"
    assert db.execute("SELECT company FROM people WHERE id = ?", (kept,)).fetchone()[0] == \
        "本当の会社", "a person's own company is never overwritten"
    assert db.execute("SELECT count(*) FROM person_fields WHERE person_id = ?",
                      (empty,)).fetchone()[0] == 0
    assert db.execute("SELECT value FROM person_fields WHERE person_id = ?",
                      (kept,)).fetchone()[0] == "別の会社", "a differing value stays"
    db.close()
