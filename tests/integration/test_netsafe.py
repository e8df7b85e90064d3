"""Safety of the server under hostile or heavy use (issue 8, items 5, 6, 7,
11, 12): sign-in throttling counts before the slow hash, the client address
behind a trusted reverse proxy, a password-hashing queue of its own, file
modes, and file-descriptor exhaustion.

Parallel requests run on threads; the tests count answers (401 vs 429),
never time them. The CPU check of the accept loop compares CPU seconds the
server used during a sleep against a generous bound: a spin, not speed."""
import concurrent.futures
import http.client
import os
import re
import socket
import stat
import subprocess
import time
import urllib.parse

import pytest

import jm
from conftest import login

PASSWORD = "the-right-password"


# ---- helpers ----

class LoginForm:
    """The login form's cookie and CSRF token, reusable from many threads."""

    def __init__(self, server):
        c = server.client()
        _, form = c.get_form("/admin/login", field="password")
        self.port = server.port
        self.cookie = "; ".join("%s=%s" % kv for kv in c.cookies().items())
        self.csrf = dict(form.pairs({}))["_csrf"]

    def post(self, email, password, xff=None):
        """POSTs one sign-in; returns the status."""
        body = urllib.parse.urlencode({"_csrf": self.csrf, "email": email,
                                       "password": password}).encode()
        h = {"Cookie": self.cookie, "Content-Type": "application/x-www-form-urlencoded",
             "Content-Length": str(len(body))}
        if xff is not None:
            h["X-Forwarded-For"] = xff
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=jm.HTTP_TIMEOUT)
        try:
            c.request("POST", "/admin/login", body=body, headers=h)
            r = c.getresponse()
            r.read()
            return r.status
        finally:
            c.close()


def parallel(n, fn):
    """Runs fn(i) for i in range(n) on n threads at once; returns results."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as ex:
        return list(ex.map(fn, range(n)))


def cpu_seconds(pid):
    """utime + stime of a process, in seconds (/proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def soft_nofile(pid):
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                return int(line.split()[3])
    raise AssertionError("no Max open files line")


class LimitedServer(jm.Server):
    """A server started under `prlimit --nofile=SOFT:HARD`, like a systemd
    unit's LimitNOFILE (prlimit execs jinmyaku, so the pid is the server's)."""

    def __init__(self, data_dir, soft, hard, extra_args=()):
        super().__init__(data_dir, extra_args)
        self.limit = "--nofile=%d:%d" % (soft, hard)

    def start(self):
        os.makedirs(self.data_dir, exist_ok=True)
        self.port = jm.free_port()
        cmd = ["prlimit", self.limit, "--", jm.jinmyaku_bin(), "serve", "--data",
               self.data_dir, "--listen", "127.0.0.1:%d" % self.port] + self.extra_args
        self._err = open(self.stderr_path, "ab")
        self._out = open(self.stdout_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self._out, stderr=self._err,
                                     stdin=subprocess.DEVNULL,
                                     env=jm.sanitizer_env(self.data_dir), cwd=jm.ROOT)
        if not self._wait_healthy():
            self.kill()
            raise AssertionError("server did not start:\n" + self.stderr()[-4000:])
        jm.Server.live.add(self)
        return self


@pytest.fixture
def limited_server(tmp_path):
    started = []

    def make(soft, hard, *extra):
        s = LimitedServer(str(tmp_path / ("data%d" % len(started))), soft, hard, list(extra))
        started.append(s)
        return s.start()

    yield make
    for s in started:
        s.stop_and_check()


def idle_sockets(port, n):
    """n connected sockets that never send a byte (as many as connect)."""
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            s.close()
            break
        socks.append(s)
    return socks


# ---- 5: the attempt is counted before the hash ----

def test_parallel_wrong_passwords_from_one_address_are_not_all_checked(make_server):
    s = make_server()
    s.add_user("par@example.com", PASSWORD)
    lf = LoginForm(s)
    statuses = parallel(100, lambda i: lf.post("par@example.com", "wrong-%d" % i))
    checked = statuses.count(401)
    assert checked + statuses.count(429) == 100, statuses
    assert checked <= 10, "%d of 100 parallel wrong passwords were checked" % checked
    assert lf.post("par@example.com", PASSWORD) == 429, "blocked address still signs in"


def test_right_password_does_not_use_up_the_limit(make_server):
    s = make_server()
    s.add_user("ok@example.com", PASSWORD)
    lf = LoginForm(s)
    for _ in range(12):
        assert lf.post("ok@example.com", PASSWORD) == 303


# ---- 6: the client address behind a trusted proxy ----

def test_forwarded_clients_are_limited_separately_behind_a_trusted_proxy(make_server):
    s = make_server("--trusted-proxies", "10.0.0.0/8, 127.0.0.1/32")
    s.add_user("xff@example.com", PASSWORD)
    lf = LoginForm(s)
    a, b = "203.0.113.1", "203.0.113.2"
    assert [lf.post("xff@example.com", "bad", xff=a) for _ in range(10)] == [401] * 10
    assert lf.post("xff@example.com", "bad", xff=a) == 429
    # A forged hop on the left changes nothing: the proxy appended a.
    assert lf.post("xff@example.com", "bad", xff="198.51.100.7, " + a) == 429
    # Behind a second trusted proxy it is still a.
    assert lf.post("xff@example.com", "bad", xff=a + ", 10.1.2.3") == 429
    # Another client behind the same proxy is not blocked.
    assert lf.post("xff@example.com", "bad", xff=b) == 401
    assert lf.post("xff@example.com", PASSWORD, xff=b) == 303


def test_forwarded_header_from_an_untrusted_peer_is_ignored(make_server):
    s = make_server()
    s.add_user("noxff@example.com", PASSWORD)
    lf = LoginForm(s)
    for i in range(10):
        assert lf.post("noxff@example.com", "bad", xff="192.0.2.%d" % (i + 1)) == 401
    assert lf.post("noxff@example.com", "bad", xff="192.0.2.200") == 429
    r = jm.raw_request(s.port, "GET", "/healthz", headers={"Forwarded": "for=192.0.2.201"})
    assert r.status == 200
    assert lf.post("noxff@example.com", "bad", xff="192.0.2.202") == 429


def test_access_log_has_the_resolved_client(make_server, tmp_path):
    log = tmp_path / "access.log"
    s = make_server("--trusted-proxies", "127.0.0.1", "--access-log", str(log))
    jm.raw_request(s.port, "GET", "/healthz", headers={"X-Forwarded-For": "198.51.100.23"})
    jm.raw_request(s.port, "GET", "/static/does-not-exist.css",
                   headers={"X-Forwarded-For": "198.51.100.24",
                            "X-Jinmyaku-Client": "6.6.6.6"})
    u = make_server("--access-log", str(tmp_path / "plain.log"))
    jm.raw_request(u.port, "GET", "/healthz", headers={"X-Forwarded-For": "198.51.100.25"})
    s.stop_and_check()
    u.stop_and_check()
    lines = log.read_text().splitlines()
    assert any(l.startswith("198.51.100.23 ") and "/healthz" in l for l in lines), lines
    assert any(l.startswith("198.51.100.24 ") and "/static/" in l for l in lines), lines
    assert "6.6.6.6" not in log.read_text()
    plain = (tmp_path / "plain.log").read_text().splitlines()
    assert plain and all(l.startswith("127.0.0.1 ") for l in plain), plain


@pytest.mark.parametrize("value", ["10.0.0.0/33", "proxy.example", "::1/200", "127.0.0.1,,"])
def test_bad_trusted_proxies_exits_2_with_one_line(value, tmp_path):
    p = jm.run_cli(["serve", "--trusted-proxies", value], data_dir=str(tmp_path / "d"))
    assert p.returncode == 2, p.stderr
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "--trusted-proxies" in lines[0], p.stderr
    env = jm.sanitizer_env()
    env["JINMYAKU_TRUSTED_PROXIES"] = value
    q = subprocess.run([jm.jinmyaku_bin(), "serve", "--data", str(tmp_path / "e")],
                       capture_output=True, text=True, env=env, timeout=60)
    assert q.returncode == 2, q.stderr
    lines = [l for l in q.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "JINMYAKU_TRUSTED_PROXIES" in lines[0], q.stderr
    assert not os.path.exists(str(tmp_path / "e")), "a bad option touched the data dir"


def test_signup_consent_records_the_forwarded_client(make_server):
    s = make_server("--trusted-proxies", "127.0.0.1/32")
    s.add_user("o@example.com", PASSWORD)
    api = jm.Api(s.base, s.create_token())
    r = api.post("/api/v1/lists", {"name": "便り", "slug": "news"})
    assert r.status == 201, r.text
    art = api.publish(title="プロキシ越しの登録", slug=jm.uniq("xff"))
    web = s.client()
    _, form = web.get_form("/articles/" + art["slug"], action="/subscribe")
    form.set("ts", web.get("/subscribe/stamp").text)  # what static/signup.js does
    time.sleep(2.2)  # the form's bot check refuses anything sent sooner
    sent = {"203.0.113.55": "203.0.113.55", "6.6.6.6, 203.0.113.56": "203.0.113.56"}
    emails = {}
    for xff, want in sent.items():
        email = "%s@example.jp" % jm.uniq("xff")
        r = web.submit(form, {"email": email}, headers={"X-Forwarded-For": xff})
        assert r.status == 200, r.text[:500]
        emails[email] = want
    db = jm.nl_db(s.data_dir)
    try:
        for email, want in emails.items():
            got = db.execute("SELECT s.consent_ip FROM subscriptions s JOIN people p "
                             "ON p.id = s.person_id WHERE p.email = ?", (email,)).fetchall()
            assert got == [(want,)], (email, got)
    finally:
        db.close()


# ---- 7: password hashing has its own bounded queue ----

def test_login_flood_overflows_to_429_while_people_search_answers(make_server):
    s = make_server("--trusted-proxies", "127.0.0.1/32", "--login-queue", "2")
    s.add_user("owner@example.com", PASSWORD)
    admin = s.client()
    assert login(admin, "owner@example.com", PASSWORD).status == 200
    lf = LoginForm(s)
    seen = []
    for rnd in range(5):
        with concurrent.futures.ThreadPoolExecutor(max_workers=61) as ex:
            flood = [ex.submit(lf.post, "owner@example.com", "bad",
                               "198.18.%d.%d" % (rnd, i + 1)) for i in range(60)]
            search = ex.submit(admin.get, "/admin/people?q=" + urllib.parse.quote("山田"))
            statuses = [f.result() for f in flood]
            assert search.result().status == 200
        assert set(statuses) <= {401, 429}, statuses
        seen += statuses
        if 429 in statuses:
            break
    assert 429 in seen, "a full hashing queue never answered 429: %s" % seen
    assert 401 in seen
    # The queue drains: the owner signs in again afterwards.
    assert lf.post("owner@example.com", PASSWORD, xff="198.18.99.1") == 303


# ---- 11: file modes ----

@pytest.mark.sqlite_only("the modes of jinmyaku.db, its -wal/-shm files and the backup copy")
def test_database_secret_and_backup_are_private(make_server, tmp_path):
    s = make_server()
    s.add_user("modes@example.com", PASSWORD)
    data = s.data_dir
    for name in ("jinmyaku.db", "jinmyaku.db-wal", "jinmyaku.db-shm", "secret"):
        path = os.path.join(data, name)
        assert os.path.exists(path), name
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, "%s is %o" % (
            name, stat.S_IMODE(os.stat(path).st_mode))
    out = tmp_path / "b.db"
    p = s.cli("backup", str(out))
    assert p.returncode == 0, p.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600


def test_new_data_dir_is_0700_and_a_wide_one_is_warned_about(make_server, tmp_path):
    fresh = tmp_path / "fresh"
    p = jm.run_cli(["user", "add", "--email", "d@example.com"], data_dir=str(fresh),
                   input=PASSWORD + "\n")
    assert p.returncode == 0, p.stderr
    assert stat.S_IMODE(os.stat(fresh).st_mode) == 0o700
    s = make_server()  # the test harness makes its data dir 0755
    os.chmod(s.data_dir, 0o755)
    s.stop_and_check()
    s.start()
    assert re.search(r"data dir .* mode 755", s.stderr()), s.stderr()[-2000:]


# ---- 12: file descriptors ----

def test_soft_fd_limit_is_raised_to_the_hard_limit(limited_server):
    s = limited_server(64, 4096)
    assert soft_nofile(s.proc.pid) == 4096


def test_idle_sockets_beyond_the_cap_neither_spin_nor_lock_out(make_server):
    s = make_server("--max-connections", "8")
    socks = idle_sockets(s.port, 40)
    try:
        assert len(socks) == 40
        before = cpu_seconds(s.proc.pid)
        time.sleep(2)
        used = cpu_seconds(s.proc.pid) - before
        assert used < 1.0, "server used %.2f CPU s in 2 s with idle sockets" % used
        # A new client waits in the backlog (or is refused), never a crash.
        try:
            r = jm.raw_request(s.port, "GET", "/healthz")
            assert r.status == 200
        except OSError:
            pass
    finally:
        for k in socks:
            k.close()
    assert s.client().get("/healthz").status == 200
    assert s.alive()


def test_out_of_file_descriptors_backs_off_instead_of_spinning(limited_server):
    s = limited_server(64, 64, "--max-connections", "1000")
    socks = idle_sockets(s.port, 120)
    try:
        time.sleep(0.5)
        before = cpu_seconds(s.proc.pid)
        time.sleep(3)
        used = cpu_seconds(s.proc.pid) - before
        # Idle, the server uses a few hundredths of a second here; a spinning
        # accept loop takes a core (still over 0.6 s on a machine loaded 7x).
        assert used < 0.5, "accept loop spun: %.2f CPU s in 3 s" % used
    finally:
        for k in socks:
            k.close()
    deadline = time.monotonic() + 30
    while True:
        try:
            if jm.raw_request(s.port, "GET", "/healthz").status == 200:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, "server never recovered"
        time.sleep(0.2)
    assert "accept failed" in s.stderr()
