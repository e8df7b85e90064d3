"""An ask's audience leaves freeloaders (クレクレ) out by default (issue 11):
a broadcast carrying {{form:SLUG}} of an ask whose include_freeloaders is 0
is not delivered to people flagged as freeloaders; an ask that includes
them, or a broadcast without an ask, reaches everyone subscribed. Checked
at the real SMTP capture server. Runs on the engine of JM_TEST_ENGINE.
"""
import time

import pytest

import jm
import smtp_capture

SENDER = dict(mail_from_name="テスト発行者", mail_from_addr="news@example.com",
              sender_postal_address="東京都千代田区1-1-1", sender_contact="info@example.com")
NOW = int(time.time())


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = tmp_path_factory.mktemp("ask_aud")
    cap = smtp_capture.Capture(root / "mail").start()
    data = str(root / "data")
    srv = jm.EnvServer(data, ["--base-url", "https://mag.example.test"],
                       env={"JINMYAKU_SMTP_URL": cap.url, "JINMYAKU_RETRY_BASE_MS": "100"})
    srv.start()
    db = jm.nl_db(data)
    jm.nl_settings(db, rate_per_sec=0, **SENDER)
    srv.add_user("owner@example.com", "correct horse battery staple")
    api = jm.Api(srv.base, srv.create_token("aud"))
    yield dict(cap=cap, srv=srv, db=db, api=api)
    srv.stop_and_check()
    cap.stop()
    db.close()


def ask(db, slug, include_freeloaders):
    db.execute("INSERT INTO forms(kind, slug, title, include_freeloaders, created_at, updated_at) "
               "VALUES ('ask', ?, ?, ?, ?, ?)", (slug, "問いかけ " + slug, include_freeloaders,
                                                  NOW, NOW))


def recipients(env, body):
    api, db, cap = env["api"], env["db"], env["cap"]
    cap.clear()
    r = api.post("/api/v1/broadcasts", {"list_id": env["list"], "subject": "お知らせ",
                                        "body": body})
    assert r.status == 201, r.text
    bid = r.json()["id"]
    r = api.post("/api/v1/broadcasts/%d/send" % bid, {})
    assert r.status in (200, 202), r.text
    jm.wait_until(lambda: db.execute("SELECT status FROM broadcasts WHERE id = ?",
                                     (bid,)).fetchone()[0] == "sent", 60, what="sent")
    total = db.execute("SELECT total FROM broadcasts WHERE id = ?", (bid,)).fetchone()[0]
    jm.wait_until(lambda: cap.count() >= total, 30, what="mails captured")
    return sorted(r for envl, _ in cap.messages() for r in envl["rcpt_tos"])


@pytest.fixture(scope="module")
def loaded(env):
    db = env["db"]
    lid = jm.nl_list(db, "ask-aud", "読者便")
    jm.nl_subscribers(db, lid, [("giver@example.jp", "与える人", {}, []),
                                ("kure@example.jp", "クレクレさん", {}, []),
                                ("quiet@example.jp", "静かな人", {}, [])])
    db.execute("UPDATE people SET freeloader = 1 WHERE email = 'kure@example.jp'")
    ask(db, "publisher-ties", 0)
    ask(db, "everyone-welcome", 1)
    env["list"] = lid
    return env


def test_ask_leaves_freeloaders_out(loaded):
    got = recipients(loaded, "出版社の知り合いはいますか？\n\n{{form:publisher-ties}}")
    assert got == ["giver@example.jp", "quiet@example.jp"]
    # spaces and a fallback inside the tag are the same merge field
    got = recipients(loaded, "こちらから → {{ form:publisher-ties | 回答ページ }}")
    assert got == ["giver@example.jp", "quiet@example.jp"]


def test_ask_that_includes_freeloaders_and_plain_broadcasts_reach_all(loaded):
    everyone = ["giver@example.jp", "kure@example.jp", "quiet@example.jp"]
    assert recipients(loaded, "どなたでも {{form:everyone-welcome}}") == everyone
    assert recipients(loaded, "ふつうのお知らせです。") == everyone
    # another form's slug that merely starts like the ask's is not the ask
    assert recipients(loaded, "{{form:publisher-ties-2}}") == everyone
