"""People import and export (src/network/io.c, vcard.c, src/admin/people_io.c
and the CLI): CSV export → import round trips through the admin and the
command line, the spreadsheet formula guard, bad rows reported with line
numbers and nothing imported, Shift_JIS, vCard 3.0 and 4.0 round trips
(furigana, company, tags and links survive), the routes not being taken
for a person id, CSRF, and the CLI's exit codes, one-line errors and
reindex count."""
import re

import jm


def people(data_dir):
    return jm.q1(data_dir, "SELECT count(*) FROM people")


def upload(admin, data, name="people.csv", with_csrf=True):
    r = admin.get("/admin/people/import")
    assert r.status == 200, r.text[:2000]
    fields = {"_csrf": jm.csrf_of(r.text)} if with_csrf else {}
    body, ctype = jm.multipart(fields, {"file": (name, data)})
    return admin.post("/admin/people/import", body=body, headers={"Content-Type": ctype})


def stat(r, name):
    m = re.search(r'id="rep-%s">\s*(\d+)\s*<' % name, r.text)
    assert m, r.text[-3000:]
    return int(m.group(1))


def seed_csv(tag):
    """A CSV with Japanese text, quoted newlines, tags, links and cells a
    spreadsheet would run as formulas. Every row carries `tag`."""
    rows = [
        "email,name,furigana,company,title,stage,tags,can_offer,looking_for,notes,links",
        'yamada-{t}@example.jp,山田 太郎,やまだ たろう,"出版社, 編集部",編集長,network,"{t};出版;セミナー",'
        '企画の相談,若手の書き手,"一行目\n二行目 ""引用""",x=https://x.com/yamada;site=https://yamada.example.jp/',
        'sato-{t}@example.jp,佐藤 花子,さとう はなこ,ABC商事,,acquaintance,"{t},営業",,,,',
        ',名刺だけの人,めいしだけ,交流会,,reader,{t},,,,',
        'formula-{t}@example.jp,"=HYPERLINK(""http://evil"")",,@SUM(A1),-5,fan,{t},+cmd,,,',
    ]
    return ("\r\n".join(rows).replace("{t}", tag) + "\r\n").encode("utf-8")


def export_csv(admin, tag, bom=True):
    r = admin.get("/admin/people/export.csv?tag=%s%s" % (tag, "&bom=1" if bom else ""))
    assert r.status == 200, r.text[:2000]
    return r


# ---- CSV ----

def test_csv_round_trip_through_admin_and_cli(server, admin, tmp_path):
    tag = jm.uniq("rt")
    before = people(server.data_dir)
    r = upload(admin, seed_csv(tag))
    assert r.status == 200, r.text[-3000:]
    assert 'id="import-done"' in r.text
    assert stat(r, "created") == 4 and stat(r, "updated") == 0 and stat(r, "rows") == 4
    assert people(server.data_dir) == before + 4
    d = server.data_dir
    assert jm.q1(d, "SELECT furigana || '|' || company || '|' || stage FROM people WHERE email = ?",
              "yamada-%s@example.jp" % tag) == "やまだ たろう|出版社, 編集部|network"
    assert jm.q1(d, "SELECT notes_md FROM people WHERE email = ?",
              "yamada-%s@example.jp" % tag) == '一行目\n二行目 "引用"'
    links = jm.qall(d, "SELECT kind || '=' || url FROM person_links l JOIN people p "
                    "ON p.id = l.person_id WHERE p.email = ? ORDER BY position",
                    "yamada-%s@example.jp" % tag)
    assert " ".join(r[0] for r in links) == "x=https://x.com/yamada site=https://yamada.example.jp/"

    r = export_csv(admin, tag)
    assert r.header("Content-Type").startswith("text/csv")
    assert "attachment" in r.header("Content-Disposition") and "people.csv" in r.header("Content-Disposition")
    assert r.body.startswith(b"\xef\xbb\xbf")
    text = r.body[3:].decode("utf-8")
    assert text.splitlines()[0] == ('"email","name","furigana","company","title","stage","tags",'
                                    '"can_offer","looking_for","notes","source","links","last_contact"')
    assert text.count("\r\n") >= 5
    assert "名刺だけの人" in text and "sato-%s@example.jp" % tag in text

    # Through the CLI into an empty data dir, and back out: the same file.
    f = tmp_path / "people.csv"
    f.write_bytes(r.body)
    fresh = str(tmp_path / "fresh")
    p = jm.run_cli(["import", "people", str(f)], data_dir=fresh)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "CSV rows 4: created 4, updated 0, unchanged 0"
    p = jm.run_cli(["export", "people", "--bom", "--tag", tag], data_dir=fresh)
    assert p.returncode == 0, p.stderr
    assert p.stdout == r.body.decode("utf-8").replace("\r\n", "\n")

    # Importing the export again through the admin changes nothing.
    r2 = upload(admin, r.body)
    assert r2.status == 200, r2.text[-3000:]
    assert stat(r2, "created") == 1  # the person without an email cannot be matched
    assert stat(r2, "updated") == 0 and stat(r2, "skipped") == 3
    assert export_csv(admin, tag).body.count("名刺だけの人".encode()) == 2


def test_formula_guard(server, admin):
    tag = jm.uniq("fx")
    r = upload(admin, seed_csv(tag))
    assert r.status == 200, r.text[-3000:]
    text = export_csv(admin, tag, bom=False).text
    row = [l for l in text.splitlines() if l.startswith('"formula-')][0]
    assert '"\'=HYPERLINK(""http://evil"")"' in row
    assert '"\'@SUM(A1)"' in row and '"\'-5"' in row and '"\'+cmd"' in row
    # Stored without the apostrophes; an import strips exactly the one added.
    d = server.data_dir
    e = "formula-%s@example.jp" % tag
    assert jm.q1(d, "SELECT name || '|' || company || '|' || title || '|' || can_offer FROM people "
                 "WHERE email = ?", e) == '=HYPERLINK("http://evil")|@SUM(A1)|-5|+cmd'
    csv = ("email,name,company,title\r\n"
           "apos-{t}@example.jp,'=1+1,'plain,''@x\r\n").replace("{t}", tag).encode()
    r = upload(admin, csv)
    assert r.status == 200, r.text[-3000:]
    assert jm.q1(d, "SELECT name || '|' || company || '|' || title FROM people WHERE email = ?",
              "apos-%s@example.jp" % tag) == "=1+1|'plain|'@x"


def test_bad_rows_reported_and_nothing_imported(server, admin, tmp_path):
    tag = jm.uniq("bad")
    csv = ("name,email,stage,notes,tags\r\n"
           "良い人,good-{t}@example.jp,reader,,{t}\r\n"
           "悪いメール,not-an-email,reader,,{t}\r\n"
           "複数行,ml-{t}@example.jp,fan,\"一行目\r\n二行目\",{t}\r\n"
           "段階,stage-{t}@example.jp,boss,,{t}\r\n"
           ",,,メモだけ,{t}\r\n"
           "列が足りない,short-{t}@example.jp\r\n").replace("{t}", tag).encode()
    before = people(server.data_dir)
    r = upload(admin, csv)
    assert r.status == 422, r.text[-3000:]
    assert 'id="import-failed"' in r.text
    errors = re.search(r'id="import-errors".*?</section>', r.text, re.S).group(0)
    # In the UI's language (ja), naming the field and why (issue 8, item 21).
    assert "3行目: 「email」列のメールアドレスが使えません。" in errors
    assert "6行目: 段階が正しくありません" in errors
    assert "7行目: 名前もメールアドレスもありません" in errors
    assert "8行目: 列の数が合いません（見出しは5列、この行は2列）" in errors
    assert "4行目" not in errors and "5行目" not in errors and "2行目" not in errors
    assert people(server.data_dir) == before
    assert jm.q1(server.data_dir, "SELECT count(*) FROM person_tags WHERE tag = ?", tag) == 0

    # The CLI: exit 1, one stderr line naming the first bad line.
    f = tmp_path / "bad.csv"
    f.write_bytes(csv)
    p = server.cli("import", "people", str(f))
    assert p.returncode == 1
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("jinmyaku: import people: line 3: invalid email (and 3 more bad rows)")
    assert "nothing was imported" in lines[0]
    assert p.stdout == ""
    assert people(server.data_dir) == before


def test_bad_files(server, admin):
    before = people(server.data_dir)
    r = upload(admin, b"a@example.jp,Alice\r\n")
    assert r.status == 422 and "1行目: 見出しの行がありません" in r.text, r.text[-3000:]
    r = upload(admin, b'email,name\r\n"x@example.jp,broken\r\n')
    assert r.status == 422 and "2行目: 引用符" in r.text, r.text[-3000:]
    r = upload(admin, b"email,name,email\r\nx@example.jp,x,y@example.jp\r\n")
    assert r.status == 422 and "「email」の列が2回あります" in r.text
    r = upload(admin, b"")
    assert r.status == 422 and 'id="form-error"' in r.text
    # Untrusted text in a header cell is ignored; in the page it is escaped.
    r = upload(admin, b"<script>alert(1)</script>,email\r\nx,\r\n")
    assert r.status == 422 and "<script>alert" not in r.text
    assert people(server.data_dir) == before


def test_shift_jis(server, admin):
    tag = jm.uniq("sj")
    csv = ("email,name,furigana,company,tags\r\n"
           "sj-{t}@example.jp,鈴木 一郎,すずき いちろう,ｶﾌﾞｼｷｶﾞｲｼｬ,{t}\r\n").replace("{t}", tag)
    r = upload(admin, csv.encode("cp932"))
    assert r.status == 200, r.text[-3000:]
    assert jm.q1(server.data_dir, "SELECT name || '|' || company FROM people WHERE email = ?",
              "sj-%s@example.jp" % tag) == "鈴木 一郎|ｶﾌﾞｼｷｶﾞｲｼｬ"


def test_update_matches_email_and_fills_non_empty(server, admin):
    tag = jm.uniq("up")
    e = "up-%s@example.jp" % tag
    assert upload(admin, ("email,name,company,tags\r\n%s,上田,旧社名,%s\r\n" % (e, tag)).encode()).status == 200
    r = upload(admin, ("company,EMAIL,stage,tags,unknown\r\n新社名,%s,fan,追加,x\r\n" % e.upper()).encode())
    assert r.status == 200, r.text[-3000:]
    assert stat(r, "updated") == 1 and stat(r, "created") == 0
    d = server.data_dir
    assert jm.q1(d, "SELECT name || '|' || company || '|' || stage FROM people WHERE email = ?", e) == "上田|新社名|fan"
    assert jm.q1(d, "SELECT count(*) FROM person_tags t JOIN people p ON p.id = t.person_id "
                 "WHERE p.email = ?", e) == 2
    assert jm.q1(d, "SELECT from_stage || '>' || to_stage || ':' || reason FROM stage_changes s "
                 "JOIN people p ON p.id = s.person_id WHERE p.email = ? ORDER BY s.id DESC", e) == \
        "reader>fan:import"


# ---- vCard ----

def test_vcard_round_trips(server, admin, tmp_path):
    tag = jm.uniq("vc")
    # The seed without its last row (the formula cells).
    r = upload(admin, seed_csv(tag).rsplit(b"\r\n", 2)[0] + b"\r\n")
    assert r.status == 200, r.text[-3000:]
    original = export_csv(admin, tag, bom=False).text
    bodies = {}
    for version in ("3", "4"):
        r = admin.get("/admin/people/export.vcf?version=%s&tag=%s" % (version, tag))
        assert r.status == 200, r.text[:2000]
        assert r.header("Content-Type").startswith("text/vcard")
        assert "people.vcf" in r.header("Content-Disposition")
        bodies[version] = r.body
    assert b"SORT-STRING:" in bodies["3"] and b"N;SORT-AS=" in bodies["4"]
    for version, body in bodies.items():
        assert body.count(b"BEGIN:VCARD\r\n") == 3
        assert ("VERSION:%s.0\r\n" % version).encode() in body
        for line in body.split(b"\r\n"):
            assert len(line) <= 75
            line.decode("utf-8")  # never a split character
        assert "ORG:出版社\\, 編集部".encode() in body
        assert "X-PHONETIC-LAST-NAME:やまだ".encode() in body
        assert b"URL;TYPE=x:https://x.com/yamada" in body
        # Into an empty data dir by the CLI, then out again as CSV.
        f = tmp_path / ("v%s.vcf" % version)
        f.write_bytes(body)
        fresh = str(tmp_path / ("fresh%s" % version))
        p = jm.run_cli(["import", "people", str(f)], data_dir=fresh)
        assert p.returncode == 0, p.stderr
        assert p.stdout.strip() == "vCard rows 3: created 3, updated 0, unchanged 0"
        p = jm.run_cli(["export", "people"], data_dir=fresh)
        assert p.returncode == 0, p.stderr
        assert p.stdout == original.replace("\r\n", "\n")
        p = jm.run_cli(["export", "people", "--format", "vcard" + version], data_dir=fresh)
        assert p.stdout == body.decode("utf-8").replace("\r\n", "\n")
        # Back into the server through the admin: everyone matches, nothing changes.
        r = upload(admin, body, name="people.vcf")
        assert r.status == 200, r.text[-3000:]
        assert "vCard" in r.text
        assert stat(r, "created") == 1 and stat(r, "skipped") == 2


def test_vcard_broken(server, admin):
    before = people(server.data_dir)
    card = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nEMAIL:a@example.jp\r\nEND:VCARD\r\n"
    r = upload(admin, card + b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:B\r\n", name="x.vcf")
    assert r.status == 422 and "6行目: vCard の形式が正しくありません" in r.text, r.text[-3000:]
    r = upload(admin, card + b"BEGIN:VCARD\r\nVERSION:2.1\r\nEND:VCARD\r\n", name="x.vcf")
    assert r.status == 422 and "7行目: vCard の形式が正しくありません" in r.text
    r = upload(admin, card.replace(b"a@example.jp", b"broken"), name="x.vcf")
    assert r.status == 422 and "1行目: 「email」列のメールアドレスが使えません" in r.text
    assert people(server.data_dir) == before


# ---- routes, filters, CSRF ----

def test_routes_filters_and_csrf(server, admin):
    r = admin.get("/admin/people/import")
    assert r.status == 200 and 'id="people-import-form"' in r.text
    assert admin.get("/admin/people/export.csv?stage=boss").status == 422
    assert admin.get("/admin/people/export.vcf?version=5").status == 422
    tag = jm.uniq("st")
    assert upload(admin, seed_csv(tag)).status == 200
    text = admin.get("/admin/people/export.csv?stage=network&tag=%s" % tag).text
    assert "yamada-%s" % tag in text and "sato-%s" % tag not in text
    before = people(server.data_dir)
    r = upload(admin, seed_csv(jm.uniq("cs")), with_csrf=False)
    assert r.status == 403
    assert people(server.data_dir) == before
    c = server.client()  # not signed in
    r = c.get("/admin/people/export.csv", follow=False)
    assert r.status in (302, 303) and "/admin/login" in r.header("Location")


# ---- CLI ----

def test_cli_errors_and_reindex(server, tmp_path):
    def one_line(p):
        lines = [l for l in p.stderr.splitlines() if l.strip()]
        assert len(lines) == 1, p.stderr
        return lines[0]

    p = server.cli("import", "people", str(tmp_path / "missing.csv"))
    assert p.returncode == 1 and "missing.csv" in one_line(p) and p.stdout == ""
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    p = server.cli("import", "people", str(empty))
    assert p.returncode == 1 and "empty" in one_line(p)
    notvcf = tmp_path / "x.vcf"
    notvcf.write_bytes(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\n")
    p = server.cli("import", "people", str(notvcf))
    assert p.returncode == 1 and "card not closed" in one_line(p)
    for args in (["import", "people"], ["export", "people", "--format", "xml"],
                 ["export", "people", "--stage", "boss"], ["reindex", "extra"]):
        p = server.cli(*args)
        assert p.returncode == 2, (args, p.stderr)
        assert "usage" in p.stderr.lower() and p.stdout == ""
    p = jm.run_cli(["--help"])
    assert "import people FILE" in p.stdout and "reindex" in p.stdout
    p = server.cli("reindex")
    assert p.returncode == 0, p.stderr
    m = re.fullmatch(r"indexed (\d+) people\nindexed \d+ articles\n", p.stdout)
    assert m, p.stdout
    assert int(m.group(1)) == people(server.data_dir)
