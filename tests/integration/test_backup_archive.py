"""The backup archive (issue 10): `jinmyaku backup FILE` and the owner's
download at /admin/backup.tar.gz write one .tar.gz with the database
snapshot (SQLite; on PostgreSQL the README names the pg_dump step), DATA/
media, the shared keys and the theme files. Both engines."""
import hashlib
import io
import os
import shutil
import sqlite3
import tarfile
import time

import pytest

import jm
from conftest import login

EDITOR = "backup-editor@example.com"
EDITOR_PW = "editor password 1"


@pytest.fixture(scope="module")
def site(server, owner):
    """A media file, a theme file and a DKIM key in place."""
    media = os.path.join(server.data_dir, "media", "2026", "12")
    os.makedirs(media, exist_ok=True)
    with open(os.path.join(media, "写真.jpg"), "wb") as f:
        f.write(b"\xff\xd8jpeg bytes\xff\xd9")
    db = jm.nl_db(server.data_dir)
    db.execute("INSERT INTO theme_files(name, body, updated_at) VALUES (?, ?, ?) "
               "ON CONFLICT(name) DO NOTHING", ("site/footer.html", "<footer>テーマ</footer>",
                                                int(time.time())))
    db.execute("INSERT INTO node_secrets(name, value, created_at) VALUES (?, ?, ?) "
               "ON CONFLICT(name) DO NOTHING", ("dkim:sel1", "-----BEGIN PRIVATE KEY-----\nX\n",
                                                int(time.time())))
    db.close()
    server.add_user(EDITOR, EDITOR_PW, role="editor")
    return server


def entries(data):
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as t:
        return {m.name: (t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()}


def check_archive(e, server):
    assert e["media/2026/12/写真.jpg"] == b"\xff\xd8jpeg bytes\xff\xd9"
    assert e["theme/site/footer.html"].decode() == "<footer>テーマ</footer>"
    assert e["keys/dkim:sel1"].startswith(b"-----BEGIN PRIVATE KEY-----")
    with open(os.path.join(server.data_dir, "secret"), "rb") as f:
        secret = f.read()
    assert e["keys/signing"] == secret.hex().encode() or len(e["keys/signing"]) >= 32
    if jm.ENGINE == "postgres":
        assert "jinmyaku.db" not in e
        assert b"pg_dump" in e["README.txt"]
    else:
        assert e["jinmyaku.db"].startswith(b"SQLite format 3\x00")


def test_cli_archive_holds_snapshot_media_keys_and_theme(site, tmp_path):
    out = tmp_path / "backup.tar.gz"
    p = site.cli("backup", str(out))
    assert p.returncode == 0, p.stderr
    e = entries(out.read_bytes())
    check_archive(e, site)
    if jm.ENGINE != "postgres":
        snap = tmp_path / "snap.db"
        snap.write_bytes(e["jinmyaku.db"])
        db = sqlite3.connect(str(snap))
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM users WHERE email = ?", (EDITOR,)).fetchone()[0] == 1
        db.close()
    assert not list(tmp_path.glob("backup.tar.gz.partial-*"))


def test_cli_backup_into_a_missing_folder_fails_in_one_line(site, tmp_path):
    out = tmp_path / "no-such-dir" / "b.tar.gz"
    p = site.cli("backup", str(out))
    assert p.returncode == 1
    assert len(p.stderr.strip().splitlines()) == 1 and "cannot create" in p.stderr
    assert not out.exists()


def test_owner_downloads_the_archive_and_editors_get_403(site, admin):
    r = admin.get("/admin/backup.tar.gz")
    assert r.status == 200, r.status
    assert r.header("Content-Type").startswith("application/gzip")
    assert "attachment" in r.header("Content-Disposition")
    check_archive(entries(r.body), site)
    assert not [f for f in os.listdir(site.data_dir) if f.startswith(".backup-download")]
    ed = site.client()
    login(ed, EDITOR, EDITOR_PW)
    assert ed.get("/admin/backup.tar.gz", follow=False).status == 403
    assert ed.get("/admin/users", follow=False).status == 403


def test_archive_streams_large_media_files_with_long_names(site, admin, tmp_path):
    """Media files far beyond what the old in-memory download held
    comfortably (3 × 40 MB of random bytes, so gzip cannot shrink them), and
    a name longer than ustar's 100 bytes: the CLI archive and the download
    both hold them byte for byte, and the download leaves nothing in
    DATA/tmp."""
    media = os.path.join(site.data_dir, "media", "big")
    os.makedirs(media, exist_ok=True)
    names = ["big-%d.bin" % i for i in range(3)] + ["長い名前" * 12 + ".jpg"]
    sums = {}
    for n in names:
        data = os.urandom(40 << 20) if n.startswith("big-") else b"long name"
        with open(os.path.join(media, n), "wb") as f:
            f.write(data)
        sums["media/big/" + n] = (len(data), hashlib.sha256(data).hexdigest())
    try:
        out = tmp_path / "large.tar.gz"
        p = site.cli("backup", str(out))
        assert p.returncode == 0, p.stderr
        assert out.stat().st_size > 120 << 20
        check_sums(out.open("rb"), sums)
        path = tmp_path / "download.tar.gz"
        r = admin.get("/admin/backup.tar.gz")
        assert r.status == 200, r.status
        path.write_bytes(r.body)
        check_sums(path.open("rb"), sums)
        assert not os.listdir(os.path.join(site.data_dir, "tmp"))
    finally:
        shutil.rmtree(media)


def check_sums(f, sums):
    seen = {}
    with tarfile.open(fileobj=f, mode="r|gz") as t:
        for m in t:
            if m.name in sums:
                h = hashlib.sha256()
                src = t.extractfile(m)
                for chunk in iter(lambda: src.read(1 << 20), b""):
                    h.update(chunk)
                seen[m.name] = (m.size, h.hexdigest())
            if m.name in ("README.txt", "media"):
                assert m.isfile() or m.isdir()
    f.close()
    assert seen == sums
