"""A scripted SMTP server for tests/unit/mail/test_smtp.c.

Usage: /usr/bin/python3 smtp_script.py LOGFILE
Listens on 127.0.0.1 on a free port, prints "PORT n" and serves until
killed. The recipient's local part picks the behaviour:
  rcpt451*  451 to RCPT          rcpt550*  550 to RCPT
  rcpt421*  421 to RCPT, then the connection is closed
  data451*  451 after the data   data554*  554 after the data
  drop*     connection closed after the data, before any reply
  anything else: accepted.
It offers AUTH PLAIN but never STARTTLS (so credentials must not be
sent to it unless the client explicitly allows plaintext auth).
LOGFILE gets one line per event: "CONN", "MSG <rcpt> <bytes>", "DROP",
"AUTH <the whole command line>".
"""
import socket
import socketserver
import sys
import threading

LOG = sys.argv[1]
lock = threading.Lock()


def log(line):
    with lock, open(LOG, "a") as f:
        f.write(line + "\n")
        f.flush()


class Handler(socketserver.StreamRequestHandler):
    def send(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def read_data(self):
        size = 0
        while True:
            line = self.rfile.readline()
            if not line:
                return None
            if line == b".\r\n":
                return size
            size += len(line)

    def handle(self):
        log("CONN")
        self.send("220 scripted ESMTP")
        rcpt = ""
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode("ascii", "replace").strip()
            verb = cmd[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.send("250-scripted\r\n250-AUTH PLAIN\r\n250 8BITMIME"
                          if verb == "EHLO" else "250 scripted")
            elif verb == "AUTH":
                if len(cmd.split()) == 2:  # no initial response: ask for it
                    self.send("334 ")
                    cmd += " " + self.rfile.readline().decode("ascii", "replace").strip()
                log("AUTH " + cmd)
                self.send("235 2.7.0 Authentication successful")
            elif verb == "MAIL":
                rcpt = ""
                self.send("250 2.1.0 Ok")
            elif verb == "RCPT":
                rcpt = cmd.split("<", 1)[1].split(">", 1)[0]
                local = rcpt.split("@")[0]
                if local.startswith("rcpt451"):
                    self.send("451 4.7.1 Try again later")
                elif local.startswith("rcpt550"):
                    self.send("550 5.1.1 No such user here")
                elif local.startswith("rcpt421"):
                    self.send("421 4.4.2 Closing connection")
                    return
                else:
                    self.send("250 2.1.5 Ok")
            elif verb == "DATA":
                self.send("354 End data with <CR><LF>.<CR><LF>")
                size = self.read_data()
                if size is None:
                    return
                local = rcpt.split("@")[0]
                if local.startswith("drop"):
                    log("DROP")
                    self.request.shutdown(socket.SHUT_RDWR)
                    return
                if local.startswith("data451"):
                    self.send("451 4.3.0 Queue full")
                elif local.startswith("data554"):
                    self.send("554 5.7.1 Message rejected as spam")
                else:
                    log("MSG %s %d" % (rcpt, size))
                    self.send("250 2.0.0 Ok: queued")
            elif verb == "RSET" or verb == "NOOP":
                self.send("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.send("221 2.0.0 Bye")
                return
            else:
                self.send("500 5.5.2 Unknown command")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = Server(("127.0.0.1", 0), Handler)
print("PORT %d" % srv.server_address[1], flush=True)
srv.serve_forever()
