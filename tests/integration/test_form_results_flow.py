"""An ask's results through the real pipeline (issue 11): the ask made by
POST /api/v1/forms, answered on /forms/{slug} by a reader from their
personal link (verified at once) and by a stranger (held until the mailed
link is clicked); the results list the reader at once, the stranger only
with unverified=1 until the click, then with everyone; the bulk tag reaches
both people. Helpers and the mail environment are test_form_answer's.
Runs on the engine of JM_TEST_ENGINE.
"""
import re
import urllib.parse

import jm
from test_form_answer import (BASE, env, fields, mail_to, post, stamp,  # noqa: F401 (fixture)
                              text_of, broadcast_links)

YES = "はい、編集者を知っています"


def ids(r):
    assert r.status == 200, r.text
    return [(it["person"]["email"], it["values"].get("editor"), it["status"])
            for it in r.json()["items"]]


def test_answers_from_the_public_page_reach_the_results(env):
    api = env["api"]
    slug = jm.uniq("ask-flow")
    r = api.post("/api/v1/forms", {"kind": "ask", "slug": slug, "title": "出版社とのつながり",
                                   "fields": [{"key": "editor", "label": "編集者をご存じですか",
                                               "type": "select", "options": [YES, "いいえ"],
                                               "required": True}]})
    assert r.status == 201, r.text
    fid = r.json()["id"]
    reader = jm.uniq("reader") + "@example.net"
    link = broadcast_links(env, slug, [(reader, "読者さん")])[reader]
    page = env["web"].get(link[len(BASE):])
    f = jm.find_form(page.text, field="form_token")
    assert post(env, slug, [("form_token", stamp(env)), ("t", f.get("t")),
                            ("f_editor", YES)]).status == 200
    stranger = jm.uniq("stranger") + "@example.org"
    assert post(env, slug, fields(env, stranger, f_editor=YES)).status == 200

    url = "/api/v1/forms/%d/answers?key=editor&value=%s" % (fid, urllib.parse.quote(YES))
    assert ids(api.get(url)) == [(reader, YES, "received")]
    assert ids(api.get(url + "&unverified=1")) == [(stranger, YES, "received"),
                                                   (reader, YES, "received")]
    m = re.search(r"(http://forms\.example\.test/forms/\S+/confirm\?token=\S+)",
                  text_of(mail_to(env, stranger, "回答の確認")))
    assert env["web"].get(m.group(1)[len(BASE):]).status == 200
    items = api.get(url).json()["items"]
    assert [it["person"]["email"] for it in items] == [stranger, reader]
    r = api.post("/api/v1/forms/%d/answers/bulk" % fid,
                 {"op": "tag", "answer_ids": [it["id"] for it in items], "tag": "出版つながり"})
    assert r.status == 200 and r.json()["people"] == 2, r.text
    tagged = api.get("/api/v1/people?tag=" + urllib.parse.quote("出版つながり")).json()["items"]
    assert sorted(p["email"] for p in tagged) == sorted([reader, stranger])
