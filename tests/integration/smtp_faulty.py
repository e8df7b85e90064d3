"""A scripted, misbehaving SMTP server for the delivery fault tests
(python3-aiosmtpd). What it does depends on the recipient's local part:

    temp421…   "421 4.7.0 try again later" at RCPT, the first 2 times
    temp451…   "451 4.3.0 temporary failure" at RCPT, the first 2 times
    unknown…   "550 5.1.1 user unknown" at RCPT, always
    drop…      the connection is dropped in DATA, the first time
    quote…     accepted with a reply holding quotes, a backslash, braces and
               a comma (QUOTE_REPLY: recorded verbatim, PostgreSQL arrays)
    anything else is accepted and captured like smtp_capture.Capture

Faulty(folder, port).start() runs it in-process; attempts(addr) tells how
often an address was tried (RCPT commands seen).
"""
import threading

import smtp_capture

QUOTE_REPLY = '250 2.0.0 Ok: queued as "q\\1" {x,y}'


class _FaultyHandler(smtp_capture._Handler):
    def __init__(self, folder):
        super().__init__(folder)
        self.tries = {}
        self.drops = {}
        self.mu = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.mu:
            n = self.tries[address] = self.tries.get(address, 0) + 1
        local = address.split("@")[0]
        if local.startswith("temp421") and n <= 2:
            return "421 4.7.0 try again later"
        if local.startswith("temp451") and n <= 2:
            return "451 4.3.0 temporary failure, please retry"
        if local.startswith("unknown"):
            return "550 5.1.1 <%s>: user unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        for r in envelope.rcpt_tos:
            if r.split("@")[0].startswith("drop"):
                with self.mu:
                    n = self.drops[r] = self.drops.get(r, 0) + 1
                if n <= 1:
                    server.transport.close()
                    return "421 4.4.2 connection dropped"
        reply = await super().handle_DATA(server, session, envelope)
        if any(r.split("@")[0].startswith("quote") for r in envelope.rcpt_tos):
            return QUOTE_REPLY
        return reply


class Faulty(smtp_capture.Capture):
    def __init__(self, folder, port=0):
        super().__init__(folder, port)
        self.handler = _FaultyHandler(self.folder)

    def attempts(self, addr):
        with self.handler.mu:
            return self.handler.tries.get(addr, 0)
