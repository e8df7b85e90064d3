"""Events (セミナー・読者交流会), black-box on the real ASan binary, both
engines: seats taken in the order received (the 50-for-10 race), a full
event without a waitlist, a stranger's hold released to the waitlist by the
scheduler, cancellation by the registrant's own link promoting the
waitlist's head (with its mail), the confirmation's iCalendar invitation
(parsed with python3-icalendar) and 受付票 QR image, the reminder sent once,
check-in logging one interaction, and fans → 知り合い only on the owner's
reviewed submit.

Forms go straight into the database (the 0024 schema is the contract);
registrations go through /forms/{slug} as readers (their personal token)
or strangers, like test_form_answer.py.
"""
import re
import struct
import threading
import time
import urllib.parse
import zlib

import pytest

import conftest
import jm
from test_form_answer import form_token, make_form, mail_to, person, post, q, stamp, text_of

BASE = "http://events.example.test"
OWNER = "owner@example.com"
PASSWORD = "correct horse battery staple"
SENDER = dict(mail_from_name="読書会事務局", mail_from_addr="site@example.com",
              sender_postal_address="東京都千代田区1-1-1", sender_contact="info@example.com")
UA = {"User-Agent": "Mozilla/5.0 (jinmyaku tests)"}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    e = jm.mail_env(tmp_path_factory.mktemp("events"), SENDER, BASE, OWNER, PASSWORD,
                    headers=UA)
    jm.nl_settings(e["db"], forms_per_ip_hour=100000, forms_per_email_day=100000)
    e["admin"] = e["srv"].client()
    r = conftest.login(e["admin"], OWNER, PASSWORD)
    assert r.status == 200
    yield e
    jm.mail_env_close(e)


# ---- helpers ----

def readers(env, n, prefix):
    """n subscribed readers; returns [(email, person_id)]."""
    lid = jm.nl_list(env["db"], jm.uniq("l"), "L")
    rows = [("%s-%d-%s@example.net" % (prefix, i, jm.uniq("r")), "読者%d" % i, {}, [])
            for i in range(n)]
    jm.nl_subscribers(env["db"], lid, rows)
    return [(r[0], person(env, r[0])[0]) for r in rows]


def register(env, slug, pid, client=None):
    """A reader registers from their personal link."""
    return post(env, slug, [("form_token", stamp(env)), ("t", form_token(env["secret"], slug, pid))],
                client=client)


def register_stranger(env, slug, email):
    return post(env, slug, [("form_token", stamp(env)), ("website", ""), ("name", "通りすがり"),
                            ("email", email)])


def answer_of(env, fid, pid):
    return env["db"].execute("SELECT id, status, verified, held_until FROM answers "
                             "WHERE form_id = ? AND person_id = ?", (fid, pid)).fetchone()


def own_link(text):
    m = re.search(r"http://events\.example\.test(/event/cancel\?t=[0-9]+\.[0-9a-f]+)", text)
    assert m, text
    return m.group(1)


def checkin_code(text):
    m = re.search(r"(JM-[0-9]+-[0-9a-f]+)", text)
    assert m, text
    return m.group(1)


def apost(env, path, form):
    r = env["admin"].get(path.rsplit("/fans", 1)[0] if path.endswith("/fans") else path)
    assert r.status == 200, (path, r.status)
    form = list(form) + [("_csrf", jm.csrf_of(r.text))]
    return env["admin"].post(path, form=form, follow=False)


def wait_status(env, aid, status):
    return jm.wait_until(lambda: q(env, "SELECT status FROM answers WHERE id = ?", aid) == status,
                         60, what="answer %d %s" % (aid, status))


# ---- seats ----

def test_fifty_race_for_ten_seats_in_the_order_received(env):
    fid = make_form(env, "race", kind="event", capacity=10, venue="会議室A")
    people = readers(env, 50, "race")
    out, clients = [None] * 50, [env["srv"].client(headers=UA) for _ in range(50)]
    go = threading.Barrier(50)

    def one(i):
        go.wait()
        out[i] = register(env, "race", people[i][1], client=clients[i]).status

    ts = [threading.Thread(target=one, args=(i,)) for i in range(50)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert out == [200] * 50
    rows = env["db"].execute("SELECT id, status FROM answers WHERE form_id = ? ORDER BY id",
                             (fid,)).fetchall()
    assert len(rows) == 50  # nothing stored twice
    # exactly 10 seats, to the first 10 received; the rest wait in that order
    assert [s for _, s in rows] == ["confirmed"] * 10 + ["waitlisted"] * 40
    r = env["web"].get("/forms/race")
    assert r.status == 200 and "満席（キャンセル待ちで受付中）" in r.text and "40" in r.text
    # the 11th received is number 1 on the waitlist, and is told so
    first_waiting = rows[10][0]
    email = env["db"].execute("SELECT p.email FROM answers a JOIN people p ON p.id = a.person_id "
                              "WHERE a.id = ?", (first_waiting,)).fetchone()[0]
    assert "キャンセル待ち 1 番" in str(mail_to(env, email, "キャンセル待ち")["Subject"])


def test_full_without_waitlist_is_refused_and_nothing_is_stored(env):
    fid = make_form(env, "nowait", kind="event", capacity=1, waitlist=0)
    (a, pa), (b, pb) = readers(env, 2, "nowait")
    assert register(env, "nowait", pa).status == 200
    before = q(env, "SELECT count(*) FROM answers WHERE form_id = ?", fid)
    r = register(env, "nowait", pb)
    assert r.status == 409 and "満席" in r.text
    assert q(env, "SELECT count(*) FROM answers WHERE form_id = ?", fid) == before == 1
    assert answer_of(env, fid, pb) is None
    assert "満席" in env["web"].get("/forms/nowait").text


def test_a_strangers_hold_expires_and_the_seat_goes_to_the_waitlist(env):
    fid = make_form(env, "hold", kind="event", capacity=1, title="出版記念セミナー")
    stranger = jm.uniq("stranger") + "@example.org"
    assert register_stranger(env, "hold", stranger).status == 200
    spid = person(env, stranger)[0]
    aid, status, verified, held = answer_of(env, fid, spid)
    assert (status, verified) == ("confirmed", 0)
    assert held and abs(held - (int(time.time()) + 86400)) < 600  # held 24 hours
    ((email, pid),) = readers(env, 1, "hold")
    assert register(env, "hold", pid).status == 200
    raid = answer_of(env, fid, pid)[0]
    assert answer_of(env, fid, pid)[1] == "waitlisted"
    # the 24 hours pass: the scheduler releases the hold to the waitlist
    env["db"].execute("UPDATE answers SET held_until = ? WHERE id = ?", (int(time.time()) - 1, aid))
    wait_status(env, raid, "confirmed")
    assert q(env, "SELECT status FROM answers WHERE id = ?", aid) == "expired"
    msg = mail_to(env, email, "繰り上げ")
    assert "出版記念セミナー" in str(msg["Subject"])
    assert msg.get_content_type() == "multipart/mixed"  # the invitation comes with it


def test_cancel_by_own_link_promotes_the_first_waiting_with_a_mail(env):
    fid = make_form(env, "cancel", kind="event", capacity=1, title="読者交流会",
                    online_url="https://meet.example.com/room-42")
    (a, pa), (b, pb), (c, pc) = readers(env, 3, "cancel")
    for pid in (pa, pb, pc):
        assert register(env, "cancel", pid).status == 200
    assert [answer_of(env, fid, p)[1] for p in (pa, pb, pc)] == ["confirmed", "waitlisted",
                                                                  "waitlisted"]
    text = text_of(mail_to(env, a, "参加確定"))
    assert "room-42" in text  # the online URL: to the confirmed attendee only
    assert "room-42" not in text_of(mail_to(env, b, "キャンセル待ち"))
    assert "room-42" not in env["web"].get("/forms/cancel").text
    link = own_link(text)
    r = env["web"].get(link)
    assert r.status == 200 and "room-42" in r.text and 'id="event-cancel"' in r.text
    assert answer_of(env, fid, pa)[1] == "confirmed"  # GET changes nothing
    r = env["web"].post(link, form=[], follow=False)
    assert r.status == 200 and "キャンセルしました" in r.text
    assert [answer_of(env, fid, p)[1] for p in (pa, pb, pc)] == ["cancelled", "confirmed",
                                                                  "waitlisted"]
    promoted = mail_to(env, b, "繰り上げ")
    assert "読者交流会" in str(promoted["Subject"]) and "room-42" in text_of(promoted)
    # again: nothing changes; a tampered link finds nothing
    assert env["web"].post(link, form=[], follow=False).status == 200
    assert [answer_of(env, fid, p)[1] for p in (pa, pb, pc)] == ["cancelled", "confirmed",
                                                                  "waitlisted"]
    assert env["web"].get(link[:-1] + ("0" if link[-1] != "0" else "1")).status == 404
    # the waitlisted third sees their place but not the online URL
    r = env["web"].get(own_link(text_of(mail_to(env, c, "キャンセル待ち"))))
    assert r.status == 200 and "キャンセル待ち" in r.text and "room-42" not in r.text


# ---- the confirmation: invitation and 受付票 ----

def parts_of(msg):
    return {p.get_content_type(): p for p in msg.walk() if not p.is_multipart()}


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    w, h = struct.unpack(">II", data[16:24])
    assert zlib.crc32(data[12:29]) == struct.unpack(">I", data[29:33])[0]
    return w, h


def test_confirmation_carries_an_icalendar_request_and_a_qr_ticket(env):
    import icalendar
    starts = (int(time.time()) // 3600 + 24 * 10) * 3600
    fid = make_form(env, "ics", kind="event", capacity=5, title="出版セミナー <2026>",
                    venue="渋谷 & 青山", starts_at=starts, ends_at=starts + 7200)
    ((email, pid),) = readers(env, 1, "ics")
    assert register(env, "ics", pid).status == 200
    aid = answer_of(env, fid, pid)[0]
    msg = mail_to(env, email, "参加確定")
    parts = parts_of(msg)
    cal_part = parts["text/calendar"]
    assert cal_part.get_param("method") == "REQUEST"
    att = [p for p in msg.walk() if p.get_filename() == "invite.ics"]
    assert len(att) == 1 and att[0].get_content_disposition() == "attachment"
    for raw in (cal_part.get_payload(decode=True), att[0].get_payload(decode=True)):
        cal = icalendar.Calendar.from_ical(raw)
        assert str(cal["METHOD"]) == "REQUEST"
        ev = cal.walk("VEVENT")[0]
        assert str(ev["UID"]).startswith("event-%d-answer-%d@" % (fid, aid))
        assert ev["DTSTAMP"].dt.timestamp() > time.time() - 3600
        assert str(ev["ORGANIZER"]) == "mailto:site@example.com"
        assert str(ev["ORGANIZER"].params["CN"]) == "読書会事務局"
        assert ev["DTSTART"].dt.timestamp() == starts and ev["DTEND"].dt.timestamp() == starts + 7200
        assert str(ev["SUMMARY"]) == "出版セミナー <2026>" and str(ev["LOCATION"]) == "渋谷 & 青山"
        assert str(ev["ATTENDEE"]).lower() == "mailto:" + email.lower()
    png = parts["image/png"]
    assert png.get_content_disposition() == "inline"
    w, h = png_size(png.get_payload(decode=True))
    # a QR code: square, whole modules (6 px) of a version-1+ symbol (21 + 4k)
    # with its 4-module quiet zone
    assert w == h and w % 6 == 0 and (w // 6 - 8 - 21) % 4 == 0
    # the check-in code the QR encodes is in the text too, and it works
    code = checkin_code(text_of(msg))
    assert code.startswith("JM-%d-" % aid)
    r = apost(env, "/admin/forms/%d/checkin" % fid, [("code", code.lower())])
    assert r.status == 303 and ("in=%d" % aid) in r.header("Location")
    assert q(env, "SELECT attended_at FROM answers WHERE id = ?", aid)
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    r = apost(env, "/admin/forms/%d/checkin" % fid, [("code", bad)])
    assert r.status == 303 and "bad=1" in r.header("Location")


def test_reminder_goes_out_once(env):
    starts = int(time.time()) + 3600
    fid = make_form(env, "remind", kind="event", capacity=5, title="リマインド会",
                    starts_at=starts, reminder_hours=2)
    # registered before the scheduler looks: the reminder waits until the
    # form is picked up, so keep it from being due until both are in
    env["db"].execute("UPDATE forms SET reminder_hours = 0 WHERE id = ?", (fid,))
    (a, pa), (b, pb) = readers(env, 2, "remind")
    assert register(env, "remind", pa).status == 200 and register(env, "remind", pb).status == 200
    env["db"].execute("UPDATE forms SET reminder_hours = 2 WHERE id = ?", (fid,))
    jm.wait_until(lambda: q(env, "SELECT reminded_at FROM forms WHERE id = ?", fid), 60,
                  what="the reminder")
    for addr in (a, b):
        assert "リマインド会" in str(mail_to(env, addr, "リマインド")["Subject"])
    assert q(env, "SELECT count(*) FROM answers WHERE form_id = ? AND reminded_at IS NOT NULL",
             fid) == 2
    time.sleep(3)  # a few more scheduler ticks: still once
    n = q(env, "SELECT count(*) FROM deliveries WHERE kind = 'event' AND to_addr IN (?, ?) "
               "AND payload LIKE ?", a, b, "%【リマインド】%")
    assert n == 2


# ---- check-in ----

def test_checkin_logs_one_interaction_and_a_second_changes_nothing(env):
    fid = make_form(env, "door", kind="event", capacity=5, title="異業種交流会")
    (a, pa), (b, pb) = readers(env, 2, "door")
    for pid in (pa, pb):
        assert register(env, "door", pid).status == 200
    aid = answer_of(env, fid, pa)[0]
    r = env["admin"].get("/admin/forms/%d/checkin?q=%s" % (fid, urllib.parse.quote(a)))
    assert r.status == 200 and ('id="checkin-%d"' % aid) in r.text
    assert ('id="checkin-%d"' % answer_of(env, fid, pb)[0]) not in r.text  # the search
    r = env["admin"].get("/admin/forms/%d/checkin?q=%%25" % fid)  # a typed % is no wildcard
    assert r.status == 200 and not re.search(r'id="checkin-[0-9]', r.text)
    before = q(env, "SELECT count(*) FROM interactions WHERE person_id = ?", pa)
    r = apost(env, "/admin/forms/%d/checkin" % fid, [("answer", str(aid))])
    assert r.status == 303
    r = env["admin"].get(r.header("Location"))
    assert "受付しました" in r.text and ('id="arrived-%d"' % aid) in r.text
    rows = env["db"].execute("SELECT kind, note FROM interactions WHERE person_id = ?",
                             (pa,)).fetchall()
    assert len(rows) == before + 1 and rows[-1] == ("meeting", "「異業種交流会」で会った")
    assert q(env, "SELECT last_contact_at FROM people WHERE id = ?", pa)
    at = q(env, "SELECT attended_at FROM answers WHERE id = ?", aid)
    r = apost(env, "/admin/forms/%d/checkin" % fid, [("answer", str(aid))])
    assert r.status == 303 and "again=" in r.header("Location")
    assert q(env, "SELECT count(*) FROM interactions WHERE person_id = ?", pa) == before + 1
    assert q(env, "SELECT attended_at FROM answers WHERE id = ?", aid) == at
    # someone else's registration is not this event's
    other = make_form(env, "door2", kind="event", capacity=5)
    r = apost(env, "/admin/forms/%d/checkin" % other, [("answer", str(aid))])
    assert "bad=1" in r.header("Location")
    r = env["admin"].get("/admin/forms/%d/checkin/scan" % fid)
    assert r.status == 200 and "camera=(self)" in r.header("Permissions-Policy", "")
    assert 'id="scan-code"' in r.text


def test_fans_move_to_acquaintance_only_on_the_reviewed_submit(env):
    fid = make_form(env, "fans", kind="event", capacity=5, title="ファンの集い")
    (a, pa), (b, pb), (c, pc) = readers(env, 3, "fans")
    for pid in (pa, pb, pc):
        assert register(env, "fans", pid).status == 200
    env["db"].execute("UPDATE people SET stage = 'fan' WHERE id IN (?, ?, ?)", (pa, pb, pc))
    for pid in (pa, pb):  # c does not come
        aid = answer_of(env, fid, pid)[0]
        assert apost(env, "/admin/forms/%d/checkin" % fid, [("answer", str(aid))]).status == 303
    r = env["admin"].get("/admin/forms/%d/checkin/fans" % fid)
    assert r.status == 200
    assert ('id="fan-%d"' % pa) in r.text and ('id="fan-%d"' % pb) in r.text
    assert ('id="fan-%d"' % pc) not in r.text
    stages = lambda: [q(env, "SELECT stage FROM people WHERE id = ?", p) for p in (pa, pb, pc)]
    assert stages() == ["fan"] * 3  # never automatic
    r = apost(env, "/admin/forms/%d/checkin/fans" % fid, [("person", str(pa)), ("person", str(pc))])
    assert r.status == 200 and "知り合いに移しました: 1" in r.text
    assert stages() == ["acquaintance", "fan", "fan"]  # c did not come: left as is


def test_party_seats_have_their_own_capacity(env):
    fid = make_form(env, "party", kind="event", capacity=5, party_title="懇親会（居酒屋）",
                    party_capacity=1,
                    fields=[("party", "懇親会に参加する", "checkbox", [], False)])
    (a, pa), (b, pb), (c, pc) = readers(env, 3, "party")
    for pid in (pa, pb):
        r = post(env, "party", [("form_token", stamp(env)),
                                ("t", form_token(env["secret"], "party", pid)), ("f_party", "1")])
        assert r.status == 200, r.text[:1000]
    assert register(env, "party", pc).status == 200  # the seminar only
    party = lambda: [q(env, "SELECT party FROM answers WHERE form_id = ? AND person_id = ?",
                       fid, p) for p in (pa, pb, pc)]
    assert [answer_of(env, fid, p)[1] for p in (pa, pb, pc)] == ["confirmed"] * 3
    assert party() == ["confirmed", "waitlisted", ""]
    assert "懇親会: 懇親会（居酒屋） (キャンセル待ち)" in text_of(mail_to(env, b, "参加確定"))
    r = env["web"].post(own_link(text_of(mail_to(env, a, "参加確定"))), form=[], follow=False)
    assert r.status == 200
    assert party() == ["cancelled", "confirmed", ""]


def test_a_waitlisted_stranger_hears_their_number_after_the_mail_click(env):
    fid = make_form(env, "wclick", kind="event", capacity=1, title="満席セミナー")
    ((email, pid),) = readers(env, 1, "wclick")
    assert register(env, "wclick", pid).status == 200
    stranger = jm.uniq("late") + "@example.org"
    assert register_stranger(env, "wclick", stranger).status == 200
    aid, status, verified, held = answer_of(env, fid, person(env, stranger)[0])
    assert (status, verified) == ("waitlisted", 0)
    text = text_of(mail_to(env, stranger, "回答の確認"))
    link = re.search(r"http://events\.example\.test(/forms/wclick/confirm\?token=\S+)", text).group(1)
    assert env["web"].get(link).status == 200
    assert answer_of(env, fid, person(env, stranger)[0])[1:] == ("waitlisted", 1, None)
    assert "キャンセル待ち 1 番" in str(mail_to(env, stranger, "キャンセル待ち")["Subject"])


def test_a_run_out_hold_confirmed_later_joins_the_back_of_the_waitlist(env):
    """In the order received: a stranger whose held seat ran out and who
    clicks the mailed link later waits behind everyone who registered in the
    meantime (by answer id they would have been first)."""
    fid = make_form(env, "late", kind="event", capacity=1, title="遅れた確認のセミナー")
    stranger = jm.uniq("slow") + "@example.org"
    assert register_stranger(env, "late", stranger).status == 200
    aid = answer_of(env, fid, person(env, stranger)[0])[0]
    (b, pb), (c, pc) = readers(env, 2, "late")
    assert register(env, "late", pb).status == 200
    baid = answer_of(env, fid, pb)[0]
    env["db"].execute("UPDATE answers SET held_until = ? WHERE id = ?", (int(time.time()) - 1, aid))
    wait_status(env, baid, "confirmed")
    assert q(env, "SELECT status FROM answers WHERE id = ?", aid) == "expired"
    assert register(env, "late", pc).status == 200
    assert answer_of(env, fid, pc)[1] == "waitlisted"
    text = text_of(mail_to(env, stranger, "回答の確認"))
    link = re.search(r"http://events\.example\.test(/forms/late/confirm\?token=\S+)", text).group(1)
    assert env["web"].get(link).status == 200
    assert answer_of(env, fid, person(env, stranger)[0])[1:3] == ("waitlisted", 1)
    assert "キャンセル待ち 2 番" in str(mail_to(env, stranger, "キャンセル待ち")["Subject"])
    # the seat frees up: the reader who waited first gets it
    r = env["web"].post(own_link(text_of(mail_to(env, b, "繰り上げ"))), form=[], follow=False)
    assert r.status == 200
    assert answer_of(env, fid, pc)[1] == "confirmed"
    assert q(env, "SELECT status FROM answers WHERE id = ?", aid) == "waitlisted"
