"""The one generic portal spider: fetch the portal and its official satellites, record everything.

It only fetches: pages go to the pipelines as items (body, links, facts the crawl
itself needs); no indicator is judged here. Budget is spent on evidence first:
requests carry a priority from where their link sits and what it looks like.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from urllib.parse import urljoin

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest, StopDownload
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from crawler import dataprobe, egress, gatherers, render, traps
from crawler.content import DATA_MAX_BYTES, SKIP_EXTENSIONS, describe_failure, kind_of, media_type
from crawler.items import ArtifactItem, LinkRecord, PageItem, RenderFailureItem, SkipItem
from crawler.hints import load_hints
from crawler.middlewares import BudgetExceeded, OffLoopback
from crawler.options import DEFAULTS, RENDER_MODES
from crawler.scope import Budget, Scope, host_of
from egov_audit.html import facts as htmlfacts
from egov_audit.html.document import Document
from egov_audit.store.db import ResumeState

POSITION_PRIORITY = {"navigation": 30, "header": 30, "footer": 25, "body": 10, "sitemap": 5}
HOME_PRIORITY = 1000
MAX_SITEMAPS = 20
MAX_SITEMAP_URLS = 5000


KEPT_HEADERS = ("strict-transport-security", "server", "x-powered-by", "x-generator", "content-language",
                "link", "content-security-policy", "x-frame-options")


def _kept_headers(headers) -> str | None:
    """The response headers checks read (HSTS, platform fingerprints), as JSON."""
    kept = {}
    for name in KEPT_HEADERS:
        value = headers.get(name)
        if value:
            kept[name] = value.decode("latin-1")[:500]
    cookies = [c.decode("latin-1").split("=", 1)[0] for c in headers.getlist("Set-Cookie")][:10]
    if cookies:
        kept["set-cookie-names"] = ", ".join(cookies)
    return json.dumps(kept) if kept else None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class PortalSpider(scrapy.Spider):
    name = "portal"

    def __init__(self, start_url: str, allow_hosts=(), max_pages: int = DEFAULTS.max_pages,
                 max_depth: int = DEFAULTS.max_depth, satellite_pages: int = DEFAULTS.satellite_pages,
                 max_external: int = DEFAULTS.max_external, render: str = DEFAULTS.render,
                 resume: ResumeState | None = None, axe_pages: int = DEFAULTS.axe_pages, allow_private_hosts=(),
                 **kwargs):
        super().__init__(**kwargs)
        if render not in RENDER_MODES:
            raise ValueError(f"render must be auto, always or never, not {render!r}")
        self.start_url = start_url
        self.hints = load_hints()
        if isinstance(allow_hosts, str):
            allow_hosts = [h for h in allow_hosts.split(",") if h]
        self.scope = Scope(start_url, list(allow_hosts), self.hints.never_satellite_domains)
        self.budget = Budget(int(max_pages), int(satellite_pages), int(max_external))
        if isinstance(allow_private_hosts, str):
            allow_private_hosts = [h for h in allow_private_hosts.split(",") if h]
        self.egress = egress.install(egress.EgressPolicy(start_url, list(allow_private_hosts)))
        self.traps = traps.TrapDetector()
        self.pending_skips: list[SkipItem] = []   # traps and refusals found while following links, stored next
        self.max_depth = int(max_depth)
        self.render_mode = render
        self.resume = resume or ResumeState()
        self.seen: set[str] = set()
        self.sitemaps_requested = 0
        # sitemap entries wait here until the link queue runs dry: pages the portal links from its
        # navigation get the budget first, and a sitemap-only page is still fetched when budget remains
        self.sitemap_reserve: list[str] = []
        self.search_probed = bool(self.resume.fetched)
        # axe-core runs on the rendered home page and on key pages (the home page's navigation links)
        self.axe_pages = 0 if render == "never" else int(axe_pages)
        self.axe_requested: set[str] = set()
        self.data_apis = dataprobe.load()
        self.data_probed: set[str] = set()   # hosts whose catalogue APIs were asked
        self.data_followed_up: set[tuple] = set()   # (host, platform) whose follow-up probes were sent

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        # --fast (local fixtures): the fixture "hosts" are loopback addresses; private ranges stay refused
        spider.egress.allow_loopback = crawler.settings.getbool("EGOV_LOOPBACK_ONLY")
        crawler.signals.connect(spider.on_headers, signal=signals.headers_received)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        return spider

    # ---- requests -------------------------------------------------------------
    def _key(self, url: str) -> str:
        return traps.normalise(url)

    def _request(self, url: str, *, scope: str, depth: int, via: str, priority: int,
                 kind: str = "page", render_page: bool = False, dont_filter: bool = False,
                 axe: bool = False) -> scrapy.Request:
        meta = {"egov": {"url": url, "scope": scope, "depth": depth, "via": via, "kind": kind,
                         "render_of": url if render_page and dont_filter else None}}
        if render_page:
            meta.update(render.render_meta(axe))
        if via == "start":
            meta["max_retry_times"] = 2   # the home page decides the whole audit: three tries
        callback = {"page": self.parse_page, "robots": self.parse_robots, "sitemap": self.parse_sitemap,
                    "data-api": self.parse_data_api}[kind]
        # dont_filter: the spider de-duplicates by itself (self.seen, which a resumed run restores), so a
        # redirect back to a seen URL is fetched and recorded, and a redirect loop ends as a recorded error
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta,
                              priority=priority, dont_filter=True)

    def _priority(self, url: str, anchor: str, position: str, depth: int) -> int:
        score = POSITION_PRIORITY.get(position, 10) - 5 * depth
        if self.hints.looks_like_archive(url):
            score -= 60
        elif self.hints.looks_like_section(url, anchor):
            score += 20
        return score

    def _follow(self, url: str, anchor: str, position: str, from_depth: int, from_scope: str, via: str = "link"):
        """A request for a discovered link, or None when it is out of scope, seen, or not worth fetching."""
        if from_scope == "portal":
            # noted before the seen-check: a host linked first from a page body and then from the
            # footer is still recognised as a satellite
            self.scope.note_link(url, position, from_scope)
        key = self._key(url)
        if key in self.seen or url.split("?")[0].lower().endswith(SKIP_EXTENSIONS):
            return None
        kind = self.scope.kind(url)
        depth = from_depth + 1
        if from_scope == "external":
            return None   # one hop: an outbound landing page is fetched, never followed
        if kind == "external" and from_scope != "portal":
            return None
        if kind != "external" and depth > self.max_depth:
            return None
        self.seen.add(key)
        trap = self.traps.trap(key)
        if trap is None and not self.budget.schedule(kind, url):
            # enforced when scheduling too: a spent budget queues nothing more (it is also counted on download)
            self.pending_skips.append(SkipItem(url, "budget", f"page budget for {self.budget.key(kind, url)} is spent"))
            return None
        if trap is not None:
            self.pending_skips.append(SkipItem(url, "trap", trap))
            return None
        priority = 1 if kind == "external" else self._priority(url, anchor, position, depth)
        return self._request(url, scope=kind, depth=depth, via=via, priority=priority,
                             render_page=(self.render_mode == "always" and kind != "external"))

    async def start(self):
        if self.resume.fetched:
            for request in self._resume_requests():
                yield request
            return
        self.seen.add(self._key(self.start_url))
        always = self.render_mode == "always"
        yield self._request(self.start_url, scope="portal", depth=0, via="start", priority=HOME_PRIORITY,
                            render_page=always, axe=always and self.axe_pages > 0)
        # /sitemap.xml only once robots.txt has been read (parse_robots): a site that forbids everything
        # gets no sitemap request at all
        url = urljoin(self.start_url, "/robots.txt")
        self.seen.add(self._key(url))
        yield self._request(url, scope="portal", depth=1, via="robots", priority=HOME_PRIORITY - 1, kind="robots")

    def _resume_requests(self):
        """Continue an interrupted run: everything fetched is seen; unfetched links and renders are queued again."""
        for url, depth in self.resume.fetched.items():
            self.seen.add(self._key(url))
            self.budget.used[self.budget.key(self.resume.scopes.get(url) or "portal", url)] += 1
        for url in self.resume.skipped:
            self.seen.add(self._key(url))
        for url, depth in (self.resume.unrendered if self.render_mode != "never" else ()):
            yield self._request(url, scope=self.resume.scopes.get(url, "portal"), depth=depth, via="link",
                                priority=HOME_PRIORITY if url == self.start_url else 50,
                                render_page=True, dont_filter=True)
        for from_url, to_url, anchor, position, from_depth, from_scope in self.resume.pending_links:
            if position == "sitemap":
                self.sitemap_reserve.append(to_url)
                continue
            else:
                request = self._follow(to_url, anchor, position, from_depth, from_scope)
            if request is not None:
                yield request

    # ---- responses ------------------------------------------------------------
    def on_headers(self, headers, body_length, request, spider=None):
        """Stop downloading what no check reads (video, archives) or what is too big to be a data file."""
        meta = request.meta.get("egov")
        if not meta or meta["kind"] != "page" or request.meta.get("playwright"):
            return
        kind = kind_of(headers.get(b"Content-Type"), request.url)
        if kind == "other" or (kind == "data" and body_length and body_length > DATA_MAX_BYTES):
            raise StopDownload(fail=False)

    def _base_item(self, response, meta: dict, kind: str) -> PageItem:
        content_type = media_type(response.headers.get(b"Content-Type"))
        declared = response.headers.get(b"Content-Length")
        stopped = "download_stopped" in response.flags
        item = PageItem(
            url=meta["url"], final_url=response.url, host=host_of(response.url), scope=meta["scope"],
            discovered_via=meta["via"], status=response.status, content_type=content_type, kind=kind,
            size=int(declared) if stopped and declared and declared.isdigit() else len(response.body),
            depth=meta["depth"], rendered=1 if "playwright" in response.flags else 0, fetched_at=_now(),
            headers=_kept_headers(response.headers))
        if response.status >= 400:
            item.fail("http", _http_error(response))
        return item

    def parse_page(self, response):
        meta = response.meta["egov"]
        if meta["scope"] == "external" and self.scope.kind(meta["url"]) == "satellite":
            meta["scope"] = "satellite"   # the host was recognised as a satellite after this request was queued
        self.seen.add(self._key(response.url))
        rendered = "playwright" in response.flags
        item = self._base_item(response, meta, "html" if rendered else
                               kind_of(media_type(response.headers.get(b"Content-Type")), response.url))
        yield from self._drain_skips(rendered=rendered)
        if "download_stopped" in response.flags:
            yield item   # recorded by type and size only
            return
        if item.kind != "html":
            item.raw_body = response.body
            yield item
            return
        try:
            text = response.text
        except (AttributeError, UnicodeDecodeError) as exc:
            text = response.body.decode("utf-8", errors="replace")
            item.fail("decode", f"could not decode the page as declared: {exc}")
        doc = Document(text, response.url)   # read once: links, facts and the search form come from here
        facts = htmlfacts.facts_of(doc)
        search_doc = doc if meta["url"] == self.start_url and not self.search_probed else None
        del doc   # the parsed trees are not kept alive while this page's requests are scheduled
        item.title, item.lang, item.text_length = facts.title, facts.lang, len(facts.text)
        if rendered:
            item.rendered_body = response.body
            item.screenshot = render.screenshot_from(response)
        else:
            item.raw_body = response.body
        if response.status < 400 and self.hints.is_soft_404(facts):
            item.fail("soft_404", "the page answers 200 but says it was not found")
        needs_render = (not rendered and response.status < 400 and item.scope != "external"
                        and self.hints.is_app_shell(facts))
        item.needs_render = 1 if needs_render else 0
        follow_links = (item.scope != "external" and item.error_kind not in ("http", "soft_404")
                        and meta["via"] != "search-probe")
        requests = []
        links = facts.links + ([htmlfacts.Link(facts.meta_refresh, "", "body")] if facts.meta_refresh else [])
        total = max(len(links), facts.link_count)
        if total > traps.MAX_LINKS_PER_PAGE:
            yield SkipItem(meta["url"], "trap", f"trap: link farm ({total} links on the page; the first "
                                                f"{traps.MAX_LINKS_PER_PAGE} were read)")
            links = links[:traps.MAX_LINKS_PER_PAGE]
        for link in links:
            if follow_links:
                request = self._follow(link.url, link.anchor, link.position, meta["depth"], item.scope)
                if request is not None:
                    requests.append(request)
            item.links.append(LinkRecord(link.url, link.anchor, link.position, self.scope.kind(link.url), link.rel))
        yield item
        yield from requests
        yield from self._drain_skips()
        if rendered:
            yield from self._accessibility(response, facts, meta, item.scope)
        if response.status < 400 and not item.error_kind:
            yield from self._data_probes(response.url, text)
        if search_doc is not None and not self.search_probed:
            yield from self._search_probe(search_doc)
        if self.render_mode == "auto" and not rendered and item.scope != "external":
            is_home = meta["url"] == self.start_url
            if needs_render or is_home:   # the home page is always rendered once, and screenshotted
                yield self._request(meta["url"], scope=item.scope, depth=meta["depth"], via=meta["via"],
                                    priority=HOME_PRIORITY if is_home else self._priority(meta["url"], "", "body", meta["depth"]) + 40,
                                    render_page=True, dont_filter=True,
                                    axe=is_home and self.axe_pages > 0)

    def _accessibility(self, response, facts, meta, scope):
        """Keep the axe-core scan of a rendered page; from the home page, scan its key pages too."""
        scan = render.axe_from(response)
        if scan is None:
            return
        self.axe_requested.add(self._key(meta["url"]))
        yield ArtifactItem("axe", meta["url"], scan)
        if meta["url"] != self.start_url:
            return
        wanted = self.axe_pages - 1
        for link in facts.links:
            if wanted <= 0:
                break
            key = self._key(link.url)
            if (link.position not in ("navigation", "header") or self.scope.kind(link.url) != "portal"
                    or key in self.axe_requested or link.url.split("?")[0].lower().endswith(SKIP_EXTENSIONS)
                    or kind_of(None, link.url) == "data" or link.url.split("?")[0].lower().endswith(".pdf")):
                continue
            self.axe_requested.add(key)
            self.seen.add(key)
            wanted -= 1
            yield self._request(link.url, scope="portal", depth=meta["depth"] + 1, via="link",
                                priority=HOME_PRIORITY - 5, render_page=True, dont_filter=True, axe=True)

    def _data_probes(self, url: str, html: str):
        """Ask a suspected open data portal's catalogue APIs once per host (CKAN, Socrata, ODS, udata, DCAT)."""
        host = host_of(url)
        if host in self.data_probed or self.resume.fetched:
            return
        if not (self.data_apis.suspect_host(url) or self.data_apis.suspect_page(html)):
            return
        self.data_probed.add(host)
        for platform, probe_url in self.data_apis.probe_urls(url, html):   # platform-specific probes only where the page shows it
            yield self._probe_request(platform, probe_url)

    def _probe_request(self, platform: str, url: str) -> scrapy.Request:
        request = self._request(url, scope=self.scope.kind(url), depth=1, via="data-api",
                                priority=HOME_PRIORITY - 4, kind="data-api")
        request.meta["egov"]["platform"] = platform
        return request

    def parse_data_api(self, response):
        meta = response.meta["egov"]
        try:
            body = response.text
        except AttributeError:   # a binary (non-text) response
            body = response.body.decode("utf-8", "replace")
        yield ArtifactItem("data-api", meta["url"], {
            "platform": meta.get("platform"), "host": host_of(response.url), "url": meta["url"],
            "final_url": response.url, "status": response.status,
            "content_type": media_type(response.headers.get(b"Content-Type")),
            "body": body[:dataprobe.MAX_BODY], "truncated": len(body) > dataprobe.MAX_BODY})
        key = (host_of(response.url), meta.get("platform"))
        if key not in self.data_followed_up:
            followups = self.data_apis.followups(meta.get("platform"), response.url, response.status, body)
            if followups:
                self.data_followed_up.add(key)
            for platform, probe_url in followups:
                yield self._probe_request(platform, probe_url)

    def _search_probe(self, doc: Document):
        """LOSI #206 is verified by a one-word search: submit the home page's search form once."""
        probe = gatherers.search_probe(doc)
        if probe is None:
            return
        self.search_probed = True
        yield ArtifactItem("site-search", probe["url"], probe)
        for url in (probe["url"], probe["control_url"]):   # a real word, and a nonsense word to compare with
            key = self._key(url)
            if key in self.seen:
                continue
            self.seen.add(key)
            scope = self.scope.kind(url)
            if scope == "external":
                scope = "portal"   # a search hosted elsewhere (a search service) still answers for the portal
            yield self._request(url, scope=scope, depth=1, via="search-probe", priority=HOME_PRIORITY - 1,
                                render_page=self.render_mode == "always")

    def parse_robots(self, response):
        meta = response.meta["egov"]
        item = self._base_item(response, meta, "robots")
        item.raw_body = response.body
        sitemaps = [] if response.status >= 400 else list(
            sitemap_urls_from_robots(response.body, base_url=response.url))[:MAX_SITEMAPS]
        item.links = [LinkRecord(u, "Sitemap:", "sitemap", self.scope.kind(u)) for u in sitemaps]
        if not sitemaps:   # the usual place, asked for only now: robots.txt decides whether it may be fetched
            sitemaps = [urljoin(self.start_url, "/sitemap.xml")]
        yield item
        for url in sitemaps:
            if self._key(url) not in self.seen and self.sitemaps_requested < MAX_SITEMAPS:
                self.seen.add(self._key(url))
                self.sitemaps_requested += 1
                yield self._request(url, scope=self.scope.kind(url), depth=1, via="robots",
                                    priority=HOME_PRIORITY - 2, kind="sitemap")

    def parse_sitemap(self, response):
        meta = response.meta["egov"]
        item = self._base_item(response, meta, "sitemap")
        item.raw_body = response.body
        if response.status >= 400:
            yield item
            return
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gunzip(body, max_size=DATA_MAX_BYTES * 4)
            except Exception as exc:   # a broken .gz sitemap is a recorded error, not a crash
                item.fail("decode", f"could not gunzip the sitemap: {exc}")
                yield item
                return
        try:
            sitemap = Sitemap(body)
            entries = [e for e in sitemap if e.get("loc")][:MAX_SITEMAP_URLS]
        except Exception as exc:   # lxml raises several types on hostile XML
            item.fail("decode", f"not a readable XML sitemap: {exc}")
            yield item
            return
        requests = []
        for entry in entries:
            url = urljoin(response.url, entry["loc"].strip())
            if sitemap.type == "sitemapindex":
                if self._key(url) not in self.seen and self.sitemaps_requested < MAX_SITEMAPS:
                    self.seen.add(self._key(url))
                    self.sitemaps_requested += 1
                    requests.append(self._request(url, scope=self.scope.kind(url), depth=1, via="sitemap",
                                                  priority=HOME_PRIORITY - 3, kind="sitemap"))
                continue
            item.links.append(LinkRecord(url, "", "sitemap", self.scope.kind(url)))
            if self.scope.kind(url) == "portal":
                self.sitemap_reserve.append(url)
        yield item
        yield from requests

    def on_idle(self, spider=None):
        """The link queue is empty: release the sitemap entries no link led to (budget permitting)."""
        released = 0
        while self.sitemap_reserve:
            request = self._follow(self.sitemap_reserve.pop(0), "", "sitemap", 0, "portal", via="sitemap")
            if request is not None:
                self.crawler.engine.crawl(request)
                released += 1
        if released:
            raise DontCloseSpider

    def on_error(self, failure):
        request = failure.request
        meta = request.meta.get("egov") or {}
        url = meta.get("url", request.url)
        if failure.check(BudgetExceeded):
            yield SkipItem(url, "budget", str(failure.value))
            return
        if failure.check(OffLoopback):
            yield SkipItem(url, "loopback-only", str(failure.value))
            return
        if failure.check(IgnoreRequest) and "robots.txt" in str(failure.value):
            yield SkipItem(url, "robots.txt", "Disallowed by the site's robots.txt")
            return
        refused = egress.refused_failure(failure)
        if refused:
            yield SkipItem(url, "egress", refused)
            return
        yield from self._drain_skips(rendered=True)
        error_kind, message = describe_failure(failure)
        if meta.get("render_of") and request.meta.get("egov_render_problem"):
            message = f"{request.meta['egov_render_problem']} ({message})"
        if meta.get("kind") == "data-api":   # a catalogue API that does not answer: kept as an artifact
            yield ArtifactItem("data-api", url, {
                "platform": meta.get("platform"), "host": host_of(request.url), "url": url, "status": None,
                "error_kind": error_kind, "error": message, "body": ""})
            return
        if meta.get("render_of"):   # the raw fetch of this page is stored: only the render failed
            yield RenderFailureItem(url, error_kind, message)
            return
        yield PageItem(
            url=url, final_url=request.url, host=host_of(request.url), scope=meta.get("scope"),
            discovered_via=meta.get("via"), status=None, content_type=None, kind=meta.get("kind", "page"),
            size=None, depth=meta.get("depth"), fetched_at=_now(), error_kind=error_kind, error=message)

    def _drain_skips(self, rendered: bool = False):
        """Skips found while following links, and (after a render) what the browser was refused."""
        skips, self.pending_skips = self.pending_skips, []
        yield from skips
        if rendered:
            for url, where, reason in self.egress.drain():
                yield SkipItem(url, "egress", f"{where}: {reason}")


def _http_error(response) -> str:
    """'HTTP 503 after 3 tries', with the Retry-After note when the server asked us to wait too long."""
    tries = (response.meta.get("retry_times") or 0) + 1
    text = f"HTTP {response.status}" + (f" after {tries} tries" if tries > 1 else "")
    note = response.meta.get("egov_retry_note")
    return f"{text} ({note})" if note else text
