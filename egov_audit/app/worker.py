"""The long-lived auditor: many portals in one process, one Twisted reactor, one Chromium.

`egov-audit audit` runs one crawl per process (Twisted's reactor starts once per process), and
the local batch starts a process per portal: Python, Scrapy and Chromium start again for every
portal. Here the reactor runs once, in a thread of its own, and each portal is a new Scrapy
crawler on it; rendering and axe use one shared browser (crawler.sharedbrowser) that is restarted
every ``restart_every`` portals, so a leak in Chromium cannot grow without bound. Judging runs in
the calling thread, against the same database file.

``run_worker`` connects this to the queue (egov_audit.app.queue): Dramatiq worker threads take
portal jobs and call ``Auditor.audit``; the portal's pages, snapshots and WARCs go into this
worker's own SQLite shard, which ``egov-audit merge`` later brings together with the others.
"""
from __future__ import annotations

import logging
import os
import resource
import signal
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from crawler.options import DEFAULTS
from egov_audit.app.runner import CrawlOptions, close_run, gather_after_crawl, open_run, spider_arguments
from egov_audit.app.targets import TargetRow

log = logging.getLogger("egov_audit.worker")


@dataclass
class AuditOutcome:
    run_id: str | None
    status: str                    # ok | partial | error (as in the local batch)
    reason: str
    seconds: float
    pages: int = 0
    index: float | None = None
    band: str = ""
    provisional: bool = False
    upper_bound: float | None = None
    cpu: dict = field(default_factory=dict)    # CPU seconds of the job's own thread: judging, reports


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    """This process's resident memory now (Linux), to see whether it stays flat portal after portal."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return 0.0


class Auditor:
    """Audits portals in this process. Thread-safe: several threads may audit (different hosts) at once."""

    def __init__(self, restart_every: int = 50, log_level: str = "WARNING"):
        from scrapy.utils.reactor import install_reactor
        install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
        from twisted.internet import reactor
        self.reactor = reactor
        self.restart_every = max(1, restart_every)
        self.log_level = log_level
        self.audited = 0
        self._since_restart = 0
        self._active = 0
        self._gate = threading.Condition()
        logging.getLogger("tldextract").setLevel(logging.ERROR)
        self._thread = threading.Thread(target=reactor.run, kwargs={"installSignalHandlers": False},
                                        name="reactor", daemon=True)
        self._thread.start()

    # ---- the reactor side ------------------------------------------------------------------------------
    def _call(self, fn, *args):
        from twisted.internet.threads import blockingCallFromThread
        return blockingCallFromThread(self.reactor, fn, *args)

    def _crawl(self, settings: dict, arguments: dict):
        from scrapy import signals
        from scrapy.crawler import CrawlerRunner

        from crawler.spiders.portal import PortalSpider
        runner = CrawlerRunner(settings)
        crawler = runner.create_crawler(PortalSpider)
        result = {"reason": "unknown"}

        def on_closed(spider, reason):
            result["reason"] = reason

        # weak=False: this function's frame is gone long before the spider closes
        crawler.signals.connect(on_closed, signal=signals.spider_closed, weak=False)
        deferred = runner.crawl(crawler, **arguments)
        deferred.addCallback(lambda _: (result["reason"], dict(crawler.stats.get_stats() or {})))
        return deferred

    def _restart_browser(self):
        from twisted.internet.defer import Deferred

        from crawler import sharedbrowser
        return Deferred.fromFuture(__import__("asyncio").ensure_future(sharedbrowser.restart()))

    def _enter(self) -> None:
        """Wait for a browser restart when one is due: it happens when no crawl is using the browser."""
        with self._gate:
            while self._since_restart >= self.restart_every and self._active:
                self._gate.wait()
            if self._since_restart >= self.restart_every:
                self._call(self._restart_browser)
                self._since_restart = 0
            self._active += 1
            self._since_restart += 1

    def _leave(self) -> None:
        with self._gate:
            self._active -= 1
            self.audited += 1
            self._gate.notify_all()

    # ---- one portal -------------------------------------------------------------------------------------
    def audit(self, row: TargetRow, settings: dict, db: Path, out: Path | None = None,
              since: str | None = None) -> AuditOutcome:
        from crawler import sharedbrowser
        from crawler.settings import build_settings
        from egov_audit.app.batch import TargetState, judge_outcome
        from egov_audit.judge.evaluation import evaluate_run
        from egov_audit.store.db import now_iso

        started = time.perf_counter()
        since = since or now_iso()
        options = CrawlOptions(start_url=row.url, db=str(db), allow_hosts=list(row.extra_hosts),
                               max_pages=settings.get("max_pages", DEFAULTS.max_pages),
                               satellite_pages=settings.get("satellite_pages", DEFAULTS.satellite_pages),
                               max_external=settings.get("max_external", DEFAULTS.max_external),
                               render=settings.get("render", DEFAULTS.render),
                               fast=bool(settings.get("fast")), delay=settings.get("delay"),
                               timeout=settings.get("timeout", DEFAULTS.timeout),
                               axe_pages=settings.get("axe_pages", DEFAULTS.axe_pages),
                               w3c_and_engines=settings.get("w3c_and_engines", DEFAULTS.w3c_and_engines),
                               log_level=self.log_level)
        sharedbrowser.configure(options.timeout)
        cpu = {}
        self._enter()
        try:
            store, run_id, resumed, resume_state = open_run(options)
            try:
                crawl_settings = build_settings({**asdict(options), "run_id": run_id})
                # the worker's one browser instead of a driver and a Chromium per crawl
                crawl_settings["PLAYWRIGHT_BROWSER_PROVIDER"] = "crawler.sharedbrowser.SharedBrowserProvider"
                reason, stats = self._call(self._crawl, crawl_settings, spider_arguments(options, resume_state))
                # the crawl runs on the reactor thread with other portals' crawls: its CPU is the process's, not
                # this portal's; judging and reports run on this thread, so thread time is theirs alone
                mark = time.thread_time()
                # the run stays 'running' until it is judged: a worker killed in between leaves no finished,
                # unjudged run for the merge to take (the queue gives the portal to another worker)
                store.compute_click_depth(run_id, options.start_url)
                gather_after_crawl(store, run_id, options, reason)   # engines and the W3C checker, in this thread
                audit_date = settings.get("audit_date")
                summary = evaluate_run(store, run_id, date.fromisoformat(audit_date) if audit_date else None)
                outcome_run = close_run(store, run_id, options, resumed, reason, stats)
                cpu["evaluate"], mark = round(time.thread_time() - mark, 3), time.thread_time()
                state = TargetState(row=row)
                judge_outcome(store, state, 0, since)
                if out is not None:
                    self._write_outputs(store, run_id, out, row)
                    cpu["report"] = round(time.thread_time() - mark, 3)
                scores = summary["scores"]
                return AuditOutcome(run_id=run_id, status=state.status, reason=state.reason,
                                    seconds=round(time.perf_counter() - started, 1),
                                    pages=outcome_run.counts.get("pages", 0), index=scores.get("index"),
                                    band=scores.get("band") or "", provisional=bool(scores.get("provisional")),
                                    upper_bound=scores.get("upper_bound"), cpu=cpu)
            finally:
                store.close()
        finally:
            self._leave()

    @staticmethod
    def _write_outputs(store, run_id: str, out: Path, row: TargetRow) -> None:
        from egov_audit.app.batch import portal_folder
        from egov_audit.app.result import build_result, write_result
        from reports.html import write_report
        folder = portal_folder(out, row)
        folder.mkdir(parents=True, exist_ok=True)
        document = build_result(store, run_id)
        write_result(document, folder / "result.json")
        write_report(store, document, folder / "report.html")

    def close(self) -> None:
        from crawler import sharedbrowser
        from twisted.internet.defer import Deferred
        if self.reactor.running:
            try:
                self._call(lambda: Deferred.fromFuture(__import__("asyncio").ensure_future(sharedbrowser.shutdown())))
            finally:
                self.reactor.callFromThread(self.reactor.stop)
                self._thread.join(timeout=30)


# ---- the queue worker ------------------------------------------------------------------------------------

def run_worker(url: str, db: Path, portals: int = 1, burst: bool = False, restart_every: int = 50,
               dead_after_s: float = 60.0, out: Path | None = None, echo=print) -> int:
    """Take portal jobs until stopped (or, with ``burst``, until the queue holds none); returns portals audited."""
    import dramatiq
    from dramatiq.middleware import CurrentMessage

    from egov_audit.app import queue as q

    broker = q.broker_for(url, dead_after_s)
    r = q.redis_for(url)
    auditor = Auditor(restart_every=restart_every)
    me = q.worker_name()
    stop = threading.Event()

    def audit_portal(batch_id: str, row: dict, settings: dict):
        message = CurrentMessage.get_current_message()
        attempt = (message.options.get("retries", 0) if message else 0) + 1
        target = TargetRow(**row)
        current = q.target_states(r, batch_id).get(target.position, {})
        if message and current.get("job") == message.message_id and current.get("status") in q.DONE:
            return   # this job finished before (its worker died before the queue heard): nothing to redo
        q.update_state(r, batch_id, target.position, status="running", worker=me, attempts=attempt, reason="")
        echo(f"{me}: {target.name} ({target.url}) attempt {attempt}")
        try:
            outcome = auditor.audit(target, settings, db, out)
        except Exception as exc:   # noqa: BLE001 — recorded, then raised so that the queue retries it
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"
            parked = attempt > q.MAX_RETRIES
            q.update_state(r, batch_id, target.position, status="failed" if parked else "queued",
                           reason=(f"failed {attempt} times, parked: " if parked else f"attempt {attempt} failed: ")
                           + reason)
            echo(f"{me}: {target.name}: {reason}" + (" (parked)" if parked else " (will retry)"))
            raise
        q.update_state(r, batch_id, target.position, status=outcome.status, reason=outcome.reason,
                       run_id=outcome.run_id, seconds=outcome.seconds, pages=outcome.pages, index=outcome.index,
                       band=outcome.band, provisional=outcome.provisional, upper_bound=outcome.upper_bound,
                       shard=str(db), cpu=outcome.cpu, rss_mb=round(_rss_mb(), 1),
                       peak_rss_mb=round(_peak_rss_mb(), 1), audited=auditor.audited)
        echo(f"{me}: {target.name}: {outcome.status}" + (f" ({outcome.reason})" if outcome.reason else "")
             + f" in {outcome.seconds:.0f} s, {outcome.pages} pages")

    q.declare_actor(broker, audit_portal)
    worker = dramatiq.Worker(broker, queues={q.QUEUE}, worker_threads=max(1, portals), worker_timeout=1000)
    worker.queue_prefetch = max(1, portals)   # take no more portals than are audited at once: others may be idle
    previous = {}

    def on_signal(signum, frame):
        if stop.is_set():
            os._exit(130)   # a second Ctrl-C / SIGTERM: do not wait for the portals in progress (the queue retries them)
        stop.set()          # the first: finish the portals in progress, take no new ones

    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.signal(signum, on_signal)
    echo(f"{me}: worker on {q.redact(url)}, shard {db}, {portals} portal(s) at a time"
         + (", until the queue is empty" if burst else ""))
    worker.start()
    try:
        idle_since = None
        while not stop.wait(1.0):
            if not burst:
                continue
            if _queue_empty(broker) and auditor._active == 0:
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > 3:
                    break
            else:
                idle_since = None
    finally:
        worker.stop(timeout=600_000)
        auditor.close()
        broker.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    echo(f"{me}: stopped after {auditor.audited} portal(s); peak RSS {_peak_rss_mb():.0f} MB; CPU "
         f"{own.ru_utime + own.ru_stime:.1f} s in this process, {children.ru_utime + children.ru_stime:.1f} s in "
         f"the browser and other children")
    return auditor.audited


def _queue_empty(broker) -> bool:
    """Nothing waiting, delayed (a retry) or taken by any worker (a dead one's jobs come back)."""
    import redis

    from egov_audit.app import queue as q
    client = broker.client
    try:
        if client.hlen(f"dramatiq:{q.QUEUE}.msgs") or client.hlen(f"dramatiq:{q.QUEUE}.DQ.msgs"):
            return False
    except redis.exceptions.ConnectionError:
        return False
    return True
