"""Several nodes and delivery workers on one database (issue 9).

On PostgreSQL (skipped unless JM_TEST_PG_URL names a server, e.g.
postgres://jm@127.0.0.1:55432/postgres; a fresh database cluster_… is made
there and dropped afterwards): two `serve` nodes with separate DATA
directories and three `jinmyaku worker` processes send one 20,000-recipient
broadcast at 200 messages a second to a real SMTP server (aiosmtpd) while
one worker is SIGKILLed twice mid-send and restarted. Then every recipient
has the mail; the duplicates stay within what the killed worker held in
flight (its 'sending' rows, read right after each kill); the send times the
workers recorded (deliveries.sent_ms, the database's clock) never hold more
than 200 in any one-second window across all workers; and an article
published through node A is served by node B.

One worker on the engine the suite runs on (SQLite by default; always
runs): its recorded send times keep the per-second rate and a per-domain
rate — the same shared-schedule code, with its rows in that database.
The rate checks read recorded data; nothing here asserts on timing.
"""
import os
import signal
import subprocess
import threading
import time
import urllib.parse
import uuid

import pytest
from aiosmtpd.controller import Controller

import jm

PG_URL = os.environ.get("JM_TEST_PG_URL", "")
RECIPIENTS = 20000
RATE = 200
WORKERS = 3
SENDER = dict(mail_from_name="発行者", mail_from_addr="news@example.com",
              sender_postal_address="東京都千代田区1-1-1", sender_contact="info@example.com",
              base_url="https://mag.example.test")


class Sink:
    """An SMTP server keeping only the recipients it accepted (in memory:
    20,000 messages as files would slow it below the rate)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rcpts = []
        self.port = jm.free_port()
        self.ctl = Controller(self, hostname="127.0.0.1", port=self.port,
                              data_size_limit=10 * 1024 * 1024)

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.rcpts.extend(envelope.rcpt_tos)
        return "250 OK"

    @property
    def url(self):
        return "smtp://127.0.0.1:%d" % self.port

    def count(self):
        with self.lock:
            return len(self.rcpts)


def worst_window(times_ms, width=1000):
    """The most values of sorted times_ms in any [t, t + width)."""
    worst, lo = 0, 0
    for hi, t in enumerate(times_ms):
        while times_ms[lo] <= t - width:
            lo += 1
        worst = max(worst, hi - lo + 1)
    return worst


def start_worker(data, db_url, smtp_url, log, lease_ms=None):
    """`jinmyaku worker` on db_url, or (None) on data's database under the
    engine the suite runs on."""
    env = jm.sanitizer_env() if db_url else jm.sanitizer_env(data)
    env["JINMYAKU_SMTP_URL"] = smtp_url
    if lease_ms:
        env["JINMYAKU_LEASE_MS"] = str(lease_ms)
    cmd = [jm.jinmyaku_bin(), "worker", "--data", data]
    if db_url:
        cmd += ["--db", db_url]
    return subprocess.Popen(cmd, stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env,
                            cwd=jm.ROOT)


def stop_worker(w, log_path):
    if w.poll() is None:
        w.send_signal(signal.SIGTERM)
        assert w.wait(60) == 0, "worker exited %s (see %s)" % (w.returncode, log_path)
    with open(log_path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    assert not jm.sanitizer_reports(text), text[-5000:]


# ---- PostgreSQL: two nodes, three workers ----

@pytest.fixture
def pg_url():
    if not PG_URL:
        pytest.skip("JM_TEST_PG_URL is not set")
    import psycopg2
    name = "cluster_" + uuid.uuid4().hex[:12]
    admin = psycopg2.connect(PG_URL)
    admin.autocommit = True
    admin.cursor().execute('CREATE DATABASE "%s"' % name)
    parts = urllib.parse.urlsplit(PG_URL)
    yield urllib.parse.urlunsplit(parts._replace(path="/" + name))
    admin.cursor().execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
    admin.close()


def pg_setup(url):
    """Sender settings, the rate, a list of RECIPIENTS and a started
    broadcast, written straight into the database (as the SQLite delivery
    tests do). Returns (connection, broadcast id)."""
    import psycopg2
    c = psycopg2.connect(url)
    c.autocommit = True
    q = c.cursor()
    for k, v in dict(SENDER, rate_per_sec=RATE).items():
        q.execute("INSERT INTO settings(key, value) VALUES (%s, %s) ON CONFLICT (key) "
                  "DO UPDATE SET value = excluded.value", (k, str(v)))
    now = int(time.time())
    q.execute("INSERT INTO lists(slug, name, created_at, updated_at) VALUES "
              "('big', '大きなリスト', %s, %s) RETURNING id", (now, now))
    lid = q.fetchone()[0]
    q.execute("INSERT INTO people(email, name, created_at, updated_at) "
              "SELECT 'u' || lpad(i::text, 5, '0') || '@example.org', '読者' || i, %s, %s "
              "FROM generate_series(0, %s) AS i", (now, now, RECIPIENTS - 1))
    q.execute("INSERT INTO subscriptions(person_id, list_id, status, created_at, updated_at, "
              "consent_at, consent_source) SELECT id, %s, 'active', %s, %s, %s, 'test' "
              "FROM people WHERE email LIKE 'u%%@example.org'", (lid, now, now, now))
    q.execute("INSERT INTO broadcasts(list_id, subject, body_md, status, started_at, created_at, "
              "updated_at) VALUES (%s, '{{name|皆様}}へ', 'こんにちは {{name|皆様}}', 'sending', "
              "%s, %s, %s) RETURNING id", (lid, now, now, now))
    return c, q.fetchone()[0]


def pg_one(c, sql, *args):
    q = c.cursor()
    q.execute(sql, args)
    row = q.fetchone()
    return row[0] if row else None


def kill_and_count(c, w):
    """SIGKILLs w and returns how many rows it held in 'sending' (its lease
    has not expired yet, so nothing took them back)."""
    os.kill(w.pid, signal.SIGKILL)
    w.wait()
    return pg_one(c, "SELECT count(*) FROM deliveries WHERE state = 'sending' AND claimed_by IN "
                     "(SELECT id FROM send_workers WHERE pid = %s)", w.pid)


def test_two_nodes_three_workers_one_database(pg_url, tmp_path):
    sink = Sink()
    sink.ctl.start()
    nodes, workers, logs = [], [], []
    c = None
    try:
        a = jm.Server(str(tmp_path / "a" / "data"), ["--db", pg_url, "--worker-threads", "0"])
        nodes.append(a.start())  # migrates the database
        b = jm.Server(str(tmp_path / "b" / "data"), ["--db", pg_url, "--worker-threads", "0"])
        nodes.append(b.start())
        c, bid = pg_setup(pg_url)
        for i in range(WORKERS):
            logs.append(str(tmp_path / ("worker%d.log" % i)))
            workers.append(start_worker(str(tmp_path / ("w%d" % i)), pg_url, sink.url,
                                        open(logs[i], "ab"), lease_ms=5000))

        # An article published through node A is served by node B.
        p = jm.run_cli(["user", "add", "--email", "owner@example.com", "--role", "owner",
                        "--db", pg_url], a.data_dir, input="correct horse battery staple\n")
        assert p.returncode == 0, p.stderr
        tok = jm.run_cli(["token", "create", "--name", "cluster", "--db", pg_url], a.data_dir)
        assert tok.returncode == 0, tok.stderr
        api = jm.Api(a.base, tok.stdout.strip().splitlines()[-1].strip())
        slug = jm.uniq("cluster")
        api.publish(title="ノードをまたぐ記事", slug=slug)
        page = jm.wait_until(lambda: (lambda r: r if r.status == 200 else None)(
            b.client().get("/articles/" + slug)), 60, what="node B to serve the article")
        assert "ノードをまたぐ記事" in page.text

        # Worker 0 is killed twice while sending, and restarted each time.
        inflight = []
        for frac in (0.25, 0.55):
            jm.wait_until(lambda: sink.count() >= RECIPIENTS * frac
                          or any(w.poll() is not None for w in workers), 150,
                          what="sending to pass %d%%" % (frac * 100))
            assert all(w.poll() is None for w in workers), "a worker exited (see %s)" % logs
            inflight.append(kill_and_count(c, workers[0]))
            workers[0] = start_worker(str(tmp_path / "w0"), pg_url, sink.url,
                                      open(logs[0], "ab"), lease_ms=5000)
        jm.wait_until(lambda: pg_one(c, "SELECT status FROM broadcasts WHERE id = %s", bid)
                      == "sent", 180, what="the broadcast to finish")
        for w, path in zip(workers, logs):
            stop_worker(w, path)
        workers = []

        q = c.cursor()
        q.execute("SELECT state, count(*) FROM deliveries WHERE broadcast_id = %s GROUP BY state",
                  (bid,))
        assert dict(q.fetchall()) == {"sent": RECIPIENTS}
        expected = {"u%05d@example.org" % i for i in range(RECIPIENTS)}
        got = list(sink.rcpts)
        assert set(got) == expected, "missing: %d" % len(expected - set(got))
        dups = len(got) - len(expected)
        print("in flight at the kills: %s, duplicates: %d" % (inflight, dups))
        assert dups <= sum(inflight)

        q.execute("SELECT sent_ms FROM deliveries WHERE broadcast_id = %s ORDER BY sent_ms", (bid,))
        times = [r[0] for r in q.fetchall()]
        assert None not in times
        worst = worst_window(times)
        q.execute("SELECT count(DISTINCT claimed_by) FROM deliveries WHERE broadcast_id = %s",
                  (bid,))
        print("recorded sends in the busiest second: %d; worker processes that sent: %d"
              % (worst, q.fetchone()[0]))
        assert worst <= RATE
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()
        if c is not None:
            c.close()
        errors = []
        for n in nodes:
            try:
                n.stop_and_check()
            except AssertionError as e:
                errors.append(str(e))
        sink.ctl.stop()
        assert not errors, "\n".join(errors)


# ---- one worker on the suite's engine (SQLite by default) ----

def test_one_worker_keeps_rate_and_domain_rate(tmp_path):
    data = str(tmp_path / "data")
    p = jm.run_cli(["token", "create", "--name", "migrate"], data)  # creates and migrates
    assert p.returncode == 0, p.stderr
    db = jm.nl_db(data)
    jm.nl_settings(db, rate_per_sec=50, domain_rates="slow.example.net=2", **SENDER)
    lid = jm.nl_list(db, "rate", "速さ")
    fast = ["f%03d@example.org" % i for i in range(300)]
    slow = ["s%02d@slow.example.net" % i for i in range(12)]
    jm.nl_subscribers(db, lid, [(a, "", {}, []) for a in fast + slow])
    now = int(time.time())
    bid = db.execute("INSERT INTO broadcasts(list_id, subject, body_md, status, started_at, "
                     "created_at, updated_at) VALUES (?, '件名', '本文', 'sending', ?, ?, ?) "
                     "RETURNING id", (lid, now, now, now)).fetchone()[0]
    sink = Sink()
    sink.ctl.start()
    log_path = str(tmp_path / "worker.log")
    w = start_worker(data, None, sink.url, open(log_path, "ab"))
    try:
        jm.wait_until(lambda: db.execute("SELECT status FROM broadcasts WHERE id = ?",
                                         (bid,)).fetchone()[0] == "sent", 120,
                      what="the broadcast to finish")
        stop_worker(w, log_path)
    finally:
        if w.poll() is None:
            w.kill()
            w.wait()
        sink.ctl.stop()
    assert sorted(sink.rcpts) == sorted(fast + slow)
    rows = db.execute("SELECT domain, sent_ms FROM deliveries WHERE broadcast_id = ? "
                      "ORDER BY sent_ms", (bid,)).fetchall()
    assert all(ms is not None for _, ms in rows)
    assert worst_window([ms for _, ms in rows]) <= 50
    assert worst_window([ms for d, ms in rows if d == "slow.example.net"]) <= 2
    # A clean stop leaves no lease behind.
    assert db.execute("SELECT count(*) FROM send_workers").fetchone()[0] == 0
    db.close()
