"""The owner is not a second person beside わたし (issue 10): the person row
a staff account has (people/staff.c: the centre of the map) is never
counted or listed as one of the owner's contacts — not in the funnel, not
as a node of the map, not as someone due for a call, not as a suggestion —
and where it is shown (the people list) it reads わたし."""
import re
import time
import urllib.parse

import jm
from conftest import login

DAY = 86400


def sql(srv, text, *args):
    db = jm.nl_db(srv.data_dir)
    try:
        db.execute(text, args)
    finally:
        db.close()


def test_the_owner_is_never_due_nor_suggested_nor_drawn(make_server):
    srv = make_server()
    srv.add_user("me@example.jp", "owner-password-1234", role="owner", name="わたし自身")
    c = srv.client()
    assert login(c, "me@example.jp", "owner-password-1234").status == 200
    me = jm.q1(srv.data_dir, "SELECT person_id FROM users WHERE email = 'me@example.jp'")
    api = jm.Api(srv.base, srv.create_token("owner-test"))
    r = api.post("/api/v1/people", {"name": "古い知人", "stage": "network"})
    assert r.status == 201, r.text
    other = r.json()["id"]
    # Both long out of touch (the network stage's interval is 90 days), and
    # the owner looking like someone who only ever asks.
    old = int(time.time()) - 400 * DAY
    for pid in (me, other):
        sql(srv, "UPDATE people SET created_at = ?, stage_at = ?, last_contact_at = NULL "
                 "WHERE id = ?", old, old, pid)
    sql(srv, "UPDATE people SET asks = 50, gave = 0 WHERE id = ?", me)
    r = c.get("/admin/reports")
    assert r.status == 200
    due = re.search(r'<table class="table" id="rep-due">.*?</table>', r.text, re.S).group(0)
    ids = set(int(x) for x in re.findall(r'<tr data-id="(\d+)">', due))
    assert ids == {other}, due
    assert re.search(r'id="due-total">1<', r.text)
    sugg = re.search(r'<table class="table" id="rep-suggestions">.*?</table>', r.text, re.S).group(0)
    assert 'data-id="%d"' % me not in sugg and "わたし自身" not in sugg, sugg
    # The map: the owner is the centre, not one of the people drawn.
    svg = c.get("/admin/map.svg")
    assert svg.status == 200
    assert "古い知人" in svg.text and "わたし自身" not in svg.text
    # The people list shows the owner's own row as わたし, never as a contact.
    page = c.get("/admin/people").text
    row = re.search(r'<tr class="person-row" data-id="%d">.*?</tr>' % me, page, re.S).group(0)
    assert 'id="me-badge">わたし（オーナー）<' in row
    assert 'class="badge stage-' not in row, "the owner has no stage of their own funnel"
    # So does a search that finds the owner.
    page = c.get("/admin/people?q=" + urllib.parse.quote("わたし自身")).text
    hit = re.search(r'<tr class="hit" data-id="%d">.*?</tr>' % me, page, re.S)
    assert hit, page[-3000:]
    assert 'id="me-badge">わたし（オーナー）<' in hit.group(0)
    assert 'class="badge stage-' not in hit.group(0)


def test_subscriber_history_reads_in_words(server, admin, api):
    """「同意の記録は「admin」」-style internal values: the subscriber page's
    history shows what happened in words, not the stored event kind."""
    lst = api.post("/api/v1/lists", {"slug": jm.uniq("ev"), "name": "履歴のリスト"}).json()
    sub = api.post("/api/v1/subscribers", {"list_id": lst["id"], "email": jm.uniq("ev") + "@example.jp",
                                            "name": "履歴 花子"}).json()
    r = admin.get("/admin/subscribers/%d" % sub["person_id"])
    assert r.status == 200
    assert re.search(r'<span class="badge" data-kind="subscribed">購読</span>', r.text), r.text[-3000:]
    assert '<span class="badge">subscribed</span>' not in r.text
    assert "<dd>admin</dd>" not in r.text
