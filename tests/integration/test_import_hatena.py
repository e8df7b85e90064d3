"""`jinmyaku import hatena FILE [--uploads DIR]` (src/import/mt.c): はてな
ブログ's export in Movable Type's text format, made for the tests
(data/hatena_export.txt: Japanese titles and categories, HTML bodies, a
CONVERT BREAKS: 1 body, a comment section, an eyecatch IMAGE, a draft),
imported on the engine under test: articles, dates in the site's zone,
categories, /entry/… answering 301, images left linked unless a folder
holds them, a second import changing nothing, and bad files (XML, cut
short, not UTF-8, no entry) refused with one stderr line, nothing imported."""
import os
import urllib.parse

import pytest

import jm

DATA = os.path.join(os.path.dirname(__file__), "data")
MT = os.path.join(DATA, "hatena_export.txt")
FIRST = "はてなで書いた初めての記事"
IMG = "https://cdn-ak.f.st-hatena.com/images/fotolife/h/hatena-user/20240115/20240115120000.jpg"


def path_of(slug):
    return "/articles/" + urllib.parse.quote(slug)


@pytest.fixture(scope="module")
def imported(server):
    p = server.cli("import", "hatena", MT)
    assert p.returncode == 0, p.stderr
    return p


def test_report_and_articles(server, imported):
    out = imported.stdout
    assert "post\t%s\timported as /articles/%s\n" % (FIRST, FIRST) in out
    assert "post\t下書きのまま\timported as /articles/下書きのまま (unpublished)" in out
    assert out.rstrip().splitlines()[-1].startswith(
        "imported 3, already imported 0, skipped 0; new categories 2;")
    d = server.data_dir
    rows = {s: (st, t) for s, st, t in jm.qall(
        d, "SELECT slug, status, published_at FROM articles")}
    # DATE is the blog's local time: 01/15/2024 12:00:00 in Asia/Tokyo
    assert rows[FIRST] == ("published", 1705287600)
    assert rows["改行をそのまま書いた記事"] == ("published", 1703415600)  # 08:00:00 PM
    assert rows["下書きのまま"][0] == "draft"
    assert server.client().get(path_of("下書きのまま")).status == 404


def test_body_and_categories(server, imported):
    c = server.client()
    r = c.get(path_of(FIRST))
    assert r.status == 200
    t = r.text
    assert "<strong>本文</strong>" in t and "<h3>小見出し</h3>" in t and "<li>項目A</li>" in t
    assert 'src="%s"' % IMG in t  # はてな's image stays linked
    assert "コメント本文" not in t
    assert 'href="/category/%s">技術</a>' % urllib.parse.quote("技術") in t
    r = c.get(path_of("改行をそのまま書いた記事"))
    assert "<p>一行目<br />\n二行目</p>" in r.text and "<p>次の段落</p>" in r.text
    r = c.get("/category/" + urllib.parse.quote("日記"))
    assert r.status == 200 and FIRST in r.text and "改行をそのまま" in r.text


def test_entry_urls_answer_301(server, imported):
    r = server.raw("GET", "/entry/2024/01/15/120000")
    assert r.status == 301 and r.header("location") == path_of(FIRST)
    r = server.raw("GET", "/entry/2023/12/24/200000")
    assert r.status == 301
    assert server.raw("GET", "/entry/2024/02/01/100000").status == 404  # the draft


def test_second_import_changes_nothing(server, imported):
    d = server.data_dir
    before = jm.qall(d, "SELECT id, slug, body_md, updated_at FROM articles ORDER BY id")
    p = server.cli("import", "hatena", MT)
    assert p.returncode == 0, p.stderr
    assert p.stdout.rstrip().splitlines()[-1].startswith("imported 0, already imported 3,")
    assert jm.qall(d, "SELECT id, slug, body_md, updated_at FROM articles ORDER BY id") == before


def test_images_from_a_folder(make_server, tmp_path):
    from PIL import Image
    s = make_server()
    Image.new("RGB", (4, 4)).save(str(tmp_path / "20240115120000.jpg"))
    p = s.cli("import", "hatena", MT, "--uploads", str(tmp_path))
    assert p.returncode == 0, p.stderr
    assert "image\t%s\tstored as /media/" % IMG in p.stdout
    assert "images found 1, stored 1, missing 0" in p.stdout
    assert jm.q1(s.data_dir, "SELECT count(*) FROM media") == 1


BAD = {
    "xml": (open(os.path.join(DATA, "wp_export.xml"), "rb").read(), "not a Movable Type"),
    "truncated": (None, "truncated"),
    "sjis": ("TITLE: 日本語\n-----\nBODY:\nx\n-----\n--------\n".encode("shift_jis"), "not UTF-8"),
    "no_entry": (b"\n\n", "no entry"),
    "no_title": (b"STATUS: Publish\n-----\nBODY:\nx\n-----\n--------\n", "without TITLE"),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_file_refused_nothing_imported(make_server, tmp_path, kind):
    s = make_server()
    data, why = BAD[kind]
    if data is None:  # cut inside the last entry: the first two must not stay
        raw = open(MT, "rb").read()
        data = raw[: raw.rindex(b"--------")]
    f = tmp_path / "bad.txt"
    f.write_bytes(data)
    p = s.cli("import", "hatena", str(f))
    assert p.returncode == 1, (p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jinmyaku: import hatena: "), p.stderr
    assert why in lines[0], lines[0]
    assert jm.q1(s.data_dir, "SELECT count(*) FROM articles") == 0
    assert jm.q1(s.data_dir, "SELECT count(*) FROM categories") == 0


def test_admin_upload(make_server):
    from conftest import login
    s = make_server()
    s.add_user("owner@example.com", "correct horse battery staple")
    c = s.client()
    assert login(c, "owner@example.com", "correct horse battery staple").status == 200
    r = c.get("/admin/blog-import")
    body, ctype = jm.multipart({"_csrf": jm.csrf_of(r.text), "source": "hatena"},
                               {"file": ("hatena.export.txt", open(MT, "rb").read())})
    r = c.post("/admin/blog-import", body=body, headers={"Content-Type": ctype})
    assert r.status == 200 and 'id="import-done"' in r.text, r.text[-3000:]
    assert "取り込み 3件・取り込み済み 0件" in r.text
    assert "/articles/" in r.text and "として取り込みました" in r.text
    assert jm.q1(s.data_dir, "SELECT count(*) FROM articles") == 3
