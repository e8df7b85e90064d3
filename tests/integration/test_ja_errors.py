"""Every error the Japanese admin shows is Japanese and says which field
and why (issue 8, item 21): the reader and people imports' refused rows
(「3行目: …」), whole-file failures, and a full-width ＠ in an email."""
import re

import jm


def q1(server, sql, *args):
    return jm.q1(server.data_dir, sql, *args)


def upload(admin, lid, name, data):
    tok = jm.csrf_of(admin.get("/admin/imports/new").text)
    body, ctype = jm.multipart({"_csrf": tok, "list": str(lid), "encoding": "auto"},
                               {"file": (name, data)}, "text/csv")
    r = admin.post("/admin/imports", body=body, headers={"Content-Type": ctype})
    assert r.status == 200, r.text[:2000]
    form = jm.find_form(r.text, action="/admin/imports/")
    form.page = r.url
    return r, form


def no_english(text):
    for w in ("line ", "invalid", "database error", "import stopped", "expected", "broken quote"):
        assert w not in text, (w, text)


def test_reader_import_rows_in_japanese(server, admin, api):
    r = api.post("/api/v1/lists", {"name": "エラー表示", "slug": jm.uniq("ja"), "fields": [
        {"key": "plan", "label": "プラン", "type": "select", "options": ["無料", "有料"]}]})
    lid = r.json()["id"]
    data = ("メールアドレス,氏名,プラン\n"
            "ok@example.jp,正常,無料\n"
            "zen＠example.jp,全角,無料\n"
            "nope,アットなし,有料\n"
            "few@example.jp,列不足\n"
            "opt@example.jp,選択肢外,高級\n").encode("utf-8")
    _, form = upload(admin, lid, "ja.csv", data)
    done = admin.submit(form, {})
    errors = re.search(r'id="import-errors".*?</section>', done.text, re.S).group(0)
    assert "3行目: 「メールアドレス」列のメールアドレスが使えません。" in errors, errors
    assert "全角の「＠」" in errors
    assert "4行目" in errors and "「@」がありません" in errors
    assert "5行目: 列の数が合いません（見出しは3列、この行は2列）" in errors
    assert "6行目: 「プラン」の値が選択肢のどれでもありません" in errors
    no_english(errors)


def test_reader_import_failure_in_japanese(server, admin, api):
    lid = api.post("/api/v1/lists", {"name": "壊れ", "slug": jm.uniq("broken")}).json()["id"]
    _, form = upload(admin, lid, "b.csv", b"a@example.com,ok\n\"b@example.com,broken\nc@example.com,x\n")
    done = admin.submit(form, {"col0": "email", "col1": "name"})
    m = re.search(r'id="import-failed"[^>]*>(.*?)</div>', done.text, re.S)
    assert m, done.text[-3000:]
    assert "2行目" in m.group(1) and "引用符" in m.group(1), m.group(1)
    no_english(m.group(1))


def test_people_import_errors_in_japanese(server, admin):
    tok = jm.csrf_of(admin.get("/admin/people/import").text)
    data = "メール,氏名\nyamada＠example.jp,山田\n".encode("utf-8")
    body, ctype = jm.multipart({"_csrf": tok}, {"file": ("p.csv", data)}, "text/csv")
    r = admin.post("/admin/people/import", body=body, headers={"Content-Type": ctype})
    assert r.status == 422
    msg = re.search(r'id="import-message">(.*?)</span>', r.text, re.S).group(1)
    assert "何も取り込んでいません" in msg, msg
    errors = re.search(r'id="import-errors".*?</section>', r.text, re.S).group(0)
    assert "2行目" in errors and "全角の「＠」" in errors, errors
    no_english(msg + errors)
    tok = jm.csrf_of(admin.get("/admin/people/import").text)
    body, ctype = jm.multipart({"_csrf": tok}, {"file": ("p.csv", b"foo,bar\n1,2\n")}, "text/csv")
    r = admin.post("/admin/people/import", body=body, headers={"Content-Type": ctype})
    msg = re.search(r'id="import-message">(.*?)</span>', r.text, re.S).group(1)
    assert "1行目: 見出しの行がありません" in msg, msg


def test_fullwidth_at_named_in_subscriber_and_person_forms(server, admin, api):
    lid = api.post("/api/v1/lists", {"name": "手入力", "slug": jm.uniq("hand")}).json()["id"]
    tok = jm.csrf_of(admin.get("/admin/subscribers").text)
    r = admin.post("/admin/subscribers", form={"_csrf": tok, "list": str(lid),
                                               "email": "hand＠example.jp", "name": "手"})
    assert r.status == 422
    err = re.search(r'id="form-error">(.*?)</div>', r.text, re.S).group(1)
    assert "全角の「＠」" in err, err
    assert "この値は使えません" not in r.text


def test_fullwidth_at_named_on_the_public_signup_form(server, api):
    import time
    slug = jm.uniq("pub")
    assert api.post("/api/v1/lists", {"name": "公開", "slug": slug}).status == 201
    web = server.client(headers={"User-Agent": "Mozilla/5.0 (jinmyaku tests)"})
    _, form = web.get_form("/subscribe?list=" + slug, action="/subscribe")
    time.sleep(2.2)  # the form's bot check wants an aged render time
    r = web.submit(form, {"email": "reader＠example.jp"})
    assert r.status == 422
    assert "全角の「＠」" in r.text, r.text[-3000:]
    assert q1(server, "SELECT count(*) FROM people WHERE email LIKE 'reader%'") == 0


def test_settings_banner_names_the_field_and_the_fullwidth_at(server, admin):
    _, form = admin.get_form("/admin/settings", action="/admin/settings")
    r = admin.submit(form, {"mail_from_addr": "news＠example.jp"})
    assert r.status == 422
    banner = re.search(r'role="alert"[^>]*>(.*?)</div>', r.text, re.S)
    assert banner, r.text[-3000:]
    assert "全角の「＠」" in banner.group(1) and "」: " in banner.group(1), banner.group(1)
    assert "この値は使えません" not in r.text
