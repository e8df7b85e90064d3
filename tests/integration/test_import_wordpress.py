"""`jinmyaku import wordpress FILE.xml [--uploads DIR]` (src/import/wxr.c,
html2md.c, images.c; src/site/import.c, redirect.c, category.c): a WXR
export made for the tests (data/wp_export.xml: Japanese titles, categories
with a parent, tags, block markup and classic HTML, a draft, a private
post, a trashed post, a page, an attachment used as featured image and in
the content, percent-encoded Japanese slugs) is imported on the engine
under test; the articles read cleanly on the site, old URLs answer 301,
categories have pages, a second import changes nothing, and bad files
(not XML, truncated, XXE, billion laughs, another format) are refused with
one stderr line and nothing imported."""
import os
import re
import urllib.parse

import pytest

import jm

DATA = os.path.join(os.path.dirname(__file__), "data")
WXR = os.path.join(DATA, "wp_export.xml")
SERVER_SLUG = "サーバー"
SERVER_PATH = "/articles/" + urllib.parse.quote(SERVER_SLUG)


def articles(d):
    return jm.q1(d, "SELECT count(*) FROM articles")


@pytest.fixture(scope="module")
def uploads(tmp_path_factory):
    """A copy of wp-content/uploads holding the original of the image the
    posts show (the content links its -300x200 size)."""
    from PIL import Image
    d = tmp_path_factory.mktemp("uploads")
    os.makedirs(d / "2024" / "01")
    Image.new("RGB", (8, 8), (200, 100, 50)).save(str(d / "2024" / "01" / "inu.jpg"))
    return str(d)


@pytest.fixture(scope="module")
def imported(server, uploads):
    p = server.cli("import", "wordpress", WXR, "--uploads", uploads)
    assert p.returncode == 0, p.stderr
    return p


def test_report_lists_imported_and_skipped(imported):
    out = imported.stdout
    assert "post\tC言語でサーバーを書く\timported as /articles/サーバー\n" in out
    assert "post\t昔ながらの日記\timported as /articles/old-diary\n" in out
    assert "post\t下書きの記事\timported as /articles/下書きの記事 (unpublished)" in out
    assert "post\t非公開の記事\timported as /articles/private-one (unpublished)" in out
    assert "page\tプロフィール\timported as /articles/profile\n" in out
    assert "post\tゴミ箱の記事\tskipped: trashed\n" in out
    assert "nav_menu_item\t\t1 skipped: not a post or page" in out
    assert out.rstrip().splitlines()[-1].startswith(
        "imported 5, already imported 0, skipped 1; new categories 3;")


def test_statuses_dates_and_trash(server, imported):
    d = server.data_dir
    rows = dict(jm.qall(d, "SELECT slug, status FROM articles"))
    assert rows[SERVER_SLUG] == "published" and rows["old-diary"] == "published"
    assert rows["profile"] == "published"
    assert rows["下書きの記事"] == "draft" and rows["private-one"] == "draft"
    assert not [s for s in rows if "trash" in s]
    # post_date_gmt 2024-01-15 03:00:00
    assert jm.q1(d, "SELECT published_at FROM articles WHERE slug = ?", SERVER_SLUG) == 1705287600
    assert server.client().get("/articles/private-one").status == 404
    assert server.client().get("/articles/" + urllib.parse.quote("下書きの記事")).status == 404


def test_categories_with_parent_and_tags(server, imported):
    d = server.data_dir
    cats = {s: (n, p) for s, n, p in jm.qall(
        d, "SELECT c.slug, c.name, p.slug FROM categories c "
           "LEFT JOIN categories p ON p.id = c.parent_id")}
    assert cats["技術"] == ("技術", None)
    assert cats["c-lang"] == ("C言語", "技術")
    assert cats["diary"] == ("日記", None)
    tags = [t for (t,) in jm.qall(
        d, "SELECT t.name FROM tags t JOIN article_tags x ON x.tag_id = t.id "
           "JOIN articles a ON a.id = x.article_id WHERE a.slug = ?", SERVER_SLUG)]
    assert tags == ["メモ"]


def test_block_markup_becomes_clean_article(server, imported):
    r = server.client().get(SERVER_PATH)
    assert r.status == 200
    t = r.text
    assert "<strong>本文</strong>" in t
    assert '<a href="https://example.org/doc">資料</a>' in t
    assert "<h2>見出しの二</h2>" in t
    assert "<li>一つ目</li>" in t and "<li>二つ目</li>" in t
    assert "<pre><code>int main(void) { return 0; }" in t
    assert 'alt="犬"' in t
    assert "wp:paragraph" not in t and "alert(" not in t
    md = jm.q1(server.data_dir, "SELECT body_md FROM articles WHERE slug = ?", SERVER_SLUG)
    assert "<!--" not in md and "<script" not in md


def test_classic_html_paragraphs(server, imported):
    r = server.client().get("/articles/old-diary")
    assert r.status == 200
    t = r.text
    assert "<p>一段落目の一行目<br />\n一段落目の二行目</p>" in t
    assert "<p>二段落目に<em>強調</em>と *記号* があります。</p>" in t
    assert jm.q1(server.data_dir, "SELECT excerpt FROM articles WHERE slug = 'old-diary'") \
        == "日記の抜粋"


def test_category_pages_and_article_shows_categories(server, imported):
    c = server.client()
    r = c.get("/category/" + urllib.parse.quote("技術"))  # the parent lists its child's posts
    assert r.status == 200 and "C言語でサーバーを書く" in r.text
    assert "昔ながらの日記" not in r.text
    r = c.get("/category/c-lang")
    assert r.status == 200 and "C言語でサーバーを書く" in r.text
    r = c.get("/category/diary")
    assert r.status == 200 and "昔ながらの日記" in r.text and "C言語で" not in r.text
    assert c.get("/category/no-such").status == 404
    r = c.get(SERVER_PATH)
    assert 'href="/category/c-lang">C言語</a>' in r.text


@pytest.mark.parametrize("old,new", [
    ("/?p=11", SERVER_PATH),
    ("/?page_id=5", "/articles/profile"),
    ("/profile/", "/articles/profile"),
    ("/2023/12/old-diary/", "/articles/old-diary"),
    ("/2024/01/%e3%82%b5%e3%83%bc%e3%83%90%e3%83%bc/", SERVER_PATH),
    ("/2024/01/%E3%82%B5%E3%83%BC%E3%83%90%E3%83%BC/", SERVER_PATH),
    ("/2024/01/%E3%82%B5%E3%83%BC%E3%83%90%E3%83%BC", SERVER_PATH),
])
def test_old_urls_answer_301(server, imported, old, new):
    r = server.raw("GET", old)
    assert r.status == 301, (old, r.status)
    assert r.header("location") == new
    assert server.client().get(new).status == 200


def test_unpublished_old_urls_do_not_redirect(server, imported):
    assert server.raw("GET", "/2024/02/private-one/").status == 404
    r = server.raw("GET", "/?p=13")  # the draft: "/" shows the home page
    assert r.status == 200
    assert server.raw("GET", "/?page=1").status == 200
    assert server.raw("GET", "/2099/01/nothing/").status == 404


def test_images_found_in_uploads(server, imported, uploads):
    out = imported.stdout
    # the -300x200 size falls back to the original, which goes into the
    # media library; the featured image is the same file, so the same row
    assert ("image\thttps://old.example.jp/wp-content/uploads/2024/01/inu-300x200.jpg\t"
            "stored as /media/") in out
    assert ("image\thttps://old.example.jp/wp-content/uploads/2024/01/nai.png\t"
            "not found in %s: left linked" % uploads) in out
    assert "images found 2, stored 2, missing 1" in out
    d = server.data_dir
    assert jm.q1(d, "SELECT count(*) FROM media") == 1
    url = jm.q1(d, "SELECT featured_image FROM articles WHERE featured_image <> ''")
    assert url.startswith("/media/") and url.endswith(".jpg")
    # the content links the library copy, never the old site
    body = jm.q1(d, "SELECT body_md FROM articles WHERE body_md LIKE '%/media/%'")
    assert "old.example.jp/wp-content/uploads/2024/01/inu" not in body
    r = server.client().get(url)
    assert r.status == 200 and r.header("content-type") == "image/jpeg"


def test_second_import_changes_nothing(server, imported, uploads):
    d = server.data_dir
    before = jm.qall(d, "SELECT id, slug, title, body_md, status, updated_at FROM articles "
                        "ORDER BY id")
    cats = jm.qall(d, "SELECT id, slug, parent_id FROM categories ORDER BY id")
    redirects = jm.q1(d, "SELECT count(*) FROM redirects")
    p = server.cli("import", "wordpress", WXR, "--uploads", uploads)
    assert p.returncode == 0, p.stderr
    assert "post\tC言語でサーバーを書く\tskipped: imported before" in p.stdout
    assert p.stdout.rstrip().splitlines()[-1].startswith(
        "imported 0, already imported 5, skipped 1; new categories 0;")
    assert jm.qall(d, "SELECT id, slug, title, body_md, status, updated_at FROM articles "
                      "ORDER BY id") == before
    assert jm.qall(d, "SELECT id, slug, parent_id FROM categories ORDER BY id") == cats
    assert jm.q1(d, "SELECT count(*) FROM redirects") == redirects
    assert jm.q1(d, "SELECT count(*) FROM media") == 1  # the same bytes: the same row


def test_taken_slug_is_suffixed(make_server, tmp_path):
    s = make_server()
    p = s.cli("import", "wordpress", WXR)
    assert p.returncode == 0, p.stderr
    # another export with the same slug and another guid
    xml = open(WXR, encoding="utf-8").read().replace("?p=12<", "?p=912<").replace(
        "<wp:post_id>12<", "<wp:post_id>912<")
    f = tmp_path / "again.xml"
    f.write_text(xml, encoding="utf-8")
    p = s.cli("import", "wordpress", str(f))
    assert p.returncode == 0, p.stderr
    assert "post\t昔ながらの日記\timported as /articles/old-diary-2\n" in p.stdout


BAD = {
    "not_xml": (b"this is not XML at all\n", "not well-formed XML"),
    "truncated": (None, "not well-formed XML"),
    "xxe": (b'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://SECRET">]>\n'
            b'<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel>'
            b'<wp:wxr_version>1.2</wp:wxr_version><item><title>&xxe;</title>'
            b'<wp:post_type>post</wp:post_type><wp:status>publish</wp:status>'
            b'<wp:post_id>1</wp:post_id></item></channel></rss>\n', "DOCTYPE"),
    "laughs": (b'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
               b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
               b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>\n'
               b'<rss><channel><item><title>&c;</title></item></channel></rss>\n',
               ("DOCTYPE", "entity reference loop")),
    "plain_rss": (b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>'
                  b'<item><title>a</title></item></channel></rss>', "not a WordPress export"),
    "hatena_file": ("TITLE: はてな\nBASENAME: 2024/01/01/000000\n-----\nBODY:\n<p>x</p>\n"
                    "-----\n--------\n".encode(), "not well-formed XML"),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_file_refused_nothing_imported(make_server, tmp_path, kind):
    s = make_server()
    data, why = BAD[kind]
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARK\n")
    if data is None:
        raw = open(WXR, "rb").read()
        data = raw[: len(raw) * 2 // 3]
    data = data.replace(b"SECRET", str(secret).encode())
    f = tmp_path / "bad.xml"
    f.write_bytes(data)
    p = s.cli("import", "wordpress", str(f))
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jinmyaku: import wordpress: "), p.stderr
    assert any(w in lines[0] for w in ((why,) if isinstance(why, str) else why)), lines[0]
    assert "TOP-SECRET" not in p.stdout + p.stderr
    assert articles(s.data_dir) == 0
    assert jm.q1(s.data_dir, "SELECT count(*) FROM categories") == 0
    assert jm.q1(s.data_dir, "SELECT count(*) FROM import_items") == 0


def test_cli_usage_errors(server, tmp_path):
    p = server.cli("import", "wordpress", str(tmp_path / "missing.xml"))
    assert p.returncode == 1 and len(p.stderr.strip().splitlines()) == 1
    p = server.cli("import", "wordpress", WXR, "--uploads", str(tmp_path / "nodir"))
    assert p.returncode == 2 and "is not a folder" in p.stderr
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    p = server.cli("import", "wordpress", str(empty))
    assert p.returncode == 1 and "is empty" in p.stderr


def admin_upload(admin, source, name, data):
    r = admin.get("/admin/blog-import")
    assert r.status == 200, r.text[:2000]
    body, ctype = jm.multipart({"_csrf": jm.csrf_of(r.text), "source": source},
                               {"file": (name, data)})
    return admin.post("/admin/blog-import", body=body, headers={"Content-Type": ctype})


def test_admin_upload_shows_report(server, admin, imported):
    r = admin_upload(admin, "wordpress", "wp_export.xml", open(WXR, "rb").read())
    assert r.status == 200, r.text[:3000]
    assert "/admin/blog-import/" in r.url
    assert 'id="import-done"' in r.text
    # the CLI imported this file already: the admin changes nothing either
    # in the admin's language (Japanese by default), from the catalog
    assert "取り込み 0件・取り込み済み 5件・スキップ 1件" in r.text
    table = re.search(r'<table class="table" id="import-lines">.*?</table>', r.text, re.S).group(0)
    assert re.search(r"<td>投稿</td><td>ゴミ箱の記事</td><td>スキップ：ゴミ箱の項目です</td>", table), table
    assert "前に取り込み済みです" in table
    assert not re.search(r"skipped:|imported as|imported before|attachments:", table), table
    # the report stays readable (from the database: any node can show it)
    path = r.url.replace(server.base, "")
    r2 = admin.get(path)
    assert r2.status == 200 and 'id="import-done"' in r2.text
    # and in English for an owner who chose it
    tok = jm.csrf_of(admin.get("/admin/").text)
    admin.post("/admin/lang", form={"_csrf": tok, "lang": "en", "next": "/admin/"})
    try:
        r3 = admin.get(path).text
        assert "imported 0, already imported 5, skipped 1" in r3
        assert "skipped: trashed" in r3 and "ゴミ箱の項目" not in r3
    finally:
        tok = jm.csrf_of(admin.get("/admin/").text)
        admin.post("/admin/lang", form={"_csrf": tok, "lang": "ja", "next": "/admin/"})


def test_admin_upload_bad_file_nothing_imported(server, admin, imported):
    n = articles(server.data_dir)
    r = admin_upload(admin, "wordpress", "bad.xml", b"<rss><channel>")
    assert r.status == 200 and 'id="import-failed"' in r.text
    assert "not well-formed XML" in r.text
    assert articles(server.data_dir) == n
    r = admin_upload(admin, "nonsense", "x.xml", b"x")
    assert r.status == 422
