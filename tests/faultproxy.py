#!/usr/bin/python3
"""faultproxy.py - an HTTP proxy in front of a real S3 server (versitygw)
that answers chosen requests with an S3 error instead of forwarding them,
so the retry paths of bk-put and bk-get meet 429, SlowDown, 5xx and 403
answers.  Every other request goes to the real server unchanged (the Host
header included, so SigV4 signatures still verify).

usage: faultproxy.py PORT UPSTREAM_PORT LOG RULE...
RULE is "METHOD QUERY-SUBSTRING STATUS CODE COUNT": the first COUNT
requests (-1: all) whose method matches (or "*") and whose query string
contains QUERY-SUBSTRING (or "-" for any) get STATUS with error CODE.
STATUS 0 means "slow": wait CODE milliseconds, then forward the request.
Each request is logged as "METHOD PATH?QUERY -> STATUS (injected|upstream)".
"""
import http.client
import http.server
import sys
import threading
import time

port, upstream, logpath = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rules = []
for r in sys.argv[4:]:
    m, q, status, code, count = r.split()
    rules.append({"m": m, "q": q, "status": int(status), "code": code,
                  "left": int(count)})
lock = threading.Lock()
log = open(logpath, "a", buffering=1)


def injected(method, query):
    with lock:
        for r in rules:
            if r["left"] == 0:
                continue
            if r["m"] not in ("*", method):
                continue
            if r["q"] != "-" and r["q"] not in query:
                continue
            if r["left"] > 0:
                r["left"] -= 1
            return r
    return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_any(self):
        method = self.command
        query = self.path.partition("?")[2]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        rule = injected(method, query)
        if rule is not None and rule["status"] == 0:
            time.sleep(int(rule["code"]) / 1000.0)
            rule = None
        if rule is not None:
            msg = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s"
                   "</Code><Message>injected by faultproxy</Message></Error>"
                   % rule["code"]).encode()
            self.send_response(rule["status"])
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(msg)
            log.write("%s %s -> %d injected\n" % (method, self.path,
                                                   rule["status"]))
            return
        conn = http.client.HTTPConnection("127.0.0.1", upstream, timeout=60)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("connection", "keep-alive")}
        conn.request(method, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "keep-alive",
                                 "transfer-encoding", "content-length"):
                self.send_header(k, v)
        if method == "HEAD":
            self.send_header("Content-Length",
                             resp.getheader("Content-Length") or "0")
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(data)
        conn.close()
        log.write("%s %s -> %d upstream\n" % (method, self.path, resp.status))

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = handle_any


server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
server.daemon_threads = True
server.serve_forever()
