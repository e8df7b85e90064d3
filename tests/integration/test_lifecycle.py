"""Server life cycle and the parts of h2o we rely on: counters flushed on a
graceful stop, a theme folder overriding templates, a broken template
refused at start-up with file:line, gzip from the compress filter, and
multipart/form-data forms (parsed with GMime) in the admin."""
import gzip
import os
import subprocess

import jm
from conftest import login


def test_sigterm_flushes_page_view_counters(make_server):
    s = make_server()
    s.add_user("o@example.com", "password-1234")
    api = jm.Api(s.base, s.create_token())
    art = api.publish(title="停止前の記事", slug="before-stop")
    ua = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120"}
    for _ in range(3):
        assert s.client(headers=ua).get("/articles/before-stop").status == 200
    # Counters flush every ~10 s; stopping right away must not lose them.
    s.stop_and_check()
    db = jm.db_connect(s.data_dir)
    try:
        views = db.execute("SELECT coalesce(sum(views), 0) FROM pageviews WHERE path = ?",
                           ("/articles/" + art["slug"],)).fetchone()[0]
    finally:
        db.close()
    assert views == 3


def test_theme_folder_overrides_a_template(tmp_path_factory):
    d = tmp_path_factory.mktemp("theme")
    data = d / "data"
    (data / "theme" / "site").mkdir(parents=True)
    src = os.path.join(jm.ROOT, "templates", "site", "robots.txt")
    with open(src, encoding="utf-8") as f:
        robots = f.read()
    (data / "theme" / "site" / "robots.txt").write_text("# theme: my-theme\n" + robots, encoding="utf-8")
    s = jm.Server(str(data)).start()
    try:
        r = s.client().get("/robots.txt")
        assert r.status == 200
        assert r.text.startswith("# theme: my-theme")
    finally:
        s.stop_and_check()


def test_broken_theme_template_stops_start_with_file_and_line(tmp_path):
    data = tmp_path / "data"
    (data / "theme" / "site").mkdir(parents=True)
    (data / "theme" / "site" / "about.html").write_text(
        '{% extends "site/layout.html" %}\n{% block content %}\n{% if x %}\nno end\n{% endblock %}\n',
        encoding="utf-8")
    p = subprocess.run([jm.jinmyaku_bin(), "serve", "--data", str(data),
                        "--listen", "127.0.0.1:%d" % jm.free_port()],
                       capture_output=True, text=True, env=jm.sanitizer_env(str(data)), timeout=120,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 1
    lines = [l for l in p.stderr.splitlines() if l.startswith("jinmyaku:")]
    assert len(lines) == 1, p.stderr
    assert "about.html:" in lines[0], lines[0]
    assert not jm.sanitizer_reports(p.stderr), p.stderr


def test_pages_are_gzipped_when_asked(server, api):
    api.publish(title="圧縮の確認", slug="gzip-check", body="本文。" * 200)
    plain = server.raw("GET", "/articles/gzip-check")
    zipped = server.raw("GET", "/articles/gzip-check", headers={"Accept-Encoding": "gzip"})
    assert plain.status == zipped.status == 200
    assert plain.header("Content-Encoding") is None
    assert zipped.header("Content-Encoding") == "gzip"
    assert gzip.decompress(zipped.body) == plain.body


def test_multipart_settings_form_is_accepted(server, owner):
    c = server.client()
    assert login(c, owner.email, owner.password).status == 200
    r, form = c.get_form("/admin/settings", field="title")
    fields = form.pairs({"title": "マルチパートのサイト"})
    boundary = "----jinmyaku-test-boundary"
    parts = []
    for name, value in fields:
        parts.append("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                     % (boundary, name, value))
    body = ("".join(parts) + "--%s--\r\n" % boundary).encode("utf-8")
    r = c.request("POST", "/admin/settings", body=body,
                  headers={"Content-Type": "multipart/form-data; boundary=" + boundary})
    assert r.status == 200, r.text[:2000]
    home = server.client().get("/")
    assert "マルチパートのサイト" in home.text


def test_malformed_multipart_is_400_and_changes_nothing(server, owner):
    c = server.client()
    assert login(c, owner.email, owner.password).status == 200
    before = server.client().get("/").text
    r = c.request("POST", "/admin/settings", body=b"--x\r\nbroken",
                  headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert r.status == 400
    assert server.client().get("/").text == before
