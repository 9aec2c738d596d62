"""Local servers the alert tests send to, on 127.0.0.1: an HTTP server that keeps what is posted
(the Slack-compatible and JSON webhooks) and a minimal SMTP sink (the standard library has an
SMTP client but no server since smtpd left it in Python 3.12; this one speaks just enough of RFC
5321 for smtplib: greeting, EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing, QUIT)."""

from __future__ import annotations

import email
import email.policy
import json
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _HookHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # the name http.server calls
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.posts.append((self.path, json.loads(body)))  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


class _SMTPHandler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 127.0.0.1 test sink")
        data: list[bytes] | None = None
        while line := self.rfile.readline():
            if data is not None:
                if line.rstrip(b"\r\n") == b".":
                    message = email.message_from_bytes(b"".join(data), policy=email.policy.default)
                    self.server.messages.append(message)  # type: ignore[attr-defined]
                    data = None
                    self.reply("250 OK")
                else:
                    data.append(line[1:] if line.startswith(b"..") else line)
                continue
            command = line[:4].upper()
            if command == b"EHLO":
                self.reply("250-127.0.0.1")
                self.reply("250 8BITMIME")
            elif command == b"DATA":
                data = []
                self.reply("354 end with <CRLF>.<CRLF>")
            elif command == b"QUIT":
                self.reply("221 bye")
                return
            else:  # HELO, MAIL, RCPT, RSET, NOOP
                self.reply("250 OK")


class _SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextmanager
def _serving(server: socketserver.BaseServer) -> Iterator[None]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def webhook_server() -> Iterator[ThreadingHTTPServer]:
    """`.posts` is a list of (path, JSON body); `.server_port` the port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HookHandler)
    server.posts = []  # type: ignore[attr-defined]
    with _serving(server):
        yield server


@contextmanager
def smtp_server() -> Iterator[_SMTPServer]:
    """`.messages` is a list of the e-mails received; `.server_address[1]` the port."""
    server = _SMTPServer(("127.0.0.1", 0), _SMTPHandler)
    server.messages: list[EmailMessage] = []  # type: ignore[misc]
    with _serving(server):
        yield server
