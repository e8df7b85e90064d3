"""Settings through the API (GET/PATCH /api/v1/settings, owner tokens only,
secrets write-only) and the CLI (`jinmyaku settings get|set`), with the
validation and the words of the admin's settings page (issue 10)."""
import hashlib
import html
import os
import re
import secrets
import time

import pytest

import jm
from conftest import login

EDITOR = "settings-editor@example.com"


@pytest.fixture(scope="module")
def editor_api(server, owner):
    server.add_user(EDITOR, "editor password 1", role="editor")
    with open(os.path.join(server.data_dir, "secret"), "rb") as f:
        secret = f.read()
    tok = "jm_" + secrets.token_urlsafe(32)
    h = hashlib.blake2b(("api:" + tok).encode(), key=secret, digest_size=32).hexdigest()
    db = jm.nl_db(server.data_dir)
    uid = db.execute("SELECT id FROM users WHERE email = ?", (EDITOR,)).fetchone()[0]
    db.execute("INSERT INTO api_tokens(name, token_hash, prefix, user_id, created_at) "
               "VALUES (?, ?, ?, ?, ?)", ("editor", h, tok[:10], uid, int(time.time())))
    db.close()
    return jm.Api(server.base, tok)


def stored(server, key):
    db = jm.nl_db(server.data_dir)
    row = db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    db.close()
    return row[0] if row else None


def page_error(admin, field, value):
    """The settings page's banner for value in field, in English."""
    r, f = admin.get_form("/admin/settings", action="/admin/settings")
    r = admin.submit(f, {field: value})
    assert r.status == 422, r.status
    return html.unescape(re.search(r'id="form-error">([^<]*)<', r.text).group(1))


@pytest.fixture(scope="module")
def admin_en(admin):
    r, f = admin.get_form("/admin/", action="/admin/lang")
    admin.submit(f, {"lang": "en"})
    return admin


def test_get_lists_every_setting_with_secrets_as_set_or_unset(api, server):
    r = api.patch("/api/v1/settings", {"smtp_password": "s3cret-pass", "per_page": 7,
                                        "allow_raw_html": False, "title": "API のサイト"})
    assert r.status == 200, r.body[:500]
    s = api.get("/api/v1/settings").json()["settings"]
    assert s["title"] == "API のサイト" and s["per_page"] == 7 and s["allow_raw_html"] is False
    assert s["smtp_password"] == {"set": True}
    assert b"s3cret-pass" not in r.body and b"s3cret-pass" not in api.get("/api/v1/settings").body
    assert stored(server, "smtp_password") == "s3cret-pass"


def test_relay_url_password_is_never_answered(api, server):
    r = api.patch("/api/v1/settings", {"smtp_url": "smtp://user:hunter22@mail.example.com:587"})
    assert r.status == 200
    assert b"hunter22" not in r.body
    assert r.json()["settings"]["smtp_url"] == "smtp://user@mail.example.com:587"
    assert "hunter22" in stored(server, "smtp_url")
    api.patch("/api/v1/settings", {"smtp_url": ""})


@pytest.mark.parametrize("field,value", [("per_page", "0"), ("base_url", "ftp://x"),
                                         ("timezone", "Mars/Olympus"),
                                         ("smtp_url", "http://relay"),
                                         ("mail_from_addr", "site＠example.com")])
def test_invalid_values_are_400_with_the_pages_words_and_store_nothing(api, admin_en, server,
                                                                       field, value):
    before = {k: stored(server, k) for k in ("title", field)}
    r = api.patch("/api/v1/settings", {"title": "never stored", field: value})
    assert r.status == 400, r.body[:300]
    e = r.json()["error"]
    assert e["field"] == field
    assert e["message"] == page_error(admin_en, field, value)
    assert {k: stored(server, k) for k in ("title", field)} == before


def test_unknown_keys_and_wrong_types_are_400(api):
    r = api.patch("/api/v1/settings", {"no_such_setting": "x"})
    assert r.status == 400 and r.json()["error"]["field"] == "no_such_setting"
    r = api.patch("/api/v1/settings", {"title": ["a"]})
    assert r.status == 400 and r.json()["error"]["field"] == "title"


def test_editor_tokens_get_403(editor_api, server):
    assert editor_api.get("/api/v1/settings").status == 403
    before = stored(server, "title")
    assert editor_api.patch("/api/v1/settings", {"title": "editor's"}).status == 403
    assert stored(server, "title") == before


# ---- the CLI ----

def catalog_ja(key):
    po = open(os.path.join(os.path.dirname(__file__), "..", "..", "po", "ja.po"), encoding="utf-8").read()
    return re.search(r'msgid "%s"\nmsgstr "([^"]*)"' % re.escape(key), po).group(1)


def test_cli_get_and_set(server, owner):
    p = server.cli("settings", "set", "title", "CLI のサイト")
    assert p.returncode == 0, p.stderr
    p = server.cli("settings", "get", "title")
    assert p.returncode == 0 and p.stdout == "CLI のサイト\n"
    p = server.cli("settings", "get")
    assert "title=CLI のサイト\n" in p.stdout and "smtp_password=" in p.stdout


def test_cli_refuses_a_secret_on_the_command_line(server, owner):
    before = stored(server, "smtp_password")
    p = server.cli("settings", "set", "smtp_password", "on-the-command-line")
    assert p.returncode == 2 and "standard input" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    p = server.cli("settings", "set", "smtp_url", "smtp://u:pw@relay.example.com")
    assert p.returncode == 2 and "standard input" in p.stderr
    assert stored(server, "smtp_password") == before
    p = server.cli("settings", "set", "smtp_password", input="from-stdin-pass\n")
    assert p.returncode == 0, p.stderr
    assert stored(server, "smtp_password") == "from-stdin-pass"
    p = server.cli("settings", "get", "smtp_password")
    assert p.stdout == "set\n" and "from-stdin-pass" not in p.stdout


def test_cli_invalid_value_says_what_the_page_says(server, owner, admin_en):
    before = stored(server, "per_page")
    p = server.cli("settings", "set", "per_page", "1000")
    assert p.returncode == 1
    assert stored(server, "per_page") == before
    # Japanese by default, as the page: 「label」: reason
    assert p.stderr == "jinmyaku: settings set: 「%s」: %s\n" % (
        catalog_ja("setting.per_page"), catalog_ja("admin.settings.err_int"))


def test_cli_unknown_key_and_bad_usage(server, owner):
    assert server.cli("settings", "get", "nope").returncode == 2
    assert server.cli("settings", "set").returncode == 2
    assert server.cli("settings", "frobnicate").returncode == 2
