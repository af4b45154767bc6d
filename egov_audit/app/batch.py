"""Audit many portals: parallel across hosts, one audit per host at a time, resumable.

Each portal is audited by its own `egov-audit audit` process (Twisted's reactor runs once per process)
into the shared audit database; SQLite in WAL mode serialises their short writes. The batch's own
state lives in the tables batches / batch_targets, so running the same command again skips portals
already done and continues the rest (an interrupted crawl resumes where it stopped).
"""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from crawler.options import DEFAULTS as CRAWL
from egov_audit.store.db import Store, now_iso
from egov_audit.app.targets import TargetRow

DONE = ("ok", "partial")


@dataclass
class BatchOptions:
    db: Path
    out: Path
    workers: int = 4
    fast: bool = False
    # the crawl's own defaults (crawler.options): a batch audits each portal as `egov-audit audit` would
    render: str = CRAWL.render
    max_pages: int = CRAWL.max_pages
    satellite_pages: int = CRAWL.satellite_pages
    max_external: int = CRAWL.max_external
    axe_pages: int = CRAWL.axe_pages
    w3c_and_engines: bool = CRAWL.w3c_and_engines
    timeout: int = CRAWL.timeout
    delay: float | None = CRAWL.delay
    audit_date: str | None = None
    new: bool = False              # start a new batch even when this one exists (monitoring does)

    def audit_settings(self) -> dict:
        data = asdict(self)
        for transient in ("db", "out", "workers", "new"):
            data.pop(transient)
        return data


@dataclass
class TargetState:
    row: TargetRow
    status: str = "pending"
    reason: str = ""
    run_id: str | None = None
    seconds: float | None = None
    pages: int = 0
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    since: str | None = None       # when this attempt started (a resumed crawl's run began earlier)
    log: Path | None = None

    @property
    def host(self) -> str:
        # host:port — two portals on one host are never audited at once (ports tell local servers apart)
        return urlsplit(self.row.url).netloc.lower()


@dataclass
class BatchResult:
    batch_id: str
    targets: list[TargetState]
    seconds: float
    resumed: bool
    skipped: int = 0
    interrupted: bool = False
    run_ids: list[str] = field(default_factory=list)


def batch_id_for(digest: str, options: BatchOptions, salt: str = "") -> str:
    key = json.dumps({"targets": digest, "options": options.audit_settings(), "salt": salt}, sort_keys=True)
    return "b" + hashlib.sha256(key.encode()).hexdigest()[:11]


def portal_folder(out: Path, row: TargetRow) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in row.name).strip("-") or "portal"
    return out / f"{row.position:03d}-{safe[:60]}"


def open_batch(store: Store, rows: list[TargetRow], digest: str, targets_file: Path,
               options: BatchOptions) -> tuple[str, bool]:
    """The batch to work on and whether it existed. ``options.new`` starts another one."""
    batch_id = batch_id_for(digest, options, now_iso() if options.new else "")
    exists = store.open_batch(batch_id, str(targets_file), options.audit_settings(), [
        {"position": r.position, "name": r.name, "country": r.country, "url": r.url, "level": r.level,
         "languages": " ".join(r.languages), "extra_hosts": " ".join(r.extra_hosts)} for r in rows])
    return batch_id, exists


def load_states(store: Store, batch_id: str, rows: list[TargetRow]) -> list[TargetState]:
    stored = store.target_progress(batch_id)
    states = []
    for row in rows:
        progress = stored.get(row.position)
        if progress is None:
            states.append(TargetState(row=row, status="pending", reason="", run_id=None, seconds=None))
        else:
            states.append(TargetState(row=row, status=progress.status, reason=progress.reason or "",
                                      run_id=progress.run_id, seconds=progress.seconds))
    return states


def _save(store: Store, batch_id: str, state: TargetState, started: str | None = None,
          finished: str | None = None) -> None:
    store.save_target(batch_id, state.row.position, state.status, state.reason, state.run_id, state.seconds,
                      started=started, finished=finished)


def audit_command(state: TargetState, options: BatchOptions) -> list[str]:
    folder = portal_folder(options.out, state.row)
    cmd = [sys.executable, "-m", "egov_audit.app.cli", "audit", state.row.url, "--db", str(options.db),
           "--json", str(folder / "result.json"), "--report", str(folder / "report.html"),
           "--render", options.render, "--max-pages", str(options.max_pages),
           "--satellite-pages", str(options.satellite_pages), "--max-external", str(options.max_external),
           "--axe-pages", str(options.axe_pages), "--timeout", str(options.timeout)]
    cmd.append("--fast" if options.fast else "--polite")
    cmd.append("--w3c-and-engines" if options.w3c_and_engines else "--no-w3c-and-engines")
    if options.delay is not None:
        cmd += ["--delay", str(options.delay)]
    if options.audit_date:
        cmd += ["--audit-date", options.audit_date]
    for host in state.row.extra_hosts:
        cmd += ["--allow-host", host]
    return cmd


def judge_outcome(store: Store, state: TargetState, returncode: int, since: str) -> None:
    """ok, partial or error, with a reason a person can act on."""
    run = store.newest_run_of(state.row.url, since)
    state.run_id = run.id if run else state.run_id
    if returncode != 0 or run is None:
        state.status, state.reason = "error", _last_error_line(state.log) or f"the audit exited with code {returncode}"
        return
    home = store.page_error(run.id, state.row.url)
    counts = store.counts(run.id)
    if home is not None and counts["ok"] == 0:
        state.status, state.reason = "error", f"the home page could not be fetched: {home.error or home.error_kind}"
        return
    evaluation = store.latest_evaluation(run.id)
    errors = store.verdict_count(evaluation.id, "error") if evaluation else 0
    failed_pages = counts["errors"]
    reasons = []
    if run.status != "finished":
        reasons.append(f"the crawl ended as {run.status}")
    if evaluation is None:
        reasons.append("the run was not judged")
    if errors:
        reasons.append(f"{errors} indicator(s) could not be checked")
    if failed_pages:
        reasons.append(f"{failed_pages} page(s) failed to load")
    state.status = "partial" if (run.status != "finished" or evaluation is None or errors) else "ok"
    state.reason = "; ".join(reasons)


def _last_error_line(log: Path | None) -> str:
    if not log or not log.exists():
        return ""
    lines = [ln.strip() for ln in log.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
    for line in reversed(lines):
        if line.startswith("error:") or "Error" in line:
            return line[:300]
    return lines[-1][:300] if lines else ""


def run_batch(store: Store, batch_id: str, states: list[TargetState], options: BatchOptions,
              on_change=None) -> BatchResult:
    """Audit every target not yet done. ``on_change(states)`` is called whenever something moved."""
    started = time.perf_counter()
    skipped = sum(1 for s in states if s.status in DONE)
    queue = [s for s in states if s.status not in DONE]
    running: list[TargetState] = []
    interrupted = False
    notify = on_change or (lambda _states: None)

    def stop_children(signum=None, frame=None):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop_children)
    try:
        while queue or running:
            busy_hosts = {s.host for s in running}
            # politeness across portals: never two audits of one host at once; bounded overall
            for state in list(queue):
                if len(running) >= max(1, options.workers):
                    break
                if state.host in busy_hosts:
                    continue
                queue.remove(state)
                _start(store, batch_id, state, options)
                running.append(state)
                busy_hosts.add(state.host)
            notify(states)
            time.sleep(0.5)
            for state in list(running):
                _poll_pages(store, state)
                code = state.process.poll()
                if code is None:
                    continue
                running.remove(state)
                state.seconds = round(time.perf_counter() - state.started_at, 1)
                judge_outcome(store, state, code, state.since or "")
                _save(store, batch_id, state, finished=now_iso())
                notify(states)
    except KeyboardInterrupt:
        interrupted = True
        for state in running:
            _terminate(state.process)
            _poll_pages(store, state)   # the run it started may be younger than the last poll: record it
            state.reason = "interrupted: run the same command again to continue"
            _save(store, batch_id, state)
    finally:
        signal.signal(signal.SIGTERM, previous)
    if not interrupted and all(s.status in DONE + ("error",) for s in states):
        store.finish_batch(batch_id)
    notify(states)
    return BatchResult(batch_id=batch_id, targets=states, seconds=round(time.perf_counter() - started, 1),
                       resumed=False, skipped=skipped, interrupted=interrupted,
                       run_ids=[s.run_id for s in states if s.run_id and s.status in DONE])


def _start(store: Store, batch_id: str, state: TargetState, options: BatchOptions) -> None:
    folder = portal_folder(options.out, state.row)
    folder.mkdir(parents=True, exist_ok=True)
    state.log = folder / "audit.log"
    state.since = now_iso()
    state.status, state.reason, state.pages = "running", "", 0
    state.started_at = time.perf_counter()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "400"}   # unwrapped log lines: the last one is the reason
    with open(state.log, "ab") as log:
        # own process group: a Ctrl-C on the batch is handled by the batch, which stops its audits cleanly
        state.process = subprocess.Popen(audit_command(state, options), stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    _save(store, batch_id, state, started=state.since)


def _poll_pages(store: Store, state: TargetState) -> None:
    run = store.newest_run_of(state.row.url, getattr(state, "since", None))
    if run:
        state.run_id = run.id
        state.pages = store.page_count(run.id)


def _terminate(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGINT)   # the crawl records itself as interrupted and can be resumed
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
