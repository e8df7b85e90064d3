"""Subscriber CSV export and import through the CLI (src/newsletter/csv.c):
the spreadsheet formula guard (a cell starting with = + - @ gets a leading
apostrophe on export, and the import strips exactly that one again, so an
export imports back unchanged), and select/checkbox values checked against
the list's fields as the sign-up form checks them: a bad value is a bad row
reported with its line number and not imported, the other rows are."""
import csv
import io

import jm


def make_list(db, slug):
    """A list with company (text), interest (select 出版/採用) and agree
    (checkbox)."""
    lid = jm.nl_list(db, slug, "CSV list", fields=("company",))
    db.execute("INSERT INTO list_fields(list_id, key, label, type, options, position) "
               "VALUES (?, 'interest', '興味', 'select', ?, 1)", (lid, "出版\n採用"))
    db.execute("INSERT INTO list_fields(list_id, key, label, type, position) "
               "VALUES (?, 'agree', '同意', 'checkbox', 2)", (lid,))
    return lid


def fields_of(db, email):
    return dict(db.execute("SELECT f.key, f.value FROM person_fields f JOIN people p "
                           "ON p.id = f.person_id WHERE p.email = ?", (email,)).fetchall())


def test_export_guard_and_round_trip(tmp_path):
    data = str(tmp_path / "data")
    assert jm.run_cli(["token", "create", "--name", "x"], data).returncode == 0
    db = jm.nl_db(data)
    lid = make_list(db, "guard")
    evil = '=HYPERLINK("http://evil.example/","見る")'
    jm.nl_subscribers(db, lid, [
        ("evil@example.org", evil, {"company": "+81-3-1234-5678", "interest": "出版",
                                     "agree": "1"}, []),
        ("plain@example.org", "'quoted", {"company": "@home", "agree": ""}, []),
    ])
    p = jm.run_cli(["export", "subscribers", "--list", "guard"], data)
    assert p.returncode == 0, p.stderr
    rows = {r["email"]: r for r in csv.DictReader(io.StringIO(p.stdout))}
    assert rows["evil@example.org"]["name"] == "'" + evil
    assert rows["evil@example.org"]["company"] == "'+81-3-1234-5678"
    assert rows["plain@example.org"]["name"] == "'quoted"  # never needed the guard
    assert rows["plain@example.org"]["company"] == "'@home"
    for r in rows.values():
        for v in r.values():
            assert not v or v[0] not in "=+-@", (r, v)

    # forget the values, import the export again: the originals come back
    db.execute("UPDATE people SET name = ''")
    db.execute("DELETE FROM person_fields")
    path = tmp_path / "export.csv"
    path.write_text(p.stdout, encoding="utf-8")
    p = jm.run_cli(["import", "subscribers", "--list", "guard", str(path)], data)
    assert p.returncode == 0, p.stderr
    assert "skipped 0" in p.stdout
    names = dict(db.execute("SELECT email, name FROM people").fetchall())
    assert names == {"evil@example.org": evil, "plain@example.org": "'quoted"}
    assert fields_of(db, "evil@example.org") == {
        "company": "+81-3-1234-5678", "interest": "出版", "agree": "1"}
    assert fields_of(db, "plain@example.org") == {"company": "@home", "interest": "",
                                                  "agree": ""}
    db.close()


def test_import_checks_select_and_checkbox(tmp_path):
    data = str(tmp_path / "data")
    assert jm.run_cli(["token", "create", "--name", "x"], data).returncode == 0
    db = jm.nl_db(data)
    make_list(db, "choice")
    path = tmp_path / "subs.csv"
    path.write_text("email,name,interest,agree\n"       # 1
                    "ok1@example.org,一,出版,はい\n"      # 2
                    "bad1@example.org,二,営業,yes\n"      # 3: not an option
                    "ok2@example.org,三,,✓\n"             # 4: empty select allowed
                    "bad2@example.org,四,採用,たぶん\n"   # 5: not a checkbox value
                    "ok3@example.org,五,採用,FALSE\n",    # 6
                    encoding="utf-8")
    p = jm.run_cli(["import", "subscribers", "--list", "choice", str(path)], data)
    assert p.returncode == 0, p.stderr
    assert "line 3: field interest: not one of the options" in p.stderr
    assert "line 5: field agree: not a checkbox value" in p.stderr
    assert "imported 3" in p.stdout and "skipped 2" in p.stdout
    emails = {r[0] for r in db.execute("SELECT p.email FROM people p JOIN subscriptions s "
                                       "ON s.person_id = p.id")}
    assert emails == {"ok1@example.org", "ok2@example.org", "ok3@example.org"}
    assert fields_of(db, "bad1@example.org") == {}
    assert fields_of(db, "ok1@example.org") == {"interest": "出版", "agree": "1"}
    assert fields_of(db, "ok2@example.org") == {"interest": "", "agree": "1"}
    assert fields_of(db, "ok3@example.org") == {"interest": "採用", "agree": ""}
    db.close()


def test_import_backslashes_and_repeated_lines(tmp_path):
    """Values reach the staging table unchanged whatever they hold (on
    PostgreSQL they travel by COPY, whose text format gives backslashes and
    a bare \\N a meaning), and a person on several lines keeps the first
    name and the last line's field value."""
    data = str(tmp_path / "data")
    assert jm.run_cli(["token", "create", "--name", "x"], data).returncode == 0
    db = jm.nl_db(data)
    make_list(db, "bs")
    path = tmp_path / "subs.csv"
    path.write_text("email,name,company\n"
                    "bs@example.org,C:\\dir\\name,\\N\n"
                    "null@example.org,\\N,a\\tb\\\\\n"
                    "dup@example.org,一,旧社\n"
                    "dup@example.org,二,新社\n",
                    encoding="utf-8")
    p = jm.run_cli(["import", "subscribers", "--list", "bs", str(path)], data)
    assert p.returncode == 0, p.stderr
    assert "imported 3" in p.stdout and "skipped 0" in p.stdout
    names = dict(db.execute("SELECT email, name FROM people").fetchall())
    assert names == {"bs@example.org": "C:\\dir\\name", "null@example.org": "\\N",
                     "dup@example.org": "一"}
    assert fields_of(db, "bs@example.org") == {"company": "\\N"}
    assert fields_of(db, "null@example.org") == {"company": "a\\tb\\\\"}
    assert fields_of(db, "dup@example.org") == {"company": "新社"}
    db.close()
