"""Network reports and the map in the admin: the funnel page (counts, a
well-formed SVG chart, suggestions and who is due), the yearly circle
review on fixtures with known answers (kept / new / dropped, network share,
the 「去年と同じ顔ぶれです」 warning only when most faces are the same), the
default year, bad years answered 400 with a message, the map page with its
filters and map.svg (image/svg+xml, no-store, a link for every person,
names escaped), and bad map filters.

People and interactions go straight into the database (jm.db_connect): this file
tests the reports, not the forms that record meetings."""
import datetime
import re
import xml.etree.ElementTree as ET

import pytest

import jm

SVG_NS = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}href"
EVIL = '<script>alert("x")</script>&amp;'


def db(server):
    return jm.db_connect(server.data_dir)


def ts(y, mo, d, h=3):
    return int(datetime.datetime(y, mo, d, h, tzinfo=datetime.timezone.utc).timestamp())


def add_person(c, name, stage, company=""):
    return c.execute("INSERT INTO people(name, company, stage, created_at, updated_at) "
                     "VALUES (?, ?, ?, 1, 1) RETURNING id", (name, company, stage)).fetchone()[0]


def meet(c, pid, kind, at):
    c.execute("INSERT INTO interactions(person_id, kind, happened_at, created_at) "
              "VALUES (?, ?, ?, ?)", (pid, kind, at, at))


@pytest.fixture(scope="module")
def fx(server, admin):
    """Two circle fixtures and a small introduction graph."""
    c = db(server)
    ids = {"kept21": [], "added21": [], "dropped21": [], "kept24": [], "added24": []}
    with c:
        # 2021 vs 2020: 4 kept, 5 new, 2 dropped, 1 by email only; network
        # stage: one kept and one new → 2 of 9 = 22 %; 4 of 9 kept: no warning.
        for i in range(4):
            p = add_person(c, "続く%d" % i, "network" if i == 0 else "acquaintance")
            meet(c, p, "meeting", ts(2020, 5, 1))
            meet(c, p, "meal", ts(2021, 6, 1))
            ids["kept21"].append(p)
        for i in range(5):
            p = add_person(c, EVIL if i == 0 else "新顔%d" % i, "network" if i == 4 else "fan",
                           company="出版社")
            meet(c, p, ("call", "deal", "meeting", "meal", "call")[i], ts(2021, 3, 1 + i))
            ids["added21"].append(p)
        for i in range(2):
            p = add_person(c, "去年だけ%d" % i, "reader")
            meet(c, p, "meeting", ts(2020, 9, 1))
            ids["dropped21"].append(p)
        mail = add_person(c, "メールだけ", "network")
        meet(c, mail, "email", ts(2021, 1, 10))
        ids["mail"] = mail
        # 2024 vs 2023: 4 kept of 5 → 「去年と同じ顔ぶれです」.
        for i in range(5):
            p = add_person(c, "常連%d" % i, "network" if i < 2 else "acquaintance")
            meet(c, p, "meal", ts(2024, 2, 1))
            if i < 4:
                meet(c, p, "meeting", ts(2023, 2, 1))
                ids["kept24"].append(p)
            else:
                ids["added24"].append(p)
        # A reader who introduced a network person to the owner (reached by
        # an edge) and one who introduced nobody on the map.
        intro = add_person(c, "紹介してくれた人", "reader")
        c.execute("INSERT INTO introductions(introducer_id, person_id, happened_at, "
                  "created_at) VALUES (?, ?, 1, 1)", (intro, ids["kept21"][0]))
        ids["introducer"] = intro
        ids["lonely_reader"] = add_person(c, "関係ない読者", "reader")
        c.execute("INSERT INTO person_tags(person_id, tag) VALUES (?, '出版')",
                  (ids["kept24"][0],))
    c.close()
    return ids


def section_ids(html, section):
    m = re.search(r'<table class="table" id="list-%s">(.*?)</table>' % section, html, re.S)
    assert m, "no list %s in the page" % section
    return sorted(int(x) for x in re.findall(r'data-id="(\d+)"', m.group(1)))


def test_reports_page(admin, fx):
    r = admin.get("/admin/reports")
    assert r.status == 200, r.text[:2000]
    assert r.header("Cache-Control") == "no-store"
    html = r.text
    m = re.search(r'(<svg class="chart funnel".*?</svg>)', html, re.S)
    assert m, "no funnel chart"
    svg = ET.fromstring(m.group(1))  # well-formed
    assert svg.get("role") == "img"
    assert svg.find(SVG_NS + "title") is not None
    assert len(svg.findall(".//%sg[@class='move']" % SVG_NS)) == 36
    # People per stage: 2 dropped + the introducer + the lonely reader.
    c = db_counts(admin, html)
    assert c["reader"] >= 4 and c["network"] >= 5 and c["fan"] >= 4
    assert 'id="rep-suggestions"' in html and 'id="rep-due"' in html
    assert "<script>alert" not in html


def db_counts(admin, html):
    out = {}
    for stage in ("reader", "fan", "acquaintance", "network"):
        m = re.search(r'id="count-%s">(\d+)<' % stage, html)
        assert m, "no count for " + stage
        out[stage] = int(m.group(1))
    return out


def test_circle_known_answers(admin, fx):
    r = admin.get("/admin/reports/circle?year=2021")
    assert r.status == 200, r.text[:2000]
    html = r.text
    assert section_ids(html, "kept") == sorted(fx["kept21"])
    assert section_ids(html, "added") == sorted(fx["added21"])
    assert section_ids(html, "dropped") == sorted(fx["dropped21"])
    assert 'id="stat-this-year">9<' in html
    assert 'id="stat-last-year">6<' in html
    assert 'id="stat-share">22%<' in html
    assert "去年と同じ顔ぶれです" not in html
    assert 'id="same-faces"' not in html
    for pid in fx["kept21"] + fx["added21"]:
        assert 'href="/admin/people/%d"' % pid in html
    assert 'data-id="%d"' % fx["mail"] not in html
    # The stranger's name is shown as text, never as markup.
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;amp;" in html


def test_circle_same_faces_warning(admin, fx):
    r = admin.get("/admin/reports/circle?year=2024")
    assert r.status == 200
    assert section_ids(r.text, "kept") == sorted(fx["kept24"])
    assert section_ids(r.text, "added") == sorted(fx["added24"])
    m = re.search(r'<div class="alert error" role="alert" id="same-faces">(.*?)</div>', r.text, re.S)
    assert m and "去年と同じ顔ぶれです" in m.group(1)
    assert 'id="stat-share">40%<' in r.text
    # The year selector offers the year shown and links to its neighbours.
    assert re.search(r'<option value="2024" selected>', r.text)
    assert 'href="/admin/reports/circle?year=2023"' in r.text


def test_circle_default_year(admin, fx):
    jst = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=9)))
    r = admin.get("/admin/reports/circle")
    assert r.status == 200
    m = re.search(r'id="circle-year">(\d+)<', r.text)
    assert m and int(m.group(1)) in (jst.year, (jst + datetime.timedelta(minutes=1)).year)


@pytest.mark.parametrize("year", ["abc", "1969", "10000", "20x4", "-2024", "0202", "2024.0"])
def test_circle_bad_year(admin, fx, year):
    r = admin.get("/admin/reports/circle?year=" + year)
    assert r.status == 400
    assert "1970" in r.text and "9999" in r.text
    assert 'id="same-faces"' not in r.text


def map_svg(admin, query=""):
    r = admin.get("/admin/map.svg" + query)
    assert r.status == 200, r.text[:2000]
    assert r.header("Content-Type").startswith("image/svg+xml")
    assert r.header("Cache-Control") == "no-store"
    root = ET.fromstring(r.body)  # well-formed XML, names escaped
    links = {a.get(XLINK) for a in root.iter(SVG_NS + "a")}
    texts = [t.text or "" for t in root.iter(SVG_NS + "text")]
    return r, links, texts


def test_map_svg(server, admin, fx):
    r, links, texts = map_svg(admin)
    c = db(server)
    want = [row[0] for row in c.execute(
        "SELECT id FROM people WHERE stage IN ('acquaintance', 'network') AND id NOT IN "
        "(SELECT person_id FROM users WHERE person_id IS NOT NULL)")]
    owner = [row[0] for row in c.execute(
        "SELECT person_id FROM users WHERE role = 'owner' AND person_id IS NOT NULL")]
    c.close()
    assert want
    for pid in owner:  # the owner is the "me" node
        assert "/admin/people/%d" % pid not in links
    for pid in want + [fx["introducer"]]:
        assert "/admin/people/%d" % pid in links
    assert "/admin/people/%d" % fx["lonely_reader"] not in links
    assert "わたし" in texts
    shown = '<script>alert("x")</script>&'  # Graphviz resolves "&amp;" in labels
    assert shown not in texts  # a fan: not on the default map
    assert b"<script" not in r.body
    assert "default-src 'none'" in r.header("Content-Security-Policy")

    # Stage and tag filters.
    r, links, texts = map_svg(admin, "?stage=fan")
    assert "/admin/people/%d" % fx["added21"][0] in links
    assert "/admin/people/%d" % fx["kept24"][0] not in links
    assert shown in texts  # drawn, as text
    assert b"<script" not in r.body
    _, links, _ = map_svg(admin, "?stage=network&tag=%E5%87%BA%E7%89%88")
    assert links == {"/admin/people/%d" % fx["kept24"][0]}


def test_map_page(admin, fx):
    r = admin.get("/admin/map?stage=network&tag=%E5%87%BA%E7%89%88")
    assert r.status == 200
    assert ('<object data="/admin/map.svg?stage=network&amp;tag=%E5%87%BA%E7%89%88" '
            'type="image/svg+xml"') in r.text
    assert re.search(r'<option value="network" selected>', r.text)
    r = admin.get("/admin/map")
    assert r.status == 200 and 'id="map-object"' in r.text


@pytest.mark.parametrize("query", ["?stage=friend", "?stage=%3Cb%3E", "?tag=" + "x" * 61,
                                   "?tag=a%01b"])
def test_map_bad_filters(admin, fx, query):
    r = admin.get("/admin/map" + query)
    assert r.status == 400
    assert "<b>" not in r.text
    r = admin.get("/admin/map.svg" + query)
    assert r.status == 400
    assert not r.header("Content-Type").startswith("image/svg+xml")


def test_reports_need_login(server, fx):
    c = server.client()
    for path in ("/admin/reports", "/admin/reports/circle?year=2024", "/admin/map",
                 "/admin/map.svg"):
        r = c.get(path, follow=False)
        assert r.status in (302, 303), path
        assert "/admin/login" in r.header("Location")


def test_reports_in_english(server, owner, fx):
    from conftest import login
    c = server.client(headers={"Accept-Language": "en"})
    assert login(c, owner.email, owner.password).status == 200
    r = c.get("/admin/reports/circle?year=2024")
    assert r.status == 200
    assert "Same faces as last year" in r.text
    assert "去年と同じ顔ぶれです" not in r.text
    r = c.get("/admin/reports")
    assert r.status == 200 and "Acquaintances" in r.text
    r = c.get("/admin/map.svg")
    root = ET.fromstring(r.body)
    assert "me" in [t.text for t in root.iter(SVG_NS + "text")]
    r = c.get("/admin/reports/circle?year=x")
    assert r.status == 400 and "four digits" in r.text
