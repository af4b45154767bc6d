"""A generated farm of small government portals on many loopback addresses, slow the way the Internet is.

    python bench/farm.py --portals 200 --seed 1 --port 0      # prints one JSON line per portal, then serves

Every portal has its own 127.x address (its satellites too), 30–150 pages (navigation, services, news,
documents), and its own character: some are application shells whose content only a browser sees,
some link a data or participation satellite host from their navigation, a few are slow (1–2 s a
response) and a few fail (every response a 503, or nothing listening at all). Each response waits an
injected latency (50–300 ms per host), and each host serves at most ``--per-host`` requests at once
(the rest wait), so politeness and waiting dominate, as they do against real portals.

One asyncio process serves everything (minimal HTTP/1.1 with keep-alive), so that the farm costs little
CPU next to the auditors it feeds.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
from dataclasses import dataclass, field

WORDS = ("council budget participation open data services permits taxes transport health education "
         "environment culture news events procurement tenders contact feedback complaints statistics "
         "mayor department housing waste water roads library sport youth elderly safety").split()
SECTIONS = ("services", "news", "council", "documents", "about", "participation", "contact")


@dataclass
class Host:
    address: str
    pages: int
    latency: float          # seconds added to every response
    shell: bool = False     # the content is written by a script (rendering needed)
    failing: str = ""       # "" | "503" | "down"
    satellites: list[str] = field(default_factory=list)
    name: str = ""


def farm(portals: int, seed: int = 1) -> list[Host]:
    """The portals (each with its satellites): deterministic for a seed."""
    rnd = random.Random(seed)
    hosts = []
    for n in range(portals):
        a, b = divmod(n, 200)
        address = f"127.{10 + a}.{b + 1}.1"
        kind = rnd.random()
        portal = Host(address=address, pages=rnd.randint(30, 150), latency=rnd.uniform(0.05, 0.3), name=f"portal-{n:04d}")
        if kind < 0.04:
            portal.failing = "down"
        elif kind < 0.07:
            portal.failing = "503"
        elif kind < 0.12:
            portal.latency = rnd.uniform(1.0, 2.0)
        if rnd.random() < 0.15:
            portal.shell = True
        if rnd.random() < 0.35:
            sat = Host(address=f"127.{10 + a}.{b + 1}.2", pages=rnd.randint(5, 20), latency=rnd.uniform(0.05, 0.3),
                       name=f"{portal.name}-data")
            portal.satellites.append(sat.address)
            hosts.append(sat)
        hosts.append(portal)
    return hosts


def page(host: Host, index: int, port: int) -> bytes:
    rnd = random.Random(f"{host.address}/{index}")
    base = f"http://{host.address}:{port}"
    nav = "".join(f'<li><a href="/{s}/">{s.title()}</a></li>' for s in SECTIONS)
    nav += "".join(f'<li><a href="http://{sat}:{port}/">Open data</a></li>' for sat in host.satellites)
    links = "".join(f'<li><a href="/p/{rnd.randrange(host.pages)}.html">{" ".join(rnd.sample(WORDS, 3))}</a></li>'
                    for _ in range(8))
    # a tree: every page links a few next ones, so all pages are reachable from the home page
    links += "".join(f'<li><a href="/p/{k}.html">page {k}</a></li>'
                     for k in range(index * 3 + 1, min(host.pages, index * 3 + 4)))
    text = " ".join(" ".join(rnd.sample(WORDS, 12)) + "." for _ in range(rnd.randint(8, 30)))
    title = f"{host.name} — {' '.join(rnd.sample(WORDS, 2))}"
    body = (f"<header><nav><ul>{nav}</ul></nav></header><main><h1>{title}</h1><p>{text}</p>"
            f"<ul>{links}</ul></main><footer><a href=\"/contact/\">Contact</a> <a href=\"/p/0.html\">Privacy</a></footer>")
    if host.shell:
        # an application shell: an empty root and a script that writes the page (only a browser sees links)
        payload = json.dumps(body).replace("</", "<\\/")
        html = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{host.name}</title>'
                f'<meta name="viewport" content="width=device-width"></head><body><div id="app"></div>'
                f'<script>document.getElementById("app").innerHTML = {payload};</script></body></html>')
    else:
        html = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
                f'<meta name="viewport" content="width=device-width"></head><body>{body}</body></html>')
    return html.encode()


def route(host: Host, path: str, port: int) -> tuple[int, str, bytes]:
    if path == "/robots.txt":
        return 200, "text/plain", b"User-agent: *\nAllow: /\n"
    if path in ("/", "/index.html"):
        return 200, "text/html; charset=utf-8", page(host, 0, port)
    if path.startswith("/p/") and path.endswith(".html"):
        try:
            index = int(path[3:-5])
        except ValueError:
            index = -1
        if 0 <= index < host.pages:
            return 200, "text/html; charset=utf-8", page(host, index, port)
    section = path.strip("/")
    if section in SECTIONS:
        return 200, "text/html; charset=utf-8", page(host, 1 + SECTIONS.index(section) % max(1, host.pages - 1), port)
    return 404, "text/html; charset=utf-8", b"<!doctype html><title>Not found</title><h1>Not found</h1>"


async def serve(hosts: list[Host], port: int, per_host: int, ready) -> None:
    limits = {h.address: asyncio.Semaphore(per_host) for h in hosts}
    servers = []

    def handler_for(host: Host):
        async def handle(reader, writer):
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    line = head.split(b"\r\n", 1)[0].decode("latin-1")
                    parts = line.split(" ")
                    path = parts[1].split("?", 1)[0] if len(parts) > 1 else "/"
                    async with limits[host.address]:   # a host serves few requests at once: the rest wait
                        await asyncio.sleep(host.latency)
                        if host.failing == "503":
                            status, ctype, body = 503, "text/plain", b"Service Unavailable"
                        else:
                            status, ctype, body = route(host, path, port)
                    reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
                    writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}"
                                 f"\r\nConnection: keep-alive\r\n\r\n".encode() + body)
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
                pass
            finally:
                writer.close()
        return handle

    for host in hosts:
        if host.failing == "down":
            continue          # nothing listens: connection refused
        servers.append(await asyncio.start_server(handler_for(host), host.address, port, backlog=256))
    ready()
    await asyncio.gather(*(s.serve_forever() for s in servers))


def free_port(addresses: list[str]) -> int:
    import socket
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        try:
            for address in addresses:
                with socket.socket() as s:
                    s.bind((address, port))
            return port
        except OSError:
            continue
    raise OSError("no port free on every address")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--portals", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--per-host", type=int, default=4, help="requests a host serves at once")
    args = parser.parse_args()
    hosts = farm(args.portals, args.seed)
    port = args.port or free_port([h.address for h in hosts])

    def ready():
        for h in hosts:
            if not h.name.endswith("-data"):
                print(json.dumps({"name": h.name, "url": f"http://{h.address}:{port}/", "pages": h.pages,
                                  "shell": h.shell, "failing": h.failing, "latency": round(h.latency, 3),
                                  "satellites": len(h.satellites)}), flush=True)
        print("READY", flush=True)

    try:
        asyncio.run(serve(hosts, port, args.per_host, ready))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
