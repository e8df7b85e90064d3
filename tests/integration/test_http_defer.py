"""Deferred answers (http_defer: the job runs on the worker pool, its done
callback answers on the request's loop) under concurrency: many searches
at once on two event loops, with clients that hang up before, during and
after the work (a reset, a close after a pipelined burst, a close after a
short wait), and the server still answers every client that waits, with
the right page, and stops cleanly with no sanitizer report.

The heap corruption this guards against (the done queue's pipe socket
made on the main thread, so both loops shared the main thread's unlocked
buffer free list in libh2o) shows as "malloc(): corrupted double-linked
list" in a release build only now and then; under ThreadSanitizer it is
reported every run: JINMYAKU_BIN=build-tsan/jinmyaku runs this file
against a `meson setup build-tsan -Db_sanitize=thread` build, and jm.py
counts a ThreadSanitizer warning as a sanitizer report.
"""
import http.client
import itertools
import socket
import struct
import threading
import urllib.parse

import jm

WORD = "発信"
ARTICLES = 12
CLIENTS = 24
PER_CLIENT = 16
NUMBERS = 1000
_next = itertools.count()


def path():
    """A query no one asked before ("発信 N": every article has each N), so
    the result cache cannot answer it and every request is deferred."""
    return "/search?" + urllib.parse.urlencode({"q": "%s %d" % (WORD, next(_next) % NUMBERS)})


def publish(s):
    s.add_user("defer-owner@example.com", "a-long-password", role="owner")
    api = jm.Api(s.base, s.create_token())
    for i in range(ARTICLES):
        api.publish(title="%sの記録 %d" % (WORD, i), slug="defer-%d" % i,
                    body="読者への%sを続ける。%d 回目。\n\n%s" % (
                        WORD, i, " ".join(str(n) for n in range(NUMBERS))), tags=[WORD])


def hang_up(port, mode):
    """One request its client abandons: 0 reset at once, 1 three pipelined
    then closed, 2 closed after reading only a few bytes."""
    req = ("GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % path()).encode()
    c = socket.create_connection(("127.0.0.1", port), timeout=jm.HTTP_TIMEOUT)
    try:
        if mode == 0:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.sendall(req)
        elif mode == 1:
            c.sendall(req * 3)
        else:
            c.sendall(req)
            c.recv(16)
    finally:
        c.close()


def waits(port, out):
    """One request on a keep-alive connection, read to the end."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=jm.HTTP_TIMEOUT)
    try:
        for _ in range(2):
            c.request("GET", path())
            r = c.getresponse()
            out.append((r.status, r.getheader("x-search-cache"),
                        r.read().decode("utf-8", "replace").count('class="search-hit"')))
    finally:
        c.close()


def storm(port, k, answers, errors):
    for i in range(PER_CLIENT):
        try:
            if (k + i) % 2:
                hang_up(port, (k + i) % 3)
            else:
                waits(port, answers)
        except OSError as e:  # the server went away: the asserts below say so
            errors.append(repr(e))


def test_many_deferred_answers_with_clients_hanging_up(make_server):
    s = make_server("--threads", "2")
    publish(s)
    answers, errors = [], []
    ts = [threading.Thread(target=storm, args=(s.port, k, answers, errors))
          for k in range(CLIENTS)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert s.alive(), s.stderr()[-6000:]
    assert not errors, errors[:5]
    assert len(answers) == CLIENTS * PER_CLIENT  # half the requests waited, two each
    assert set(answers) == {(200, "miss", 10)}, sorted(set(answers))
    # The pool and both loops still work after the storm.
    c = s.client()
    for _ in range(4):
        r = c.get(path())
        assert r.status == 200 and r.text.count('class="search-hit"') == 10
    reports, _ = s.new_sanitizer_reports()
    assert not reports, s.stderr()[-20000:]
