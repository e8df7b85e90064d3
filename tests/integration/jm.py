"""Helpers for the black-box tests: run the real jinmyaku binary on a free
loopback port with a temporary data directory, talk HTTP to it with the
standard library only, and check its stderr for sanitizer reports.

Nothing here talks to anything but 127.0.0.1 (proxies are disabled).
"""
import http.client
import http.cookiejar
import json as jsonlib
import os
import re
import signal
import socket
import struct
import subprocess
import time
import urllib.parse
import urllib.request
from html.parser import HTMLParser

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "WARNING: ThreadSanitizer")
START_DEADLINE = 60.0   # seconds to wait for /healthz after start
STOP_DEADLINE = 30.0    # seconds to wait for exit after SIGTERM
HTTP_TIMEOUT = 60.0     # socket timeout per request (a hang fails, never blocks)


def jinmyaku_bin():
    b = os.environ.get("JINMYAKU_BIN") or os.path.join(ROOT, "build-asan", "jinmyaku")
    return os.path.abspath(b)


def sanitizer_env(data_dir=None):
    """The environment every jinmyaku process runs with: sanitizer options
    that turn any report into a failure, and none of the caller's JINMYAKU_*
    or proxy settings. With data_dir, on PostgreSQL (JM_TEST_ENGINE), also
    JINMYAKU_DB naming that data dir's own database (see db_url)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("JINMYAKU_") and "proxy" not in k.lower()}
    env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0:halt_on_error=1"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    supp = os.path.join(ROOT, "tests", "lsan.supp")
    if os.path.exists(supp):
        env["LSAN_OPTIONS"] = "suppressions=" + supp
    env["LC_ALL"] = "C.UTF-8"
    if data_dir is not None and ENGINE == "postgres":
        env["JINMYAKU_DB"] = db_url(data_dir)
    return env


# ---- the database engine under test ----
# JM_TEST_ENGINE=sqlite (default): each data dir holds its own jinmyaku.db.
# JM_TEST_ENGINE=postgres: each data dir gets a database of its own in the
# cluster at JM_TEST_PG_URL (postgres://USER@HOST:PORT/postgres), named
# PREFIX_ + sha1(realpath of the data dir)[:16] (JM_TEST_PG_PREFIX, default
# "jmt"), made on first use from PREFIX_tpl, a template migrated once per
# session (PREFIX_tpl_gwN per pytest-xdist worker; the data dirs of workers
# differ, so their databases do too); pg_drop_all() drops them at session
# end (conftest.py).

ENGINE = os.environ.get("JM_TEST_ENGINE", "sqlite")
if ENGINE not in ("sqlite", "postgres"):
    raise RuntimeError("JM_TEST_ENGINE must be sqlite or postgres, not %r" % ENGINE)
PG_URL = os.environ.get("JM_TEST_PG_URL", "postgres://jm@127.0.0.1:55432/postgres")
PG_PREFIX = os.environ.get("JM_TEST_PG_PREFIX", "jmt")
_pg = {"admin": None, "template": None, "created": set()}  # created: names to drop


def _pg_url(dbname):
    u = urllib.parse.urlsplit(PG_URL)
    return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + dbname, u.query, ""))


def _pg_admin():
    """An autocommit connection to the cluster's maintenance database."""
    import psycopg2
    if _pg["admin"] is None or _pg["admin"].closed:
        c = psycopg2.connect(PG_URL, connect_timeout=30)
        c.autocommit = True
        _pg["admin"] = c
    return _pg["admin"]


def _pg_ddl(sql):
    with _pg_admin().cursor() as cur:
        cur.execute(sql)


def _pg_template():
    """PREFIX_tpl, migrated by the binary under test (once per session; a
    failure is remembered and raised again for every later data dir)."""
    t = _pg["template"]
    if isinstance(t, Exception):
        raise t
    if t:
        return t
    import tempfile
    # one template per pytest-xdist worker (gw0, gw1, ...): a template in
    # use by one worker's CREATE DATABASE cannot be dropped by another's
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    name = PG_PREFIX + "_tpl" + ("_" + worker if worker else "")
    _pg_ddl('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
    _pg_ddl('CREATE DATABASE "%s"' % name)
    _pg["created"].add(name)
    with tempfile.TemporaryDirectory(prefix="jm-tpl-") as d:
        env = _plain_sanitizer_env()
        env["JINMYAKU_DB"] = _pg_url(name)
        # any command that opens the database migrates it; this one writes nothing
        p = subprocess.run([jinmyaku_bin(), "export", "people", "--data", os.path.join(d, "data")],
                           capture_output=True, text=True, env=env, timeout=300, cwd=ROOT)
    if p.returncode != 0 or sanitizer_reports(p.stderr):
        _pg["template"] = AssertionError(
            "migrating the PostgreSQL template database %s failed (exit %s):\n%s"
            % (name, p.returncode, p.stderr[-6000:]))
        raise _pg["template"]
    _pg["template"] = name
    return name


def db_name(data_dir):
    """The PostgreSQL database of data_dir (deterministic: the server and
    every CLI run on the same data dir share it)."""
    import hashlib
    real = os.path.realpath(os.path.abspath(str(data_dir)))
    return PG_PREFIX + "_" + hashlib.sha1(real.encode("utf-8")).hexdigest()[:16]


def db_url(data_dir):
    """JINMYAKU_DB for data_dir on PostgreSQL: its database, made fresh from
    the template the first time this session asks for it."""
    name = db_name(data_dir)
    if name not in _pg["created"]:
        tpl = _pg_template()
        _pg_ddl('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
        _pg_ddl('CREATE DATABASE "%s" TEMPLATE "%s"' % (name, tpl))
        _pg["created"].add(name)
    return _pg_url(name)


def pg_drop_all():
    """Drops every database this session made (and the template)."""
    pg_pool_close()
    if _pg["admin"] is None:
        return
    for n in sorted(_pg["created"]):
        _pg_ddl('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % n)
    _pg["created"].clear()
    _pg["template"] = None
    _pg["admin"].close()
    _pg["admin"] = None


def sanitizer_reports(text):
    """Lines of text that start a sanitizer report."""
    return [line for line in text.splitlines() if any(m in line for m in SANITIZER_MARKS)]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(args, data_dir=None, input=None, check_sanitizers=True, timeout=120):
    """Runs `jinmyaku ARGS [--data DIR]`; returns the CompletedProcess (text).
    Fails the calling test when the process printed a sanitizer report."""
    cmd = [jinmyaku_bin()] + list(args)
    if data_dir is not None:
        cmd += ["--data", data_dir]
    p = subprocess.run(cmd, input=input, capture_output=True, text=True,
                       env=sanitizer_env(data_dir), timeout=timeout, cwd=ROOT)
    if check_sanitizers:
        reports = sanitizer_reports(p.stderr)
        assert not reports, "sanitizer report from %s:\n%s" % (cmd, p.stderr)
    return p


class Server:
    """One `jinmyaku serve` process. start() waits until /healthz answers
    200; stop() sends SIGTERM and returns the exit code."""

    live = set()  # servers running now, checked after every test

    def __init__(self, data_dir, extra_args=()):
        self.data_dir = str(data_dir)
        self.extra_args = list(extra_args)
        self.port = None
        self.proc = None
        self.stderr_path = os.path.join(self.data_dir, "..",
                                        os.path.basename(self.data_dir) + ".stderr")
        self.stdout_path = self.stderr_path[:-len(".stderr")] + ".stdout"
        self.stderr_seen = 0

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self.port

    def url(self, path):
        return self.base + path

    def start(self):
        os.makedirs(self.data_dir, exist_ok=True)
        for attempt in range(3):
            self.port = free_port()
            cmd = [jinmyaku_bin(), "serve", "--data", self.data_dir,
                   "--listen", "127.0.0.1:%d" % self.port] + self.extra_args
            self._err = open(self.stderr_path, "ab")
            self._out = open(self.stdout_path, "ab")
            self.proc = subprocess.Popen(cmd, stdout=self._out, stderr=self._err,
                                         stdin=subprocess.DEVNULL, env=sanitizer_env(self.data_dir),
                                         cwd=ROOT)
            if self._wait_healthy():
                Server.live.add(self)
                return self
            # Lost the port to another process: try another one.
            if self.proc.poll() is not None and "ddress already in use" in self.stderr():
                self._close_files()
                continue
            break
        self.kill()
        raise AssertionError("jinmyaku did not become healthy on port %d (exit %s)\nstdout:\n%s\nstderr:\n%s"
                             % (self.port, self.proc.returncode, self.stdout(), self.stderr()[-6000:]))

    def _wait_healthy(self):
        deadline = time.monotonic() + START_DEADLINE
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                c.request("GET", "/healthz")
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def stdout(self):
        try:
            with open(self.stdout_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def new_sanitizer_reports(self):
        """Reports printed since the last call (for the per-test check)."""
        text = self.stderr()
        new = text[self.stderr_seen:]
        self.stderr_seen = len(text)
        return sanitizer_reports(new), new

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM, wait; returns the exit code (SIGKILL and -9 after the
        deadline)."""
        Server.live.discard(self)
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_DEADLINE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._close_files()
        return self.proc.returncode

    def kill(self):
        Server.live.discard(self)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close_files()

    def _close_files(self):
        for f in (getattr(self, "_err", None), getattr(self, "_out", None)):
            if f and not f.closed:
                f.close()

    def stop_and_check(self):
        """Stops the server; raises AssertionError unless it exited 0 with a
        stderr free of sanitizer reports."""
        rc = self.stop()
        err = self.stderr()
        reports = sanitizer_reports(err)
        assert not reports, "sanitizer report in jinmyaku's stderr:\n" + err[-20000:]
        assert rc == 0, "jinmyaku exited %s after SIGTERM; stderr:\n%s" % (rc, err[-6000:])

    # ---- CLI against this server's data dir ----
    def cli(self, *args, input=None, check_sanitizers=True):
        return run_cli(args, data_dir=self.data_dir, input=input,
                       check_sanitizers=check_sanitizers)

    def add_user(self, email, password, role="owner", name=None):
        args = ["user", "add", "--email", email, "--role", role]
        if name:
            args += ["--name", name]
        p = self.cli(*args, input=password + "\n")
        assert p.returncode == 0, "user add failed: %s" % p.stderr
        return p

    def create_token(self, name="tests"):
        p = self.cli("token", "create", "--name", name)
        assert p.returncode == 0, "token create failed: %s" % p.stderr
        tok = p.stdout.strip().splitlines()[-1].strip()
        assert tok, "token create printed nothing"
        return tok

    # ---- HTTP ----
    def client(self, **kw):
        return Client(self.base, **kw)

    def raw(self, method, path, headers=None, body=None):
        """Sends path exactly as given (no normalisation) with http.client."""
        return raw_request(self.port, method, path, headers=headers, body=body)


class Response:
    def __init__(self, status, headers, body, url, history=()):
        self.status = status
        self.headers = headers
        self.body = body
        self.url = url
        self.history = list(history)

    @property
    def text(self):
        return self.body.decode("utf-8")

    def json(self):
        return jsonlib.loads(self.body.decode("utf-8"))

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def header_all(self, name):
        return self.headers.get_all(name) or []

    def __repr__(self):
        return "<Response %s %s>" % (self.status, self.url)


def raw_request(port, method, path, headers=None, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
    try:
        c.putrequest(method, path, skip_accept_encoding=True)
        h = dict(headers or {})
        if body is not None:
            h.setdefault("Content-Length", str(len(body)))
        for k, v in h.items():
            c.putheader(k, v)
        c.endheaders(body)
        r = c.getresponse()
        data = r.read()
        return Response(r.status, r.headers, data, path)
    finally:
        c.close()


class _PassThrough(urllib.request.HTTPErrorProcessor):
    """Hands every status back to the caller (no exceptions, no automatic
    redirects: Client follows them itself so it can stop when asked)."""

    def http_response(self, request, response):
        return response

    https_response = http_response


class Client:
    """A browser-like HTTP client: keeps cookies (http.cookiejar), follows
    redirects unless told not to, never raises on an HTTP status."""

    def __init__(self, base, headers=None):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.headers = dict(headers or {})
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPCookieProcessor(self.jar),
            _PassThrough())

    def cookie(self, name):
        for c in self.jar:
            if c.name == name:
                return c.value
        return None

    def cookies(self):
        return {c.name: c.value for c in self.jar}

    def request(self, method, path, body=None, headers=None, form=None, json=None,
                follow=True, max_redirects=10):
        h = dict(self.headers)
        h.update(headers or {})
        if form is not None:
            body = urllib.parse.urlencode(form, encoding="utf-8").encode("ascii")
            h.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif json is not None:
            body = jsonlib.dumps(json, ensure_ascii=False).encode("utf-8")
            h.setdefault("Content-Type", "application/json")
        url = path if path.startswith("http") else self.base + path
        history = []
        for _ in range(max_redirects + 1):
            req = urllib.request.Request(url, data=body, headers=h, method=method)
            with self.opener.open(req, timeout=HTTP_TIMEOUT) as r:
                resp = Response(r.status, r.headers, r.read(), url, history)
            loc = resp.header("Location")
            if not follow or resp.status not in (301, 302, 303, 307, 308) or not loc:
                return resp
            history.append(resp)
            url = urllib.parse.urljoin(url, loc)
            assert url.startswith(self.base), "redirect leaves the test server: " + url
            if resp.status in (301, 302, 303):
                method, body = ("GET" if method != "HEAD" else "HEAD"), None
                h.pop("Content-Type", None)
        raise AssertionError("too many redirects from " + path)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def head(self, path, **kw):
        return self.request("HEAD", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    # ---- forms ----
    def get_form(self, page, **match):
        """GETs page and returns (response, Form) for the first form matching
        (see find_form)."""
        r = self.get(page)
        assert r.status == 200, "GET %s -> %s" % (page, r.status)
        f = find_form(r.text, **match)
        assert f is not None, "no form matching %r on %s:\n%s" % (match, page, r.text[:3000])
        f.page = r.url
        return r, f

    def submit(self, form, updates=None, drop=(), follow=True, headers=None):
        """POSTs form (from get_form) with its current values, updated."""
        fields = form.pairs(updates or {}, drop=drop)
        action = urllib.parse.urljoin(form.page, form.action or form.page)
        return self.request(form.method.upper(), action, form=fields, follow=follow,
                            headers=headers)


class Api:
    """JSON API client with a bearer token."""

    def __init__(self, base, token):
        self.base = base
        self.token = token
        self.client = Client(base)

    def _h(self, headers, token):
        h = {"Accept": "application/json"}
        tok = self.token if token is ... else token
        if tok is not None:
            h["Authorization"] = "Bearer " + tok
        h.update(headers or {})
        return h

    def get(self, path, headers=None, token=...):
        return self.client.request("GET", path, headers=self._h(headers, token), follow=False)

    def post(self, path, obj=None, headers=None, token=..., body=None):
        return self._send("POST", path, obj, headers, token, body)

    def patch(self, path, obj=None, headers=None, token=..., body=None):
        return self._send("PATCH", path, obj, headers, token, body)

    def put(self, path, obj=None, headers=None, token=..., body=None):
        return self._send("PUT", path, obj, headers, token, body)

    def delete(self, path, headers=None, token=...):
        return self.client.request("DELETE", path, headers=self._h(headers, token), follow=False)

    def _send(self, method, path, obj, headers, token, body):
        h = self._h(headers, token)
        if body is None:
            body = jsonlib.dumps(obj, ensure_ascii=False).encode("utf-8")
        h.setdefault("Content-Type", "application/json")
        return self.client.request(method, path, body=body, headers=h, follow=False)

    # convenience
    def create_article(self, **fields):
        r = self.post("/api/v1/articles", fields)
        assert r.status == 201, "create article: %s %s" % (r.status, r.body[:500])
        return r.json()

    def publish(self, **fields):
        fields.setdefault("status", "published")
        fields.setdefault("body", "本文です。")
        return self.create_article(**fields)


# ---- HTML forms ----

class Form:
    def __init__(self, attrs):
        self.attrs = attrs
        self.action = attrs.get("action") or ""
        self.method = attrs.get("method") or "get"
        self.fields = []      # [name, value, type] in document order
        self.buttons = []     # (name, value) of named submit buttons
        self.page = None

    def get(self, name, default=None):
        for n, v, _ in self.fields:
            if n == name:
                return v
        return default

    def names(self):
        return [n for n, _, _ in self.fields]

    def set(self, name, value):
        """Sets the first field called name (as a script on the page would)."""
        for f in self.fields:
            if f[0] == name:
                f[1] = value
                return
        raise KeyError(name)

    def has(self, name):
        return name in self.names()

    def pairs(self, updates, drop=()):
        """Field pairs to submit: current values, names in updates replaced
        (a list value gives repeated fields), new names appended, names in
        drop removed."""
        out, done = [], set()
        for n, v, _ in self.fields:
            if n in drop:
                continue
            if n in updates:
                if n in done:
                    continue
                done.add(n)
                val = updates[n]
                for x in (val if isinstance(val, (list, tuple)) else [val]):
                    if x is not None:
                        out.append((n, x))
            else:
                out.append((n, v))
        for n, val in updates.items():
            if n not in done and n not in self.names() and n not in drop:
                for x in (val if isinstance(val, (list, tuple)) else [val]):
                    if x is not None:
                        out.append((n, x))
        return out


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self.cur = None
        self.textarea = None
        self.select = None
        self.option = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.cur = Form(a)
            self.forms.append(self.cur)
            return
        f = self.cur
        if f is None:
            return
        if tag == "input":
            t = a.get("type", "text").lower()
            n = a.get("name")
            if not n or t in ("file", "image", "reset"):
                return
            if t in ("submit", "button"):
                f.buttons.append((n, a.get("value", "")))
                return
            if t in ("checkbox", "radio") and "checked" not in a:
                return
            f.fields.append([n, a.get("value", "on" if t in ("checkbox", "radio") else ""), t])
        elif tag == "button":
            if a.get("name") and a.get("type", "submit").lower() == "submit":
                f.buttons.append((a["name"], a.get("value", "")))
        elif tag == "textarea" and a.get("name"):
            self.textarea = [a["name"], "", "textarea"]
            f.fields.append(self.textarea)
        elif tag == "select" and a.get("name"):
            self.select = {"name": a["name"], "first": None, "chosen": None}
        elif tag == "option" and self.select is not None:
            self.option = {"value": a.get("value"), "text": "", "selected": "selected" in a}

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data
        if self.option is not None:
            self.option["text"] += data

    def _close_option(self):
        o, s = self.option, self.select
        if o is None or s is None:
            return
        v = o["value"] if o["value"] is not None else o["text"].strip()
        if s["first"] is None:
            s["first"] = v
        if o["selected"]:
            s["chosen"] = v
        self.option = None

    def handle_endtag(self, tag):
        if tag == "textarea" and self.textarea is not None:
            # HTML drops one newline right after <textarea>.
            if self.textarea[1].startswith("\n"):
                self.textarea[1] = self.textarea[1][1:]
            self.textarea = None
        elif tag == "option":
            self._close_option()
        elif tag == "select" and self.select is not None:
            self._close_option()
            s = self.select
            v = s["chosen"] if s["chosen"] is not None else s["first"]
            if v is not None and self.cur is not None:
                self.cur.fields.append([s["name"], v, "select"])
            self.select = None
        elif tag == "form":
            self.cur = None


def parse_forms(html):
    p = _FormParser()
    p.feed(html)
    p.close()
    return p.forms


def find_form(html, action=None, field=None, method=None):
    """First form whose action contains `action`, which has a field named
    `field`, and whose method is `method` (each given criterion must hold)."""
    for f in parse_forms(html):
        if action is not None and action not in f.action:
            continue
        if field is not None and not (f.has(field) or field in [b[0] for b in f.buttons]):
            continue
        if method is not None and f.method.lower() != method.lower():
            continue
        return f
    return None


def csrf_of(html):
    m = re.search(r'<input[^>]*name="_csrf"[^>]*>', html)
    if not m:
        return None
    v = re.search(r'value="([^"]*)"', m.group(0))
    return v.group(1) if v else None


def wait_until(fn, deadline_s=30.0, interval=0.2, what="condition"):
    """Polls fn() until it returns a truthy value; returns it. Fails after
    deadline_s (a deadline for the poll loop, not a timing assertion)."""
    end = time.monotonic() + deadline_s
    last = None
    while True:
        last = fn()
        if last:
            return last
        if time.monotonic() > end:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(interval)


_counter = [0]


def uniq(prefix="t"):
    """A fresh slug-safe identifier."""
    _counter[0] += 1
    return "%s-%d-%d" % (prefix, os.getpid() % 100000, _counter[0])


# ---- reading pages ----

class _PageParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.meta = {}        # property or name -> content (first wins)
        self.links = {}       # rel -> [href]
        self.ld_json = []     # contents of <script type="application/ld+json">
        self.anchors = []     # (href, text)
        self.ids = set()
        self.title = ""
        self.html_lang = None
        self.scripts = []     # (attrs, text) of every <script>
        self._in = None
        self._text = ""
        self._a = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "html":
            self.html_lang = a.get("lang")
        elif tag == "meta":
            key = a.get("property") or a.get("name")
            if key and key not in self.meta:
                self.meta[key] = a.get("content", "")
        elif tag == "link":
            for rel in a.get("rel", "").split():
                self.links.setdefault(rel, []).append(a.get("href", ""))
        elif tag in ("script", "title"):
            self._in = (tag, a)
            self._text = ""
        elif tag == "a":
            self._a = [a.get("href", ""), ""]

    def handle_data(self, data):
        if self._in:
            self._text += data
        if self._a is not None:
            self._a[1] += data

    def handle_endtag(self, tag):
        if self._in and tag == self._in[0]:
            if tag == "title":
                self.title = self._text
            else:
                self.scripts.append((self._in[1], self._text))
                if self._in[1].get("type") == "application/ld+json":
                    self.ld_json.append(self._text)
            self._in = None
        elif tag == "a" and self._a is not None:
            self.anchors.append(tuple(self._a))
            self._a = None


def parse_page(html):
    p = _PageParser()
    p.feed(html)
    p.close()
    return p


# ---- extra environment for a process (mail delivery tests) ----

EXTRA_ENV = {}  # merged into sanitizer_env() while set (EnvServer.start)
_plain_sanitizer_env = sanitizer_env


def sanitizer_env(data_dir=None):  # noqa: F811 — wraps the definition above
    env = _plain_sanitizer_env(data_dir)
    env.update(EXTRA_ENV)
    return env


class EnvServer(Server):
    """A Server whose process gets extra environment variables (e.g.
    JINMYAKU_SMTP_URL pointing at a capture server)."""

    def __init__(self, data_dir, extra_args=(), env=None):
        super().__init__(data_dir, extra_args)
        self.env = dict(env or {})

    def start(self):
        saved = dict(EXTRA_ENV)
        EXTRA_ENV.update(self.env)
        try:
            return super().start()
        finally:
            EXTRA_ENV.clear()
            EXTRA_ENV.update(saved)


# ---- the database, read and written straight by tests ----

def _placeholders(sql):
    """sqlite3's ? placeholders as psycopg2's %s (outside quotes), every
    literal % doubled."""
    out, quote = [], None
    for ch in sql:
        if quote:
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
        elif ch == "?":
            out.append("%s")
            continue
        out.append("%%" if ch == "%" else ch)
    return "".join(out)


class PgCursor:
    """The parts of sqlite3.Cursor tests use, over a psycopg2 cursor: a
    statement without a result set fetches None / []."""

    def __init__(self, cur):
        self._cur = cur

    def fetchone(self):
        return self._cur.fetchone() if self._cur.description else None

    def fetchall(self):
        return self._cur.fetchall() if self._cur.description else []

    def __iter__(self):
        return iter(self.fetchall())

    @property
    def rowcount(self):
        return self._cur.rowcount

    @property
    def description(self):
        return self._cur.description

    @property
    def lastrowid(self):
        raise AttributeError("lastrowid does not work on PostgreSQL: end the INSERT with "
                             "RETURNING id and fetch it (works on both engines)")

    def close(self):
        self._cur.close()


def _numeric(v, cur):
    if v is None:
        return None
    import decimal
    d = decimal.Decimal(v)
    return int(d) if d == d.to_integral_value() else float(d)


_pg_pool = {}  # database URL -> idle psycopg2 connections (PgConnection.close)


def pg_pool_close():
    for conns in _pg_pool.values():
        for c in conns:
            c.close()
    _pg_pool.clear()


class PgConnection:
    """A psycopg2 connection that behaves like the sqlite3 one tests use:
    execute(sql, params) with ? placeholders returns a cursor; autocommit,
    so an explicit BEGIN ... COMMIT is a transaction and commit() commits
    one left open; used as a context manager it commits (or rolls back)
    without closing, like sqlite3."""

    def __init__(self, url):
        import psycopg2
        import psycopg2.extensions as ext
        self._url = url
        idle = _pg_pool.get(url)
        if idle:
            self._conn = idle.pop()
            return
        self._conn = psycopg2.connect(url, connect_timeout=30)
        self._conn.autocommit = True
        # sum()/avg() give numeric: integral -> int, else float (as SQLite);
        # bytea -> bytes
        num = ext.new_type(ext.DECIMAL.values, "JM_NUMERIC", _numeric)
        ext.register_type(num, self._conn)
        byt = ext.new_type(psycopg2.BINARY.values, "JM_BYTES",
                           lambda v, c: None if v is None else bytes(psycopg2.BINARY(v, c)))
        ext.register_type(byt, self._conn)

    @staticmethod
    def _params(params):
        return tuple(int(p) if isinstance(p, bool) else p for p in params)

    def execute(self, sql, params=()):
        cur = self._conn.cursor()
        if params:
            cur.execute(_placeholders(sql), self._params(params))
        else:
            cur.execute(sql)
        return PgCursor(cur)

    def executemany(self, sql, seq):
        cur = self._conn.cursor()
        cur.executemany(_placeholders(sql), [self._params(p) for p in seq])
        return PgCursor(cur)

    @property
    def in_transaction(self):
        import psycopg2.extensions as ext
        return self._conn.info.transaction_status != ext.TRANSACTION_STATUS_IDLE

    def commit(self):
        if self.in_transaction:
            self.execute("COMMIT")

    def rollback(self):
        if self.in_transaction:
            self.execute("ROLLBACK")

    def close(self):
        """Keeps an idle connection for the next db_connect of the same
        database (a new one costs tens of milliseconds: q1 in a loop)."""
        if self._conn is None:
            return
        if not self._conn.closed and not self.in_transaction:
            _pg_pool.setdefault(self._url, []).append(self._conn)
        else:
            self._conn.close()
        self._conn = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.commit()
        else:
            self.rollback()
        return False


def db_connect(data_dir, timeout=30, isolation_level=""):
    """A connection to data_dir's database on the engine under test: on
    SQLite the sqlite3 connection to DATA/jinmyaku.db (timeout and
    isolation_level as sqlite3.connect takes them; "" is its default), on
    PostgreSQL a PgConnection to the data dir's database. Write SQL both
    engines run (ON CONFLICT, RETURNING id; no PRAGMA, rowid, strftime)."""
    if ENGINE == "postgres":
        return PgConnection(db_url(data_dir))
    import sqlite3
    return sqlite3.connect(os.path.join(str(data_dir), "jinmyaku.db"), timeout=timeout,
                           isolation_level=isolation_level)


def nl_db(data_dir):
    """db_connect in autocommit mode (explicit BEGIN/COMMIT for transactions)."""
    return db_connect(data_dir, isolation_level=None)


def nl_settings(db, **kv):
    for k, v in kv.items():
        db.execute("INSERT INTO settings(key, value) VALUES (?, ?) "
                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (k, str(v)))


def nl_list(db, slug, name, charset="utf-8", fields=()):
    now = int(time.time())
    lid = db.execute("INSERT INTO lists(slug, name, charset, created_at, updated_at) "
                     "VALUES (?, ?, ?, ?, ?) RETURNING id",
                     (slug, name, charset, now, now)).fetchone()[0]
    for i, key in enumerate(fields):
        db.execute("INSERT INTO list_fields(list_id, key, label, type, position) "
                   "VALUES (?, ?, ?, 'text', ?)", (lid, key, key, i))
    return lid


def nl_subscribers(db, list_id, rows, status="active"):
    """rows: [(email, name, {field: value}, [tags])]; one transaction.
    Returns {email: subscription_id}."""
    now = int(time.time())
    out = {}
    # IMMEDIATE on SQLite: the write lock is taken at BEGIN, waiting for the
    # server's short writes (the worker's claims poll every few hundred ms);
    # a deferred BEGIN whose first INSERT meets a write committed meanwhile
    # fails at once with "database is locked", without waiting.
    db.execute("BEGIN IMMEDIATE" if ENGINE == "sqlite" else "BEGIN")
    try:
        _nl_subscribers_rows(db, list_id, rows, status, now, out)
    except BaseException:
        db.execute("ROLLBACK")  # never leave the caller's connection inside a transaction
        raise
    db.execute("COMMIT")
    return out


def _nl_subscribers_rows(db, list_id, rows, status, now, out):
    for email, name, fields, tags in rows:
        pid = db.execute("INSERT INTO people(email, name, created_at, updated_at) "
                         "VALUES (?, ?, ?, ?) ON CONFLICT(email) DO UPDATE SET name = people.name "
                         "RETURNING id", (email, name, now, now)).fetchone()[0]
        for k, v in (fields or {}).items():
            db.execute("INSERT INTO person_fields(person_id, key, value) VALUES (?, ?, ?) "
                       "ON CONFLICT(person_id, key) DO UPDATE SET value = excluded.value",
                       (pid, k, v))
        for t in tags or ():
            db.execute("INSERT INTO person_tags(person_id, tag) VALUES (?, ?) "
                       "ON CONFLICT DO NOTHING", (pid, t))
        out[email] = db.execute(
            "INSERT INTO subscriptions(person_id, list_id, status, created_at, updated_at, "
            "consent_at, consent_source) VALUES (?, ?, ?, ?, ?, ?, 'test') RETURNING id",
            (pid, list_id, status, now, now, now)).fetchone()[0]


# ---- one value straight from the database, and uploads ----

def q1(data_dir, sql, *args):
    """First column of the first row of sql on data_dir's database (None: no row)."""
    c = db_connect(data_dir)
    try:
        row = c.execute(sql, args).fetchone()
        return row[0] if row else None
    finally:
        c.close()


def qall(data_dir, sql, *args):
    """Every row of sql on data_dir's database, as a list of tuples."""
    c = db_connect(data_dir)
    try:
        return c.execute(sql, args).fetchall()
    finally:
        c.close()


def multipart(fields, files, file_type="application/octet-stream"):
    """(body, content type) of a multipart/form-data request; files:
    {field: (filename, bytes)}, each sent as file_type."""
    import uuid
    b = "----jmtest" + uuid.uuid4().hex
    out = []
    for k, v in fields.items():
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n" % (b, k)).encode()
                   + v.encode("utf-8") + b"\r\n")
    for k, (name, data) in files.items():
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                    "Content-Type: %s\r\n\r\n" % (b, k, name, file_type)).encode()
                   + data + b"\r\n")
    out.append(("--%s--\r\n" % b).encode())
    return b"".join(out), "multipart/form-data; boundary=" + b


# ---- the contact form (inbox) ----

def form_stamp(secret, purpose, t, nonce=None):
    """A public form's stamp as src/auth/stamp.c mints it: "TIME.NONCE.MAC",
    NONCE 16 base64url characters, MAC = first 32 hex digits of keyed
    BLAKE2b over "stamp:PURPOSE:TIME:NONCE" with DATA/secret."""
    import base64
    import hashlib
    if nonce is None:
        nonce = base64.urlsafe_b64encode(os.urandom(12)).decode().rstrip("=")
    mac = hashlib.blake2b(("stamp:%s:%d:%s" % (purpose, t, nonce)).encode(), key=secret,
                          digest_size=32).hexdigest()[:32]
    return "%d.%s.%s" % (t, nonce, mac)


def form_stamp_time(secret, purpose, stamp):
    """The issue time of a stamp the server signed for purpose, else None."""
    parts = (stamp or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit():
        return None
    t = int(parts[0])
    return t if form_stamp(secret, purpose, t, parts[1]) == stamp else None


def contact_token(secret, t):
    """A fresh contact-form stamp issued at t (purpose "contact"); each one
    can be sent once."""
    return form_stamp(secret, "contact", t)


def mail_env(root, sender, base=None, owner="owner@example.com",
             password="correct horse battery staple", headers=None):
    """A server whose mail goes to a capture server, with the owner (and so
    the database) and the sender settings (rate_per_sec 0 unless sender
    says) made before its worker starts, so its first batch already sends
    from the site's sender. base: its --base-url (None: links point at
    http://LISTEN). Returns dict(cap, srv, db, secret, web); close it with
    mail_env_close."""
    import smtp_capture
    cap = smtp_capture.Capture(root / "mail").start()
    data = str(root / "data")
    srv = EnvServer(data, ["--base-url", base] if base else [],
                    env={"JINMYAKU_SMTP_URL": cap.url, "JINMYAKU_RETRY_BASE_MS": "100"})
    srv.add_user(owner, password, name="オーナー")
    db = nl_db(data)
    nl_settings(db, **dict(dict(rate_per_sec=0), **sender))
    srv.start()
    with open(os.path.join(data, "secret"), "rb") as f:
        secret = f.read()
    return dict(cap=cap, srv=srv, db=db, secret=secret, web=srv.client(headers=headers))


def contact_env(root, base, owner, password, sender, headers=None):
    """mail_env for the contact-form tests (always with a base URL)."""
    return mail_env(root, sender, base, owner, password, headers)


def mail_env_close(env):
    env["srv"].stop_and_check()
    env["cap"].stop()
    env["db"].close()


contact_env_close = mail_env_close


def hang_up(port, path, headers=None):
    """Sends one GET and closes the connection with a RST without reading
    the answer (work deferred to the worker pool is then still running)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        head = "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % path
        head += "".join("%s: %s\r\n" % kv for kv in (headers or {}).items()) + "\r\n"
        s.sendall(head.encode("utf-8"))
        # RST instead of FIN: the server learns of it at once
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        s.close()
