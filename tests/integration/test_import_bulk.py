"""The subscriber import's bulk path (src/newsletter/csv.c, people/batch.c,
db_bulk_mode): an import cut off after some committed batches and run
again ends with the same people, subscriptions, fields, history and
search hits as one uninterrupted import; on SQLite custom values live in a
WITHOUT ROWID table (migration 0021) whose triggers still mark changed
people for the search index."""
from urllib.parse import quote

import jm


def install(tmp_path, name):
    data = str(tmp_path / name)
    assert jm.run_cli(["token", "create", "--name", "x"], data).returncode == 0
    db = jm.nl_db(data)
    jm.nl_list(db, "bulk", "Bulk", fields=("company", "interest"))
    return data, db


def rows(n):
    out = ["email,name,company,interest"]
    for i in range(n):
        out.append("r%04d@example.jp,読者%d,社%d,\"出版, 広報\"" % ((i * 7919) % n, i, i % 3))
    out.append("r0001@example.jp,別名,最後の社,")  # a repeat: first name, last value
    return "\n".join(out) + "\n"


def state(db):
    """Everything the import wrote, keyed by email (ids depend on order)."""
    people = dict(db.execute("SELECT email, name FROM people").fetchall())
    subs = sorted(db.execute("SELECT p.email, s.status, s.consent_at IS NOT NULL FROM "
                             "subscriptions s JOIN people p ON p.id = s.person_id").fetchall())
    fields = sorted(db.execute("SELECT p.email, f.key, f.value FROM person_fields f JOIN people p "
                               "ON p.id = f.person_id").fetchall())
    events = sorted(db.execute("SELECT p.email, e.kind, count(*) FROM person_events e JOIN "
                               "people p ON p.id = e.person_id GROUP BY p.email, e.kind").fetchall())
    stages = sorted(db.execute("SELECT p.email, c.to_stage, count(*) FROM stage_changes c JOIN "
                               "people p ON p.id = c.person_id GROUP BY p.email, c.to_stage")
                    .fetchall())
    return people, subs, fields, events, stages


def run_import(data, path):
    p = jm.run_cli(["import", "subscribers", "--list", "bulk", "--consent", "held", str(path)],
                   data)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_interrupted_import_resumes_with_the_same_result(tmp_path):
    text = rows(300)
    whole = tmp_path / "whole.csv"
    whole.write_text(text, encoding="utf-8")
    # the part a crash left committed: the first batches of the same file
    part = tmp_path / "part.csv"
    part.write_text("".join(text.splitlines(True)[:121]), encoding="utf-8")

    data1, db1 = install(tmp_path, "once")
    out = run_import(data1, whole)
    assert "imported 300" in out and "merged 1" in out, out

    data2, db2 = install(tmp_path, "resumed")
    run_import(data2, part)
    out = run_import(data2, whole)
    assert "imported 180" in out and "merged 121" in out, out

    s1, s2 = state(db1), state(db2)
    assert s1 == s2
    people, subs, fields, events, stages = s1
    assert len(people) == 300 and people["r0001@example.jp"] != "別名"
    assert len(subs) == 300 and all(s[1:] == ("active", 1) for s in subs)
    assert ("r0001@example.jp", "company", "最後の社") in fields
    assert ("r0001@example.jp", "interest", "") in fields  # an empty cell is a value too
    assert all(e[1:] == ("imported", 1) for e in events) and len(events) == 300
    assert all(c[1:] == ("reader", 1) for c in stages) and len(stages) == 300
    for db in (db1, db2):
        # no row points at a missing parent (the bulk path skips the checks)
        assert db.execute("SELECT count(*) FROM subscriptions s WHERE NOT EXISTS "
                          "(SELECT 1 FROM people p WHERE p.id = s.person_id) OR NOT EXISTS "
                          "(SELECT 1 FROM lists l WHERE l.id = s.list_id)").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM person_fields f WHERE NOT EXISTS "
                          "(SELECT 1 FROM people p WHERE p.id = f.person_id)").fetchone()[0] == 0
        db.close()


def test_admin_search_finds_imported_people(server, api, tmp_path):
    """The substring search (people_fts on SQLite) sees imported people."""
    db = jm.nl_db(server.data_dir)
    jm.nl_list(db, "bulksearch", "Bulk search", fields=("company", "interest"))
    db.close()
    path = tmp_path / "s.csv"
    path.write_text("email,name,company,interest\n"
                    "hanako.yamada@example.jp,山田 花子,出版社,\n"
                    "taro@example.jp,佐藤 太郎,書店,\n", encoding="utf-8")
    p = jm.run_cli(["import", "subscribers", "--list", "bulksearch", "--consent", "held",
                    str(path)], server.data_dir)
    assert p.returncode == 0, p.stderr
    for q, want in (("山田 花", "hanako.yamada@example.jp"),
                    ("da@exa", "hanako.yamada@example.jp"), ("藤 太", "taro@example.jp")):
        r = api.get("/api/v1/subscribers?q=" + quote(q))
        assert r.status == 200, r.text
        assert [i["email"] for i in r.json()["items"]] == [want], (q, r.text)


def test_person_fields_without_rowid(tmp_path):
    if jm.ENGINE != "sqlite":
        return  # PostgreSQL keeps a heap and its key index either way
    data, db = install(tmp_path, "rowid")
    path = tmp_path / "f.csv"
    path.write_text("email,name,company,interest\na@example.jp,A,甲,乙\n", encoding="utf-8")
    run_import(data, path)
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'person_fields'").fetchone()[0]
    assert "WITHOUT ROWID" in sql
    pid = db.execute("SELECT id FROM people WHERE email = 'a@example.jp'").fetchone()[0]
    db.execute("INSERT INTO search_state(id, indexed_to) VALUES (1, ?) "
               "ON CONFLICT(id) DO UPDATE SET indexed_to = excluded.indexed_to", (pid,))
    db.execute("DELETE FROM search_dirty")
    db.execute("UPDATE person_fields SET value = '丙' WHERE person_id = ? AND key = 'company'",
               (pid,))
    assert db.execute("SELECT person_id FROM search_dirty").fetchall() == [(pid,)]
    db.execute("DELETE FROM search_dirty")
    db.execute("DELETE FROM person_fields WHERE person_id = ?", (pid,))
    assert db.execute("SELECT person_id FROM search_dirty").fetchall() == [(pid,)]
    db.close()
