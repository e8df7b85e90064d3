"""Helpers shared by the benchmarks under bench/ (run with /usr/bin/python3)."""
import http.client
import os
import socket
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.abspath(os.environ.get("BENCH_BIN") or os.path.join(ROOT, "build", "jinmyaku"))


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port, path, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def wait_for(port, path, deadline_s, proc):
    """Polls http://127.0.0.1:port/path until 200; False if proc exits or time runs out."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        try:
            if http_get(port, path)[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("JINMYAKU_") and "proxy" not in k.lower()}
    env.update(extra)
    return env


def cli(args, data, input=None, env=None, timeout=600, db=None):
    p = subprocess.run([BIN] + args + ["--data", data] + (["--db", db] if db else []), input=input, capture_output=True,
                       text=True, env=env or clean_env(), cwd=ROOT, timeout=timeout)
    if p.returncode != 0:
        sys.exit("bench: jinmyaku %s failed: %s" % (" ".join(args), p.stderr.strip()))
    return p.stdout


def proc_status_kib(pid, field):
    """VmRSS / VmHWM (peak) of a live process, in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def require_bin():
    if not os.access(BIN, os.X_OK):
        sys.exit("bench: %s not found: run `make` first" % BIN)


class Stopped(KeyboardInterrupt):
    """A stop asked from outside: not a failure of one engine (SystemExit),
    so nothing catches it but the cleanup on the way out."""


def stop_on_sigterm():
    """SIGTERM/SIGHUP end the run like Ctrl-C does, so every `finally:` (the
    servers, the throwaway PostgreSQL cluster, the temp dirs) still runs."""
    import signal

    def _exit(signum, frame):
        raise Stopped("bench: stopped by signal %d" % signum)
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, _exit)


class PgCluster:
    """A throwaway PostgreSQL 15 cluster (scripts/pg-cluster) in a temp dir on a
    free loopback port; `with PgCluster() as pg:` stops and removes it however
    the block ends. pg.url(DB) makes database DB and gives its URL. The cluster
    runs with fsync off (scripts/pg-cluster): the tables say so."""

    def __init__(self):
        import tempfile
        self.parent = tempfile.mkdtemp(prefix="jm-bench-pg-")
        os.chmod(self.parent, 0o755)  # the cluster runs as nobody when we are root
        self.dir = os.path.join(self.parent, "cluster")
        self.port = free_port()
        self.started = False

    def __enter__(self):
        script = os.path.join(ROOT, "scripts", "pg-cluster")
        log("starting a throwaway PostgreSQL cluster on port %d" % self.port)
        p = subprocess.run([script, "start", self.dir, str(self.port)], capture_output=True,
                           text=True, timeout=180)
        self.started = True
        if p.returncode != 0:
            self.__exit__(None, None, None)
            sys.exit("bench: scripts/pg-cluster start failed: " + (p.stderr or p.stdout).strip())
        return self

    def __exit__(self, *exc):
        import shutil
        if self.started:
            subprocess.run([os.path.join(ROOT, "scripts", "pg-cluster"), "stop", self.dir],
                           capture_output=True, timeout=120)
            self.started = False
        shutil.rmtree(self.parent, ignore_errors=True)
        return False

    def url(self, db):
        base = "postgres://jm@127.0.0.1:%d/" % self.port
        self.sql("postgres", "DROP DATABASE IF EXISTS %s" % db)
        self.sql("postgres", "CREATE DATABASE %s" % db)
        return base + db

    def sql(self, db, text):
        """Runs SQL with psql (-At: bare rows); returns stdout."""
        p = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                            "postgres://jm@127.0.0.1:%d/%s" % (self.port, db), "-c", text],
                           capture_output=True, text=True, timeout=3600)
        if p.returncode != 0:
            sys.exit("bench: psql failed on %s: %s" % (text[:200], p.stderr.strip()))
        return p.stdout


def pg_refusal(pg):
    """None when this jinmyaku runs on PostgreSQL, else the reason it gives
    (tried on a scratch database of the cluster, dropped afterwards)."""
    import shutil
    data = os.path.join(pg.parent, "probe-data")
    p = subprocess.run([BIN, "token", "create", "--name", "probe", "--data", data,
                        "--db", pg.url("bench_probe")], capture_output=True, text=True,
                       env=clean_env(), cwd=ROOT, timeout=300)
    shutil.rmtree(data, ignore_errors=True)
    pg.sql("postgres", "DROP DATABASE bench_probe")
    if p.returncode != 0:
        return (p.stderr + p.stdout).strip().splitlines()[-1]
    return None


class Db:
    """The app's database seen from a benchmark, on either engine: SQL with `?`
    placeholders that both engines read the same way (no strftime, no
    json_object: values are computed here). Each call commits."""

    def __init__(self, data=None, url=None):
        self.url = url
        if url:
            import psycopg2
            self.conn = psycopg2.connect(url)
        else:
            import sqlite3
            self.conn = sqlite3.connect(os.path.join(data, "jinmyaku.db"), timeout=60)

    def _sql(self, sql):
        return sql.replace("?", "%s") if self.url else sql

    def exec(self, sql, args=()):
        cur = self.conn.cursor()
        cur.execute(self._sql(sql), args)
        self.conn.commit()
        return cur

    def insert(self, sql, args=()):
        """INSERT …; returns the new row's id."""
        if self.url:
            return self.exec(sql + " RETURNING id", args).fetchone()[0]
        return self.exec(sql, args).lastrowid

    def one(self, sql, args=()):
        return self.exec(sql, args).fetchone()[0]

    def close(self):
        self.conn.close()


def run_measured(cmd, env=None, **kw):
    """Runs cmd to its end; returns (seconds, peak RSS in KiB of that process
    alone, CompletedProcess-like (returncode, stdout, stderr))."""
    import tempfile
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env or clean_env(), cwd=ROOT, **kw)
        _, status, ru = os.wait4(p.pid, 0)
        secs = time.monotonic() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return secs, ru.ru_maxrss, (p.returncode, out.read().decode(errors="replace"),
                                    err.read().decode(errors="replace"))


def copy_table(sqlite_path, pg_url, table):
    """Copies every row of table from a SQLite installation into the same table
    of a PostgreSQL one (the columns both have, ids kept, COPY so the schema's
    triggers run as the inserts' did), then moves the identity past the ids."""
    import csv
    import sqlite3
    import psycopg2
    src = sqlite3.connect(sqlite_path)
    dst = psycopg2.connect(pg_url)
    with dst.cursor() as cur:
        cur.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s",
                    (table,))
        pg_cols = {r[0] for r in cur.fetchall()}
    cols = [r[1] for r in src.execute("PRAGMA table_info(%s)" % table) if r[1] in pg_cols]
    path = sqlite_path + ".copy.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        for row in src.execute("SELECT %s FROM %s" % (", ".join(cols), table)):
            w.writerow(["\\N" if v is None else v for v in row])
    with dst.cursor() as cur, open(path, encoding="utf-8") as f:
        cur.copy_expert("COPY %s(%s) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
                        % (table, ", ".join(cols)), f)
        if "id" in cols:
            cur.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                        "(SELECT coalesce(max(id), 1) FROM " + table + "))", (table,))
    dst.commit()
    dst.close()
    src.close()
    os.remove(path)


def short(e, keep=300):
    """An error's text for a table line: one line, its start and its end."""
    msg = " ".join(str(e).split())
    return msg if len(msg) <= 2 * keep else msg[:keep] + " … " + msg[-keep:]
