#!/usr/bin/python3
"""faultproxy.py - an HTTP proxy in front of a real S3 server (versitygw)
that answers chosen requests with an S3 error instead of forwarding them,
so the retry paths of bk-put and bk-get meet 429, SlowDown, 5xx and 403
answers.  Every other request goes to the real server unchanged (the Host
header included, so SigV4 signatures still verify).

usage: faultproxy.py PORT UPSTREAM_PORT LOG RULE...
RULE is "METHOD PATTERN STATUS CODE COUNT": the first COUNT requests (-1:
all) whose method matches (or "*") and whose path and query ("/bucket/key
?query") match the regular expression PATTERN (or "-" for any) get STATUS
with error CODE.
STATUS 0 means "slow": wait CODE milliseconds, then forward the request.

A STATUS that is not a number is a comma-separated list of ACTION[=ARG]
that forwards the request but bends it or its answer, for the checks a
client must make on every answer (CODE is then ignored, "-"):
  drop=N       send the answer's headers and only N body bytes, then
               close the connection (a dropped download)
  norange      answer a ranged GET with 200 and the whole object (as the
               last whole answer for that path held it)
  shift=N      answer a ranged GET with the bytes from N further on (a
               Content-Range that starts elsewhere), from the same copy
  range0=N     add "Range: bytes=0-N" to a request that has none
  short=N      cut N bytes off the body and make Content-Length match
  etag=VALUE   replace the answer's ETag
  nolength     send the answer without Content-Length (closed at end)
  gate=FILE    wait until FILE exists before forwarding
  status=N     send status N (with the upstream body) instead
  late=FILE    forward all of the body but its last byte, log "late
               waiting", wait until FILE exists, then send the last byte
               (the client may have given up meanwhile: the server still
               finishes the request, late)
  touch=FILE   create FILE once the upstream has answered
  lost         forward the request, then close the connection without
               an answer (the server did it; the client never hears)
(The request itself is forwarded unchanged but for range0: its headers
are signed.)  Each request is logged as "METHOD PATH?QUERY [range=R] [if-match] ->
STATUS (injected|upstream|mangled)" before its answer is sent, so the log
is complete once the client has its answers; a gate logs "gate waiting"
first.
"""
import http.client
import http.server
import os
import re
import socket
import sys
import threading
import time

port, upstream, logpath = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rules = []
for r in sys.argv[4:]:
    m, q, status, code, count = r.split()
    acts = {}
    if not status.lstrip("-").isdigit():
        for a in status.split(","):
            k, _, v = a.partition("=")
            acts[k] = v
        status = -1
    rules.append({"m": m, "q": q, "status": int(status), "code": code,
                  "left": int(count), "acts": acts})
lock = threading.Lock()
whole = {}  # path -> body of the last 200 answer to a GET
log = open(logpath, "a", buffering=1)


def injected(method, path):
    with lock:
        for r in rules:
            if r["left"] == 0:
                continue
            if r["m"] not in ("*", method):
                continue
            if r["q"] != "-" and not re.search(r["q"], path):
                continue
            if r["left"] > 0:
                r["left"] -= 1
            return r
    return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stall per answer

    def log_message(self, *args):
        pass

    def handle_any(self):
        method = self.command
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        rule = injected(method, self.path)
        acts = {}
        if rule is not None and rule["status"] == -1:
            acts = rule["acts"]
            rule = None
        desc = "%s %s" % (method, self.path)
        if self.headers.get("Range"):
            desc += " range=" + self.headers.get("Range")
        if self.headers.get("If-Match"):
            desc += " if-match"
        if rule is not None and rule["status"] == 0:
            time.sleep(int(rule["code"]) / 1000.0)
            rule = None
        if rule is not None:
            msg = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s"
                   "</Code><Message>injected by faultproxy</Message></Error>"
                   % rule["code"]).encode()
            # Logged before the answer goes out: a client that has its
            # answer (and exits) finds the line in the log.
            log.write("%s -> %d injected\n" % (desc, rule["status"]))
            self.send_response(rule["status"])
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(msg)
            return
        if "gate" in acts:
            log.write("%s gate waiting\n" % desc)
            while not os.path.exists(acts["gate"]):
                time.sleep(0.05)
        conn = http.client.HTTPConnection("127.0.0.1", upstream, timeout=60)
        drop = {"connection", "keep-alive"}
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in drop}
        if "range0" in acts and not self.headers.get("Range"):
            headers["Range"] = "bytes=0-%s" % acts["range0"]
        if "late" in acts and body:
            conn.putrequest(method, self.path, skip_host=True,
                            skip_accept_encoding=True)
            for k, v in headers.items():
                conn.putheader(k, v)
            conn.endheaders()
            conn.send(body[:-1])
            log.write("%s late waiting\n" % desc)
            while not os.path.exists(acts["late"]):
                time.sleep(0.05)
            conn.send(body[-1:])
        else:
            conn.request(method, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        if "touch" in acts:
            open(acts["touch"], "w").close()
        if "lost" in acts:
            resp.read()
            log.write("%s -> %d lost\n" % (desc, resp.status))
            conn.close()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        data = resp.read()
        hdrs = resp.getheaders()
        status = resp.status
        if method == "GET" and status == 200:
            whole[self.path] = data
        if ("norange" in acts or "shift" in acts) and status == 206:
            full = whole[self.path]
            hdrs = [(k, v) for k, v in hdrs
                    if k.lower() != "content-range"]
            if "norange" in acts:
                status, data = 200, full
            else:
                first = int(self.headers["Range"].split("=")[1]
                            .split("-")[0]) + int(acts["shift"])
                data = full[first:]
                hdrs.append(("Content-Range", "bytes %d-%d/%d" % (
                    first, len(full) - 1, len(full))))
        if "short" in acts:
            data = data[:max(0, len(data) - int(acts["short"]))]
        status = int(acts.get("status") or status)
        log.write("%s -> %d %s\n" % (desc, status,
                                      "mangled" if acts else "upstream"))
        self.send_response(status)
        for k, v in hdrs:
            if k.lower() in ("connection", "keep-alive",
                             "transfer-encoding", "content-length"):
                continue
            if k.lower() == "etag" and "etag" in acts:
                v = acts["etag"]
            self.send_header(k, v)
        if "nolength" in acts:
            self.send_header("Connection", "close")
            self.close_connection = True
        elif method == "HEAD":
            self.send_header("Content-Length",
                             resp.getheader("Content-Length") or "0")
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if method != "HEAD":
            if "drop" in acts:
                self.wfile.write(data[:int(acts["drop"])])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
            else:
                self.wfile.write(data)
        conn.close()

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = handle_any


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client that hangs up (as bk-get does on a refused answer) is
        # part of the game, not a proxy error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


server = Server(("127.0.0.1", port), Handler)
server.daemon_threads = True
server.serve_forever()
