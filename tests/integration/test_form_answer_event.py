"""Registering for an event through its public page (/forms/{slug}), both
engines: the seat is placed by forms_event_place inside the answer's
transaction — a stranger's seat held for the mail click, a reader's seat
confirmed at once, the waitlist past capacity, and a clear 409 with
nothing stored when the event is full without a waitlist. The seat race
itself is test_events*.py's (the event helper's).
"""
import re
import time

import pytest

import jm
import test_form_answer as fa

BASE = fa.BASE


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    e = jm.mail_env(tmp_path_factory.mktemp("answer-ev"), fa.SENDER, BASE, fa.OWNER,
                    fa.PASSWORD, headers=fa.UA)
    jm.nl_settings(e["db"], forms_per_ip_hour=100000, forms_per_email_day=100000)
    yield e
    jm.mail_env_close(e)


FIELDS = [("company", "ご所属", "text", [], False)]


def status_of(env, email, fid):
    return env["db"].execute(
        "SELECT a.status, a.verified, a.held_until IS NOT NULL FROM answers a JOIN people p "
        "ON p.id = a.person_id WHERE p.email = ? AND a.form_id = ?", (email, fid)).fetchone()


def test_seats_holds_confirmation_and_waitlist(env):
    slug = jm.uniq("seminar")
    fid = fa.make_form(env, slug, kind="event", fields=FIELDS, capacity=2, waitlist=1,
                       venue="会議室A", title="読者交流会")
    stranger = jm.uniq("s") + "@example.org"
    r = fa.post(env, slug, fa.fields(env, stranger, f_company="<i>出版社</i>"))
    assert r.status == 200, r.text[:2000]
    assert "24時間" in r.text and 'data-status="confirmed"' in r.text
    assert "&lt;i&gt;出版社&lt;/i&gt;" in r.text
    assert status_of(env, stranger, fid) == ("confirmed", 0, 1)
    # a reader from their link: confirmed at once
    reader = jm.uniq("r") + "@example.net"
    jm.nl_subscribers(env["db"], jm.nl_list(env["db"], jm.uniq("l"), "L"),
                      [(reader, "読者", {}, [])])
    t = fa.form_token(env["secret"], slug, fa.person(env, reader)[0])
    r = fa.post(env, slug, [("form_token", fa.stamp(env)), ("t", t)])
    assert r.status == 200 and "お席を確保しました" in r.text
    assert status_of(env, reader, fid) == ("confirmed", 1, 0)
    # the third goes to the waitlist
    late = jm.uniq("late") + "@example.org"
    r = fa.post(env, slug, fa.fields(env, late))
    assert r.status == 200 and "キャンセル待ち" in r.text
    assert status_of(env, late, fid)[0] == "waitlisted"
    # the stranger confirms by mail: the held seat becomes theirs
    text = fa.text_of(fa.mail_to(env, stranger, "回答の確認"))
    assert "24時間" in text
    link = re.search(r"http://forms\.example\.test(/forms/\S+/confirm\?token=\S+)", text).group(1)
    r = env["web"].get(link)
    assert r.status == 200 and "回答を確定しました" in r.text
    assert status_of(env, stranger, fid) == ("confirmed", 1, 0)
    assert fa.q(env, "SELECT count(*) FROM person_events e JOIN people p ON p.id = e.person_id "
                     "WHERE p.email = ? AND e.kind = 'form_answer'", stranger) == 1


def test_full_without_waitlist_is_a_clear_409_and_stores_nothing(env):
    slug = jm.uniq("full")
    fid = fa.make_form(env, slug, kind="event", fields=FIELDS, capacity=1, waitlist=0)
    assert fa.post(env, slug, fa.fields(env, jm.uniq("first") + "@example.org")).status == 200
    before = fa.snapshot(env, fid)
    r = fa.post(env, slug, fa.fields(env, jm.uniq("second") + "@example.org"))
    assert r.status == 409 and "満席" in r.text
    after = fa.snapshot(env, fid)
    assert after == before
