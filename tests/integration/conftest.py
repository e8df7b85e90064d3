"""Fixtures for the black-box tests.

server   one `jinmyaku serve` per test module (ASan+UBSan build, temp data
         dir, free loopback port); stopped with SIGTERM at module teardown,
         which fails unless it exits 0 with no sanitizer report
owner    the owner account, created with `jinmyaku user add` (module)
admin    a Client signed in to /admin as the owner (module)
api      an Api client with a token from `jinmyaku token create` (module)
make_server  a factory for dedicated servers (extra flags, no users, ...)

After every test the stderr of each running server is checked, so a
sanitizer report fails the test that caused it.

Engines: JM_TEST_ENGINE=postgres runs every test on PostgreSQL (one
database per data dir, jm.db_url; dropped at session end). A test that is
about SQLite itself carries @pytest.mark.sqlite_only and is skipped there.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import jm  # noqa: E402

OWNER_EMAIL = "owner@example.com"
OWNER_PASSWORD = "correct horse battery staple"


class Owner:
    def __init__(self, email, password):
        self.email = email
        self.password = password


def pytest_sessionstart(session):
    b = jm.jinmyaku_bin()
    if not os.access(b, os.X_OK):
        raise pytest.UsageError("jinmyaku binary not found at %s (set JINMYAKU_BIN or run make asan)" % b)
    if jm.ENGINE == "postgres":
        try:
            jm._pg_admin()
        except Exception as e:
            raise pytest.UsageError("JM_TEST_ENGINE=postgres but no PostgreSQL at %s: %s"
                                    % (jm.PG_URL, e))


def pytest_sessionfinish(session, exitstatus):
    """Drops the per-data-dir databases (a long suite would fill the cluster)."""
    if jm.ENGINE == "postgres":
        for s in list(jm.Server.live):
            s.kill()
        jm.pg_drop_all()


def pytest_report_header(config):
    return "jinmyaku engine: %s%s" % (jm.ENGINE, " (%s)" % jm.PG_URL if jm.ENGINE == "postgres" else "")


# The files that take longest (a minute or more on a quiet machine): on
# pytest-xdist workers (scripts/run-tests, --dist loadfile) they are handed
# out first, so no worker is left running one of them alone at the end.
# Only the order of files changes; a file's tests keep theirs.
SLOW_FILES_FIRST = ("test_netsafe.py", "test_delivery.py", "test_nodes.py", "test_media.py",
                    "test_import_wordpress.py", "test_import_hatena.py", "test_import_bulk.py",
                    "test_resume.py", "test_cluster_send.py", "test_admin_shell.py")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("PYTEST_XDIST_WORKER"):
        rank = {name: i for i, name in enumerate(SLOW_FILES_FIRST)}
        items.sort(key=lambda it: rank.get(os.path.basename(str(it.fspath)), len(rank)))
    if jm.ENGINE != "postgres":
        return
    for item in items:
        m = item.get_closest_marker("sqlite_only")
        if m is not None:
            why = m.args[0] if m.args else "about the SQLite file itself"
            item.add_marker(pytest.mark.skip(reason="sqlite_only: " + why))


@pytest.fixture(autouse=True)
def _no_sanitizer_reports():
    yield
    for s in list(jm.Server.live):
        reports, text = s.new_sanitizer_reports()
        assert not reports, "sanitizer report while this test ran:\n" + text[-20000:]


def _start(tmp_path_factory, extra_args=()):
    d = tmp_path_factory.mktemp("jm")
    return jm.Server(str(d / "data"), extra_args).start()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = _start(tmp_path_factory)
    yield s
    s.stop_and_check()


@pytest.fixture
def make_server(tmp_path_factory):
    """make_server(*extra_args) starts a dedicated server, stopped (and
    checked) when the test ends."""
    started = []

    def make(*extra_args):
        s = _start(tmp_path_factory, extra_args)
        started.append(s)
        return s

    yield make
    errors = []
    for s in started:
        try:
            s.stop_and_check()
        except AssertionError as e:
            errors.append(str(e))
    assert not errors, "\n".join(errors)


def login(client, email, password):
    """Signs in through the login form; returns the final response."""
    r, form = client.get_form("/admin/login", field="password")
    assert form.has("_csrf"), "login form has no _csrf field"
    return client.submit(form, {"email": email, "password": password})


@pytest.fixture(scope="module")
def owner(server):
    server.add_user(OWNER_EMAIL, OWNER_PASSWORD, role="owner", name="オーナー")
    return Owner(OWNER_EMAIL, OWNER_PASSWORD)


@pytest.fixture(scope="module")
def admin(server, owner):
    c = server.client()
    r = login(c, owner.email, owner.password)
    assert r.status == 200, "login failed: %s %s" % (r.status, r.text[:2000])
    assert "/admin/login" not in r.url, "login did not leave the login page"
    return c


@pytest.fixture(scope="module")
def api(server, owner):
    return jm.Api(server.base, server.create_token("tests"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure (or a fixture's), shows the tail of every running
    server's stderr."""
    outcome = yield
    rep = outcome.get_result()
    if rep.when in ("setup", "call") and rep.failed:
        for s in list(jm.Server.live):
            tail = "\n".join(s.stderr().splitlines()[-40:])
            rep.sections.append(("jinmyaku stderr (port %d)" % s.port, tail))
