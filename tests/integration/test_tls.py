"""HTTPS straight from h2o (--tls-cert/--tls-key): a self-signed certificate
made with the openssl CLI, HTTP/2 offered through ALPN, HTTP/1.1 still
served, session cookies marked Secure, and a clear error for a bad key."""
import http.client
import os
import signal
import socket
import ssl
import subprocess
import time

import pytest

import jm


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    crt, key = str(d / "cert.pem"), str(d / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", crt],
                   check=True, capture_output=True)
    return crt, key


def client_context(alpn):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(alpn)
    return ctx


def wait_tls(port, proc, deadline_s=60.0):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        assert proc.poll() is None, "server exited early"
        try:
            c = http.client.HTTPSConnection("127.0.0.1", port, timeout=5,
                                            context=client_context(["http/1.1"]))
            c.request("GET", "/healthz")
            r = c.getresponse()
            r.read()
            c.close()
            if r.status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError("TLS server did not answer /healthz")


@pytest.fixture(scope="module")
def tls_server(cert, tmp_path_factory):
    data = str(tmp_path_factory.mktemp("tlsdata") / "data")
    port = jm.free_port()
    err_path = data + ".stderr"
    os.makedirs(data)
    with open(err_path, "wb") as err:
        proc = subprocess.Popen([jm.jinmyaku_bin(), "serve", "--data", data,
                                 "--listen", "127.0.0.1:%d" % port,
                                 "--tls-cert", cert[0], "--tls-key", cert[1]],
                                stdout=subprocess.DEVNULL, stderr=err,
                                stdin=subprocess.DEVNULL, env=jm.sanitizer_env(data), cwd=jm.ROOT)
    try:
        wait_tls(port, proc)
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(60)
        with open(err_path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        assert not jm.sanitizer_reports(text), text[-20000:]
        assert rc == 0, text[-4000:]


def test_https_serves_pages_over_http11(tls_server):
    c = http.client.HTTPSConnection("127.0.0.1", tls_server, timeout=10,
                                    context=client_context(["http/1.1"]))
    c.request("GET", "/")
    r = c.getresponse()
    body = r.read().decode()
    assert r.status == 200
    assert "<html" in body
    c.close()


def test_alpn_selects_http2(tls_server):
    with socket.create_connection(("127.0.0.1", tls_server), timeout=10) as raw:
        with client_context(["h2", "http/1.1"]).wrap_socket(raw, server_hostname="127.0.0.1") as s:
            assert s.selected_alpn_protocol() == "h2"
            # The HTTP/2 connection preface is answered with a SETTINGS frame.
            s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")
            head = s.recv(9)
            assert len(head) == 9 and head[3] == 0x04, head


def test_login_cookie_is_secure_over_https(tls_server):
    c = http.client.HTTPSConnection("127.0.0.1", tls_server, timeout=10,
                                    context=client_context(["http/1.1"]))
    c.request("GET", "/admin/login")
    r = c.getresponse()
    r.read()
    cookies = r.getheader("Set-Cookie") or ""
    assert "jm_pre=" in cookies
    assert "Secure" in cookies and "HttpOnly" in cookies and "SameSite=Lax" in cookies


def test_bad_key_is_one_clear_error(cert, tmp_path):
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a key\n")
    data = str(tmp_path / "d")
    p = subprocess.run([jm.jinmyaku_bin(), "serve", "--data", data,
                        "--listen", "127.0.0.1:%d" % jm.free_port(),
                        "--tls-cert", cert[0], "--tls-key", str(bogus)],
                       capture_output=True, text=True, env=jm.sanitizer_env(data), timeout=60,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 1
    last = [l for l in p.stderr.splitlines() if l.startswith("jinmyaku:")]
    assert len(last) == 1 and "key" in last[0], p.stderr
    assert not jm.sanitizer_reports(p.stderr), p.stderr
