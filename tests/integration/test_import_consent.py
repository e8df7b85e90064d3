"""Importing readers under 特定電子メール法 (issue 8, item 20): by default an
import sends the opt-in mail and leaves the subscriptions pending (CLI and
admin); only a declared consent (`--consent held`, the admin's 「同意を得て
いることを確認済み」) makes them active, and then the file name, who
declared it and when are the consent source of every subscription."""
import re

import pytest

import jm

SENDER = dict(mail_from_name="人脈通信の発行者", mail_from_addr="news@example.jp",
              sender_postal_address="東京都千代田区1-1-1", sender_contact="info@example.jp",
              rate_per_sec=0)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = tmp_path_factory.mktemp("consent")
    env = jm.mail_env(root, SENDER)
    admin = env["srv"].client()
    r, form = admin.get_form("/admin/login", field="password")
    admin.submit(form, {"email": "owner@example.com", "password": "correct horse battery staple"})
    yield dict(env, admin=admin, root=root)
    jm.mail_env_close(env)


def statuses(db, slug):
    return dict(db.execute("SELECT p.email, s.status FROM subscriptions s JOIN people p ON "
                           "p.id = s.person_id JOIN lists l ON l.id = s.list_id "
                           "WHERE l.slug = ?", (slug,)).fetchall())


def mails_to(cap, addr):
    return [m for env, m in cap.messages() if addr in env["rcpt_tos"]]


def write(root, name, text):
    p = root / name
    p.write_bytes(text.encode("utf-8"))
    return str(p)


def test_cli_default_sends_optin_mail(env):
    db, srv, cap = env["db"], env["srv"], env["cap"]
    jm.nl_list(db, "cli-optin", "CLI")
    path = write(env["root"], "optin.csv", "メールアドレス,氏名\noptin1@example.jp,一\n")
    p = srv.cli("import", "subscribers", "--list", "cli-optin", path)
    assert p.returncode == 0, p.stderr
    assert statuses(db, "cli-optin") == {"optin1@example.jp": "pending"}
    assert db.execute("SELECT consent_at FROM subscriptions s JOIN people p ON p.id = "
                      "s.person_id WHERE p.email = 'optin1@example.jp'").fetchone()[0] is None
    m = jm.wait_until(lambda: mails_to(cap, "optin1@example.jp"), 60, what="the opt-in mail")
    assert "/subscribe/confirm?token=" in m[0].get_body(("plain",)).get_content()


def test_cli_declared_consent_records_source(env):
    db, srv = env["db"], env["srv"]
    jm.nl_list(db, "cli-held", "CLI held")
    path = write(env["root"], "名簿2026.csv", "email,name\nheld1@example.jp,二\n")
    p = srv.cli("import", "subscribers", "--list", "cli-held", "--consent", "bogus", path)
    assert p.returncode == 2 and statuses(db, "cli-held") == {}
    p = srv.cli("import", "subscribers", "--list", "cli-held", "--consent", "held", path)
    assert p.returncode == 0, p.stderr
    assert statuses(db, "cli-held") == {"held1@example.jp": "active"}
    src, at = db.execute("SELECT consent_source, consent_at FROM subscriptions s JOIN people p "
                         "ON p.id = s.person_id WHERE p.email = 'held1@example.jp'").fetchone()
    assert src.startswith("import file=名簿2026.csv by=cli") and " at=20" in src, src
    assert at and at > 0
    assert not mails_to(env["cap"], "held1@example.jp")


def upload_and_map(admin, lid, name, text):
    tok = jm.csrf_of(admin.get("/admin/imports/new").text)
    body, ctype = jm.multipart({"_csrf": tok, "list": str(lid), "encoding": "auto"},
                               {"file": (name, text.encode("utf-8"))}, "text/csv")
    r = admin.post("/admin/imports", body=body, headers={"Content-Type": ctype})
    assert r.status == 200, r.text[:2000]
    form = jm.find_form(r.text, action="/admin/imports/")
    form.page = r.url
    return r, form


def test_admin_default_is_optin(env):
    db, admin, cap = env["db"], env["admin"], env["cap"]
    lid = jm.nl_list(db, "adm-optin", "admin optin")
    r, form = upload_and_map(admin, lid, "readers.csv", "メール,名前\nadm1@example.jp,三\n")
    assert re.search(r'id="mode-optin" checked', r.text), "opt-in is the default choice"
    assert not re.search(r'id="mode-consented" checked', r.text)
    done = admin.submit(form, {})
    assert 'id="import-report"' in done.text, done.text[-2000:]
    assert statuses(db, "adm-optin") == {"adm1@example.jp": "pending"}
    jm.wait_until(lambda: mails_to(cap, "adm1@example.jp"), 60, what="the opt-in mail")


def test_admin_declared_consent_records_file_user_time(env):
    db, admin = env["db"], env["admin"]
    lid = jm.nl_list(db, "adm-held", "admin held")
    _, form = upload_and_map(admin, lid, "セミナー名簿.csv", "email,name\nadm2@example.jp,四\n")
    done = admin.submit(form, {"mode": "consented"})
    assert 'id="import-report"' in done.text, done.text[-2000:]
    assert statuses(db, "adm-held") == {"adm2@example.jp": "active"}
    src = db.execute("SELECT consent_source FROM subscriptions s JOIN people p ON p.id = "
                     "s.person_id WHERE p.email = 'adm2@example.jp'").fetchone()[0]
    assert src.startswith("import file=セミナー名簿.csv by=user:owner@example.com at=20"), src
