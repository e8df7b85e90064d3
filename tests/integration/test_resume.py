"""A worker killed with SIGKILL resumes its broadcast: `jinmyaku worker`
runs alone against a 5,000-recipient broadcast and is killed three times
while sending. In the end every recipient has the mail, the duplicates
stay within what can be in flight at a kill (threads × batch per kill),
and the database says every delivery was sent.
"""
import collections
import json
import os
import signal
import subprocess
import time

import jm
import smtp_capture

RECIPIENTS = 5000
THREADS, BATCH = 2, 50  # the worker's defaults
KILLS = 3


def start_worker(data, smtp_url, log):
    env = jm.sanitizer_env(data)
    env["JINMYAKU_SMTP_URL"] = smtp_url
    return subprocess.Popen([jm.jinmyaku_bin(), "worker", "--data", data],
                            stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env,
                            cwd=jm.ROOT)


def setup_broadcast(data):
    p = jm.run_cli(["token", "create", "--name", "migrate"], data)  # creates and migrates
    assert p.returncode == 0, p.stderr
    db = jm.nl_db(data)
    jm.nl_settings(db, mail_from_name="発行者", mail_from_addr="news@example.com",
                   sender_postal_address="東京都", sender_contact="info@example.com",
                   rate_per_sec=400, base_url="https://mag.example.test")
    lid = jm.nl_list(db, "big", "大きなリスト")
    jm.nl_subscribers(db, lid, [("u%05d@example.org" % i, "読者%d" % i, {}, [])
                                for i in range(RECIPIENTS)])
    now = int(time.time())
    bid = db.execute("INSERT INTO broadcasts(list_id, subject, body_md, status, started_at, "
                     "created_at, updated_at) VALUES (?, '{{name|皆様}}へ', 'こんにちは "
                     "{{name|皆様}}', 'sending', ?, ?, ?) RETURNING id",
                     (lid, now, now, now)).fetchone()[0]
    return db, bid


def test_kill9_three_times_resumes_without_gaps(tmp_path):
    data = str(tmp_path / "data")
    cap = smtp_capture.Capture(tmp_path / "mail").start()
    log = open(str(tmp_path / "worker.log"), "ab")
    w = None
    try:
        db, bid = setup_broadcast(data)
        last = 0
        for k in range(KILLS):
            w = start_worker(data, cap.url, log)
            target = last + 500
            jm.wait_until(lambda: cap.count() >= target or w.poll() is not None, 90,
                          what="sending to progress")
            assert w.poll() is None, "worker exited early (see %s)" % log.name
            os.kill(w.pid, signal.SIGKILL)
            w.wait()
            last = cap.count()
            assert last < RECIPIENTS, "the broadcast finished before kill %d" % (k + 1)
        w = start_worker(data, cap.url, log)
        jm.wait_until(lambda: db.execute("SELECT status FROM broadcasts WHERE id=?",
                                         (bid,)).fetchone()[0] == "sent", 120,
                      what="the broadcast to finish")
        w.send_signal(signal.SIGTERM)
        assert w.wait(30) == 0
        w = None
        log.flush()
        with open(log.name, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        assert not jm.sanitizer_reports(text), text[-5000:]

        states = dict(db.execute("SELECT state, count(*) FROM deliveries WHERE broadcast_id=? "
                                 "GROUP BY state", (bid,)).fetchall())
        assert states == {"sent": RECIPIENTS}
        assert db.execute("SELECT total FROM broadcasts WHERE id=?", (bid,)).fetchone()[0] \
            == RECIPIENTS
        counts = collections.Counter()
        for name in os.listdir(cap.folder):
            if name.endswith(".json"):
                with open(os.path.join(cap.folder, name)) as f:
                    for r in json.load(f)["rcpt_tos"]:
                        counts[r] += 1
        expected = {"u%05d@example.org" % i for i in range(RECIPIENTS)}
        assert set(counts) == expected, "missing: %d" % len(expected - set(counts))
        dups = sum(c - 1 for c in counts.values())
        print("duplicates after %d kills: %d" % (KILLS, dups))
        assert dups <= KILLS * THREADS * BATCH, "%d duplicates" % dups
        assert max(counts.values()) <= 1 + KILLS
        db.close()
    finally:
        if w is not None and w.poll() is None:
            w.kill()
            w.wait()
        log.close()
        cap.stop()
