"""The one field engine (core/field.c, issue 11) seen from outside: a form's
fields through /api/v1/forms (every type, its options, the definition
rules) and a list's sign-up fields through /api/v1/lists and POST
/subscribe (the same type names and rules; lists take the one-line types,
migration 0025), each bad value a 422 naming the field and nothing stored.
Runs on either engine (JM_TEST_ENGINE)."""
import time

import pytest

import jm

TYPES = ["text", "textarea", "select", "multi", "checkbox", "email", "url", "number", "date",
         "tel", "file"]
LIST_TYPES = ["text", "select", "checkbox", "email", "url", "number", "date", "tel"]
TS_MIN_AGE = 2.2  # the sign-up form refuses anything sent sooner (bot check)


def field(t, key=None, **kv):
    f = {"key": "f_" + t if key is None else key, "label": "項目 " + t, "type": t}
    if t in ("select", "multi"):
        f["options"] = ["はい", "いいえ"]
    f.update(kv)
    return f


def test_every_type_round_trips_through_the_forms_api(api):
    fields = [field(t, required=(t == "email")) for t in TYPES]
    r = api.post("/api/v1/forms", {"kind": "ask", "title": "全部の形式", "slug": jm.uniq("types"),
                                   "fields": fields})
    assert r.status == 201, r.text
    got = r.json()["fields"]
    assert [f["type"] for f in got] == TYPES
    assert got[2]["options"] == ["はい", "いいえ"] and got[0]["options"] == []
    assert [f["required"] for f in got] == [t == "email" for t in TYPES]


@pytest.mark.parametrize("bad,why", [
    (field("radio"), "type must be one of"),
    (field("select", options=[]), "1 to 100 options"),
    (field("multi", options=["a", "a"]), "twice"),
    (field("select", options=["a\nb"]), "one line"),
    (field("text", options=["x"]), "only select and multi"),
    (field("text", key="Company"), "key must be"),
    (field("text", key="k" * 41), "key must be"),
    (field("text", key=""), "key must be"),
    (field("text", label=""), "label must be"),
    (field("text", label="x" * 101), "label must be"),
    (field("text", label="a\r\nBcc: x@example.com"), "label must be"),
    (field("select", options=["x" * 101]), "options must be"),
    (field("select", options=["o%d" % i for i in range(101)]), "1 to 100 options"),
])
def test_bad_form_field_definitions(server, api, bad, why):
    before = jm.q1(server.data_dir, "SELECT count(*) FROM forms")
    r = api.post("/api/v1/forms", {"kind": "ask", "title": "不正", "slug": jm.uniq("badf"),
                                   "fields": [field("text", key="ok"), bad]})
    assert r.status == 422, r.text
    e = r.json()["error"]
    assert e["field"] == "fields" and why in e["message"], e
    assert "field 2" in e["message"], "the message names the row"
    assert jm.q1(server.data_dir, "SELECT count(*) FROM forms") == before


# ---- a list's sign-up fields: the same engine ----

@pytest.fixture(scope="module")
def typed_list(api):
    fields = [field(t, required=(t in ("email", "checkbox"))) for t in LIST_TYPES]
    r = api.post("/api/v1/lists", {"name": "形式のテスト", "slug": jm.uniq("typed"),
                                   "fields": fields})
    assert r.status == 201, r.text
    return r.json()


def test_list_takes_the_engines_one_line_types(server, api, typed_list):
    got = [f["type"] for f in typed_list["fields"]]
    assert got == LIST_TYPES
    for t in ("textarea", "multi", "file", "radio"):
        r = api.post("/api/v1/lists", {"name": "x", "slug": jm.uniq("lt"),
                                       "fields": [field(t)]})
        assert r.status == 422, (t, r.text)
        e = r.json()["error"]
        assert e["field"] == "fields" and "type must be one of text, select, checkbox" in \
            e["message"], e
    r = api.post("/api/v1/lists", {"name": "x", "slug": jm.uniq("lt"),
                                   "fields": [field("text", key="a"), field("tel", key="a")]})
    assert r.status == 422 and "duplicate key" in r.json()["error"]["message"]


@pytest.fixture(scope="module")
def web(server):
    return server.client(headers={"User-Agent": "Mozilla/5.0 (jinmyaku tests)"})


@pytest.fixture(scope="module")
def signup_form(web, typed_list):
    r, form = web.get_form("/subscribe?list=" + typed_list["slug"], action="/subscribe")
    assert r.status == 200
    html = r.text
    for t in LIST_TYPES:
        assert 'name="f_%s"' % t in html, "the public form renders the %s field" % t
    for t, input_type in (("email", "email"), ("url", "url"), ("date", "date"), ("tel", "tel")):
        assert 'id="nl-f-f_%s" type="%s"' % (t, input_type) in html, t
    if not form.get("ts"):
        s = web.get("/subscribe/stamp")
        assert s.status == 200
        form.set("ts", s.text)
    time.sleep(TS_MIN_AGE)
    return form


def reset_limits(server):
    c = jm.db_connect(server.data_dir)
    c.execute("DELETE FROM signup_attempts")
    c.commit()
    c.close()


def people(server, email):
    return jm.q1(server.data_dir, "SELECT count(*) FROM people WHERE email = ?", email)


GOOD = {"f_text": "人脈出版", "f_select": "はい", "f_checkbox": "1",
        "f_email": "work@example.jp", "f_url": "https://example.jp/about",
        "f_number": "3.5", "f_date": "2026-12-24", "f_tel": "03-1234-5678"}


@pytest.mark.parametrize("key,value", [
    ("f_email", "not-an-address"), ("f_email", ""), ("f_url", "javascript:alert(1)"),
    ("f_number", "三"), ("f_date", "2026-02-30"), ("f_tel", "call me"),
    ("f_select", "たぶん"), ("f_text", "長" * 1001), ("f_text", "改行\n入り"),
])
def test_bad_signup_values_are_refused(server, web, signup_form, key, value):
    reset_limits(server)
    email = "%s@example.jp" % jm.uniq("ff")
    vals = dict(GOOD, email=email)
    vals[key] = value
    r = web.submit(signup_form, vals)
    assert r.status == 422, (key, value, r.status)
    assert 'class="signup-row has-error"' in r.text
    assert people(server, email) == 0


def test_good_signup_values_are_stored(server, web, signup_form):
    reset_limits(server)
    email = "%s@example.jp" % jm.uniq("ffok")
    r = web.submit(signup_form, dict(GOOD, email=email))
    assert r.status == 200, r.text[:1500]
    assert people(server, email) == 1
