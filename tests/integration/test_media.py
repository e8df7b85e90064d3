"""The media library (issue 10, "Pictures, media and sharing"): uploads
through the API and the admin, resizing to WebP and JPEG/PNG, EXIF
orientation applied and metadata (GPS) stripped, HEIC converted, SVG and
non-images refused by their bytes, size and pixel limits, the files served
by every node from the database, <picture> in articles, JPEG/PNG in mails,
the featured image as og:image.

Runs on the suite's engine (JM_TEST_ENGINE); the two-node test runs on
SQLite and, with JM_TEST_PG_URL set, on PostgreSQL.
"""
import io
import json
import os
import re
import shutil
import struct
import subprocess
import uuid
import zlib

import pytest
from PIL import Image

import jm
from conftest import OWNER_EMAIL, OWNER_PASSWORD
from test_delivery import env  # noqa: F401  (fixture: a server sending to a capture)
from test_nodes import Nodes, shared_db  # noqa: F401  (fixture)

GPS_TAG = 0x8825
MAKE_TAG = 0x010F
ORIENTATION_TAG = 0x0112


# ---- test files ----

def jpeg_bytes(w=2000, h=1500, orientation=None, gps=True, color=(200, 30, 30), quality=85):
    im = Image.new("RGB", (w, h), color)
    # A marker in the top-left corner tells which way the picture was turned.
    for x in range(w // 4):
        for y in range(h // 4):
            im.putpixel((x, y), (20, 200, 20))
    exif = Image.Exif()
    exif[MAKE_TAG] = "TestCam"
    if orientation:
        exif[ORIENTATION_TAG] = orientation
    if gps:
        exif[GPS_TAG] = {1: "N", 2: (35.0, 40.0, 0.0), 3: "E", 4: (139.0, 45.0, 0.0)}
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif.tobytes(), quality=quality)
    return out.getvalue()


def png_alpha_bytes(w=300, h=200):
    im = Image.new("RGBA", (w, h), (0, 0, 255, 128))
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def png_bomb_bytes(w=12000, h=12000):
    """A valid PNG header claiming w x h pixels (144 million) in a few
    hundred bytes: decoding it would take gigabytes."""
    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(1)</script><rect width="10" height="10"/></svg>')


def heic_bytes(tmp_path):
    if not shutil.which("heif-enc"):
        pytest.skip("heif-enc (libheif-examples) is not installed")
    src = tmp_path / "src.png"
    Image.new("RGB", (640, 480), (10, 120, 200)).save(src)
    dst = tmp_path / "photo.heic"
    subprocess.run(["heif-enc", "-q", "60", "-o", str(dst), str(src)], check=True,
                   capture_output=True)
    return dst.read_bytes()


def multipart(fields=(), files=()):
    """(body, content_type) of a multipart/form-data body."""
    boundary = "----jmtest" + uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields:
        out.write(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n"
                   % (boundary, name)).encode())
        out.write(value.encode() + b"\r\n")
    for name, filename, ctype, data in files:
        out.write(("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                   "Content-Type: %s\r\n\r\n" % (boundary, name, filename, ctype)).encode())
        out.write(data + b"\r\n")
    out.write(("--%s--\r\n" % boundary).encode())
    return out.getvalue(), "multipart/form-data; boundary=" + boundary


def api_upload(api, data, filename="photo.jpg", ctype="image/jpeg"):
    body, ct = multipart(files=[("file", filename, ctype, data)])
    return api.post("/api/v1/media", body=body, headers={"Content-Type": ct})


def fetch(server, path):
    return server.client().get(path)


def image_of(r):
    return Image.open(io.BytesIO(r.body))


# ---- the API ----

def test_upload_makes_variants_and_strips_metadata(server, api):
    r = api_upload(api, jpeg_bytes(orientation=None))
    assert r.status == 201, r.text
    m = r.json()
    assert set(m) >= {"id", "url", "width", "height", "variants"}
    assert (m["width"], m["height"]) == (1600, 1200)  # capped at the largest width
    assert [v["width"] for v in m["variants"]] == [480, 960, 1600]
    assert m["url"] == m["variants"][-1]["url"] and m["url"].endswith(".jpg")
    for v in m["variants"]:
        for key, fmt in (("webp", "WEBP"), ("url", "JPEG")):
            f = fetch(server, v[key])
            assert f.status == 200, v[key]
            im = image_of(f)
            assert im.format == fmt and im.size == (v["width"], v["height"])
            exif = im.getexif()
            assert GPS_TAG not in exif and MAKE_TAG not in exif, (v[key], dict(exif))
            assert f.headers.get("x-content-type-options") == "nosniff"
            assert "immutable" in f.headers.get("cache-control", "")
            assert f.headers.get("content-type") == ("image/webp" if fmt == "WEBP"
                                                     else "image/jpeg")
    # The second request comes from the node's file cache, the same bytes.
    again = fetch(server, m["url"])
    assert again.status == 200 and again.body == fetch(server, m["url"]).body


def test_small_image_is_never_upscaled(server, api):
    r = api_upload(api, jpeg_bytes(300, 200, color=(1, 2, 3)))
    assert r.status == 201, r.text
    m = r.json()
    assert (m["width"], m["height"]) == (300, 200)
    assert [(v["width"], v["height"]) for v in m["variants"]] == [(300, 200)]


def test_exif_orientation_is_applied(server, api):
    # Orientation 6: the camera was turned; the stored pixels are 2000 x 1500.
    r = api_upload(api, jpeg_bytes(2000, 1500, orientation=6, color=(9, 9, 9)))
    assert r.status == 201, r.text
    m = r.json()
    assert (m["width"], m["height"]) == (1500, 2000)  # widths cap, not heights
    im = image_of(fetch(server, m["variants"][0]["url"])).convert("RGB")
    assert im.size == (480, 640)
    assert ORIENTATION_TAG not in im.getexif() or im.getexif()[ORIENTATION_TAG] == 1
    # Rotated 90° clockwise, the green corner moved from top-left to top-right.
    g = im.getpixel((im.size[0] - 20, 20))
    assert g[1] > 150 and g[0] < 100, g


def test_same_bytes_give_the_same_image(server, api):
    data = jpeg_bytes(800, 600, color=(5, 50, 5))
    a = api_upload(api, data, filename="a.jpg")
    b = api_upload(api, data, filename="b.jpg")
    assert a.status == 201 and b.status == 200
    assert a.json()["id"] == b.json()["id"] and a.json()["url"] == b.json()["url"]


def test_png_with_transparency_keeps_png(server, api):
    r = api_upload(api, png_alpha_bytes(), filename="logo.png", ctype="image/png")
    assert r.status == 201, r.text
    m = r.json()
    assert m["url"].endswith(".png")
    im = image_of(fetch(server, m["url"]))
    assert im.format == "PNG" and im.mode in ("RGBA", "LA")


def test_heic_from_an_iphone_is_converted(server, api, tmp_path):
    r = api_upload(api, heic_bytes(tmp_path), filename="IMG_0001.HEIC", ctype="image/heic")
    assert r.status == 201, r.text
    m = r.json()
    assert (m["width"], m["height"]) == (640, 480)
    assert image_of(fetch(server, m["url"])).format == "JPEG"
    assert image_of(fetch(server, m["variants"][0]["webp"])).format == "WEBP"


@pytest.mark.parametrize("data,filename,ctype,code", [
    (SVG, "logo.svg", "image/svg+xml", "type"),
    (SVG, "logo.png", "image/png", "type"),  # the name lies: the bytes decide
    (b"just some text, not a picture at all\n" * 10, "photo.jpg", "image/jpeg", "type"),
    (b"%PDF-1.4\n" + b"0" * 100, "scan.jpg", "image/jpeg", "type"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 200, "broken.jpg", "image/jpeg", "corrupt"),
])
def test_what_is_not_an_image_is_refused(server, api, data, filename, ctype, code):
    before = api.get("/api/v1/media?per_page=100").json()["total"]
    r = api_upload(api, data, filename=filename, ctype=ctype)
    assert r.status == 422, r.text
    err = r.json()["error"]
    assert err["code"] == code and err["field"] == "file" and err["message"]
    assert api.get("/api/v1/media?per_page=100").json()["total"] == before


def test_decompression_bomb_is_refused(server, api):
    r = api_upload(api, png_bomb_bytes(), filename="bomb.png", ctype="image/png")
    assert r.status == 413, r.text
    assert r.json()["error"]["code"] == "pixels"
    assert "12000" in r.json()["error"]["message"]


def test_file_over_20_mb_is_refused(server, api):
    # Valid JPEG start, then padding: refused on its size before decoding.
    data = jpeg_bytes(64, 64) + b"\x00" * (20 * 1024 * 1024)
    r = api_upload(api, data, filename="huge.jpg")
    assert r.status == 413, r.text
    assert r.json()["error"]["code"] == "too_large"


def test_upload_body_limit_is_apart_from_the_json_limit(server, api):
    # A 3 MB image goes through the upload route (limit: --max-upload) ...
    im = Image.frombytes("RGB", (1000, 1000), os.urandom(3000000))
    out = io.BytesIO()
    im.save(out, "PNG")
    assert len(out.getvalue()) > 2 * 1024 * 1024
    r = api_upload(api, out.getvalue(), filename="noise.png", ctype="image/png")
    assert r.status == 201, r.text[:300]
    # ... while a JSON body of that size is refused (--max-body, 2 MB).
    big = json.dumps({"title": "x", "body": "あ" * (1024 * 1024)})
    r = api.post("/api/v1/articles", body=big.encode())
    assert r.status == 413
    assert r.json()["error"]["code"] == "too_large"


def test_upload_without_a_file_is_a_clear_error(server, api):
    body, ct = multipart(fields=[("title", "x")])
    r = api.post("/api/v1/media", body=body, headers={"Content-Type": ct})
    assert r.status == 400 and r.json()["error"]["field"] == "file"
    r = api.post("/api/v1/media", {"url": "https://example.com/a.jpg"})
    assert r.status == 400


def test_list_show_delete(server, api):
    m = api_upload(api, jpeg_bytes(500, 400, color=(77, 1, 1))).json()
    listed = api.get("/api/v1/media").json()
    assert any(i["id"] == m["id"] for i in listed["items"])
    assert api.get("/api/v1/media/%d" % m["id"]).json()["url"] == m["url"]
    assert fetch(server, m["url"]).status == 200  # now cached on disk
    assert api.delete("/api/v1/media/%d" % m["id"]).status == 204
    assert api.get("/api/v1/media/%d" % m["id"]).status == 404
    gone = fetch(server, m["url"])
    assert gone.status == 404 and "no-store" in gone.headers.get("cache-control", "")
    assert api.delete("/api/v1/media/%d" % m["id"]).status == 404


def test_media_names_that_are_not_ours_are_404(server):
    for path in ("/media/../jinmyaku.db", "/media/secret", "/media/%2e%2e%2fsecret",
                 "/media/0123456789abcdef0123-10x10.gif"):
        assert fetch(server, path).status == 404, path


# ---- several nodes ----

def test_image_uploaded_on_a_is_served_by_b(tmp_path, shared_db):  # noqa: F811
    n = Nodes(tmp_path, shared_db)
    try:
        p = n.cli("a", "user", "add", "--email", OWNER_EMAIL, "--role", "owner",
                  input=OWNER_PASSWORD + "\n")
        assert p.returncode == 0, p.stderr
        tok = n.cli("a", "token", "create", "--name", "a").stdout.strip().splitlines()[-1]
        a, b = n.start("a"), n.start("b")
        m = api_upload(jm.Api(a.base, tok), jpeg_bytes(1000, 800, color=(3, 4, 200)))
        assert m.status == 201, m.text
        m = m.json()
        cache_b = os.path.join(n.data("b"), "media")
        name = m["variants"][0]["webp"].rsplit("/", 1)[1]
        assert not os.path.exists(os.path.join(cache_b, name))
        r = fetch(b, m["variants"][0]["webp"])
        assert r.status == 200 and image_of(r).size == (480, 384)
        assert os.path.exists(os.path.join(cache_b, name))  # B cached it
        assert fetch(b, m["variants"][0]["webp"]).body == r.body
        # Deleted through A: B stops serving its cached copy.
        assert jm.Api(a.base, tok).delete("/api/v1/media/%d" % m["id"]).status == 204
        if shared_db.engine == "pg":
            jm.wait_until(lambda: not os.path.exists(os.path.join(cache_b, name)),
                          what="B dropping the deleted image")
        else:
            # SQLite has no notifications: B drops it when it starts again.
            assert os.path.exists(os.path.join(cache_b, name))
            b.stop_and_check()
            n.servers.remove(b)
            b = n.start("b")
            assert not os.path.exists(os.path.join(cache_b, name))
        assert fetch(b, m["variants"][0]["webp"]).status == 404
    finally:
        n.close()


# ---- the admin ----

def admin_upload(admin, data, filename="photo.jpg", ctype="image/jpeg", json_answer=True):
    r = admin.get("/admin/media")
    body, ct = multipart(fields=[("_csrf", jm.csrf_of(r.text))],
                         files=[("file", filename, ctype, data)])
    h = {"Content-Type": ct}
    if json_answer:
        h["Accept"] = "application/json"
    return admin.post("/admin/media", body=body, headers=h, follow=not json_answer)


def test_admin_upload_from_the_editor_gives_markdown(server, admin):
    r = admin_upload(admin, jpeg_bytes(700, 500, color=(0, 90, 90)), filename="海の写真.jpg")
    assert r.status == 201, r.text
    m = r.json()
    assert m["markdown"] == "![海の写真](%s)" % m["url"]
    page = admin.get("/admin/media")
    assert page.status == 200 and m["url"] in page.text and "海の写真.jpg" in page.text
    assert 'id="copy-%d"' % m["id"] in page.text


def test_admin_upload_needs_the_csrf_token(server, admin):
    body, ct = multipart(files=[("file", "a.jpg", "image/jpeg", jpeg_bytes(50, 50))])
    r = admin.post("/admin/media", body=body, headers={"Content-Type": ct,
                                                        "Accept": "application/json"})
    assert r.status == 403


def test_admin_refusal_is_in_the_owners_language(server, admin):
    r = admin_upload(admin, SVG, filename="logo.svg", ctype="image/svg+xml")
    assert r.status == 422
    assert r.json()["error"]["code"] == "type"
    assert "SVG" in r.json()["error"]["message"] and "画像" in r.json()["error"]["message"]
    # The plain form (no JavaScript) re-renders the page with the message.
    r = admin_upload(admin, b"hello", filename="a.jpg", json_answer=False)
    assert r.status == 422 and 'id="media-error"' in r.text and "画像ファイルではありません" in r.text


def test_admin_form_upload_and_delete(server, admin):
    r = admin_upload(admin, jpeg_bytes(600, 400, color=(120, 0, 120)), json_answer=False)
    assert r.status == 200 and 'id="flash"' in r.text
    ids = re.findall(r'action="/admin/media/(\d+)/delete"', r.text)
    assert ids
    r2, form = admin.get_form("/admin/media", action="/admin/media/%s/delete" % ids[0])
    r3 = admin.submit(form)
    assert r3.status == 200 and 'action="/admin/media/%s/delete"' % ids[0] not in r3.text


# ---- articles, featured image, settings ----

def test_article_image_renders_as_picture_with_srcset(server, api):
    m = api_upload(api, jpeg_bytes(2000, 1000, color=(10, 10, 99))).json()
    slug = jm.uniq("pic")
    api.publish(title="写真の記事", slug=slug,
                body="前の段落\n\n![夕焼け <海>](%s \"題\")\n\n![外部](https://example.com/x.jpg)"
                % m["url"])
    html = server.client().get("/articles/" + slug).text
    pic = re.search(r"<picture>.*?</picture>", html, re.S)
    assert pic, html
    p = pic.group(0)
    assert '<source type="image/webp" srcset="' in p
    for v in m["variants"]:
        assert "%s %dw" % (v["webp"], v["width"]) in p
        assert "%s %dw" % (v["url"], v["width"]) in p
    assert 'width="1600" height="800"' in p and 'loading="lazy"' in p
    assert 'alt="夕焼け &lt;海&gt;"' in p and 'title="題"' in p
    # An image from elsewhere renders as cmark renders it.
    assert '<img src="https://example.com/x.jpg" alt="外部"' in html


def test_picture_keeps_safe_mode(server, api):
    m = api_upload(api, jpeg_bytes(640, 480, color=(33, 99, 33))).json()
    slug = jm.uniq("safe")
    body = '![x" onerror="alert(1)](%s)\n\n<script>alert(2)</script>\n\n[a](javascript:alert(3))' % m["url"]
    r = api.post("/api/v1/articles", {"title": "安全", "slug": slug, "body": body,
                                      "status": "published"})
    assert r.status == 201
    html = server.client().get("/articles/" + slug).text
    assert 'onerror="' not in html and "<script>alert(2)" not in html
    assert "javascript:alert(3)" not in html


def test_featured_image_is_og_image(server, api):
    m = api_upload(api, jpeg_bytes(1200, 630, color=(250, 200, 0))).json()
    slug = jm.uniq("og")
    a = api.publish(title="OGPの記事", slug=slug, featured_image=m["url"])
    assert a["featured_image"] == m["url"]
    html = server.client().get("/articles/" + slug).text
    assert '<meta property="og:image" content="%s%s">' % (server.base, m["url"]) in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    # Cleared again: no og:image (no site image set), twitter summary.
    r = api.patch("/api/v1/articles/%d" % a["id"], {"featured_image": ""})
    assert r.status == 200 and r.json()["featured_image"] == ""
    html = server.client().get("/articles/" + slug).text
    assert "og:image" not in html and '<meta name="twitter:card" content="summary">' in html


@pytest.mark.parametrize("bad", ["https://evil.example/x.jpg", "/static/x.jpg",
                                 "/media/../secret", "/media/abc.jpg", "javascript:alert(1)"])
def test_featured_image_must_be_a_library_url(server, api, bad):
    slug = jm.uniq("bad")
    r = api.post("/api/v1/articles", {"title": "x", "slug": slug, "featured_image": bad})
    assert r.status == 422 and r.json()["error"]["field"] == "featured_image"
    assert api.get("/api/v1/articles?per_page=100").json()["items"] == [
        i for i in api.get("/api/v1/articles?per_page=100").json()["items"] if i["slug"] != slug]


def test_featured_image_in_the_editor(server, admin, api):
    m = api_upload(api, jpeg_bytes(900, 500, color=(1, 150, 250))).json()
    r, form = admin.get_form("/admin/articles/new", field="featured_image")
    assert form.has("featured_image") and 'id="featured-file"' in r.text
    slug = jm.uniq("ed")
    r = admin.submit(form, {"title": "編集画面", "slug": slug, "featured_image": m["url"],
                            "action": "publish"})
    assert r.status == 200
    art = [i for i in api.get("/api/v1/articles?per_page=100").json()["items"]
           if i["slug"] == slug][0]
    assert art["featured_image"] == m["url"]
    r, form = admin.get_form("/admin/articles/%d" % art["id"], field="featured_image")
    r = admin.submit(form, {"featured_image": "https://example.com/a.jpg"})
    assert r.status == 422 and "メディアライブラリ" in r.text


def test_site_image_logo_favicon_settings(server, admin, api):
    m = api_upload(api, png_alpha_bytes(64, 64)).json()
    r, form = admin.get_form("/admin/settings", field="site_image")
    assert 'id="group-images"' in r.text
    r = admin.submit(form, {"site_image": m["url"], "site_logo": m["url"],
                            "site_favicon": m["url"]})
    assert r.status == 200, r.text[:500]
    html = server.client().get("/").text
    assert '<meta property="og:image" content="%s%s">' % (server.base, m["url"]) in html
    assert '<link rel="icon" href="%s">' % m["url"] in html
    assert 'class="site-logo" src="%s"' % m["url"] in html
    r, form = admin.get_form("/admin/settings", field="site_image")
    r = admin.submit(form, {"site_logo": "https://example.com/logo.svg"})
    assert r.status == 422 and 'id="set-site_logo-error"' in r.text
    r, form = admin.get_form("/admin/settings", field="site_image")
    r = admin.submit(form, {"site_image": "", "site_logo": "", "site_favicon": ""})
    assert r.status == 200


# ---- mail ----

def test_mail_uses_jpeg_or_png_at_absolute_urls(env):  # noqa: F811  (test_delivery's env)
    from test_delivery import BASE, create_broadcast, mails_to, parts
    api, db, cap = env["api"], env["db"], env["cap"]
    m = api_upload(api, jpeg_bytes(2000, 1200, color=(200, 100, 0)))
    assert m.status == 201, m.text
    m = m.json()
    lid = jm.nl_list(db, jm.uniq("img"), "画像の配信")
    bid = create_broadcast(api, lid, "写真つき", "こんにちは\n\n![写真](%s)" % m["url"])
    r = api.post("/api/v1/broadcasts/%d/test" % bid, {"email": "pics@example.net"})
    assert r.status == 202, r.body
    got = jm.wait_until(lambda: mails_to(cap, {"pics@example.net"}), 30, what="test mail")
    text, html = parts(got["pics@example.net"][0][1])
    assert ".webp" not in html and "<picture" not in html and "srcset" not in html
    img = re.search(r'<img src="([^"]+)" width="(\d+)" height="(\d+)"', html)
    assert img, html
    assert img.group(1) == BASE + m["variants"][1]["url"]  # 960 wide, shown at 600
    assert (img.group(2), img.group(3)) == ("600", "360")


# ---- jinmyaku migrate ----

@pytest.mark.sqlite_only("migrates a SQLite installation")
def test_migrate_copies_the_library_as_bytes(tmp_path):
    if not os.environ.get("JM_TEST_PG_URL"):
        pytest.skip("JM_TEST_PG_URL is not set")
    import test_migrate as tm
    data = str(tmp_path / "data")
    src = jm.Server(data).start()
    try:
        src.add_user(OWNER_EMAIL, OWNER_PASSWORD)
        api = jm.Api(src.base, src.create_token("m"))
        m = api_upload(api, jpeg_bytes(1000, 700, color=(7, 77, 177))).json()
        before = fetch(src, m["variants"][0]["webp"]).body
    finally:
        src.stop_and_check()
    url, name = tm.make_db()
    try:
        p = tm.migrate("--from", "sqlite:" + os.path.join(data, "jinmyaku.db"), "--to", url)
        assert tm.migrated(p), p.stdout + p.stderr
        # A node on the copy with an empty cache serves the same bytes.
        dst = jm.Server(str(tmp_path / "pgnode" / "data"), ["--db", url]).start()
        try:
            r = fetch(dst, m["variants"][0]["webp"])
            assert r.status == 200 and r.body == before
        finally:
            dst.stop_and_check()
    finally:
        tm.drop_dbs()
