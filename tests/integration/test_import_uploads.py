"""Uploads of the admin's imports (issue 10: "uploads stream to disk; the
body limit for uploads and imports is raised separately from the API's"):
the CSV import and the blog import are upload routes (spooled to DATA/tmp,
--max-upload, not the 2 MB --max-body), and the blog import takes the old
site's folder of images (<input webkitdirectory>: file parts named by their
path below the picked folder), refusing names that would leave it. Both
engines."""
import io
import os
import re
import uuid

import pytest

import jm
from conftest import OWNER_EMAIL, OWNER_PASSWORD, login

DATA = os.path.join(os.path.dirname(__file__), "data")
WXR = os.path.join(DATA, "wp_export.xml")
MT = os.path.join(DATA, "hatena_export.txt")
HATENA_IMG = ("https://cdn-ak.f.st-hatena.com/images/fotolife/h/hatena-user/20240115/"
              "20240115120000.jpg")


def multipart(fields, files):
    """(body, content type); files: a list of (field, filename, bytes), so
    one field may carry many files, as a folder input sends them."""
    b = "----jmtest" + uuid.uuid4().hex
    out = []
    for k, v in fields.items():
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n" % (b, k))
                   .encode() + v.encode() + b"\r\n")
    for k, name, data in files:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                    "Content-Type: application/octet-stream\r\n\r\n" % (b, k, name)).encode()
                   + data + b"\r\n")
    out.append(("--%s--\r\n" % b).encode())
    return b"".join(out), "multipart/form-data; boundary=" + b


def jpeg(color):
    from PIL import Image
    f = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(f, "JPEG")
    return f.getvalue()


def blog_import(admin, source, export, images):
    r = admin.get("/admin/blog-import")
    assert r.status == 200 and 'webkitdirectory' in r.text
    body, ctype = multipart({"_csrf": jm.csrf_of(r.text), "source": source},
                            [("file", os.path.basename(export), open(export, "rb").read())]
                            + [("images", n, d) for n, d in images])
    return admin.post("/admin/blog-import", body=body, headers={"Content-Type": ctype})


def tmp_empty(server):
    return os.listdir(os.path.join(server.data_dir, "tmp")) == []


def articles(server):
    return jm.q1(server.data_dir, "SELECT count(*) FROM articles")


def test_folder_with_traversal_names_is_refused_and_nothing_imported(server, admin):
    before = articles(server)
    for bad in ("uploads/../../escape.jpg", "/etc/escape.jpg", "uploads/2024/./x.jpg",
                "uploads//x.jpg", "uploads/..", ".."):
        r = blog_import(admin, "wordpress", WXR, [("uploads/2024/01/inu.jpg", jpeg((1, 2, 3))),
                                                  (bad, b"x")])
        assert r.status == 422, (bad, r.status)
        assert "使えない名前" in r.text, bad
        assert articles(server) == before
        assert jm.q1(server.data_dir, "SELECT count(*) FROM media") == 0
        assert tmp_empty(server), os.listdir(os.path.join(server.data_dir, "tmp"))
    assert not os.path.exists(os.path.join(server.data_dir, "escape.jpg"))


def test_wordpress_folder_images_go_to_the_library_and_links_point_there(server, admin):
    # the folder the owner picked is "uploads": every name starts with it
    images = [("uploads/2024/01/inu.jpg", jpeg((200, 100, 50))),
              ("uploads/2024/01/inu-300x200.jpg", jpeg((200, 100, 51))),
              ("uploads/2023/12/unused.jpg", jpeg((0, 0, 0)))]
    r = blog_import(admin, "wordpress", WXR, images)
    assert r.status == 200 and 'id="import-done"' in r.text, r.text[-3000:]
    assert "画像：見つかった 2件・保存 2件・見つからない 1件" in r.text
    d = server.data_dir
    url = jm.q1(d, "SELECT featured_image FROM articles WHERE featured_image <> ''")
    assert url.startswith("/media/") and url.endswith(".jpg")
    body = jm.q1(d, "SELECT body_md FROM articles WHERE body_md LIKE '%/media/%'")
    assert "old.example.jp/wp-content/uploads/2024/01/inu" not in body
    assert re.search(r"/media/[^)\s\"]+\.jpg", body)
    assert server.client().get(url).status == 200
    assert tmp_empty(server)


def test_hatena_folder_is_looked_up_by_file_name(make_server):
    s = make_server()
    s.add_user(OWNER_EMAIL, OWNER_PASSWORD, role="owner")
    c = s.client()
    assert login(c, OWNER_EMAIL, OWNER_PASSWORD).status == 200
    r = blog_import(c, "hatena", MT, [("fotolife/2024/20240115120000.jpg", jpeg((9, 9, 9)))])
    assert r.status == 200 and 'id="import-done"' in r.text, r.text[-3000:]
    assert "画像：見つかった 1件・保存 1件・見つからない 0件" in r.text
    body = "\n".join(row[0] for row in jm.qall(s.data_dir, "SELECT body_md FROM articles"))
    assert HATENA_IMG not in body and "/media/" in body
    assert tmp_empty(s)


def csv_bytes(n, tag):
    rows = ["メールアドレス,氏名,会社"]
    rows += ["big-%s-%06d@example.jp,大きな 名簿%06d,株式会社サンプル商事 第%06d営業部" % (tag, i, i, i)
             for i in range(n)]
    return ("\r\n".join(rows) + "\r\n").encode("utf-8")


def csv_upload(admin, lid, data):
    r = admin.get("/admin/imports/new")
    body, ctype = multipart({"_csrf": jm.csrf_of(r.text), "list": str(lid), "encoding": "auto"},
                            [("file", "大きな名簿.csv", data)])
    return admin.post("/admin/imports", body=body, headers={"Content-Type": ctype},
                      follow=False)


def test_csv_larger_than_the_body_limit_is_imported(server, admin, api):
    r = api.post("/api/v1/lists", {"name": "大きな名簿", "slug": "big-csv"})
    assert r.status == 201, r.text
    lid = r.json()["id"]
    n = 36000
    data = csv_bytes(n, "a")
    assert len(data) > 3 * 1024 * 1024  # past --max-body (2 MiB) and the preview's 1 MiB
    up = csv_upload(admin, lid, data)
    assert up.status == 303, up.text[:2000]
    page = admin.get(up.header("Location"))
    assert page.status == 200 and "big-a-000000@example.jp" in page.text, page.text[:3000]
    form = jm.find_form(page.text, action="/admin/imports/")
    form.page = page.url
    done = admin.submit(form, {"mode": "consented"})
    assert 'id="import-report"' in done.text, done.text[-3000:]
    iid = re.search(r"/admin/imports/([A-Za-z0-9_-]{22})", page.url).group(1)
    st = admin.get("/admin/imports/%s/status" % iid).json()
    assert st["state"] == "done" and st["imported"] == n, st
    assert jm.q1(server.data_dir,
                 "SELECT count(*) FROM subscriptions WHERE list_id = ?", lid) == n
    assert tmp_empty(server)


def announce_body(server, client, path, length):
    """The status answered to a POST announcing a body of length bytes."""
    import http.client
    h = http.client.HTTPConnection(server.base.split("//")[1], timeout=30)
    cookie = "; ".join("%s=%s" % kv for kv in client.cookies().items())
    h.putrequest("POST", path)
    h.putheader("Content-Type", "multipart/form-data; boundary=x")
    h.putheader("Content-Length", str(length))
    h.putheader("Cookie", cookie)
    h.endheaders()
    status = h.getresponse().status
    h.close()
    return status


def test_csv_past_max_upload_gets_413_and_nothing_stored(make_server):
    s = make_server("--max-upload", str(3 * 1024 * 1024))
    s.add_user(OWNER_EMAIL, OWNER_PASSWORD, role="owner")
    c = s.client()
    assert login(c, OWNER_EMAIL, OWNER_PASSWORD).status == 200
    lid = jm.Api(s.base, s.create_token("t")).post(
        "/api/v1/lists", {"name": "名簿", "slug": "cap"}).json()["id"]
    small = csv_bytes(20000, "b")  # about 1.7 MB: under both limits... and 2.5 MB next
    assert csv_upload(c, lid, small).status == 303
    mid = csv_bytes(30000, "c")
    assert 2 * 1024 * 1024 < len(mid) < 3 * 1024 * 1024
    assert csv_upload(c, lid, mid).status == 303  # past --max-body, under --max-upload
    # past --max-upload: refused from the Content-Length, before the body
    # (the server closes the connection, so only the head is sent)
    assert announce_body(s, c, "/admin/imports", 3 * 1024 * 1024 + 1) == 413
    assert jm.q1(s.data_dir, "SELECT count(*) FROM import_uploads") == 2
    assert tmp_empty(s)
