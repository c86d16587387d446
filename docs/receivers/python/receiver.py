# A Herald webhook receiver: verify, de-duplicate, answer at once, work later.
# pip install standardwebhooks   ·   WEBHOOK_SECRET=whsec_… PORT=8080 python receiver.py
import json
import os
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

webhook = Webhook(os.environ["WEBHOOK_SECRET"])  # the hook's whsec_… secret
MAX_BODY = 5 * 1024 * 1024
seen = {}  # webhook-id → first seen; use a unique key in your database instead
seen_lock = threading.Lock()
jobs = queue.Queue()  # use a durable queue or table instead


def log(line):
    print(json.dumps(line), flush=True)


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY:
            return self.answer(413, {"error": "too large"})
        body = self.rfile.read(length)  # the raw body: verify before parsing
        try:
            # signature(s) and the 5-minute timestamp window
            event = webhook.verify(body, dict(self.headers.items()))
        except WebhookVerificationError as err:
            log({"event": "rejected", "reason": str(err)})
            return self.answer(400, {"error": "invalid signature"})  # not 401/410: some hooks unsubscribe on those
        msg_id = self.headers["webhook-id"]
        with seen_lock:
            duplicate = msg_id in seen
            seen.setdefault(msg_id, time.time())
        if duplicate:
            log({"event": "duplicate", "id": msg_id})
            return self.answer(200, {"status": "OK"})  # already have it: acknowledge, do nothing
        jobs.put((msg_id, event))  # store first…
        self.answer(200, {"status": "OK"})  # …answer at once (200 + {"status":"OK"} meets every success rule)…

    do_PUT = do_PATCH = do_POST

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def work():  # …and do the work later, away from the request.
    while True:
        msg_id, event = jobs.get()
        log({"event": "processed", "id": msg_id, "type": event.get("type")})


threading.Thread(target=work, daemon=True).start()
server = ThreadingHTTPServer(("", int(os.environ.get("PORT", "8080"))), Receiver)
log({"event": "listening", "port": server.server_address[1]})
server.serve_forever()
