"""The reader search off the event loop: GET /admin/subscribers?q=… and
GET /api/v1/subscribers?q=… run nl_subscriber_list on the worker pool
(http_defer). A client that hangs up while a search runs leaves the server
alive and leak-free (the module's server is checked for leaks and
sanitizer reports when it stops); the searches answer as before, filters
included; bad parameters are still refused before the search starts; an
"add one" error on a page carrying ?q= shows the typed values and the hits."""
import re
from urllib.parse import quote

import pytest

import jm

SUBS = "/api/v1/subscribers"
NAME = "途中切断"


@pytest.fixture(scope="module")
def seeded(api):
    """A list with four readers named NAME…, one of them tagged, and one
    other reader."""
    r = api.post("/api/v1/lists", {"name": "検索の便 " + jm.uniq("n"), "slug": jm.uniq("srch")})
    assert r.status == 201, r.text
    lid = r.json()["id"]
    people = []
    for i in range(4):
        email = "%s@example.jp" % jm.uniq("cut%d" % i)
        r = api.post(SUBS, {"list_id": lid, "email": email, "name": "%s 読者%d" % (NAME, i)})
        assert r.status == 201, r.text
        people.append(r.json())
    other = api.post(SUBS, {"list_id": lid, "email": "%s@example.jp" % jm.uniq("other"),
                            "name": "別の人"})
    assert other.status == 201, other.text
    r = api.post(SUBS + "/bulk", {"op": "tag", "person_ids": [people[0]["person_id"]],
                                  "list_id": lid, "tag": "vip"})
    assert r.status in (200, 204), r.text
    return {"list": lid, "people": people, "other": other.json()}



def row_ids(html):
    return sorted(int(x) for x in re.findall(r'<tr data-id="(\d+)"', html))


def test_admin_search_survives_clients_hanging_up(server, admin, seeded):
    lid = seeded["list"]
    cookie = "; ".join("%s=%s" % kv for kv in admin.cookies().items())
    paths = ["/admin/subscribers?q=" + quote(NAME),
             "/admin/subscribers?q=" + quote("途"),  # 1 character: a prefix scan
             "/admin/subscribers?q=%s&list=%d&tag=vip" % (quote(NAME), lid)]
    for _ in range(10):
        for path in paths:
            jm.hang_up(server.port, path, {"Cookie": cookie})
    assert server.alive()
    want = sorted(p["person_id"] for p in seeded["people"])
    r = admin.get(paths[0] + "&list=%d" % lid)
    assert r.status == 200 and row_ids(r.text) == want
    assert 'value="%s"' % NAME in r.text  # the search box keeps the query
    assert seeded["other"]["email"] not in r.text
    r = admin.get(paths[2])
    assert r.status == 200 and row_ids(r.text) == [seeded["people"][0]["person_id"]]
    assert 'id="sub-total">1<' in r.text
    # the plain list (no q) still shows everyone on the list
    r = admin.get("/admin/subscribers?list=%d" % lid)
    assert r.status == 200
    assert row_ids(r.text) == sorted(want + [seeded["other"]["person_id"]])


def test_admin_search_pages(server, admin, seeded):
    lid = seeded["list"]
    r = admin.get("/admin/subscribers?q=%s&list=%d&page=2" % (quote(NAME), lid))
    assert r.status == 200 and row_ids(r.text) == []
    assert 'id="page-info">2 / 1<' in r.text and 'id="page-prev"' in r.text
    assert "?page=1&amp;q=%s" % quote(NAME) in r.text  # the pager keeps the query


def test_admin_add_error_on_a_search_page(server, admin, seeded):
    """A POST to /admin/subscribers?q=… that the domain refuses answers 422
    with the error, the typed values and the search's hits."""
    lid = seeded["list"]
    tok = jm.csrf_of(admin.get("/admin/subscribers").text)
    assert tok
    r = admin.post("/admin/subscribers?q=%s&list=%d" % (quote(NAME), lid),
                   form={"_csrf": tok, "list": str(lid), "email": "not-an-email",
                         "name": "<b>打ち間違い</b>"})
    assert r.status == 422 and 'id="form-error"' in r.text
    assert 'value="not-an-email"' in r.text
    assert "&lt;b&gt;打ち間違い&lt;/b&gt;" in r.text and "<b>打ち間違い</b>" not in r.text
    assert row_ids(r.text) == sorted(p["person_id"] for p in seeded["people"])
    taken = seeded["people"][1]["email"]
    r = admin.post("/admin/subscribers?q=%s&list=%d" % (quote(NAME), lid),
                   form={"_csrf": tok, "list": str(lid), "email": taken, "name": ""})
    assert r.status == 409 and 'id="form-error"' in r.text
    assert row_ids(r.text) == sorted(p["person_id"] for p in seeded["people"])


def test_api_search_survives_clients_hanging_up(server, api, seeded):
    lid = seeded["list"]
    auth = {"Authorization": "Bearer " + api.token}
    paths = ["%s?q=%s" % (SUBS, quote(NAME)), "%s?q=%s" % (SUBS, quote("途")),
             "%s?q=%s&list_id=%d&tag=vip&status=active" % (SUBS, quote(NAME), lid)]
    for _ in range(10):
        for path in paths:
            jm.hang_up(server.port, path, auth)
    assert server.alive()
    r = api.get(paths[0] + "&list_id=%d&per_page=2" % lid)
    assert r.status == 200, r.text
    body = r.json()
    assert body["total"] == 4 and body["per_page"] == 2 and len(body["items"]) == 2
    assert body["total_pages"] == 2
    assert all(i["name"].startswith(NAME) for i in body["items"])
    r = api.get(paths[2])
    assert r.status == 200, r.text
    assert [i["person_id"] for i in r.json()["items"]] == [seeded["people"][0]["person_id"]]
    assert r.json()["items"][0]["tags"] == ["vip"]


@pytest.mark.parametrize("query,field", [
    ("status=gone", "status"), ("list_id=0", "list_id"), ("page=0", "page"),
    ("per_page=1000", "per_page")])
def test_api_search_bad_parameters_refused_first(server, api, query, field):
    r = api.get("%s?q=%s&%s" % (SUBS, quote(NAME), query))
    assert r.status == 400, r.text
    e = r.json()["error"]
    assert e["code"] == "invalid_parameter" and e.get("field") == field, e
