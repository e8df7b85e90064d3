"""A capturing SMTP server for the browser tests (Debian's python3-aiosmtpd):
every message received is written to DIR/NNNN.eml (envelope recipients in
an X-Rcpt-To header line on top), and --show prints what a test
needs from it (--show). Listens on 127.0.0.1 only; stops on SIGTERM.

    /usr/bin/python3 smtp_capture.py PORT DIR          run the server
    /usr/bin/python3 smtp_capture.py --show FILE.eml   print JSON: subject,
                                                       to, text body, links,
                                                       threading headers
"""
import email
import email.policy
import json
import os
import re
import signal
import sys


class Capture:
    def __init__(self, folder):
        self.folder = folder
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        path = os.path.join(self.folder, "%04d.eml" % self.n)
        head = ("X-Rcpt-To: %s\r\n" % ", ".join(envelope.rcpt_tos)).encode()
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(head + envelope.original_content)
        os.rename(tmp, path)  # readers never see half a file
        return "250 OK"


def show(path):
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    text = ""
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            text += part.get_content()
    print(json.dumps({"subject": str(msg["Subject"]), "to": str(msg["To"]),
                      "rcpt": str(msg["X-Rcpt-To"]), "text": text,
                      "links": re.findall(r"https?://[^\s<>\"]+", text),
                      "from": str(msg["From"] or ""), "reply_to": str(msg["Reply-To"] or ""),
                      "message_id": str(msg["Message-ID"] or ""),
                      "in_reply_to": str(msg["In-Reply-To"] or ""),
                      "references": str(msg["References"] or "")}, ensure_ascii=False))


def main():
    if sys.argv[1] == "--show":
        show(sys.argv[2])
        return
    from aiosmtpd.controller import Controller
    port, folder = int(sys.argv[1]), sys.argv[2]
    os.makedirs(folder, exist_ok=True)
    ctl = Controller(Capture(folder), hostname="127.0.0.1", port=port)
    ctl.start()
    print("listening", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    ctl.stop()


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    main()
