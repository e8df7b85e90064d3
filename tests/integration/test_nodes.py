"""Several `serve` nodes with separate DATA directories on one database
behave as one site (issue 9, "Several nodes, one database").

Every test runs on two engines:
  sqlite  both nodes open one database file (--db sqlite:PATH);
  pg      a fresh database on the PostgreSQL server of JM_TEST_PG_URL
          (e.g. postgres://jm@127.0.0.1:55432/postgres), dropped afterwards;
          skipped when JM_TEST_PG_URL is unset.
Changes are polled for (jm.wait_until), never timed.
"""
import os
import re
import sqlite3
import time
import urllib.parse
import uuid

import pytest

import jm
from conftest import OWNER_EMAIL, OWNER_PASSWORD, login

UA = {"User-Agent": "Mozilla/5.0 (jinmyaku tests)"}
TS_MIN_AGE = 2.2  # the sign-up form refuses a stamp younger than this (bot check)


# ---- one database for several nodes ----

class SqliteDb:
    def __init__(self, root):
        self.path = str(root / "shared.db")
        self.url = "sqlite:" + self.path

    def rows(self, sql, *args):
        c = sqlite3.connect(self.path, timeout=30)
        try:
            return c.execute(sql, args).fetchall()
        finally:
            c.close()

    def exec(self, sql, *args):
        c = sqlite3.connect(self.path, timeout=30)
        try:
            c.execute(sql, args)
            c.commit()
        finally:
            c.close()

    def drop(self):
        pass


class PgDb:
    """A database of its own on the test server, named nodes_<random>."""

    def __init__(self, server_url):
        import psycopg2
        self.psycopg2 = psycopg2
        self.server_url = server_url
        self.name = "nodes_" + uuid.uuid4().hex[:12]
        c = psycopg2.connect(server_url)
        c.autocommit = True
        c.cursor().execute("CREATE DATABASE %s" % self.name)
        c.close()
        u = urllib.parse.urlsplit(server_url)
        self.url = urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + self.name, u.query, ""))

    def _conn(self):
        c = self.psycopg2.connect(self.url)
        c.autocommit = True
        return c

    def rows(self, sql, *args):
        c = self._conn()
        try:
            cur = c.cursor()
            cur.execute(sql.replace("?", "%s"), args or None)
            return cur.fetchall()
        finally:
            c.close()

    def exec(self, sql, *args):
        c = self._conn()
        try:
            c.cursor().execute(sql.replace("?", "%s"), args or None)
        finally:
            c.close()

    def drop(self):
        c = self.psycopg2.connect(self.server_url)
        c.autocommit = True
        c.cursor().execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name)
        c.close()


@pytest.fixture(params=["sqlite", "pg"])
def shared_db(request, tmp_path):
    if request.param == "pg":
        url = os.environ.get("JM_TEST_PG_URL")
        if not url:
            pytest.skip("JM_TEST_PG_URL is not set")
        db = PgDb(url)
    else:
        if jm.ENGINE != "sqlite":
            pytest.skip("the SQLite run of the suite covers the SQLite variant")
        db = SqliteDb(tmp_path)
    db.engine = request.param
    yield db
    db.drop()


class Nodes:
    """Nodes A and B (and more on demand): one database, each its own DATA."""

    def __init__(self, root, db):
        self.root = root
        self.db = db
        self.servers = []

    def data(self, name):
        d = self.root / ("node-" + name)
        d.mkdir(exist_ok=True)
        return str(d / "data")

    def cli(self, name, *args, input=None):
        return jm.run_cli(list(args) + ["--db", self.db.url], self.data(name), input=input)

    def start(self, name, *extra):
        s = jm.Server(self.data(name), ["--db", self.db.url] + list(extra)).start()
        self.servers.append(s)
        return s

    def close(self):
        errors = []
        for s in self.servers:
            if not s.alive():
                s.kill()
                continue
            try:
                s.stop_and_check()
            except AssertionError as e:
                errors.append(str(e))
        assert not errors, "\n".join(errors)


@pytest.fixture
def nodes(tmp_path, shared_db):
    n = Nodes(tmp_path, shared_db)
    # The schema and the owner come from node A's command line.
    p = n.cli("a", "user", "add", "--email", OWNER_EMAIL, "--role", "owner",
              input=OWNER_PASSWORD + "\n")
    assert p.returncode == 0, p.stderr
    yield n
    n.close()


def home_has(server, text):
    r = server.client(headers=UA).get("/")
    return r.status == 200 and text in r.text


# ---- shared state ----

def test_two_nodes_end_with_one_signing_secret(nodes):
    """Nodes started at once on a database without a secret each insert a
    candidate; all keep the one that won, and each DATA/secret is that
    secret."""
    import subprocess
    nodes.db.exec("DELETE FROM node_secrets WHERE name = 'signing'")
    os.unlink(os.path.join(nodes.data("a"), "secret"))
    names = ["a", "b", "c", "d"]
    procs = [subprocess.Popen([jm.jinmyaku_bin(), "token", "create", "--name", n, "--data",
                               nodes.data(n), "--db", nodes.db.url],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=jm.sanitizer_env(), cwd=jm.ROOT)
             for n in names]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
        assert not jm.sanitizer_reports(err.decode())
    rows = nodes.db.rows("SELECT value FROM node_secrets WHERE name = 'signing'")
    assert len(rows) == 1 and re.fullmatch(r"[0-9a-f]{64}", rows[0][0])
    for n in names:
        path = os.path.join(nodes.data(n), "secret")
        with open(path, "rb") as f:
            assert f.read().hex() == rows[0][0], n
        assert os.stat(path).st_mode & 0o077 == 0
    a, b = nodes.start("a"), nodes.start("b")
    assert nodes.db.rows("SELECT value FROM node_secrets WHERE name = 'signing'") == rows


def test_article_published_on_a_is_served_by_b(nodes):
    a, b = nodes.start("a"), nodes.start("b")
    api_a = jm.Api(a.base, nodes.cli("a", "token", "create", "--name", "a")
                   .stdout.strip().splitlines()[-1])
    before = jm.uniq("before")
    api_a.publish(title=before, slug=before)
    jm.wait_until(lambda: home_has(b, before), what="B serving A's first article")
    # B's home page is cached now: the next article must still show up.
    assert home_has(b, before)
    title = jm.uniq("node-article")
    api_a.publish(title=title, slug=title)
    jm.wait_until(lambda: home_has(b, title), what="B serving A's new article")
    r = b.client(headers=UA).get("/articles/" + title)
    assert r.status == 200 and title in r.text


def test_a_change_right_after_b_starts_is_served_by_b(nodes):
    """B caches its home page and A publishes at once after B answers: the
    change must reach B even though B's listener has hardly started (its
    starting generation is read before B serves, not at its first poll)."""
    tok = nodes.cli("a", "token", "create", "--name", "a").stdout.strip().splitlines()[-1]
    a = nodes.start("a")
    api_a = jm.Api(a.base, tok)
    for i in range(3):
        b = nodes.start("b%d" % i)
        assert home_has(b, "<title>")  # cached before A's change
        title = jm.uniq("early")
        api_a.publish(title=title, slug=title)
        jm.wait_until(lambda: home_has(b, title), what="B serving the article published at its start")


def test_setting_saved_on_a_shows_on_b_and_a_session_works_on_b(nodes):
    a, b = nodes.start("a"), nodes.start("b")
    assert home_has(b, "<title>")  # cache B's home page
    admin = a.client()
    r = login(admin, OWNER_EMAIL, OWNER_PASSWORD)
    assert r.status == 200 and "/admin/login" not in r.url
    title = jm.uniq("ノード共通サイト")
    _, form = admin.get_form("/admin/settings", action="/admin/settings")
    r = admin.submit(form, {"title": title})
    assert r.status == 200, r.text[:2000]
    jm.wait_until(lambda: home_has(b, title), what="B showing the title saved on A")
    # The session A signed in is good on B (same secret, same sessions table).
    sid = admin.cookie("jm_session")
    r = b.client(headers={"Cookie": "jm_session=" + sid}).get("/admin/", follow=False)
    assert r.status == 200, "a session made on A is refused by B: %s" % r.status


def test_a_stamp_signed_by_a_is_accepted_by_b(nodes):
    """The sign-up form's stamp (signed with the site's secret) handed out
    by A is accepted by B, and so is an API token made on A's command line."""
    a, b = nodes.start("a"), nodes.start("b")
    tok = nodes.cli("a", "token", "create", "--name", "x").stdout.strip().splitlines()[-1]
    api_b = jm.Api(b.base, tok)
    r = api_b.post("/api/v1/lists", {"name": "便り", "slug": "news"})
    assert r.status == 201, r.text
    art = jm.uniq("signup-art")
    api_b.publish(title=art, slug=art)
    wa = a.client(headers=UA)
    jm.wait_until(lambda: wa.get("/articles/" + art).status == 200, what="A serving the article")
    _, form = wa.get_form("/articles/" + art, action="/subscribe")
    stamp = wa.get("/subscribe/stamp")
    assert stamp.status == 200
    form.set("ts", stamp.text)
    time.sleep(TS_MIN_AGE)
    email = "%s@example.jp" % jm.uniq("node")
    wb = b.client(headers=UA)
    # The form goes to B (another node behind the balancer).
    form.page = b.base + "/articles/" + art
    r = wb.submit(form, {"email": email})
    assert r.status == 200, r.text[:2000]
    rows = nodes.db.rows("SELECT count(*) FROM deliveries WHERE kind = 'confirm' AND to_addr = ?",
                         email)
    assert rows[0][0] == 1, "B refused the stamp A signed"


def test_theme_override_on_a_is_served_by_b(nodes):
    """A template override put in A's DATA/theme/ is stored in the database
    at A's start; B, with no theme folder, renders with it too. A newer
    edit on B's side replaces it at B's next start."""
    robots = os.path.join(jm.ROOT, "templates", "site", "robots.txt")
    with open(robots, encoding="utf-8") as f:
        base = f.read()
    theme = os.path.join(nodes.data("a"), "theme", "site")
    os.makedirs(theme)
    with open(os.path.join(theme, "robots.txt"), "w", encoding="utf-8") as f:
        f.write("# theme: shared\n" + base)
    old = time.time() - 3600
    os.utime(os.path.join(theme, "robots.txt"), (old, old))
    a = nodes.start("a")
    b = nodes.start("b")
    for s in (a, b):
        r = s.client().get("/robots.txt")
        assert r.status == 200 and r.text.startswith("# theme: shared"), s.port
    assert not os.path.exists(os.path.join(b.data_dir, "theme"))
    # B's owner edits the same template later: B's start stores it, and A
    # picks it up at its next start.
    theme_b = os.path.join(b.data_dir, "theme", "site")
    os.makedirs(theme_b)
    with open(os.path.join(theme_b, "robots.txt"), "w", encoding="utf-8") as f:
        f.write("# theme: newer\n" + base)
    b.stop_and_check()
    b.start()
    a.stop_and_check()
    a.start()
    for s in (a, b):
        assert s.client().get("/robots.txt").text.startswith("# theme: newer"), s.port


sqlite_only = pytest.mark.skipif(jm.ENGINE != "sqlite",
                                 reason="reads the SQLite file; the SQLite run covers it")


@sqlite_only
def test_old_data_secret_moves_into_the_database(tmp_path):
    """An installation from before 0013 kept its secret in DATA/secret: the
    first start puts that secret in the database, so links signed with it
    still verify; a second node then uses the same secret."""
    data = str(tmp_path / "data")
    p = jm.run_cli(["token", "create", "--name", "x"], data)
    assert p.returncode == 0, p.stderr
    db = sqlite3.connect(os.path.join(data, "jinmyaku.db"))
    old = os.urandom(32)
    # Back to the state of an older version: the secret only in the file.
    db.execute("DELETE FROM node_secrets")
    db.commit()
    with open(os.path.join(data, "secret"), "wb") as f:
        f.write(old)
    os.chmod(os.path.join(data, "secret"), 0o600)
    srv = jm.Server(data).start()
    try:
        row = db.execute("SELECT value FROM node_secrets WHERE name = 'signing'").fetchone()
        assert row and row[0] == old.hex()
        # The node signs with the secret of the old file.
        r = srv.client(headers=UA).get("/subscribe/stamp")
        assert r.status == 200
        assert jm.form_stamp_time(old, "signup", r.text) is not None, \
            "the node does not sign with the secret of DATA/secret"
    finally:
        srv.stop_and_check()
    # A second node with its own (different) DATA/secret joins: it takes the
    # site's secret and rewrites its copy.
    data_b = str(tmp_path / "data-b")
    os.makedirs(data_b, mode=0o700)
    with open(os.path.join(data_b, "secret"), "wb") as f:
        f.write(os.urandom(32))
    p = jm.run_cli(["token", "create", "--name", "y", "--db",
                    "sqlite:" + os.path.join(data, "jinmyaku.db")], data_b)
    assert p.returncode == 0, p.stderr
    assert "not the site's signing secret" in p.stderr
    with open(os.path.join(data_b, "secret"), "rb") as f:
        assert f.read() == old
    db.close()


@sqlite_only
def test_old_dkim_key_file_moves_into_the_database(tmp_path):
    """A DKIM key an older version wrote to DATA/dkim/SELECTOR.private is
    imported at start; keygen never replaces a selector's key."""
    import subprocess
    data = str(tmp_path / "data")
    os.makedirs(os.path.join(data, "dkim"), mode=0o700)
    key = os.path.join(data, "dkim", "old1.private")
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                    "rsa_keygen_bits:1024", "-out", key], check=True, capture_output=True)
    with open(key) as f:
        pem = f.read()
    p = jm.run_cli(["token", "create", "--name", "x"], data)
    assert p.returncode == 0, p.stderr
    db = sqlite3.connect(os.path.join(data, "jinmyaku.db"))
    row = db.execute("SELECT value FROM node_secrets WHERE name = 'dkim:old1'").fetchone()
    assert row and row[0] == pem
    p = jm.run_cli(["dkim", "keygen", "--domain", "example.com", "--selector", "old1"], data)
    assert p.returncode == 1 and "has a key already" in p.stderr
    assert db.execute("SELECT value FROM node_secrets WHERE name = 'dkim:old1'").fetchone()[0] \
        == pem
    db.close()


# ---- limits shared by every node ----

def test_login_throttling_counts_both_nodes(nodes):
    a, b = nodes.start("a"), nodes.start("b")
    statuses = []
    for i in range(10):  # AUTH_MAX_FAILS_PER_MIN failures, alternating nodes
        c = (a if i % 2 else b).client()
        r = login(c, OWNER_EMAIL, "wrong password %d" % i)
        statuses.append(r.status)
    assert statuses == [401] * 10
    for s in (a, b):
        r = login(s.client(), OWNER_EMAIL, OWNER_PASSWORD)
        assert r.status == 429, "node %d let an 11th attempt through" % s.port


# ---- page views ----

def test_page_views_of_both_nodes_add_up(nodes):
    a, b = nodes.start("a"), nodes.start("b")
    tok = nodes.cli("a", "token", "create", "--name", "x").stdout.strip().splitlines()[-1]
    slug = jm.uniq("views")
    jm.Api(a.base, tok).publish(title=slug, slug=slug)
    for s, n in ((a, 3), (b, 4)):
        c = s.client(headers=UA)
        jm.wait_until(lambda: c.get("/articles/" + slug).status == 200, what="article served")
        for _ in range(n - 1):
            assert c.get("/articles/" + slug).status == 200
    path = "/articles/" + slug
    # Each node flushes its own counts (every few seconds, and at stop).
    a.stop_and_check()
    b.stop_and_check()
    rows = nodes.db.rows("SELECT sum(views) FROM pageviews WHERE path = ?", path)
    assert rows[0][0] == 7


# ---- cluster-wide scheduled work ----

def announced(servers, slug):
    """How many times the nodes logged slug's scheduled publication."""
    pat = r"event=scheduled_published article=\d+ slug=%s$" % re.escape(slug)
    return sum(len(re.findall(pat, s.stderr(), re.M)) for s in servers)


def schedule(api, slug, seconds):
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds))
    r = api.post("/api/v1/articles", dict(title=slug, slug=slug, body="予約", status="published",
                                          published_at=when))
    assert r.status == 201, r.text
    return r.json()


def test_scheduled_publication_runs_once_and_moves_when_its_node_dies(nodes):
    a, b = nodes.start("a"), nodes.start("b")
    tok = nodes.cli("a", "token", "create", "--name", "x").stdout.strip().splitlines()[-1]
    api = jm.Api(a.base, tok)
    first = jm.uniq("sched")
    schedule(api, first, 4)
    for s in (a, b):
        jm.wait_until(lambda: home_has(s, first), what="node %d serving the scheduled article"
                      % s.port)
    jm.wait_until(lambda: announced([a, b], first) >= 1, what="the publication announced")
    # Give the other node a few ticks to (wrongly) announce it as well.
    time.sleep(3)
    assert announced([a, b], first) == 1
    holder = a if "event=scheduled_published article" in a.stderr() else b
    other = b if holder is a else a
    taken = "event=cluster_lock_taken job=publish"
    if nodes.db.engine == "pg":  # SQLite is one node: its locks are always granted
        assert taken in holder.stderr() and taken not in other.stderr()
    holder.proc.kill()  # kill -9: the lock goes with its connection
    holder.proc.wait()
    second = jm.uniq("sched")
    api_other = jm.Api(other.base, tok)
    schedule(api_other, second, 3)
    jm.wait_until(lambda: announced([other], second) == 1, deadline_s=60,
                  what="the surviving node announcing the next publication")
    assert home_has(other, second)
    if nodes.db.engine == "pg":
        assert taken in other.stderr()


def test_listener_reconnects_after_losing_its_connection(nodes):
    """PostgreSQL: the content listener's connection is cut (a restart, a
    failover); the node reconnects and serves the next change fresh."""
    if nodes.db.engine != "pg":
        pytest.skip("SQLite has no connection to lose")
    a, b = nodes.start("a"), nodes.start("b")
    tok = nodes.cli("a", "token", "create", "--name", "x").stdout.strip().splitlines()[-1]
    api = jm.Api(a.base, tok)
    first = jm.uniq("before-cut")
    api.publish(title=first, slug=first)
    jm.wait_until(lambda: home_has(b, first), what="B serving the first article")
    cut = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity " \
          "WHERE datname = current_database() AND pid <> pg_backend_pid() " \
          "AND query LIKE '%FROM content_state%'"
    jm.wait_until(lambda: nodes.db.rows(cut), what="the listeners' connections cut")
    jm.wait_until(lambda: "content listener lost its connection" in b.stderr(),
                  what="B noticing the cut")
    second = jm.uniq("after-cut")
    api.publish(title=second, slug=second)
    jm.wait_until(lambda: home_has(b, second), what="B serving the article after the cut")


# ---- the admin's CSV import across nodes ----

def test_csv_import_uploaded_on_a_is_mapped_and_started_on_b(nodes):
    """The upload lands on A, the mapping page and the start on B (as a
    load balancer may send them): the file travels in the database
    (import_uploads), the progress and report too, so A answers the status
    of the import B ran. Shift_JIS bytes (not UTF-8 text) survive. An
    upload left for over a day is swept by the scheduler."""
    now = int(time.time())
    nodes.db.exec("INSERT INTO import_uploads(id, name, created_at, updated_at) "
                  "VALUES ('oldoldoldoldoldoldoldo', 'old.csv', ?, ?)", now - 90000, now - 90000)
    a, b = nodes.start("a"), nodes.start("b")
    tok = nodes.cli("a", "token", "create", "--name", "imp").stdout.strip().splitlines()[-1]
    r = jm.Api(a.base, tok).post("/api/v1/lists", {"name": "ノード便り", "slug": "nodes-imp"})
    assert r.status == 201, r.text
    lid = r.json()["id"]
    admin_a = a.client()
    assert login(admin_a, OWNER_EMAIL, OWNER_PASSWORD).status == 200
    data = ("メールアドレス,氏名\r\nnode-imp1@example.jp,高橋 健一\r\n"
            "node-imp2@example.jp,渡辺 美咲\r\n").encode("cp932")
    body, ctype = jm.multipart({"_csrf": jm.csrf_of(admin_a.get("/admin/imports/new").text),
                                "list": str(lid), "encoding": "auto"},
                               {"file": ("名簿.csv", data)}, "text/csv")
    up = admin_a.post("/admin/imports", body=body, headers={"Content-Type": ctype}, follow=False)
    assert up.status == 303, up.text[:2000]
    loc = up.header("Location")
    iid = re.search(r"/admin/imports/([A-Za-z0-9_-]{22})", loc).group(1)
    # The same browser's next requests go to B.
    cookie = "; ".join("%s=%s" % kv for kv in admin_a.cookies().items())
    admin_b = jm.Client(b.base, headers={"Cookie": cookie})
    page = admin_b.get(loc)
    assert page.status == 200 and "高橋 健一" in page.text, page.text[:3000]
    form = jm.find_form(page.text, action="/admin/imports/")
    assert form is not None, page.text[:3000]
    form.page = page.url
    done = admin_b.submit(form, {"mode": "consented"})
    assert 'id="import-report"' in done.text, done.text[-3000:]
    st = admin_a.get("/admin/imports/%s/status" % iid)
    assert st.status == 200 and st.json()["state"] == "done" and st.json()["imported"] == 2
    assert "import-report" in admin_a.get("/admin/imports/" + iid).text
    assert nodes.db.rows("SELECT name FROM people WHERE email = 'node-imp2@example.jp'") == \
        [("渡辺 美咲",)]
    src = nodes.db.rows("SELECT s.consent_source FROM subscriptions s JOIN people p "
                        "ON p.id = s.person_id WHERE p.email = 'node-imp1@example.jp'")
    assert src and src[0][0].startswith("import file=名簿.csv by=user:"), src
    # Imported: the bytes are gone; a second start (on A) imports nothing more.
    assert nodes.db.rows("SELECT bytes IS NULL FROM import_uploads WHERE id = ?", iid) \
        in ([(1,)], [(True,)])
    again = admin_a.post("/admin/imports/" + iid, form={
        "_csrf": jm.csrf_of(admin_a.get("/admin/imports/new").text), "list": str(lid),
        "encoding": "auto", "ncols": "2", "col0": "email"})
    assert again.status == 200 and "import-report" in again.text
    assert nodes.db.rows("SELECT count(*) FROM subscriptions WHERE list_id = ?", lid) == [(2,)]
    for n in ("a", "b"):
        assert not os.path.exists(os.path.join(nodes.data(n), "imports")), n
    jm.wait_until(lambda: nodes.db.rows("SELECT count(*) FROM import_uploads WHERE id = "
                                        "'oldoldoldoldoldoldoldo'") == [(0,)],
                  what="the scheduler sweeping a day-old upload")
