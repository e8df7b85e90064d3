"""An unconfirmed sign-up changes nobody (issue 8, defect 2).

POST /subscribe with someone else's address and company=Hacked must not
overwrite that person's custom fields nor name them when they have no name:
a sign-up's values reach an existing person only when the confirmation link
(mailed to the address's owner) is clicked, and a person the sign-up itself
created at once. On a single opt-in list nobody confirms, so an existing
person's values stay as they are."""
import time

import pytest

import jm
from test_signup import nl_token, signed_ts

PEOPLE = "/api/v1/people"


def q1(server, sql, *args):
    return jm.q1(server.data_dir, sql, *args)


def email(prefix):
    return "%s@example.jp" % jm.uniq(prefix)


@pytest.fixture(scope="module")
def lists(api):
    out = {}
    for slug, dbl in (("dbl", True), ("single", False)):
        body = {"name": "会社便 " + slug, "slug": jm.uniq(slug), "double_optin": dbl,
                "fields": [{"key": "company", "label": "会社名", "type": "text"}]}
        r = api.post("/api/v1/lists", body)
        assert r.status == 201, r.text
        out[slug] = r.json()
    return out


def victim(api, name=""):
    """A person the owner knows: company 本物社, named or not."""
    r = api.post(PEOPLE, {"email": email("victim"), "name": name or "仮",
                          "fields": {"company": "本物社"}})
    assert r.status == 201, r.text
    p = r.json()
    if not name:
        r = api.patch("%s/%d" % (PEOPLE, p["id"]), {"name": ""})
        assert r.status == 200, r.text
    return p


def post_signup(server, lst, **fields):
    web = server.client(headers={"User-Agent": "Mozilla/5.0 (jinmyaku tests)"})
    _, form = web.get_form("/subscribe?list=" + lst["slug"], action="/subscribe")
    fields["ts"] = signed_ts(server, int(time.time()) - 10)
    r = web.submit(form, fields)
    assert r.status == 200, r.text[:2000]
    return web


def state(server, pid):
    return (q1(server, "SELECT name FROM people WHERE id = ?", pid),
            q1(server, "SELECT value FROM person_fields WHERE person_id = ? AND key = 'company'",
               pid))


def test_unconfirmed_signup_does_not_touch_an_existing_person(server, api, lists):
    unnamed = victim(api)
    named = victim(api, name="本物 太郎")
    for p in (unnamed, named):
        post_signup(server, lists["dbl"], email=p["email"], name="Hacker", company="Hacked")
    assert state(server, unnamed["id"]) == ("", "本物社")
    assert state(server, named["id"]) == ("本物 太郎", "本物社")
    r = api.get("%s/%d" % (PEOPLE, unnamed["id"]))
    assert r.json()["fields"] == {"company": "本物社"} and r.json()["name"] == ""


def test_single_optin_signup_does_not_touch_an_existing_person(server, api, lists):
    p = victim(api)
    post_signup(server, lists["single"], email=p["email"], name="Hacker", company="Hacked")
    assert q1(server, "SELECT s.status FROM subscriptions s WHERE s.person_id = ? AND "
                      "s.list_id = ?", p["id"], lists["single"]["id"]) == "active"
    assert state(server, p["id"]) == ("", "本物社")


def test_confirmed_signup_applies_its_values(server, api, lists):
    p = victim(api)
    web = post_signup(server, lists["dbl"], email=p["email"], name="本人 花子", company="新会社")
    assert state(server, p["id"]) == ("", "本物社")
    sid = q1(server, "SELECT id FROM subscriptions WHERE person_id = ? AND list_id = ?", p["id"],
             lists["dbl"]["id"])
    r = web.get("/subscribe/confirm?token=" + nl_token(server, "c", sid, int(time.time())))
    assert r.status == 200, r.text[:2000]
    assert state(server, p["id"]) == ("本人 花子", "新会社")
    assert q1(server, "SELECT count(*) FROM subscription_pending_fields WHERE subscription_id = ?",
              sid) == 0


def test_signup_that_creates_the_person_applies_at_once(server, lists):
    em = email("new")
    post_signup(server, lists["dbl"], email=em, name="新規 次郎", company="新規社")
    pid = q1(server, "SELECT id FROM people WHERE email = ?", em)
    assert pid and state(server, pid) == ("新規 次郎", "新規社")
    assert q1(server, "SELECT count(*) FROM stage_changes WHERE person_id = ? AND "
                      "from_stage = '' AND to_stage = 'reader'", pid) == 1
