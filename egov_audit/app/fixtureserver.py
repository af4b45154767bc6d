"""Serve a fixture portal from ``fixtures/sites/<site>/`` on loopback addresses.

Shared by the tests, the demo and the benchmark so that all three exercise the
same HTTP behaviour.  A site directory holds ``site.yaml``::

    hosts:                       # one entry per separate host of the portal
      main: {address: 127.0.0.1, root: www}
      data: {address: 127.0.0.2, root: data}
    routes:                      # optional special behaviour, per host name
      main:
        /slow: {delay: 3}
        /loop: {redirect: /loop}
        /broken: {status: 500}
        /latin1.html: {file: latin1.html, content_type: "text/html; charset=iso-8859-1"}
        /search: {search: q, template: search/results.html}   # a working site search (see below)

A ``search`` route answers like a real site search: it lists the host's HTML pages whose
text contains the query given in that parameter. With a ``template`` (a file under the
host root) the list replaces ``{{results}}`` and the query replaces ``{{query}}``.

Every host listens on the same port (separate loopback addresses), so a page
can name another host with the token ``{{origin:data}}`` (or its own with
``{{origin}}``); tokens are replaced when text files are served, which keeps
fixture files independent of the port a test happens to get.
"""
from __future__ import annotations

import argparse
import mimetypes
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
import re
from html import escape
from urllib.parse import parse_qsl, unquote, urlsplit

import yaml

TEXT_TYPES = (".html", ".htm", ".xml", ".txt", ".js", ".json", ".css", ".csv", ".svg", ".rdf", ".jsonld")
TYPES = {
    ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8", ".txt": "text/plain; charset=utf-8",
    ".js": "application/javascript; charset=utf-8", ".json": "application/json; charset=utf-8",
    ".css": "text/css; charset=utf-8", ".csv": "text/csv; charset=utf-8",
    ".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".svg": "image/svg+xml",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".zip": "application/zip", ".mp4": "video/mp4", ".geojson": "application/geo+json",
    ".rdf": "application/rdf+xml", ".jsonld": "application/ld+json",
}


@dataclass
class Host:
    name: str
    address: str
    root: Path
    routes: dict = field(default_factory=dict)


@dataclass
class FixtureSite:
    """A running fixture portal: its hosts, their origins, and the servers behind them."""
    path: Path
    port: int
    hosts: dict[str, Host]
    servers: list = field(default_factory=list)
    hits: list = field(default_factory=list)   # (host name, method, path) of every request, for tests

    def origin(self, name: str = "main") -> str:
        return f"http://{self.hosts[name].address}:{self.port}"

    def url(self, path: str = "/", name: str = "main") -> str:
        return self.origin(name) + path

    def expand(self, text: str, own: str) -> str:
        text = text.replace("{{origin}}", self.origin(own))
        for name in self.hosts:
            text = text.replace("{{origin:%s}}" % name, self.origin(name))
        return text

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


def _handler_for(site: FixtureSite, host: Host):
    class Handler(BaseHTTPRequestHandler):
        server_version = "fixture/1"

        def log_message(self, *args):   # tests read site.hits instead of stderr noise
            pass

        def do_HEAD(self):
            self._serve(head=True)

        def do_GET(self):
            self._serve(head=False)

        def do_POST(self):
            self._serve(head=False)

        def _serve(self, head: bool) -> None:
            path = urlsplit(self.path).path
            site.hits.append((host.name, self.command, self.path))
            route = host.routes.get(path) or host.routes.get(self.path)
            try:
                if route:
                    return self._route(route, head)
                return self._file(unquote(path), head)
            except (BrokenPipeError, ConnectionResetError):
                pass   # the crawler gave up on this response (size cap, stop): fine

        def _route(self, route: dict, head: bool) -> None:
            time.sleep(float(route.get("delay", 0)))
            if "redirect" in route:
                self.send_response(int(route.get("status", 302)))
                self.send_header("Location", route["redirect"])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if "repeat" in route:   # a huge generated body, streamed
                chunk = route.get("chunk", "<p>filler text</p>\n").encode()
                count = int(route["repeat"])
                self.send_response(200)
                self.send_header("Content-Type", route.get("content_type", "text/html; charset=utf-8"))
                self.send_header("Content-Length", str(len(chunk) * count))
                self.end_headers()
                if not head:
                    for _ in range(count):
                        self.wfile.write(chunk)
                return
            if "search" in route:
                return self._search(route, head)
            if "file" in route:
                body = (host.root / route["file"]).read_bytes()
                if Path(route["file"]).suffix.lower() in TEXT_TYPES:
                    body = site.expand(body.decode("utf-8"), host.name).encode("utf-8")
            else:
                body = route.get("body", "").encode()
            self._send(int(route.get("status", 200)), body,
                       route.get("content_type", "text/html; charset=utf-8"), head)

        def _search(self, route: dict, head: bool) -> None:
            query = dict(parse_qsl(urlsplit(self.path).query)).get(route["search"], "").strip()
            needle = query.casefold()
            items = []
            for page in sorted(host.root.rglob("*.html")) if needle else ():
                html = page.read_text(encoding="utf-8", errors="replace")
                text = re.sub(r"(?s)<(script|style)\b.*?</\1>|<[^>]+>", " ", html)
                at = text.casefold().find(needle)
                if at >= 0:
                    excerpt = escape(" ".join(text[max(0, at - 60):at + 80].split()))
                    title = re.search(r"(?is)<title>(.*?)</title>", html)
                    href = "/" + page.relative_to(host.root).as_posix().removesuffix("index.html")
                    label = escape(title.group(1).strip() if title else href)
                    items.append(f'<li><a href="{escape(href)}">{label}</a><p>…{excerpt}…</p></li>')
                if len(items) >= 10:
                    break
            results = f"<ol class=\"search-results\">{''.join(items)}</ol>" if items else "<p class=\"no-results\">0</p>"
            if route.get("template"):
                page_html = (host.root / route["template"]).read_text(encoding="utf-8")
                page_html = site.expand(page_html, host.name).replace("{{query}}", escape(query))
                body = page_html.replace("{{results}}", results)
            else:
                body = (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{escape(query)}</title></head>"
                        f"<body><main><h1>{escape(query)}</h1>{results}</main></body></html>")
            self._send(200, body.encode("utf-8"), "text/html; charset=utf-8", head)

        def _file(self, path: str, head: bool) -> None:
            target = (host.root / path.lstrip("/")).resolve()
            if not str(target).startswith(str(host.root.resolve())):
                return self._send(403, b"forbidden", "text/plain", head)
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                missing = host.root / "404.html"
                body = missing.read_bytes() if missing.is_file() else b"<h1>Not found</h1>"
                return self._send(404, body, "text/html; charset=utf-8", head)
            body = target.read_bytes()
            suffix = target.suffix.lower()
            if suffix in TEXT_TYPES:
                body = site.expand(body.decode("utf-8"), host.name).encode("utf-8")
            ctype = TYPES.get(suffix) or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            self._send(200, body, ctype, head)

        def _send(self, status: int, body: bytes, ctype: str, head: bool) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)

    return Handler


def free_port(addresses: list[str]) -> int:
    """A port that is free on every address (all hosts of a site share it)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind((addresses[0], 0))
            port = probe.getsockname()[1]
        try:
            for address in addresses[1:]:
                with socket.socket() as other:
                    other.bind((address, port))
            return port
        except OSError:
            continue
    raise RuntimeError("no common free port on " + ", ".join(addresses))


def start(site_dir: str | Path, port: int = 0) -> FixtureSite:
    """Start serving a fixture site in background threads; call ``.stop()`` when done."""
    site_dir = Path(site_dir)
    config = yaml.safe_load((site_dir / "site.yaml").read_text(encoding="utf-8"))
    routes = config.get("routes") or {}
    hosts = {name: Host(name, spec["address"], site_dir / spec.get("root", name), routes.get(name) or {})
             for name, spec in config["hosts"].items()}
    port = port or free_port([h.address for h in hosts.values()])
    site = FixtureSite(site_dir, port, hosts)
    for host in hosts.values():
        try:
            server = ThreadingHTTPServer((host.address, port), _handler_for(site, host))
        except OSError:
            site.stop()   # a port taken on one address: release the others before failing
            raise
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True, name=f"fixture-{host.name}").start()
        site.servers.append(server)
    return site


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve a fixture portal on loopback until interrupted.")
    parser.add_argument("site", help="a folder under fixtures/sites/ (with site.yaml)")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    site = start(args.site, args.port)
    for name in site.hosts:
        print(f"{name}: {site.origin(name)}/", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        site.stop()


if __name__ == "__main__":
    main()
