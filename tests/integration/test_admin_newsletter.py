"""The mail magazine in the admin: lists with custom sign-up fields and the
embed snippet, subscribers (add by hand, search, filters, bulk tag / untag /
unsubscribe / erase with its confirmation step), CSV export, CSV import in
UTF-8 and Shift_JIS through the upload form with its report, the broadcast
composer with previews (merge fallbacks), sending refused without the
sender settings, the progress page and its JSON, and CSRF on every POST."""
import json
import re
import uuid
from urllib.parse import quote

import pytest

import jm


def q1(server, sql, *args):
    return jm.q1(server.data_dir, sql, *args)


def csrf(admin, page="/admin/lists"):
    r = admin.get(page)
    assert r.status == 200
    tok = jm.csrf_of(r.text)
    assert tok
    return tok


def make_list(admin, slug, name="テストのメルマガ", fields=None, status=200):
    _, form = admin.get_form("/admin/lists/new", action="/admin/lists")
    upd = {"name": name, "slug": slug, "description": "説明"}
    for i, f in enumerate(fields or []):
        for k, v in f.items():
            upd["f%d_%s" % (i, k)] = v
    r = admin.submit(form, upd)
    assert r.status == status, r.text[:3000]
    if status != 200:
        return None, r
    m = re.search(r"/admin/lists/(\d+)", r.url)
    assert m, r.url
    return int(m.group(1)), r


def add_sub(admin, list_id, email, name=""):
    tok = csrf(admin, "/admin/subscribers")
    return admin.post("/admin/subscribers", form={"_csrf": tok, "list": str(list_id),
                                                  "email": email, "name": name})


# ---- lists ----

def test_create_list_with_fields_and_snippet(server, admin):
    slug = jm.uniq("nl")
    lid, r = make_list(admin, slug, fields=[
        {"key": "company", "label": "会社名", "type": "text", "required": "1"},
        {"key": "interest", "label": "興味のある分野", "type": "select", "options": "出版\n採用\n"},
    ])
    assert "?done=saved" in r.url
    assert q1(server, "SELECT name FROM lists WHERE id = ?", lid) == "テストのメルマガ"
    assert q1(server, "SELECT double_optin FROM lists WHERE id = ?", lid) == 1, "double opt-in by default"
    assert q1(server, "SELECT count(*) FROM list_fields WHERE list_id = ?", lid) == 2
    assert q1(server, "SELECT options FROM list_fields WHERE list_id = ? AND key = 'interest'", lid) \
        .splitlines() == ["出版", "採用"]
    page = admin.get("/admin/lists/%d" % lid).text
    m = re.search(r'<textarea[^>]*id="embed-snippet"[^>]*>(.*?)</textarea>', page, re.S)
    assert m, "the edit page offers the embed snippet"
    import html
    snippet = html.unescape(m.group(1))
    src = re.search(r'<script src="(http://[^"]+/subscribe/embed\.js\?list=[^"]+)"', snippet)
    assert src and src.group(1).endswith("list=" + slug), snippet
    js = server.client().get(src.group(1)[len(server.base):])
    assert js.status == 200 and "javascript" in js.header("Content-Type")
    assert 'name=\\u0022company\\u0022' in js.text or "company" in js.text
    assert "/subscribe?list=%s" % slug in snippet, "a link for readers without JavaScript"
    # The list page shows it with its counts.
    lists = admin.get("/admin/lists").text
    assert "テストのメルマガ" in lists and slug in lists
    # Remove one field through its checkbox.
    _, form = admin.get_form("/admin/lists/%d" % lid, action="/admin/lists/%d" % lid)
    r = admin.submit(form, {"f1_remove": "1"})
    assert r.status == 200
    assert q1(server, "SELECT count(*) FROM list_fields WHERE list_id = ?", lid) == 1


def test_bad_list_input_changes_nothing(server, admin):
    before = q1(server, "SELECT count(*) FROM lists")
    slug = jm.uniq("bad")
    _, r = make_list(admin, slug, fields=[{"key": "Bad Key", "label": "x"}], status=422)
    assert "id=\"form-error\"" in r.text
    _, r = make_list(admin, "Not A Slug", status=422)
    _, r = make_list(admin, slug, fields=[{"key": "pick", "type": "select", "options": ""}], status=422)
    assert q1(server, "SELECT count(*) FROM lists") == before
    taken = jm.uniq("taken")
    make_list(admin, taken)
    _, r = make_list(admin, taken, status=409)
    assert q1(server, "SELECT count(*) FROM lists") == before + 1


# ---- subscribers ----

def test_add_search_and_subscriber_page(server, admin):
    lid, _ = make_list(admin, jm.uniq("subs"))
    r = add_sub(admin, lid, "Yamada.Taro@Example.com", "山田 太郎")
    assert r.status == 200 and re.search(r"/admin/subscribers/\d+\?done=added", r.url), r.url
    page = r.text
    assert "yamada.taro@example.com" in page
    assert "山田 太郎" in page
    assert "admin" in re.search(r'id="subscriptions".*?</section>', page, re.S).group(0), \
        "the consent source is shown"
    # Bad input: a clear error and no row.
    n = q1(server, "SELECT count(*) FROM subscriptions WHERE list_id = ?", lid)
    bad = add_sub(admin, lid, "not-an-email", "x")
    assert bad.status == 422 and 'id="form-error"' in bad.text
    assert add_sub(admin, 999999, "someone@example.com").status == 422
    assert q1(server, "SELECT count(*) FROM subscriptions WHERE list_id = ?", lid) == n
    add_sub(admin, lid, "suzuki@example.org", "鈴木 花子")
    found = admin.get("/admin/subscribers?q=yamada&list=%d" % lid).text
    assert "yamada.taro@example.com" in found and "suzuki@example.org" not in found
    found = admin.get("/admin/subscribers?q=%s&list=%d" % (quote("鈴木 花子"), lid)).text
    assert "suzuki@example.org" in found and "yamada.taro@example.com" not in found
    none = admin.get("/admin/subscribers?q=nobody-here&list=%d" % lid).text
    assert "yamada" not in none and 'class="empty"' in none
    st = admin.get("/admin/subscribers?list=%d&status=unsubscribed" % lid).text
    assert "suzuki@example.org" not in st


def person_id(server, email):
    return q1(server, "SELECT id FROM people WHERE email = ?", email)


def bulk(admin, ids, op, tag=None, lid=None, confirm=False):
    f = {"_csrf": csrf(admin, "/admin/subscribers"), "op": op, "ids": [str(i) for i in ids],
         "back": "/admin/subscribers"}
    if tag is not None:
        f["tag"] = tag
    if lid is not None:
        f["list"] = str(lid)
    if confirm:
        f["confirm"] = "1"
    pairs = [(k, x) for k, v in f.items() for x in (v if isinstance(v, list) else [v])]
    return admin.post("/admin/subscribers/bulk", form=pairs)


def test_bulk_tag_untag_unsubscribe_erase(server, admin):
    lid, _ = make_list(admin, jm.uniq("bulk"))
    emails = ["b%d-%s@example.net" % (i, uuid.uuid4().hex[:6]) for i in range(3)]
    for e in emails:
        assert add_sub(admin, lid, e).status == 200
    ids = [person_id(server, e) for e in emails]
    r = bulk(admin, ids[:2], "tag", tag="VIP顧客")
    assert r.status == 200 and "done=tag" in r.url
    assert q1(server, "SELECT count(*) FROM person_tags WHERE tag = 'VIP顧客'") == 2
    assert "VIP顧客" in admin.get("/admin/subscribers?tag=%s&list=%d" % (quote("VIP顧客"), lid)).text
    assert bulk(admin, ids[:1], "untag", tag="VIP顧客").status == 200
    assert q1(server, "SELECT count(*) FROM person_tags WHERE tag = 'VIP顧客'") == 1
    # Bad bulk requests change nothing.
    assert bulk(admin, [], "tag", tag="x").status == 422
    assert bulk(admin, ids, "tag", tag="").status == 422
    assert bulk(admin, ids, "explode").status == 422
    assert q1(server, "SELECT count(*) FROM person_tags WHERE tag = 'x'") == 0
    r = bulk(admin, [ids[2]], "unsubscribe", lid=lid)
    assert r.status == 200
    assert q1(server, "SELECT status FROM subscriptions WHERE person_id = ? AND list_id = ?",
              ids[2], lid) == "unsubscribed"
    # Erase asks first; the question alone erases nothing.
    ask = bulk(admin, ids[:2], "erase")
    assert ask.status == 200 and 'id="erase-form"' in ask.text
    assert person_id(server, emails[0]) is not None
    r = bulk(admin, ids[:2], "erase", confirm=True)
    assert r.status == 200 and "done=erase" in r.url
    assert person_id(server, emails[0]) is None and person_id(server, emails[1]) is None
    assert q1(server, "SELECT count(*) FROM person_tags WHERE person_id IN (?, ?)", ids[0], ids[1]) == 0
    assert person_id(server, emails[2]) is not None
    assert admin.get("/admin/subscribers/%d" % ids[0]).status == 404


def test_export_csv(server, admin):
    lid, _ = make_list(admin, jm.uniq("exp"))
    add_sub(admin, lid, "export-me@example.com", "書き出し 太郎")
    r = admin.get("/admin/lists/%d/export.csv?bom=1" % lid)
    assert r.status == 200
    assert r.header("Content-Type").startswith("text/csv")
    assert "attachment" in r.header("Content-Disposition")
    assert r.body.startswith(b"\xef\xbb\xbf")
    text = r.body.decode("utf-8-sig")
    assert "export-me@example.com" in text and "書き出し 太郎" in text
    assert not admin.get("/admin/lists/%d/export.csv" % lid).body.startswith(b"\xef\xbb\xbf")
    assert admin.get("/admin/lists/999999/export.csv").status == 404


# ---- import ----

def upload(admin, lid, data, encoding="auto", name="readers.csv"):
    body, ctype = jm.multipart({"_csrf": csrf(admin, "/admin/imports/new"), "list": str(lid),
                                "encoding": encoding}, {"file": (name, data)}, "text/csv")
    return admin.post("/admin/imports", body=body, headers={"Content-Type": ctype})


def run_import(admin, lid, data, encoding="auto", mapping=None, extra=None):
    r = upload(admin, lid, data, encoding)
    assert r.status == 200, r.text[:2000]
    m = re.search(r"/admin/imports/([A-Za-z0-9_-]{22})", r.url)
    assert m, r.url
    form = jm.find_form(r.text, action="/admin/imports/")
    assert form is not None, r.text[:3000]
    form.page = r.url
    upd = dict(mapping or {})
    upd.update(extra or {})
    return m.group(1), admin.submit(form, upd)


def test_import_utf8_with_report(server, admin):
    lid, _ = make_list(admin, jm.uniq("imp"), fields=[{"key": "company", "label": "会社名"}])
    csv = ("email,name,会社名\n"
           "imp1@example.com,一郎,出版社A\n"
           "not-an-email,二郎,B\n"
           "imp2@example.com,三郎\n"
           "\"imp3@example.com\",\"四郎, Jr.\",C社\n").encode("utf-8")
    iid, r = run_import(admin, lid, csv, extra={"tag": "取込"})
    assert r.status == 200, r.text[:2000]
    assert 'id="import-report"' in r.text, r.text[:3000]
    assert re.search(r'id="rep-imported">\s*2\s*<', r.text)
    errors = re.search(r'id="import-errors".*?</section>', r.text, re.S).group(0)
    assert "3行目" in errors and "4行目" in errors, errors
    assert q1(server, "SELECT name FROM people WHERE email = 'imp3@example.com'") == "四郎, Jr."
    pid = person_id(server, "imp1@example.com")
    assert q1(server, "SELECT value FROM person_fields WHERE person_id = ? AND key = 'company'",
              pid) == "出版社A", "the header 会社名 was mapped to the field"
    assert q1(server, "SELECT count(*) FROM person_tags WHERE tag = '取込'") == 2
    st = admin.get("/admin/imports/%s/status" % iid)
    assert st.status == 200 and st.json()["state"] == "done" and st.json()["imported"] == 2
    # Starting the same import again imports nothing more.
    n = q1(server, "SELECT count(*) FROM subscriptions WHERE list_id = ?", lid)
    again = admin.post("/admin/imports/%s" % iid, form={"_csrf": csrf(admin), "list": str(lid),
                                                         "encoding": "auto", "ncols": "3",
                                                         "col0": "email"})
    assert again.status == 200
    assert q1(server, "SELECT count(*) FROM subscriptions WHERE list_id = ?", lid) == n


def test_import_shift_jis(server, admin):
    lid, _ = make_list(admin, jm.uniq("sjis"))
    csv = "メールアドレス,氏名\r\nsjis1@example.jp,高橋 健一\r\nsjis2@example.jp,渡辺 美咲\r\n" \
        .encode("cp932")
    iid, r = run_import(admin, lid, csv, extra={"mode": "consented"})
    assert 'id="import-report"' in r.text, r.text[:3000]
    assert "shift_jis" in r.text
    assert q1(server, "SELECT name FROM people WHERE email = 'sjis1@example.jp'") == "高橋 健一"
    assert q1(server, "SELECT status FROM subscriptions s JOIN people p ON p.id = s.person_id "
                      "WHERE p.email = 'sjis2@example.jp' AND s.list_id = ?", lid) == "active"


def test_import_bad_input(server, admin):
    lid, _ = make_list(admin, jm.uniq("impbad"))
    before = q1(server, "SELECT count(*) FROM subscriptions WHERE list_id = ?", lid)
    r = upload(admin, lid, b"")
    assert r.status == 422 and 'id="form-error"' in r.text
    # Shift_JIS bytes declared as UTF-8: a clear page, nothing imported.
    r = upload(admin, lid, "a@example.com,名前\n".encode("cp932"), encoding="utf-8")
    assert r.status == 422 and 'id="parse-error"' in r.text
    # No email column chosen: the mapping page again, with an error.
    _, r = run_import(admin, lid, b"x@example.com,y\n", mapping={"col0": "skip", "col1": "skip"})
    assert r.status == 422 and 'id="form-error"' in r.text
    # A broken quote: the import fails as a whole.
    _, r = run_import(admin, lid, b"a@example.com,ok\n\"b@example.com,broken\nc@example.com,x\n",
                      mapping={"col0": "email", "col1": "name"})
    assert 'id="import-failed"' in r.text and "2行目" in r.text, r.text[-3000:]
    assert q1(server, "SELECT count(*) FROM subscriptions WHERE list_id = ?", lid) == before
    assert admin.get("/admin/imports/..%2F..%2Fsecret").status == 404
    assert admin.get("/admin/imports/AAAAAAAAAAAAAAAAAAAAAA/status").json()["state"] == "new"


# ---- broadcasts ----

def compose(admin, lid, **fields):
    _, form = admin.get_form("/admin/broadcasts/new", action="/admin/broadcasts")
    upd = {"list": str(lid), "subject": "今週のお知らせ", "body": "こんにちは、{{name|読者}}さん。"}
    upd.update(fields)
    return admin.submit(form, upd)


def test_compose_preview_merge_fallback(server, admin):
    lid, _ = make_list(admin, jm.uniq("bc"), fields=[{"key": "company", "label": "会社名"}])
    tok = csrf(admin, "/admin/broadcasts/new")
    r = admin.post("/admin/broadcasts/preview",
                   form={"_csrf": tok, "body": "## 見出し\n\nこんにちは、{{name|読者}}さん（{{company|御社}}）"})
    assert r.status == 200
    p = r.json()
    assert "<h2>見出し</h2>" in p["html"] and "読者さん" in p["html"] and "御社" in p["html"]
    assert "{{" not in p["text"] and "読者さん" in p["text"]
    # The no-JS preview re-renders the composer with what was typed.
    r = compose(admin, lid, preview="1")
    assert r.status == 200
    assert "こんにちは、読者さん。" in re.search(r'id="preview".*?</div>', r.text, re.S).group(0)
    assert "今週のお知らせ" in r.text
    assert "{{company|}}" in r.text, "merge-field help lists the list's fields"
    n = q1(server, "SELECT count(*) FROM broadcasts")
    assert n == q1(server, "SELECT count(*) FROM broadcasts"), "a preview stores nothing"
    r = compose(admin, lid, action="save", tags_any="VIP", cond0_key="company", cond0_val="出版社A")
    assert r.status == 200 and "done=saved" in r.url
    bid = int(re.search(r"/admin/broadcasts/(\d+)", r.url).group(1))
    aud = json.loads(q1(server, "SELECT audience FROM broadcasts WHERE id = ?", bid))
    assert aud["tags_any"] == ["VIP"]
    assert aud["fields"] == [{"key": "company", "op": "eq", "value": "出版社A"}]
    assert "VIP" in admin.get("/admin/broadcasts/%d" % bid).text
    bad = compose(admin, lid, action="save", subject="")
    assert bad.status == 422
    assert q1(server, "SELECT count(*) FROM broadcasts") == n + 1


def test_send_refused_without_sender_then_progress(server, admin):
    lid, _ = make_list(admin, jm.uniq("send"))
    add_sub(admin, lid, "reader-send@example.com", "読者")
    r = compose(admin, lid, action="send")
    assert r.status == 422
    assert 'id="settings-link"' in r.text and "/admin/settings" in r.text
    assert "送信者情報" in r.text
    bid = q1(server, "SELECT max(id) FROM broadcasts")
    assert q1(server, "SELECT status FROM broadcasts WHERE id = ?", bid) == "draft"
    # The settings page shows the mail group; the SMTP password stays hidden.
    _, sform = admin.get_form("/admin/settings", action="/admin/settings")
    r = admin.submit(sform, {"mail_from_name": "人脈通信", "mail_from_addr": "news@example.com",
                             "sender_postal_address": "東京都千代田区1-1", "sender_contact": "info@example.com",
                             "smtp_password": "s3cret-pass"})
    assert r.status == 200, r.text[:2000]
    page = admin.get("/admin/settings").text
    m = re.search(r'<input[^>]*name="smtp_password"[^>]*>', page)
    assert m and 'type="password"' in m.group(0) and 's3cret-pass' not in page
    _, sform = admin.get_form("/admin/settings", action="/admin/settings")
    assert admin.submit(sform, {}).status == 200
    assert q1(server, "SELECT value FROM settings WHERE key = 'smtp_password'") == "s3cret-pass", \
        "saving with the password left empty keeps it"
    # Now the same draft sends.
    _, form = admin.get_form("/admin/broadcasts/%d" % bid, action="/admin/broadcasts/%d" % bid)
    r = admin.submit(form, {"action": "send"})
    assert r.status == 200 and "done=sent" in r.url, r.text[:2000]
    assert 'id="progress"' in r.text
    st = admin.get("/admin/broadcasts/%d/status" % bid).json()
    assert st["status"] in ("sending", "sent") and 0 <= st["percent"] <= 100
    assert "sent" in st and "failed" in st and "rate" in st
    if st["status"] == "sending":
        tok = csrf(admin, "/admin/broadcasts/%d" % bid)
        assert admin.post("/admin/broadcasts/%d/pause" % bid, form={"_csrf": tok}).status == 200
        assert q1(server, "SELECT status FROM broadcasts WHERE id = ?", bid) == "paused"
        assert admin.post("/admin/broadcasts/%d/resume" % bid, form={"_csrf": tok}).status == 200
        assert admin.post("/admin/broadcasts/%d/cancel" % bid, form={"_csrf": tok}).status == 200
        assert q1(server, "SELECT status FROM broadcasts WHERE id = ?", bid) == "cancelled"
    assert "今週のお知らせ" in admin.get("/admin/broadcasts").text
    assert admin.get("/admin/broadcasts/999999/status").status == 404


# ---- CSRF ----

def test_every_post_needs_csrf(server, admin):
    lid, _ = make_list(admin, jm.uniq("csrf"))
    add_sub(admin, lid, "csrf-victim@example.com")
    pid = person_id(server, "csrf-victim@example.com")
    r = compose(admin, lid, action="save")
    bid = int(re.search(r"/admin/broadcasts/(\d+)", r.url).group(1))
    counts = lambda: [q1(server, "SELECT count(*) FROM %s" % t)
                      for t in ("lists", "list_fields", "people", "person_tags", "broadcasts", "deliveries")]
    before = counts()
    posts = [
        ("/admin/lists", {"name": "x", "slug": jm.uniq("x")}),
        ("/admin/lists/%d" % lid, {"name": "乗っ取り"}),
        ("/admin/lists/%d/delete" % lid, {}),
        ("/admin/subscribers", {"list": str(lid), "email": "evil@example.com"}),
        ("/admin/subscribers/bulk", {"op": "erase", "confirm": "1", "ids": str(pid)}),
        ("/admin/imports", {"list": str(lid)}),
        ("/admin/imports/AAAAAAAAAAAAAAAAAAAAAA", {"list": str(lid), "ncols": "1", "col0": "email"}),
        ("/admin/broadcasts", {"list": str(lid), "subject": "x", "action": "send"}),
        ("/admin/broadcasts/preview", {"body": "x"}),
        ("/admin/broadcasts/%d" % bid, {"action": "send"}),
        ("/admin/broadcasts/%d/pause" % bid, {}),
        ("/admin/broadcasts/%d/resume" % bid, {}),
        ("/admin/broadcasts/%d/cancel" % bid, {}),
    ]
    for path, form in posts:
        assert admin.post(path, form=form).status == 403, path
        assert admin.post(path, form=dict(form, _csrf="0" * 64)).status == 403, path
    assert counts() == before
    assert q1(server, "SELECT name FROM lists WHERE id = ?", lid) != "乗っ取り"
    assert q1(server, "SELECT status FROM broadcasts WHERE id = ?", bid) == "draft"


def test_pages_need_login(server, admin):
    c = server.client()
    for path in ("/admin/lists", "/admin/subscribers", "/admin/broadcasts", "/admin/imports/new"):
        r = c.get(path, follow=False)
        assert r.status in (302, 303) and "/admin/login" in r.header("Location"), path
    nav = admin.get("/admin/lists").text
    for i in ("nav-lists", "nav-subscribers", "nav-broadcasts"):
        assert 'id="%s"' % i in nav
