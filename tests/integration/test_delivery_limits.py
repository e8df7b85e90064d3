"""Relay quotas and carrier limits, black-box: an hourly cap stops a
broadcast at the cap (the rest stays queued, nothing is lost) and lifting
the cap sends the rest; a per-domain rate spaces mails to one carrier
domain while other domains are not held back."""
import time

import pytest

import jm
import smtp_capture
from test_delivery import BASE, SENDER, create_broadcast, mails_to, send, wait_status


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = tmp_path_factory.mktemp("limits")
    cap = smtp_capture.Capture(root / "mail").start()
    data = str(root / "data")
    assert jm.run_cli(["token", "create", "--name", "init"], data).returncode == 0
    db = jm.nl_db(data)
    jm.nl_settings(db, rate_per_sec=0, **SENDER)
    srv = jm.EnvServer(data, ["--base-url", BASE], env={"JINMYAKU_SMTP_URL": cap.url})
    srv.start()
    srv.add_user("owner@example.com", "correct horse battery staple")
    api = jm.Api(srv.base, srv.create_token("limits"))
    yield dict(cap=cap, srv=srv, db=db, api=api)
    srv.stop_and_check()
    cap.stop()
    db.close()


def count_state(db, bid, state):
    return db.execute("SELECT count(*) FROM deliveries WHERE broadcast_id = ? AND state = ?",
                      (bid, state)).fetchone()[0]


def test_hourly_cap_holds_the_rest_until_lifted(env):
    db, api, cap = env["db"], env["api"], env["cap"]
    jm.nl_settings(db, cap_per_hour=4)
    try:
        time.sleep(1.5)  # the worker rereads its settings between claims
        lid = jm.nl_list(db, jm.uniq("cap"), "Cap")
        addrs = ["cap%02d@example.org" % i for i in range(10)]
        jm.nl_subscribers(db, lid, [(a, "", {}, []) for a in addrs])
        bid = create_broadcast(api, lid, "上限", "本文")
        send(api, bid)
        jm.wait_until(lambda: count_state(db, bid, "sent") >= 4, 60, what="four sent")
        # Give the worker several claim rounds: the cap must hold.
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            assert count_state(db, bid, "sent") == 4
            time.sleep(0.2)
        assert count_state(db, bid, "queued") == 6
        assert len(mails_to(cap, set(addrs))) == 4
    finally:
        jm.nl_settings(db, cap_per_hour=0)
    wait_status(db, bid, "sent", deadline=60)
    assert set(mails_to(cap, set(addrs))) == set(addrs)


def test_per_domain_rate_spaces_one_carrier(env):
    db, api, cap = env["db"], env["api"], env["cap"]
    jm.nl_settings(db, domain_rates="slow.example.net=1")
    try:
        time.sleep(1.5)
        lid = jm.nl_list(db, jm.uniq("dom"), "Domain")
        slow = ["s%d@slow.example.net" % i for i in range(5)]
        fast = ["f%02d@fast.example.org" % i for i in range(20)]
        jm.nl_subscribers(db, lid, [(a, "", {}, []) for a in slow + fast])
        bid = create_broadcast(api, lid, "間隔", "本文")
        send(api, bid)
        wait_status(db, bid, "sent", deadline=90)
    finally:
        jm.nl_settings(db, domain_rates="")
    got = mails_to(cap, set(slow))
    assert set(got) == set(slow)
    times = sorted(e["time"] for v in got.values() for e, _ in v)
    worst = max(sum(1 for u in times if t <= u < t + 1.0) for t in times)
    assert worst <= 1, "%d mails to one rate-1 domain within a second" % worst
    # The other domain was not held back behind the slow one.
    fast_times = sorted(e["time"] for v in mails_to(cap, set(fast)).values() for e, _ in v)
    assert len(fast_times) == 20
    assert fast_times[-1] <= times[-1]
