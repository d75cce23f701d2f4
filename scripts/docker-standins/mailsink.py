"""Mail sink of the axllent/mailpit stand-in (tests only; see build and mailpit.Dockerfile).

Accepts every message on SMTP port 1025 and keeps it in memory; serves on port 8025 the subset
of Mailpit's API that scripts/check-docker reads, in Mailpit's JSON shape, so the same check
works against the real Mailpit:
  GET /api/v1/messages          {"total", "count", "messages_count", "messages": [summary, ...]}
                                newest first (as Mailpit); ?limit=N (default 50), ?start=N
  GET /api/v1/message/<ID>      the summary plus "Text" (the plain body)
  GET /livez, /readyz           200
"""
import email
import email.policy
import json
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from aiosmtpd.controller import Controller

messages = []  # oldest first
lock = threading.Lock()


def address_list(header):
    if not header:
        return []
    return [{"Name": a.display_name, "Address": a.addr_spec} for a in header.addresses]


class Sink:
    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        from_ = address_list(parsed["From"])
        summary = {
            "ID": uuid.uuid4().hex,
            "MessageID": (parsed["Message-ID"] or "").strip("<>"),
            "From": from_[0] if from_ else {"Name": "", "Address": envelope.mail_from},
            "To": address_list(parsed["To"]),
            "Subject": str(parsed["Subject"] or ""),
            "Created": datetime.now(timezone.utc).isoformat(),
            "Size": len(envelope.content),
            "Snippet": " ".join(text.split())[:250],
        }
        with lock:
            messages.append((summary, text))
        print(f"mailsink: {summary['Subject']!r} to {[t['Address'] for t in summary['To']]}", flush=True)
        return "250 Message accepted for delivery"


class Api(BaseHTTPRequestHandler):
    def reply(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if url.path in ("/livez", "/readyz"):
            return self.reply(200, "ok")
        if url.path == "/api/v1/messages":
            start = int(query.get("start", ["0"])[0])
            limit = int(query.get("limit", ["50"])[0])
            with lock:
                newest_first = [summary for summary, _ in reversed(messages)]
            page = newest_first[start:start + limit]
            return self.reply(200, {"total": len(newest_first), "unread": len(newest_first),
                                    "count": len(page), "messages_count": len(newest_first),
                                    "start": start, "tags": [], "messages": page})
        if url.path.startswith("/api/v1/message/"):
            wanted = url.path.rsplit("/", 1)[-1]
            with lock:
                found = [dict(s, Text=t, HTML="") for s, t in messages if s["ID"] == wanted]
            return self.reply(200, found[0]) if found else self.reply(404, "not found")
        return self.reply(404, "not found")

    def log_message(self, *args):
        pass  # one line per message received is enough


if __name__ == "__main__":
    controller = Controller(Sink(), hostname="0.0.0.0", port=1025)
    controller.start()
    print("mailsink: SMTP on 1025, API on 8025", flush=True)
    ThreadingHTTPServer(("0.0.0.0", 8025), Api).serve_forever()
