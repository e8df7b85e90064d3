"""A capturing SMTP server for the black-box tests (Debian's python3-aiosmtpd).

Every message accepted is written to a folder as NNNNNN.eml (the raw bytes
as received) with a sidecar NNNNNN.json holding the envelope, the time the
transaction started (MAIL FROM) and the time the data arrived. Use it in-process:

    cap = Capture(folder).start()
    ... JINMYAKU_SMTP_URL=cap.url ...
    cap.messages()   # [(envelope dict, email.message.EmailMessage)]
    cap.stop()

or as a subprocess: `python3 smtp_capture.py FOLDER PORT` (runs until
SIGTERM). Listens on 127.0.0.1 only.
"""
import email
import email.policy
import json
import os
import signal
import sys
import threading
import time

from aiosmtpd.controller import Controller


class _Handler:
    def __init__(self, folder):
        self.folder = folder
        self.lock = threading.Lock()
        self.count = 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        # When the sender started this transaction: what a rate limit governs.
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        envelope.jm_started = time.time()
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        base = os.path.join(self.folder, "%06d" % n)
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8")
        with open(base + ".eml.tmp", "wb") as f:
            f.write(data)
        with open(base + ".json", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                       "time": getattr(envelope, "jm_started", time.time()),
                       "time_data": time.time()}, f)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 OK queued as %d" % n


class Capture:
    def __init__(self, folder, port=0):
        self.folder = str(folder)
        os.makedirs(self.folder, exist_ok=True)
        self.port = port
        self.handler = _Handler(self.folder)
        self.controller = None

    @property
    def url(self):
        return "smtp://127.0.0.1:%d" % self.port

    def start(self):
        if not self.port:
            import jm  # the tests' helper module, for free_port
            self.port = jm.free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     decode_data=False, data_size_limit=10 * 1024 * 1024)
        self.controller.start()
        return self

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None

    def count(self):
        return len([n for n in os.listdir(self.folder) if n.endswith(".eml")])

    def messages(self):
        """[(envelope, EmailMessage)] in arrival order."""
        out = []
        for name in sorted(os.listdir(self.folder)):
            if not name.endswith(".eml"):
                continue
            base = os.path.join(self.folder, name[:-4])
            with open(base + ".eml", "rb") as f:
                raw = f.read()
            with open(base + ".json") as f:
                env = json.load(f)
            env["raw"] = raw
            out.append((env, email.message_from_bytes(raw, policy=email.policy.default)))
        return out

    def clear(self):
        for name in os.listdir(self.folder):
            os.unlink(os.path.join(self.folder, name))


def main():
    folder, port = sys.argv[1], int(sys.argv[2])
    cap = Capture(folder, port).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    print("listening on 127.0.0.1:%d" % port, flush=True)
    stop.wait()
    cap.stop()


if __name__ == "__main__":
    main()
