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
    finally:
        n.close()
