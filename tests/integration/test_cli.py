"""The command line: usage and exit codes, version, user add validation,
token create, backup, check."""
import os
import signal
import sqlite3
import stat
import subprocess
import tarfile

import pytest

import jm


def cli(*args, data=None, input=None):
    return jm.run_cli(args, data_dir=data, input=input)


def one_error_line(p):
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, "expected exactly one stderr line, got:\n" + p.stderr
    assert lines[0].startswith("jinmyaku:"), lines[0]
    return lines[0]


@pytest.fixture
def data(tmp_path):
    return str(tmp_path / "data")


# ---- usage ----

def test_no_command_prints_usage_and_exits_2():
    p = cli()
    assert p.returncode == 2
    assert "usage" in p.stderr.lower()
    assert p.stdout == ""


@pytest.mark.parametrize("args", [
    ["frobnicate"],
    ["user", "remove", "--email", "a@example.com"],
    ["token", "delete"],
])
def test_unknown_command_exits_2_with_usage(args, data):
    p = cli(*args, data=data)
    assert p.returncode == 2, p.stderr
    assert "usage" in p.stderr.lower()
    assert "unknown command" in p.stderr.lower()
    assert p.stdout == ""
    assert not os.path.exists(os.path.join(data, "jinmyaku.db")), "a bad command touched the data dir"


@pytest.mark.parametrize("args", [
    ["serve", "--data", "DATA", "--no-such-flag", "1"],
    ["user", "add", "--data", "DATA", "--email", "a@example.com", "--bogus", "x"],
    ["token", "create", "--data", "DATA", "--name"],
    ["serve", "--data", "DATA", "--threads", "many"],
    ["serve", "--data", "DATA", "--listen", "nowhere"],
    ["serve", "--data", "DATA", "--max-body", "10"],
    ["backup", "--data", "DATA"],
])
def test_bad_flag_exits_2_with_usage(args, data):
    p = cli(*[data if a == "DATA" else a for a in args], input="password123\n")
    assert p.returncode == 2, "exit %d, stderr: %s" % (p.returncode, p.stderr)
    assert "usage" in p.stderr.lower()
    assert p.stdout == ""


def test_help_lists_commands_on_stdout():
    p = cli("--help")
    assert p.returncode == 0
    for word in ("serve", "user add", "token create", "backup", "--data", "--max-body"):
        assert word in p.stdout, word


@pytest.mark.parametrize("spelling", ["version", "--version"])
def test_version(spelling):
    p = cli(spelling)
    assert p.returncode == 0
    assert p.stdout.startswith("jinmyaku ")
    version = p.stdout.split()[1]
    assert version.count(".") == 2 and all(x.isdigit() for x in version.split("."))


def test_check_loads_templates_and_catalog(data):
    p = cli("check", data=data)
    assert p.returncode == 0, p.stderr
    assert "OK" in p.stdout
    assert "schema: " in p.stdout and "(%s)" % jm.ENGINE in p.stdout


# ---- user add ----

def test_user_add_creates_user(data):
    p = cli("user", "add", "--email", "Owner@Example.com", "--name", "山田 太郎", "--role", "owner",
            data=data, input="a-long-password\n")
    assert p.returncode == 0, p.stderr
    assert "owner@example.com" in p.stdout.lower()
    db = jm.db_connect(data)
    try:
        emails = [r[0] for r in db.execute("SELECT email FROM users")]
    finally:
        db.close()
    assert emails == ["owner@example.com"], "email is stored normalised"


@pytest.mark.parametrize("email,role,password,why", [
    ("not-an-email", "owner", "a-long-password", "email"),
    ("", "owner", "a-long-password", "email"),
    ("a@example.com", "admin", "a-long-password", "role"),
    ("a@example.com", "owner", "short", "password"),
    ("a@example.com", "owner", "x" * 300, "password"),
    ("a@example.com", "owner", "", "password"),
])
def test_user_add_validation_exits_1_with_one_line(data, email, role, password, why):
    # The data dir exists already (see the next test for a fresh one).
    assert cli("user", "add", "--email", "first@example.com", data=data,
               input="a-long-password\n").returncode == 0
    p = cli("user", "add", "--email", email, "--role", role, data=data, input=password + "\n")
    assert p.returncode == 1, "exit %d for bad %s: %s" % (p.returncode, why, p.stderr)
    one_error_line(p)
    assert p.stdout == ""


def test_bad_user_add_on_fresh_data_dir_prints_one_line_and_creates_nothing(data):
    p = cli("user", "add", "--email", "not-an-email", data=data, input="a-long-password\n")
    assert p.returncode == 1
    one_error_line(p)
    assert not os.path.exists(os.path.join(data, "jinmyaku.db")), "bad input created a database"


def test_user_add_without_password_on_stdin_exits_1(data):
    p = cli("user", "add", "--email", "a@example.com", data=data, input="")
    assert p.returncode == 1
    one_error_line(p)


def test_user_add_duplicate_email_exits_1(data):
    assert cli("user", "add", "--email", "dup@example.com", data=data,
               input="a-long-password\n").returncode == 0
    p = cli("user", "add", "--email", "DUP@example.com", data=data, input="another-password\n")
    assert p.returncode == 1
    one_error_line(p)


def test_user_add_requires_email(data):
    p = cli("user", "add", "--role", "owner", data=data, input="a-long-password\n")
    assert p.returncode == 2
    assert "usage" in p.stderr.lower()


# ---- token create ----

def test_token_create_prints_a_working_token(server, owner):
    p = server.cli("token", "create", "--name", "cli-test")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().splitlines()
    assert len(lines) == 1
    tok = lines[0]
    assert tok.startswith("jm_") and len(tok) >= 40
    other = server.create_token("cli-test-2")
    assert other != tok
    api = jm.Api(server.base, tok)
    r = api.get("/api/v1/articles")
    assert r.status == 200, r.body
    assert api.get("/api/v1/articles", token=tok[:-1] + ("A" if tok[-1] != "A" else "B")).status == 401


def test_token_create_before_any_owner_says_it_waits_for_one(make_server):
    s = make_server()
    p = s.cli("token", "create", "--name", "early")
    assert p.returncode == 0, p.stderr
    tok = p.stdout.strip()
    assert tok.startswith("jm_")
    note = p.stderr.strip().splitlines()
    assert len(note) == 1 and "no owner yet" in note[0] and "user add" in note[0], p.stderr
    api = jm.Api(s.base, tok)
    assert api.get("/api/v1/articles").status == 401
    s.add_user("first@example.com", "a-long-password")
    assert api.get("/api/v1/articles").status == 200
    p = s.cli("token", "create", "--name", "in-time")
    assert p.returncode == 0 and p.stderr.strip() == "", p.stderr


def test_token_create_requires_name(server):
    p = server.cli("token", "create")
    assert p.returncode == 2
    assert "usage" in p.stderr.lower()


# ---- data dir and secrets ----

def test_secret_file_is_private(server):
    st = os.stat(os.path.join(server.data_dir, "secret"))
    assert stat.S_IMODE(st.st_mode) == 0o600


# ---- backup ----

@pytest.mark.sqlite_only("backup copies the SQLite database file")
def test_backup_of_a_live_server_is_a_valid_sqlite_file(server, owner, api, tmp_path):
    """The archive (a tar.gz, issue 10) holds jinmyaku.db, a valid SQLite
    snapshot with what was written before the backup."""
    a = api.publish(title="バックアップ対象の記事", slug=jm.uniq("backup"))
    archive = tmp_path / "backup.tar.gz"
    p = server.cli("backup", str(archive))
    assert p.returncode == 0, p.stderr
    out = tmp_path / "backup.db"
    with tarfile.open(str(archive), "r:gz") as t:
        with t.extractfile("jinmyaku.db") as src, open(out, "wb") as dst:
            dst.write(src.read())
    with open(out, "rb") as f:
        assert f.read(16) == b"SQLite format 3\x00"
    db = sqlite3.connect(str(out))
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM users WHERE email = ?", (owner.email,)).fetchone()[0] == 1
        titles = [r[0] for r in db.execute("SELECT title FROM articles WHERE slug = ?", (a["slug"],))]
        assert titles == ["バックアップ対象の記事"]
    finally:
        db.close()


def test_backup_to_unwritable_place_exits_1(server, tmp_path):
    p = server.cli("backup", str(tmp_path / "no" / "such" / "dir" / "b.db"))
    assert p.returncode == 1
    one_error_line(p)


# ---- serve ----

def test_serve_prints_its_url(server):
    assert "http://127.0.0.1:%d/" % server.port in server.stdout()


def test_serve_on_a_port_in_use_fails(server, tmp_path):
    """A second server must not silently share the first one's port (with
    SO_REUSEPORT both would bind and split the traffic between two data
    dirs)."""
    other = str(tmp_path / "other")
    cmd = [jm.jinmyaku_bin(), "serve", "--data", other, "--listen", "127.0.0.1:%d" % server.port]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=jm.sanitizer_env(other), cwd=jm.ROOT)
    try:
        out, err = p.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate()
        raise AssertionError("a second jinmyaku kept serving on port %d:\n%s%s"
                             % (server.port, out, err))
    assert p.returncode == 1, err
    assert not jm.sanitizer_reports(err), err
    assert "127.0.0.1:%d" % server.port in err
    assert server.client().get("/healthz").status == 200
