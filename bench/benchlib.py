"""Helpers shared by the benchmarks under bench/ (run with /usr/bin/python3)."""
import http.client
import os
import socket
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.abspath(os.environ.get("BENCH_BIN") or os.path.join(ROOT, "build", "jinmyaku"))


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port, path, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def wait_for(port, path, deadline_s, proc):
    """Polls http://127.0.0.1:port/path until 200; False if proc exits or time runs out."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        try:
            if http_get(port, path)[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("JINMYAKU_") and "proxy" not in k.lower()}
    env.update(extra)
    return env


def cli(args, data, input=None, env=None, timeout=600):
    p = subprocess.run([BIN] + args + ["--data", data], input=input, capture_output=True,
                       text=True, env=env or clean_env(), cwd=ROOT, timeout=timeout)
    if p.returncode != 0:
        sys.exit("bench: jinmyaku %s failed: %s" % (" ".join(args), p.stderr.strip()))
    return p.stdout


def proc_status_kib(pid, field):
    """VmRSS / VmHWM (peak) of a live process, in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def require_bin():
    if not os.access(BIN, os.X_OK):
        sys.exit("bench: %s not found: run `make` first" % BIN)
