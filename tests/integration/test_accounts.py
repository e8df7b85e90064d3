"""Accounts (issue 10): change password, reset by mail, two-factor sign-in
(TOTP + recovery codes), the session list, invitations and removing users.

One server whose mail goes to a capture server (jm.mail_env), on the engine
under test (JM_TEST_ENGINE). Every refusal is checked to change nothing:
a wrong current password keeps the old one, a used or expired link sets
nothing, a wrong or reused code opens no session.
"""
import base64
import hashlib
import hmac
import re
import struct
import time

import pytest

import jm
from conftest import login

OWNER = "owner@example.com"
OWNER_PW = "correct horse battery staple"
SENDER = dict(mail_from_name="サイト運営者", mail_from_addr="site@example.com",
              sender_postal_address="東京都千代田区1-1-1", sender_contact="info@example.com")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    e = jm.mail_env(tmp_path_factory.mktemp("accounts"), SENDER, None, OWNER, OWNER_PW)
    yield e
    jm.mail_env_close(e)


@pytest.fixture(autouse=True)
def _fresh_limits(env):
    """All requests come from 127.0.0.1: every test starts with no sign-in
    or reset hits."""
    env["db"].execute("DELETE FROM signup_attempts WHERE key LIKE 'login-ip:%' "
                      "OR key LIKE 'reset-%'")
    yield


def new_user(env, role="editor"):
    email = jm.uniq("staff") + "@example.com"
    pw = "pw-" + jm.uniq("secret") + "-long"
    env["srv"].add_user(email, pw, role=role, name="スタッフ")
    return email, pw


def signed_in(env, email, pw, ua="jm-tests"):
    c = env["srv"].client(headers={"User-Agent": ua})
    r = login(c, email, pw)
    assert r.status == 200 and "/admin/login" not in r.url, (r.status, r.url, r.text[:500])
    return c


def is_signed_in(c):
    r = c.get("/admin/account", follow=False)
    return r.status == 200


def mails_to(env, addr):
    return [m for e, m in env["cap"].messages() if addr in e["rcpt_tos"]]


def link_in(env, addr, path, n=1):
    """The path+query of the n-th mail to addr linking to path."""
    msgs = jm.wait_until(lambda: (lambda m: m if len(m) >= n else None)(mails_to(env, addr)),
                         60, what="mail to " + addr)
    text = msgs[n - 1].get_body(("plain",)).get_content()
    m = re.search(re.escape(path) + r"\?token=[A-Za-z0-9_\-]+", text)
    assert m, text
    return m.group(0)


def totp(secret_b32, step):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000)


ACTIONS = {"password-form": "/admin/account/password", "forgot-form": "/admin/forgot",
           "reset-form": "/admin/reset", "totp-begin-form": "/2fa/begin",
           "totp-confirm-form": "/2fa/confirm", "code-form": "/admin/login/2fa",
           "signout-others-form": "signout-others", "invite-form": "/invite",
           "totp-disable-form": "/2fa/disable"}


def submit(c, page, form_id, values):
    r, f = c.get_form(page, action=ACTIONS[form_id])
    return c.submit(f, values, follow=False)


# ---- change password ----

def test_change_password_needs_the_current_one_and_signs_out_other_sessions(env):
    email, pw = new_user(env)
    c1, c2 = signed_in(env, email, pw, "browser-1"), signed_in(env, email, pw, "browser-2")
    new_pw = "new password 1234"
    r = submit(c1, "/admin/account", "password-form",
               dict(current_password="wrong guess 123", password=new_pw, password_confirm=new_pw))
    assert r.status == 422 and 'id="password-error"' in r.text
    assert is_signed_in(c2), "a refused change signed someone out"
    assert login(env["srv"].client(), email, pw).url.endswith("/admin/")  # old one still works
    r = submit(c1, "/admin/account", "password-form",
               dict(current_password=pw, password=new_pw, password_confirm="other"))
    assert r.status == 422
    r = submit(c1, "/admin/account", "password-form",
               dict(current_password=pw, password=new_pw, password_confirm=new_pw))
    assert r.status == 303 and "done=password" in r.header("Location")
    assert is_signed_in(c1) and not is_signed_in(c2)
    assert login(env["srv"].client(), email, pw).status == 401
    assert is_signed_in(signed_in(env, email, new_pw))


# ---- reset by mail ----

def test_reset_answers_alike_for_unknown_addresses_and_its_link_works_once(env):
    email, pw = new_user(env)
    old_session = signed_in(env, email, pw)
    web = env["srv"].client()
    r_unknown = submit(web, "/admin/forgot", "forgot-form", dict(email="nobody@example.com"))
    r_known = submit(web, "/admin/forgot", "forgot-form", dict(email=email.upper()))
    assert r_unknown.status == r_known.status == 200
    assert 'id="forgot-sent"' in r_unknown.text and 'id="forgot-sent"' in r_known.text
    assert r_unknown.text == r_known.text
    link = link_in(env, email, "/admin/reset")
    assert not mails_to(env, "nobody@example.com")
    r = web.get(link)
    assert r.status == 200 and email in r.text
    # The one link page (link_password.html) as the reset: no name asked.
    assert 'id="reset-form"' in r.text and 'action="/admin/reset"' in r.text
    assert 'id="name"' not in r.text and "<h1>新しいパスワード</h1>" in r.text
    new_pw = "reset password 5678"
    r = submit(web, link, "reset-form", dict(password="short", password_confirm="short"))
    assert r.status == 422 and 'id="reset-error"' in r.text
    r = submit(web, link, "reset-form", dict(password=new_pw, password_confirm=new_pw))
    assert r.status == 303 and "done=reset" in r.header("Location")
    assert not is_signed_in(old_session), "a reset must sign the account out everywhere"
    assert web.get(link).status == 410
    r = web.post("/admin/reset", form=dict(_csrf=web_csrf(web, "/admin/forgot"),
                                           token=link.split("token=")[1],
                                           password="third password 9", password_confirm="third password 9"),
                 follow=False)
    assert r.status == 410, "a used link set a password again"
    assert login(env["srv"].client(), email, pw).status == 401
    assert is_signed_in(signed_in(env, email, new_pw))


def web_csrf(c, page):
    r, f = c.get_form(page, action="/admin/forgot")
    return f.get("_csrf")


def test_an_expired_reset_link_is_refused(env):
    email, pw = new_user(env)
    web = env["srv"].client()
    n = len(mails_to(env, email))
    submit(web, "/admin/forgot", "forgot-form", dict(email=email))
    link = link_in(env, email, "/admin/reset", n + 1)
    env["db"].execute("UPDATE account_tickets SET expires_at = created_at - 1 "
                      "WHERE email = ? AND kind = 'reset'", (email,))
    assert web.get(link).status == 410
    forged = link.split("token=")[0] + "token=" + "A" * 43
    assert web.get(forged).status == 410, "a made-up token was taken"
    assert login(env["srv"].client(), email, pw).url.endswith("/admin/")


def test_reset_requests_are_rate_limited_for_known_and_unknown_addresses(env):
    web = env["srv"].client()
    for addr in ("limit-" + jm.uniq("u") + "@example.com", new_user(env)[0]):
        for _ in range(3):
            assert submit(web, "/admin/forgot", "forgot-form", dict(email=addr)).status == 200
        assert submit(web, "/admin/forgot", "forgot-form", dict(email=addr)).status == 429


# ---- two-factor ----

def enrol(c):
    r = submit(c, "/admin/account", "totp-begin-form", {})
    assert r.status == 303
    page = c.get("/admin/account")
    assert 'id="totp-qr"' in page.text and "<svg" in page.text
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text).group(1)
    step = int(time.time()) // 30
    r = submit(c, "/admin/account", "totp-confirm-form", dict(code=totp(secret, step + 40)))
    assert r.status == 422, "a wrong enrolment code turned two-factor on"
    r = submit(c, "/admin/account", "totp-confirm-form", dict(code=totp(secret, step)))
    assert r.status == 200 and 'id="recovery-codes"' in r.text
    codes = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", r.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    return secret, step, codes


def second_step(env, email, pw):
    c = env["srv"].client()
    r = login(c, email, pw)
    assert r.status == 200 and "/admin/login/2fa" in r.url, r.url
    assert c.get("/admin/", follow=False).status == 303, "the password alone opened a session"
    return c


def post_code(c, code):
    return submit(c, "/admin/login/2fa", "code-form", dict(code=code))


def test_totp_sign_in_refuses_wrong_and_reused_codes_and_takes_recovery_codes_once(env):
    email, pw = new_user(env)
    secret, step, codes = enrol(signed_in(env, email, pw))
    stored = env["db"].execute("SELECT code_hash FROM recovery_codes rc JOIN users u "
                               "ON u.id = rc.user_id WHERE u.email = ?", (email,)).fetchall()
    assert len(stored) == 10 and not any(c in str(stored) for c in codes), "codes stored in clear"
    c = second_step(env, email, pw)
    assert post_code(c, "000000" if totp(secret, step + 1) != "000000" else "111111").status == 401
    assert post_code(c, totp(secret, step)).status == 401, "the enrolment code was reused"
    r = post_code(c, totp(secret, step + 1))
    assert r.status == 303 and is_signed_in(c)
    c2 = second_step(env, email, pw)
    assert post_code(c2, totp(secret, step + 1)).status == 401, "a code worked twice"
    assert post_code(c2, totp(secret, step + 60)).status == 401, "a far-future code worked"
    assert post_code(c2, codes[0].upper()).status == 303 and is_signed_in(c2)
    c3 = second_step(env, email, pw)
    assert post_code(c3, codes[0]).status == 401, "a recovery code worked twice"
    assert not is_signed_in(c3)
    # turning it off needs a valid code too
    r = submit(c2, "/admin/account", "totp-disable-form", dict(code=codes[0]))
    assert r.status == 422 and 'id="totp-error"' in r.text
    assert 'id="totp-disable-form"' in c2.get("/admin/account").text
    r = submit(c2, "/admin/account", "totp-disable-form", dict(code=codes[1]))
    assert r.status == 303 and "done=totp_off" in r.header("Location")
    assert login(env["srv"].client(), email, pw).url.endswith("/admin/"), "still asks for a code"


def test_the_login_throttle_covers_the_code_step(env):
    email, pw = new_user(env)
    secret, step, _ = enrol(signed_in(env, email, pw))
    c = second_step(env, email, pw)
    wrong = next(x for x in ("123456", "654321", "111111") if x not in
                 [totp(secret, s) for s in range(step - 2, step + 3)])
    statuses = [post_code(c, wrong).status for _ in range(jm_max_fails() + 1)]
    assert statuses[-1] == 429 and statuses[0] == 401, statuses
    assert post_code(c, totp(secret, step + 1)).status == 429, "the limit let a code through"
    assert not is_signed_in(c)


def jm_max_fails():
    return 10  # AUTH_MAX_FAILS_PER_MIN


def test_a_stale_second_step_cookie_is_sent_back_to_the_login(env):
    c = env["srv"].client()
    r = c.get("/admin/login/2fa", follow=False)
    assert r.status == 303 and r.header("Location").endswith("/admin/login")


# ---- sessions ----

def test_sessions_are_listed_and_signed_out_everywhere_else(env):
    email, pw = new_user(env)
    c1, c2 = signed_in(env, email, pw, "Firefox test-1"), signed_in(env, email, pw, "iPhone Safari")
    page = c1.get("/admin/account").text
    assert "Firefox test-1" in page and "iPhone Safari" in page and "127.0.0.1" in page
    assert page.count('class="current"') == 1
    r = submit(c1, "/admin/account", "signout-others-form", {})
    assert r.status == 303
    assert is_signed_in(c1) and not is_signed_in(c2)
    assert "iPhone Safari" not in c1.get("/admin/account").text
    c3 = signed_in(env, email, pw, "Old tablet")
    sid = re.search(r'<tr data-id="([0-9a-f]{16})">\s*<td>Old tablet', c1.get("/admin/account").text)
    assert sid, "the new session is not listed"
    r, f = c1.get_form("/admin/account", action="/sessions/%s/end" % sid.group(1))
    assert c1.submit(f, follow=False).status == 303
    assert not is_signed_in(c3) and is_signed_in(c1)


# ---- invitations and removal ----

def test_owner_invites_an_editor_who_sets_name_and_password_then_removes_them(env):
    owner = signed_in(env, OWNER, OWNER_PW)
    addr = jm.uniq("invitee") + "@example.com"
    r = submit(owner, "/admin/users", "invite-form", dict(email="not an address", role="editor"))
    assert r.status == 422
    r = submit(owner, "/admin/users", "invite-form", dict(email=addr, role="editor"))
    assert r.status == 303
    link = link_in(env, addr, "/admin/invite")
    new = env["srv"].client(headers={"User-Agent": "invitee-browser"})
    page = new.get(link).text
    assert addr in page and 'id="invite-email"' in page
    assert 'id="name" name="name"' in page and 'action="/admin/invite"' in page
    r = submit(new, link, "invite-form", dict(name="新しい 編集者", password="editor pass 1",
                                              password_confirm="editor pass 1"))
    assert r.status == 303 and is_signed_in(new)
    row = env["db"].execute("SELECT id, role, name FROM users WHERE email = ?", (addr,)).fetchone()
    assert row[1] == "editor" and row[2] == "新しい 編集者"
    assert new.get("/admin/users", follow=False).status == 403
    assert env["srv"].client().get(link).status == 410, "an invitation worked twice"
    r, f = owner.get_form("/admin/users", action="/admin/users/%d/remove" % row[0])
    assert owner.submit(f, follow=False).status == 303
    assert not is_signed_in(new), "a removed user kept their session"
    assert env["db"].execute("SELECT count(*) FROM users WHERE email = ?", (addr,)).fetchone()[0] == 0


def test_the_last_owner_cannot_be_removed(env):
    owner = signed_in(env, OWNER, OWNER_PW)
    ids = [r[0] for r in env["db"].execute("SELECT id FROM users WHERE role = 'owner'").fetchall()]
    if len(ids) > 1:  # other tests may have made owners: remove them first
        for i in ids[1:]:
            r, f = owner.get_form("/admin/users", action="/admin/users/%d/remove" % i)
            owner.submit(f, follow=False)
    oid = env["db"].execute("SELECT id FROM users WHERE email = ?", (OWNER,)).fetchone()[0]
    r, f = owner.get_form("/admin/users", action="/admin/users/%d/remove" % oid)
    r = owner.submit(f, follow=False)
    assert r.status == 409 and 'id="users-error"' in r.text
    assert is_signed_in(owner)
