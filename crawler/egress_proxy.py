"""A filtering forward proxy on 127.0.0.1, so WebKit obeys the egress policy too.

Classic WebDriver cannot intercept a page's requests, but WebKitGTK honours the WebDriver `proxy`
capability: every request WebKit makes (page, sub-resources, fetch, HTTPS tunnels) comes here, is asked of
the crawl's egress policy (crawler.engines.Gate) and is refused with 403 or passed on. Plain HTTP is
relayed request by request (HTTP/1.0, one request per connection); HTTPS is a CONNECT tunnel whose bytes
are copied as they are, so TLS stays end to end between WebKit and the portal.
"""
from __future__ import annotations

import http.client
import selectors
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

MAX_BODY = 30 * 1024 * 1024      # as the crawl's size cap: a larger answer is cut off
HOP_HEADERS = {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "te", "trailer",
               "transfer-encoding", "upgrade"}
TIMEOUT_S = 30


def _handler(gate, where: str):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, *args):   # refusals are recorded by the gate; the rest is noise
            pass

        def do_CONNECT(self):
            host, _, port = self.path.rpartition(":")
            if gate.refusal(f"https://{host}:{port}/", where):
                self.send_error(403, "refused by the auditor's egress policy")
                return
            try:
                upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=TIMEOUT_S)
            except (OSError, ValueError):
                self.send_error(502, "could not connect")
                return
            self.send_response(200, "Connection Established")
            self.end_headers()
            self._tunnel(upstream)

        def _tunnel(self, upstream: socket.socket) -> None:
            selector = selectors.DefaultSelector()
            selector.register(self.connection, selectors.EVENT_READ, upstream)
            selector.register(upstream, selectors.EVENT_READ, self.connection)
            try:
                while True:
                    events = selector.select(timeout=TIMEOUT_S)
                    if not events:
                        return
                    for key, _ in events:
                        data = key.fileobj.recv(65536)
                        if not data:
                            return
                        key.data.sendall(data)
            except OSError:
                return
            finally:
                selector.close()
                upstream.close()

        def _relay(self):
            parts = urlsplit(self.path)
            if parts.scheme != "http" or not parts.hostname:
                self.send_error(400, "only absolute http:// requests and CONNECT are proxied")
                return
            if gate.refusal(self.path, where):
                self.send_error(403, "refused by the auditor's egress policy")
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
            target = parts.path or "/"
            if parts.query:
                target += "?" + parts.query
            connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=TIMEOUT_S)
            try:
                connection.request(self.command, target, body=body, headers=headers)
                answer = connection.getresponse()
                payload = answer.read(MAX_BODY)
            except (OSError, http.client.HTTPException):
                self.send_error(502, "the portal did not answer")
                return
            finally:
                connection.close()
            self.send_response(answer.status, answer.reason)
            for name, value in answer.getheaders():
                if name.lower() not in HOP_HEADERS and name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = _relay

    return Handler


class FilteringProxy:
    """`with FilteringProxy(gate) as proxy:` → a proxy at 127.0.0.1:proxy.port for the life of the block."""

    def __init__(self, gate, where: str = "webkit request"):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(gate, where))
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="egress-proxy", daemon=True)

    def __enter__(self) -> "FilteringProxy":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def capability(self) -> dict:
        address = f"127.0.0.1:{self.port}"
        return {"proxyType": "manual", "httpProxy": address, "sslProxy": address}
