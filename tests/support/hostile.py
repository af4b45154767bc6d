"""Deliberately hostile web servers for the hostile-server test suite (tests/test_hostile_servers.py).

One server serves one scenario (a name from SCENARIOS) on a loopback address and a free port, and
counts every request it receives (path and query, in order), so a test can check what the auditor
really asked for — budgets "as the server counts them", no URL twice, no sitemap after a robots.txt
that forbids everything. ``Canary`` is a listener that only records that something connected: put on an
address the egress policy must refuse, it must stay silent.

Run as a program (``python -m tests.support.hostile SCENARIO --bind ADDR --port N --log FILE``) it serves
inside a network namespace the test created; every request is appended to FILE as one JSON line.

Placeholders in pages: {META} the metadata canary origin, {PRIV} the 10.x canary origin,
{PRIVNAME}/{METANAME} the same canaries by host name (resolved by /etc/netns/<ns>/hosts), {ORIGIN} the
server's own origin, {LOOP2} a canary on 127.0.0.2.
"""
from __future__ import annotations

import argparse
import gzip
import json
import random
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><header><nav>{nav}</nav></header><main><h1>{title}</h1><p>{text}</p>{extra}</main>
<footer><a href="/contact">Contact</a></footer></body></html>"""


def page(title: str, links=(), text: str = "Welcome to the city council portal. Services, news and contact.",
         extra: str = "") -> bytes:
    nav = " ".join(f'<a href="{href}">{label}</a>' for href, label in links)
    return PAGE.format(title=title, nav=nav, text=text, extra=extra).encode("utf-8")


def basic_site(title="City of Hostia"):
    """Home with a few ordinary pages: the pages every scenario can build on."""
    return {
        "/": lambda h: h.html(page(title, [("/services", "Services"), ("/news", "News"), ("/about", "About us")])),
        "/services": lambda h: h.html(page("Services", [("/", "Home")])),
        "/news": lambda h: h.html(page("News", [("/", "Home")])),
        "/about": lambda h: h.html(page("About us", [("/", "Home")])),
        "/contact": lambda h: h.html(page("Contact", [("/", "Home")])),
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server_version = "hostile"
    sys_version = ""

    def log_message(self, *args):   # quiet: the request log is the record
        pass

    # ---- answers ----
    def send(self, status=200, body=b"", ctype="text/html; charset=utf-8", headers=()):
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except OSError:
            pass

    def html(self, body: bytes, status=200, headers=()):
        self.send(status, self.server.fill(body), headers=headers)

    def redirect(self, location: str, status=302):
        self.send(status, b"", headers=[("Location", self.server.fill(location.encode()).decode())])

    def stream(self, chunk: bytes, ctype="text/html; charset=utf-8", delay=0.0, limit_s=120):
        """An endless body (no Content-Length): chunks until the client hangs up or the server stops."""
        try:
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.end_headers()
            started = time.monotonic()
            while not self.server.stopping.is_set() and time.monotonic() - started < limit_s:
                self.wfile.write(chunk)
                if delay:
                    time.sleep(delay)
        except OSError:
            pass

    def hang(self, seconds=120):
        self.server.stopping.wait(seconds)

    def do_GET(self):
        server = self.server
        path = self.path
        server.record(self.command, path, self.headers.get("User-Agent", ""))
        route = urlsplit(path).path
        handler = server.routes.get(route)
        if handler is None:
            for prefix, candidate in server.prefix_routes:
                if route.startswith(prefix):
                    handler = candidate
                    break
        if handler is None:
            if route == "/robots.txt":
                return self.send(200, b"User-agent: *\nAllow: /\n", "text/plain")
            if route == "/sitemap.xml":
                return self.send(404, b"not found", "text/plain")
            return self.send(404, page("Not found", text="No such page.") if route.endswith("/") or "." not in route
                             else b"not found")
        handler(self)

    do_HEAD = do_GET

    def do_POST(self):
        self.server.record("POST", self.path, self.headers.get("User-Agent", ""))
        self.send(405, b"")


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, scenario: str, bind: str = "127.0.0.1", port: int = 0, log_path: str | None = None,
                 placeholders: dict | None = None):
        super().__init__((bind, port), Handler)
        self.scenario = scenario
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        self.log_path = log_path
        self.origin = f"http://{bind}:{self.server_address[1]}"
        port = self.server_address[1]
        self.placeholders = {"ORIGIN": self.origin, "ORIGIN_UPPER": f"HTTP://{bind.upper()}:{port}",
                             "ORIGIN_ZEROPORT": f"http://{bind}:0{port}", "HOSTPORT": f"{bind}:{port}",
                             **(placeholders or {})}
        routes = SCENARIOS[scenario](self)
        self.routes = {k: v for k, v in routes.items() if not k.endswith("*")}
        self.prefix_routes = sorted(((k[:-1], v) for k, v in routes.items() if k.endswith("*")),
                                    key=lambda kv: -len(kv[0]))
        self.thread = None

    def fill(self, body: bytes) -> bytes:
        for key, value in self.placeholders.items():
            body = body.replace(("{" + key + "}").encode(), value.encode())
        return body

    def record(self, method: str, path: str, agent: str) -> None:
        entry = {"t": time.time(), "method": method, "path": path, "agent": agent[:60]}
        with self.lock:
            self.requests.append(entry)
            if self.log_path:
                with open(self.log_path, "a") as f:
                    f.write(json.dumps(entry) + "\n")

    def start(self) -> "HostileServer":
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()

    def url(self, path="/") -> str:
        return self.origin + path

    def paths(self, agent_contains: str = "") -> list[str]:
        with self.lock:
            return [r["path"] for r in self.requests if agent_contains in r["agent"]]


class Canary(threading.Thread):
    """Accepts connections on an address the policy must refuse and records each one (and what it asked)."""

    def __init__(self, bind: str, port: int = 0, log_path: str | None = None):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET6 if ":" in bind else socket.AF_INET)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((bind, port))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.hits: list[str] = []
        self.log_path = log_path
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            conn.settimeout(1)
            try:
                first = conn.recv(2048).split(b"\r\n", 1)[0].decode("latin-1")
            except OSError:
                first = "(no request line)"
            self.hits.append(first)
            if self.log_path:
                with open(self.log_path, "a") as f:
                    f.write(json.dumps({"hit": first}) + "\n")
            body = b"CANARY-SECRET-169254 iam/security-credentials"
            try:
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
                             + str(len(body)).encode() + b"\r\n\r\n" + body)
            except OSError:
                pass
            conn.close()

    def stop(self):
        self.stopping.set()
        self.sock.close()


# ---------------------------------------------------------------------------------------------------------
# Scenarios: each returns {path: handler(h)}; a path ending in * is a prefix route.

SCENARIOS: dict = {}


def scenario(name):
    def register(fn):
        SCENARIOS[name] = fn
        return fn
    return register


@scenario("plain")
def _plain(server):
    return basic_site()


# ---- security -------------------------------------------------------------------------------------------
@scenario("redirect-metadata")
def _redirect_metadata(server):
    site = basic_site()
    site["/"] = lambda h: h.redirect("{META}/latest/meta-data/iam/security-credentials/")
    return site


@scenario("redirect-private-later")
def _redirect_private_later(server):
    site = basic_site()
    site["/"] = lambda h: h.html(page("City of Hostia", [("/services", "Services"), ("/go", "Login"),
                                                        ("/go2", "Intranet")]))
    site["/go"] = lambda h: h.redirect("{PRIV}/admin")
    site["/go2"] = lambda h: h.redirect("{PRIVNAME}/admin", status=301)
    return site


@scenario("links-private")
def _links_private(server):
    site = basic_site()
    site["/"] = lambda h: h.html(page("City of Hostia", [
        ("/services", "Services"), ("{PRIV}/admin", "Admin"), ("{META}/latest/", "Cloud"),
        ("{METANAME}/latest/user-data", "Metadata by name"), ("{PRIVNAME}/", "Intranet by name"),
        ("http://2852039166:{METAPORT}/latest/", "Decimal IP"), ("http://[::ffff:169.254.169.254]:{METAPORT}/x", "Mapped"),
        ("http://[::1]:{METAPORT}/x", "IPv6 loopback"), ("http://0.0.0.0:{METAPORT}/x", "Unspecified")]))
    return site


@scenario("allowed-private")
def _allowed_private(server):
    site = basic_site()
    site["/"] = lambda h: h.html(page("City of Hostia", [("/services", "Services"), ("{PRIVNAME}/", "Intranet")]))
    return site


@scenario("js-metadata")
def _js_metadata(server):
    script = """<div id="out"></div><img src="{PRIV}/pixel.png" alt="">
<script>
fetch("{META}/latest/meta-data/").then(r => r.text()).then(t => {document.getElementById("out").textContent = t;})
  .catch(() => {});
fetch("{METANAME}/latest/user-data").then(r => r.text()).then(t => {document.body.insertAdjacentText("beforeend", t);})
  .catch(() => {});
var x = new XMLHttpRequest(); x.open("GET", "{PRIVNAME}/xhr"); try { x.send(); } catch (e) {}
</script>"""
    site = basic_site()
    site["/"] = lambda h: h.html(page("City of Hostia", [("/services", "Services")], extra=script))
    return site


@scenario("js-websocket")
def _js_websocket(server):
    script = """<script>
try { var ws = new WebSocket("ws://{PRIV_HOSTPORT}/socket"); ws.onmessage = e => document.title = e.data; } catch (e) {}
try { var ws2 = new WebSocket("ws://{META_HOSTPORT}/socket"); } catch (e) {}
</script>"""
    site = basic_site()
    site["/"] = lambda h: h.html(page("City of Hostia", [("/services", "Services")], extra=script))
    return site


@scenario("service-worker")
def _service_worker(server):
    script = """<script>
if (navigator.serviceWorker) { navigator.serviceWorker.register("/sw.js").catch(() => {}); }
</script>"""
    sw = b"""self.addEventListener('install', e => { e.waitUntil(fetch('{META}/latest/sw').catch(() => 0)); });
fetch('{PRIV}/sw-boot').catch(() => 0);"""
    site = basic_site()
    site["/"] = lambda h: h.html(page("City of Hostia", [("/services", "Services")], extra=script))
    site["/sw.js"] = lambda h: h.send(200, h.server.fill(sw), "application/javascript")
    return site


@scenario("loopback-other-address")
def _loopback_other(server):
    site = basic_site()
    site["/"] = lambda h: h.html(page("City of Hostia", [("/services", "Services"), ("{LOOP2}/admin", "Admin"),
                                                        ("/hop", "Hop")]))
    site["/hop"] = lambda h: h.redirect("{LOOP2}/hop")
    return site


# ---- budgets and traps ------------------------------------------------------------------------------------
def _calendar(h):
    q = parse_qs(urlsplit(h.path).query)
    year, month = map(int, (q.get("month", ["2026-01"])[0] + "-01").split("-")[:2])
    prev_m = f"{year - (month == 1)}-{(month - 2) % 12 + 1:02d}"
    next_m = f"{year + (month == 12)}-{month % 12 + 1:02d}"
    days = " ".join(f'<a href="/events?date={year}-{month:02d}-{d:02d}">{d}</a>' for d in range(1, 29))
    h.html(page(f"Events {year}-{month:02d}", [(f"/calendar?month={prev_m}", "Previous month"),
                                                (f"/calendar?month={next_m}", "Next month"), ("/", "Home")], extra=days))


@scenario("calendar-trap")
def _calendar_trap(server):
    site = basic_site()
    site["/"] = lambda h: h.html(page("City of Hostia", [("/calendar?month=2026-01", "Events calendar"),
                                                        ("/services", "Services")]))
    site["/calendar"] = _calendar
    site["/events"] = lambda h: h.html(page("Events of the day", [("/calendar?month=2026-01", "Calendar")]))
    return site


@scenario("session-trap")
def _session_trap(server):
    def any_page(h):
        sid = random.randrange(10 ** 12)
        links = [(f"/p{i}?sid={sid}", f"Page {i}") for i in range(1, 8)] + [(f"/?PHPSESSID={sid}", "Home")]
        h.html(page("Session page", links))
    return {"/": any_page, "/p*": any_page}


@scenario("path-loop")
def _path_loop(server):
    # relative links that grow the path: /a/ links to a/ and b/, which resolve under the current path
    def looping(h):
        h.html(page("Section", [("a/", "Section A"), ("b/", "Section B"), ("../a/", "Up")]))
    return {"/": lambda h: h.html(page("City of Hostia", [("/a/", "Section A")])), "/a/*": looping, "/b/*": looping}


@scenario("endless-pages")
def _endless_pages(server):
    def numbered(h):
        n = int(urlsplit(h.path).path.rsplit("/", 1)[-1] or 0)
        h.html(page(f"Page {n}", [(f"/p/{n * 5 + i}", f"Page {n * 5 + i}") for i in range(1, 6)]))
    return {"/": lambda h: h.html(page("City of Hostia", [("/p/1", "Start")])), "/p/*": numbered}


@scenario("redirect-chain")
def _redirect_chain(server):
    def hop(h):
        n = int(urlsplit(h.path).path.rsplit("/", 1)[-1] or 0)
        h.redirect(f"/r/{n + 1}")
    links = [(f"/r/{i * 1000}", f"Chain {i}") for i in range(1, 40)]
    return {"/": lambda h: h.html(page("City of Hostia", links)), "/r/*": hop}


@scenario("link-farm")
def _link_farm(server):
    body = page("City of Hostia", [("/services", "Services")],
                extra="".join(f'<a href="/farm/{i}">item {i}</a>\n' for i in range(100_000)))
    site = basic_site()
    site["/"] = lambda h: h.html(body)
    site["/farm/*"] = lambda h: h.html(page("Farm item", [("/", "Home")]))
    return site


@scenario("url-spellings")
def _url_spellings(server):
    spellings = [("/services", "a"), ("/%73ervices", "b"), ("{ORIGIN_UPPER}/services", "c"),
                 ("{ORIGIN_ZEROPORT}/services", "d"), ("/./services", "e"), ("/news/../services", "f"),
                 ("/services?", "g"), ("/services#top", "h"), ("//{HOSTPORT}/services", "i"),
                 ("/about?b=2&a=1", "j"), ("/about?a=1&b=2", "k")]
    site = basic_site()
    site["/"] = lambda h: h.html(page("City of Hostia", spellings))
    return site


@scenario("sitemap-flood")
def _sitemap_flood(server):
    entries = "".join(f"<url><loc>{{ORIGIN}}/s/{i}</loc></url>" for i in range(60_000))
    sitemap = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    site = basic_site()
    site["/sitemap.xml"] = lambda h: h.send(200, h.server.fill(sitemap.encode()), "application/xml")
    site["/s/*"] = lambda h: h.html(page("Sitemap page", [("/", "Home")]))
    return site


@scenario("sitemap-gzip-bomb")
def _sitemap_bomb(server):
    bomb = gzip.compress(b"<" * (200 * 1024 * 1024), compresslevel=9)
    site = basic_site()
    site["/robots.txt"] = lambda h: h.send(200, h.server.fill(b"User-agent: *\nAllow: /\nSitemap: {ORIGIN}/sitemap.xml.gz\n"),
                                          "text/plain")
    site["/sitemap.xml.gz"] = lambda h: h.send(200, bomb, "application/gzip")
    return site


# ---- faults ------------------------------------------------------------------------------------------------
@scenario("home-503")
def _home_503(server):
    site = basic_site()
    site["/"] = lambda h: h.html(page("Service unavailable", text="Maintenance."), status=503)
    return site


@scenario("home-429-short")
def _home_429_short(server):
    state = {"n": 0}

    def home(h):
        state["n"] += 1
        if state["n"] == 1:
            h.html(page("Too many requests"), status=429, headers=[("Retry-After", "2")])
        else:
            h.html(page("City of Hostia", [("/services", "Services")]))
    site = basic_site()
    site["/"] = home
    return site


@scenario("home-429-long")
def _home_429_long(server):
    site = basic_site()
    site["/"] = lambda h: h.html(page("Too many requests"), status=429, headers=[("Retry-After", "3600")])
    return site


@scenario("home-hang")
def _home_hang(server):
    site = basic_site()
    site["/"] = lambda h: h.hang(60)
    return site


@scenario("home-reset")
def _home_reset(server):
    def reset(h):
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        h.connection.close()
    site = basic_site()
    site["/"] = reset
    return site


@scenario("home-404")
def _home_404(server):
    site = basic_site()
    site["/"] = lambda h: h.html(page("Not found", text="This page does not exist."), status=404)
    return site


@scenario("robots-disallow-all")
def _robots_all(server):
    site = basic_site()
    site["/robots.txt"] = lambda h: h.send(200, h.server.fill(b"User-agent: *\nDisallow: /\nSitemap: {ORIGIN}/sitemap.xml\n"),
                                          "text/plain")
    site["/sitemap.xml"] = lambda h: h.send(200, h.server.fill(
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>{ORIGIN}/services</loc></url></urlset>"), "application/xml")
    return site


@scenario("subpages-500")
def _subpages_500(server):
    site = basic_site()
    for path in ("/services", "/news", "/about", "/contact"):
        site[path] = lambda h: h.html(page("Internal error", text="Error."), status=500)
    return site


@scenario("redirect-loop")
def _redirect_loop(server):
    site = basic_site()
    site["/services"] = lambda h: h.redirect("/services-b")
    site["/services-b"] = lambda h: h.redirect("/services")
    return site


@scenario("gzip-bomb")
def _gzip_bomb(server):
    bomb = gzip.compress(b" " * (300 * 1024 * 1024), compresslevel=9)
    site = basic_site()
    site["/news"] = lambda h: h.send(200, bomb, headers=[("Content-Encoding", "gzip")])
    return site


@scenario("huge-page")
def _huge_page(server):
    body = page("Huge", [("/", "Home")], extra="<p>" + "x" * (20 * 1024 * 1024) + "</p>")
    site = basic_site()
    site["/news"] = lambda h: h.send(200, body)
    return site


@scenario("endless-body")
def _endless_body(server):
    site = basic_site()
    site["/news"] = lambda h: h.stream(b"<p>" + b"endless " * 8000 + b"</p>\n")
    return site


@scenario("drip")
def _drip(server):
    site = basic_site()
    site["/news"] = lambda h: h.stream(b"<", delay=1.0, limit_s=60)
    return site


@scenario("bad-encodings")
def _bad_encodings(server):
    site = basic_site()
    site["/news"] = lambda h: h.send(200, b"<html><head><title>Noticias \xff\xfe\xc3</title></head><body>"
                                     b"\xe9\xe8 \x80\x81 <a href='/about'>About</a></body></html>", "text/html; charset=utf-8")
    site["/about"] = lambda h: h.send(200, "<html><head><title>Über</title></head><body>Straße</body></html>".encode("utf-16"),
                                      "text/html; charset=klingon-8")
    site["/services"] = lambda h: h.send(200, b"\x00\x00<html>\x00<title>NUL</title>" + bytes(range(256)) * 50,
                                         "text/html")
    return site


@scenario("malformed-html")
def _malformed(server):
    junk = ("<html><head><title>Broken <b>title</head><body><div><div><table><tr><td><a href='/about'>About"
            + "<div>" * 5000 + "<a href='javascript:alert(1)'>js</a><a href='http://[::1'>bad</a><a href='http://x:99999/'>port</a>"
            + "<!-- unclosed comment <a href='/news'>")
    site = basic_site()
    site["/services"] = lambda h: h.send(200, junk.encode())
    return site


@scenario("bad-content-length")
def _bad_length(server):
    def short(h):
        try:
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            h.send_header("Content-Length", "100000")
            h.end_headers()
            h.wfile.write(b"<html><title>Short</title>")
        except OSError:
            pass
    site = basic_site()
    site["/news"] = short
    return site


@scenario("slow-site")
def _slow_site(server):
    """Every page takes a while: long enough to kill the crawler in the middle (kill -9 and resume)."""
    def slow(h):
        time.sleep(0.4)
        n = int(urlsplit(h.path).path.rsplit("/", 1)[-1] or 0)
        h.html(page(f"Page {n}", [(f"/q/{i}", f"Page {i}") for i in range(n + 1, min(n + 4, SLOW_PAGES + 1))]))
    home = page("City of Hostia", [(f"/q/{i}", f"Page {i}") for i in range(1, SLOW_PAGES + 1)])
    return {"/": lambda h: h.html(home), "/q/*": slow, "/contact": lambda h: h.html(page("Contact"))}


SLOW_PAGES = 30


# ---- rendering ---------------------------------------------------------------------------------------------
def _render_home(extra: str):
    site = basic_site()
    site["/"] = lambda h: h.html(page("City of Hostia", [("/services", "Services"), ("/news", "News")], extra=extra))
    return site


@scenario("js-infinite-loop")
def _js_loop(server):
    return _render_home("<script>setTimeout(function () { while (true) {} }, 50);</script>")


@scenario("js-navigate-away")
def _js_navigate(server):
    return _render_home("<script>setTimeout(() => { location.href = '/services?moved=' + Date.now(); }, 100);"
                        "setInterval(() => { history.pushState({}, '', '/x' + Math.random()); }, 30);</script>")


@scenario("js-replace-globals")
def _js_globals(server):
    return _render_home("<script>window.MutationObserver = null; window.Promise = function () { throw 1; };"
                        "Date.now = () => 0; window.setTimeout = null; document.getElementsByTagName = null;"
                        "Object.defineProperty(document, 'documentElement', {get() { throw new Error('no'); }});</script>")


@scenario("js-hanging-subresource")
def _js_hanging(server):
    site = _render_home('<script src="/hang.js"></script><img src="/hang.png" alt="">')
    site["/hang.js"] = lambda h: h.hang(90)
    site["/hang.png"] = lambda h: h.hang(90)
    return site


@scenario("js-dom-growth")
def _js_dom(server):
    return _render_home("<script>setInterval(() => { for (let i = 0; i < 4000; i++) {"
                        " const d = document.createElement('div'); d.textContent = 'grow ' + i; document.body.appendChild(d); } }, 5);"
                        "</script>")


@scenario("js-endless-subresource")
def _js_endless(server):
    site = _render_home('<img src="/endless.bmp" alt=""><script src="/endless.js"></script>')
    site["/endless.bmp"] = lambda h: h.stream(b"\x00" * 65536, ctype="image/bmp")
    site["/endless.js"] = lambda h: h.stream(b"/*" + b"x" * 65536 + b"*/\n", ctype="application/javascript")
    return site


@scenario("js-dialogs-popups")
def _js_dialogs(server):
    return _render_home("<script>for (let i = 0; i < 50; i++) { try { alert('a' + i); confirm('c'); prompt('p'); } catch (e) {} }"
                        "for (let i = 0; i < 20; i++) { window.open('/news?popup=' + i); }"
                        "window.onbeforeunload = () => 'stay';</script>")


@scenario("hostile-markup")
def _hostile_markup(server):
    title = "City <script>window.__pwned=1;fetch('{META}/title')</script><img src=x onerror=\"window.__pwned=2\">"
    site = basic_site()
    site["/"] = lambda h: h.html(("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>" + title +
                                  "</title></head><body><nav><a href=\"javascript:window.__pwned=3\">Services "
                                  "<svg onload=\"window.__pwned=4\"></svg></a><a href='/news\"><script>window.__pwned=5"
                                  "</script>'>News</a></nav><h1>Participatory budgeting <iframe src=\"javascript:parent."
                                  "__pwned=6\"></iframe></h1><p>Report corruption <style>*{background:url({META}/css)}"
                                  "</style></p></body></html>").encode())
    site["/news\"><script>window.__pwned=5</script>"] = lambda h: h.html(page("News"))
    return site


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenario", choices=sorted(SCENARIOS) + ["canary"])
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log", required=True)
    parser.add_argument("--placeholders", default="{}", help="JSON object of page placeholders")
    args = parser.parse_args()
    if args.scenario == "canary":
        canary = Canary(args.bind, args.port, args.log)
        canary.start()
        print(json.dumps({"port": canary.port}), flush=True)
        canary.join()
        return
    server = HostileServer(args.scenario, args.bind, args.port, args.log, json.loads(args.placeholders))
    print(json.dumps({"origin": server.origin}), flush=True)
    server.serve_forever(poll_interval=0.1)


if __name__ == "__main__":
    main()
