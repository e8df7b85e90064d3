"""`jinmyaku migrate --from sqlite:PATH --to postgres://…`, black-box: a
SQLite installation populated through the real API, CLI and public forms
(people with tags, fields, links, interactions and introductions, a stage
history, lists with subscribers and their consent, a broadcast delivered to
a capture SMTP server, articles, settings, users, API tokens, inbox
messages) is migrated into a fresh PostgreSQL database; `serve` on the copy
then answers the API exactly as the SQLite server did (people, timelines,
lists, search hits, reports), the token and the password made on SQLite
still work, and new rows get fresh ids.

Also: a non-empty target is refused (exit 2), a changed row is found by
--verify-only (exit 1, the table named on one stderr line), bad arguments
and an old source schema get clear errors, and the source is never written.

Needs a PostgreSQL server: JM_TEST_PG_URL (e.g.
postgres://jm@127.0.0.1:55432/postgres, a role that may create databases);
skipped without it. Each database made here is named migrate_<pid>_<n> and
dropped at the end.
"""
import hashlib
import os
import re
import sqlite3
import time
import urllib.parse

import pytest

import jm
import smtp_capture

PG_URL = os.environ.get("JM_TEST_PG_URL")
pytestmark = pytest.mark.skipif(not PG_URL, reason="JM_TEST_PG_URL is not set")

OWNER, PASSWORD = "owner@example.com", "correct horse battery staple"
SENDER = dict(mail_from_name="人脈通信", mail_from_addr="news@example.jp",
              sender_postal_address="東京都千代田区1-1-1", sender_contact="info@example.jp",
              rate_per_sec=0)
PEOPLE = "/api/v1/people"
BASE = "https://migrate.example.test"
SEARCHES = ["出版", "編集", "カタカナ", "ｶﾀｶﾅ", "python", "ＰＹＴＨＯＮ", "東京", "ご相談"]


# ---- PostgreSQL databases of our own ----

def _pg_connect(dbname=None):
    import psycopg2
    u = urllib.parse.urlparse(PG_URL)
    c = psycopg2.connect(host=u.hostname, port=u.port or 5432, user=u.username,
                         password=u.password, dbname=dbname or u.path.lstrip("/") or "postgres")
    c.autocommit = True
    return c


_made = []


def make_db(icu=False):
    """A new empty database (UTF-8, byte-order collation; icu: sorting text
    the ICU en-US way by default instead); its URL and name."""
    name = "migrate_%d_%d" % (os.getpid(), len(_made) + 1)
    c = _pg_connect()
    with c.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS %s" % name)
        cur.execute("CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' "
                    "LC_CTYPE 'C'%s" % (name, " LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"
                                        if icu else ""))
    c.close()
    _made.append(name)
    u = urllib.parse.urlparse(PG_URL)
    return urllib.parse.urlunparse(u._replace(path="/" + name)), name


def drop_dbs():
    c = _pg_connect()
    with c.cursor() as cur:
        for name in _made:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s", (name,))
            cur.execute("DROP DATABASE IF EXISTS %s" % name)
    c.close()
    _made.clear()


def pg_exec(name, sql, *args):
    c = _pg_connect(name)
    try:
        with c.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall() if cur.description else None
    finally:
        c.close()


def migrate(*args):
    return jm.run_cli(["migrate"] + list(args), timeout=600)


def migrated(p):
    """Whether a migrate run copied, verified and indexed everything."""
    return p.returncode == 0 and p.stderr == "" and "migrated and verified" in p.stdout


def copy_db(src, dst):
    """A consistent copy of the SQLite database src (its WAL included)."""
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        a.backup(b)
    finally:
        a.close()
        b.close()


def dump_digest(path):
    """What the source holds, row by row (to prove migrate never writes it)."""
    c = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    h = hashlib.sha256()
    try:
        # Every table and FTS5 shadow table (the FTS tables themselves need
        # the server's tokenizer to be read).
        for (t,) in c.execute("SELECT name FROM pragma_table_list WHERE schema = 'main' AND "
                              "type IN ('table', 'shadow') ORDER BY name"):
            rows = sorted(repr(r) for r in c.execute('SELECT * FROM "%s"' % t))
            h.update(("%s\n%s\n" % (t, "\n".join(rows))).encode())
        return h.hexdigest()
    finally:
        c.close()


# ---- the installation ----

def _person(api, **kw):
    r = api.post(PEOPLE, kw)
    assert r.status == 201, r.text
    return r.json()


def _populate_people(api):
    """People with tags, fields, links, interactions, introductions and a
    stage history; the words the search samples look for."""
    ps = [
        _person(api, name="山田 花子", furigana="やまだ はなこ", email="hanako@example.jp",
                company="株式会社ことのは出版", title="編集長", stage="fan", tags=["出版", "編集"],
                links=[{"kind": "site", "url": "https://hanako.example.jp/"}],
                fields={"地域": "東京"}, can_offer="書籍の企画相談", looking_for="新しい著者"),
        _person(api, name="ｶﾀｶﾅ 太郎", furigana="かたかな たろう", email="taro@example.jp",
                company="ＰＹＴＨＯＮ株式会社", tags=["python"], fields={"地域": "大阪"}),
        _person(api, name="カタカナ 次郎", furigana="カタカナ じろう", company="Python Works",
                stage="acquaintance", tags=["出版"]),
        _person(api, name="佐藤 一郎", email="ichiro@example.jp", notes="東京の勉強会で名刺交換",
                stage="network", touch_days=90),
        _person(api, name="鈴木 編集", email="suzuki@example.jp", freeloader=True),
    ]
    for i in range(12):
        ps.append(_person(api, name="読者 %02d" % i, email="reader%02d@example.jp" % i,
                          tags=["読者"] + (["出版"] if i % 3 == 0 else [])))
    for p, kind, date in ((ps[0], "meeting", "2024-05-01"), (ps[0], "meal", "2025-01-10"),
                          (ps[3], "call", "2024-11-30"), (ps[2], "deal", "2025-02-02")):
        r = api.post("%s/%d/interactions" % (PEOPLE, p["id"]),
                     {"kind": kind, "date": date, "note": "出版の相談"})
        assert r.status == 201, r.text
    r = api.patch("%s/%d" % (PEOPLE, ps[1]["id"]), {"stage": "fan", "stage_reason": "返信"})
    assert r.status == 200, r.text
    r = api.post("/api/v1/introductions", {"introducer_id": ps[3]["id"],
                                           "person_id": ps[0]["id"], "to_id": ps[2]["id"],
                                           "note": "出版社を紹介"})
    assert r.status == 201, r.text
    return ps


def _populate_newsletter(srv, api, cap, tmp):
    lst = api.post("/api/v1/lists", {"name": "人脈通信", "slug": "tsushin"})
    assert lst.status == 201, lst.text
    lid = lst.json()["id"]
    for i in range(6):
        r = api.post("/api/v1/subscribers", {"list_id": lid, "email": "reader%02d@example.jp" % i,
                                             "name": "読者 %02d" % i})
        assert r.status == 201, r.text
    csv = tmp / "held.csv"
    csv.write_text("email,name\nheld1@example.jp,同意 一\nheld2@example.jp,同意 二\n",
                   encoding="utf-8")
    p = srv.cli("import", "subscribers", "--list", "tsushin", "--consent", "held", str(csv))
    assert p.returncode == 0, p.stderr
    b = api.post("/api/v1/broadcasts", {"list_id": lid, "subject": "創刊号",
                                        "body": "{{name|読者}}さん、出版の話です。"})
    assert b.status == 201, b.text
    path = "/api/v1/broadcasts/%d" % b.json()["id"]
    assert api.post(path + "/send", {}).status == 202
    jm.wait_until(lambda: api.get(path).json()["status"] == "sent", 120,
                  what="the broadcast to be sent")
    assert cap.count() >= 8


def _populate_site_inbox(srv, api):
    api.publish(title="出版の基本", slug="shuppan", body="本文です。")
    api.create_article(title="下書き", slug="draft", body="まだ")
    # The real contact form: its pages, then its minimum fill time.
    forms = []
    for i, who in enumerate(("hanako@example.jp", "new-sender@example.org")):
        web = srv.client(headers={"User-Agent": "Mozilla/5.0 (jinmyaku tests)"})
        forms.append((web, web.get_form("/contact", field="form_token")[1], i, who))
    time.sleep(3.5)  # the form's minimum fill time (not a timing assertion)
    for web, form, i, who in forms:
        r = web.submit(form, {"name": "送信者 %d" % i, "email": who, "category": "情報提供",
                              "subject": "ご相談 %d" % i, "message": "出版についてご相談です。"},
                       follow=False)
        assert r.status == 303, r.text[:800]
    srv.add_user("editor@example.com", "another horse battery staple", role="editor",
                 name="編集者")


SAMPLE = 8  # people compared one by one (person and timeline)
LISTINGS = (PEOPLE + "?per_page=100", PEOPLE + "?per_page=100&tag=%E5%87%BA%E7%89%88",
            PEOPLE + "?per_page=100&stage=fan", "/api/v1/lists", "/api/v1/subscribers?per_page=100",
            "/api/v1/broadcasts", "/api/v1/articles", "/api/v1/messages",
            "/api/v1/introductions", "/api/v1/reports/funnel",
            "/api/v1/reports/circle?year=2024", "/api/v1/reports/circle?year=2025")
ANSWERS = (["person %d" % i for i in range(SAMPLE)] + ["timeline %d" % i for i in range(SAMPLE)]
           + list(LISTINGS))


def _answer(api, ps, key):
    """One API answer the copy must repeat, by its name in ANSWERS."""
    what, _, i = key.partition(" ")
    if what in ("person", "timeline") and i.isdigit():
        path = "%s/%d%s" % (PEOPLE, ps[int(i)]["id"], "/timeline" if what == "timeline" else "")
    else:
        path = key
    r = api.get(path)
    return r.status, r.json()


def _search_ids(api):
    out = {}
    for q in SEARCHES:
        r = api.get(PEOPLE + "?" + urllib.parse.urlencode({"q": q, "per_page": 100}))
        assert r.status == 200, (q, r.text)
        out[q] = [x["id"] for x in r.json()["items"]]
    return out


@pytest.fixture(scope="module")
def inst(tmp_path_factory):
    """The populated SQLite installation (stopped), its answers, and a
    PostgreSQL copy made by migrate."""
    root = tmp_path_factory.mktemp("migrate")
    data = str(root / "data")
    src = os.path.join(data, "jinmyaku.db")
    # The source is SQLite whatever engine the suite runs the other tests on.
    saved = dict(jm.EXTRA_ENV)
    jm.EXTRA_ENV["JINMYAKU_DB"] = "sqlite:" + src
    cap = smtp_capture.Capture(root / "mail").start()
    srv = jm.EnvServer(data, ["--base-url", BASE], env={"JINMYAKU_SMTP_URL": cap.url})
    try:
        srv.add_user(OWNER, PASSWORD, name="オーナー")
        c = sqlite3.connect(src)
        c.executemany("INSERT INTO settings(key, value) VALUES (?, ?)",
                      [(k, str(v)) for k, v in SENDER.items()])
        # A pending admin upload (Shift_JIS bytes): transient, not copied.
        c.execute("INSERT INTO import_uploads(id, name, bytes, created_at, updated_at) "
                  "VALUES ('pendingpendingpending0', 'a.csv', ?, 1, ?)",
                  ("メール\n".encode("cp932"), int(time.time())))
        c.commit()
        c.close()
        srv.start()
        api = jm.Api(srv.base, srv.create_token("migrate"))
        ps = _populate_people(api)
        _populate_newsletter(srv, api, cap, root)
        _populate_site_inbox(srv, api)
        searches = _search_ids(api)  # also waits for the search index to catch up
        answers = {k: _answer(api, ps, k) for k in ANSWERS}
        assert all(st == 200 for st, _ in answers.values()), answers
    finally:
        srv.stop_and_check()
        cap.stop()
        jm.EXTRA_ENV.clear()
        jm.EXTRA_ENV.update(saved)
    before = dump_digest(src)
    url, name = make_db()
    p = migrate("--from", "sqlite:" + src, "--to", url)
    yield dict(root=root, data=data, src=src, before=before, url=url, name=name, ps=ps,
               answers=answers, searches=searches, token=api.token, run=p)
    drop_dbs()


@pytest.fixture(scope="module")
def pg_server(inst):
    """serve on the copy, with the same data directory (secret, uploads)."""
    assert migrated(inst["run"]), inst["run"].stdout + inst["run"].stderr
    cap = smtp_capture.Capture(inst["root"] / "mail-pg").start()
    srv = jm.EnvServer(inst["data"], ["--db", inst["url"], "--base-url", BASE],
                       env={"JINMYAKU_SMTP_URL": cap.url})
    srv.start()
    yield srv
    srv.stop_and_check()
    cap.stop()


# ---- the copy ----

def test_migrate_copies_and_verifies_every_table(inst):
    p = inst["run"]
    assert migrated(p), p.stdout + p.stderr
    table = {}
    for line in p.stdout.splitlines():
        m = re.fullmatch(r"(\w+)\s+(\d+)\s+([0-9a-f]{16})\s+(ok|MISMATCH)", line.strip())
        if m:
            table[m.group(1)] = (int(m.group(2)), m.group(4))
    for t in ("people", "person_tags", "person_fields", "person_links", "interactions",
              "introductions", "stage_changes", "lists", "subscriptions", "broadcasts",
              "deliveries", "articles", "settings", "users", "api_tokens", "messages"):
        assert t in table and table[t][0] > 0, (t, p.stdout)
    assert all(ok == "ok" for _, ok in table.values()), p.stdout
    assert "people_search" not in table and "schema_migrations" not in table
    assert "import_uploads" not in table
    assert pg_exec(inst["name"], "SELECT count(*) FROM import_uploads")[0][0] == 0
    src = sqlite3.connect(inst["src"])
    for t, (rows, _) in table.items():
        assert src.execute('SELECT count(*) FROM "%s"' % t).fetchone()[0] == rows, t
        assert pg_exec(inst["name"], 'SELECT count(*) FROM "%s"' % t)[0][0] == rows, t
    src.close()


def test_source_is_never_written(inst):
    assert dump_digest(inst["src"]) == inst["before"]


def test_consent_records_and_deliveries_arrive(inst):
    rows = pg_exec(inst["name"], "SELECT count(*) FROM subscriptions WHERE consent_source "
                                 "LIKE %s", "%held.csv%")
    assert rows[0][0] == 2
    rows = pg_exec(inst["name"], "SELECT state, count(*) FROM deliveries GROUP BY state")
    assert dict(rows).get("sent", 0) >= 8, rows


# ---- serve on the copy ----

@pytest.mark.parametrize("key", ANSWERS)
def test_api_answers_are_the_same(inst, pg_server, key):
    api = jm.Api(pg_server.base, inst["token"])  # the token made on SQLite
    assert _answer(api, inst["ps"], key) == inst["answers"][key]


def test_search_finds_the_same_people_in_the_same_order(inst, pg_server):
    api = jm.Api(pg_server.base, inst["token"])
    got = _search_ids(api)
    assert inst["searches"]["出版"], "the sample search found nobody on SQLite"
    assert got == inst["searches"]


def test_login_made_on_sqlite_works(inst, pg_server):
    # A second node on the same database, without the https base URL (whose
    # Secure cookies a plain-http client would not send back).
    srv = jm.Server(inst["data"], ["--db", inst["url"], "--worker-threads", "0"]).start()
    try:
        c = srv.client()
        r, form = c.get_form("/admin/login", field="password")
        r = c.submit(form, {"email": OWNER, "password": PASSWORD}, follow=False)
        assert r.status == 303 and "/admin/login" not in r.header("Location", ""), r.text[:1000]
        assert c.cookie("jm_session"), c.cookies()
        c = srv.client()
        r, form = c.get_form("/admin/login", field="password")
        r = c.submit(form, {"email": OWNER, "password": "wrong password entirely"},
                     follow=False)
        assert r.status != 303 or "/admin/login" in r.header("Location", ""), r.status
        assert not c.cookie("jm_session")
    finally:
        srv.stop_and_check()


def test_new_rows_get_fresh_ids(inst, pg_server):
    api = jm.Api(pg_server.base, inst["token"])
    top = max(p["id"] for p in inst["ps"])
    p = _person(api, name="移行後 新人", email="after@example.jp", tags=["出版"])
    assert p["id"] > top
    r = api.post("%s/%d/interactions" % (PEOPLE, p["id"]), {"kind": "call", "date": "2025-03-01"})
    assert r.status == 201, r.text
    assert api.get("%s/%d" % (PEOPLE, p["id"])).json()["tags"] == ["出版"]


# ---- refusals and proof ----

def test_refuses_a_target_that_is_not_empty(inst):
    p = migrate("--from", "sqlite:" + inst["src"], "--to", inst["url"])
    assert p.returncode == 2, p.stdout + p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and re.search(r"target is not empty: \w+ has \d+ rows", lines[0]), \
        p.stderr


def test_verify_only_finds_a_changed_row(inst):
    url, name = make_db()
    p = migrate("--from", "sqlite:" + inst["src"], "--to", url)
    assert migrated(p), p.stdout + p.stderr
    p = migrate("--from", "sqlite:" + inst["src"], "--to", url, "--verify-only")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "MISMATCH" not in p.stdout
    pg_exec(name, "UPDATE articles SET title = title || '!' WHERE slug = 'shuppan'")
    p = migrate("--from", "sqlite:" + inst["src"], "--to", url, "--verify-only")
    assert p.returncode == 1, p.stdout + p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "articles" in lines[0] and "people" not in lines[0], p.stderr
    assert re.search(r"^articles\s+\d+\s+[0-9a-f]{16}\s+MISMATCH$", p.stdout, re.M), p.stdout
    pg_exec(name, "DELETE FROM message_replies")
    pg_exec(name, "DELETE FROM person_links WHERE url LIKE %s", "%hanako%")
    p = migrate("--from", "sqlite:" + inst["src"], "--to", url, "--verify-only")
    assert p.returncode == 1 and "person_links (rows)" in p.stderr, p.stderr


def test_bad_arguments(inst, tmp_path):
    p = migrate("--from", "sqlite:" + str(tmp_path / "nope.db"), "--to", inst["url"])
    assert p.returncode == 1 and "no SQLite database at" in p.stderr, p.stderr
    assert not (tmp_path / "nope.db").exists()
    p = migrate("--from", "sqlite:" + inst["src"], "--to", "mysql://x/y")
    assert p.returncode == 2 and "--to must be a postgres:// URL" in p.stderr
    p = migrate("--to", inst["url"])
    assert p.returncode == 2 and "--from" in p.stderr
    p = migrate("--from", "sqlite:" + inst["src"], "--to", "postgres://jm@127.0.0.1:1/none")
    assert p.returncode == 1 and p.stderr.count("\n") == 1, p.stderr


def test_refuses_a_source_at_an_older_schema(inst, tmp_path):
    old = str(tmp_path / "old.db")
    copy_db(inst["src"], old)
    c = sqlite3.connect(old)
    c.execute("DELETE FROM schema_migrations WHERE name = (SELECT max(name) FROM "
              "schema_migrations)")
    c.commit()
    c.close()
    url, name = make_db()
    p = migrate("--from", "sqlite:" + old, "--to", url)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "start this version once on the SQLite database" in p.stderr, p.stderr
    assert pg_exec(name, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")[0][0] == 0


def test_large_keyless_table_in_a_database_sorting_text_otherwise(inst, tmp_path):
    """Many batches and cursor fetches, a table without a key (duplicate
    rows), text whose byte order is not the database's default order."""
    big = str(tmp_path / "big.db")
    copy_db(inst["src"], big)
    c = sqlite3.connect(big)
    keys = ["ip:10.0.%d.%d" % (i // 250, i % 250) for i in range(12000)]
    keys += ["email:%s@example.jp" % w for w in ("a", "B", "ä", "z", "Z", "人脈")] * 60
    c.executemany("INSERT INTO signup_attempts(key, created_at) VALUES (?, ?)",
                  [(k, 1700000000 + i % 7) for i, k in enumerate(keys)])
    c.commit()
    total = c.execute("SELECT count(*) FROM signup_attempts").fetchone()[0]
    c.close()
    url, name = make_db(icu=True)
    p = migrate("--from", "sqlite:" + big, "--to", url)
    assert migrated(p), p.stdout + p.stderr
    assert re.search(r"^signup_attempts\s+%d\s+[0-9a-f]{16}\s+ok$" % total, p.stdout, re.M)
    assert pg_exec(name, "SELECT count(*) FROM signup_attempts")[0][0] == total
    pg_exec(name, "DELETE FROM signup_attempts WHERE ctid = (SELECT ctid FROM signup_attempts "
                  "WHERE key = 'email:Z@example.jp' LIMIT 1)")
    p = migrate("--from", "sqlite:" + big, "--to", url, "--verify-only")
    assert p.returncode == 1 and "signup_attempts (rows)" in p.stderr, p.stdout + p.stderr


def test_a_failed_copy_leaves_no_row_behind(inst, tmp_path):
    """A value PostgreSQL refuses (SQLite kept text in an INTEGER column)
    stops the copy with the table named; the target keeps no copied row
    and takes the corrected source afterwards."""
    bad = str(tmp_path / "bad.db")
    copy_db(inst["src"], bad)
    c = sqlite3.connect(bad)
    c.execute("UPDATE articles SET created_at = 'soon' WHERE slug = 'draft'")
    c.commit()
    url, name = make_db()
    p = migrate("--from", "sqlite:" + bad, "--to", url)
    assert p.returncode == 1, p.stdout + p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jinmyaku: migrate: cannot write articles:") \
        and "soon" in lines[0], p.stderr
    assert pg_exec(name, "SELECT count(*) FROM people")[0][0] == 0
    assert pg_exec(name, "SELECT count(*) FROM users")[0][0] == 0
    c.execute("UPDATE articles SET created_at = 1700000000 WHERE slug = 'draft'")
    c.commit()
    c.close()
    p = migrate("--from", "sqlite:" + bad, "--to", url)
    assert migrated(p), p.stdout + p.stderr
