"""Batches on several machines: portal audits as Dramatiq jobs on Redis, the batch's state in Redis.

Why Dramatiq (not RQ or Celery): its workers are long-lived, multi-threaded processes (no fork per
job), so one process keeps one reactor and one Chromium for many portals; messages are JSON (an
actor name and data, never pickled code); retries with back-off, a dead-letter queue, requeueing
of a dead worker's jobs (heartbeats) and reconnecting after a Redis restart are built in. RQ forks
a process per job by default and needs its JSON serializer set everywhere; Celery brings a much
larger stack for the same job here.

A job is one portal: ``[batch_id, target row, audit options]``. Its state (queued, running, ok,
partial, error, failed) lives in a Redis hash per batch, so ``queue status`` and ``batch --wait``
need no database, and running ``batch --queue`` again enqueues only what is not done (resume).
"""
from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import asdict
from urllib.parse import urlsplit, urlunsplit

QUEUE = "egov-audit"
ACTOR = "audit_portal"
MAX_RETRIES = 2              # three attempts in all, then the job is parked with its reason
DONE = ("ok", "partial", "error")   # audited (error: the portal's own failure, a result)
KEY = "egov-audit"
FINAL = DONE + ("failed",)


def redact(url: str) -> str:
    """The queue URL as it may be printed: without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = (f"{parts.username}:***@" if parts.username else ":***@") + host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def broker_for(url: str, dead_after_s: float = 60.0):
    """A Dramatiq Redis broker; ``dead_after_s``: silence after which a worker's jobs go to another one."""
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker
    from dramatiq.middleware import CurrentMessage, Retries

    # no TimeLimit middleware: an audit is bounded by its own budgets and timeouts, and an exception
    # thrown into a thread waiting on the crawl would leave the crawl running
    broker = RedisBroker(url=url, middleware=[Retries(max_retries=MAX_RETRIES, min_backoff=1000, max_backoff=30000),
                                              CurrentMessage()],
                         heartbeat_timeout=int(dead_after_s * 1000),
                         # a worker's maintenance pass (requeueing dead workers' jobs) on 1 fetch in 10:
                         # our fetches are few (one portal takes minutes), the default 1 in 1000 would be days
                         maintenance_chance=100_000)
    dramatiq.set_broker(broker)
    return broker


def redis_for(url: str):
    import redis
    return redis.Redis.from_url(url, socket_timeout=30, health_check_interval=10)


def _meta_key(batch_id: str) -> str:
    return f"{KEY}:batch:{batch_id}:meta"


def _targets_key(batch_id: str) -> str:
    return f"{KEY}:batch:{batch_id}:targets"


def declare_actor(broker, fn=None):
    """The one job type. Workers pass the function; the enqueuing side only needs the name."""
    import dramatiq
    return dramatiq.actor(fn or (lambda *args: None), actor_name=ACTOR, queue_name=QUEUE, broker=broker,
                          max_retries=MAX_RETRIES)


def enqueue_batch(url: str, batch_id: str, rows, settings: dict, targets_file: str) -> dict:
    """Enqueue every target not done yet; returns counts {enqueued, done, waiting}."""
    broker = broker_for(url)
    actor = declare_actor(broker)
    r = redis_for(url)
    if not r.exists(_meta_key(batch_id)):
        r.set(_meta_key(batch_id), json.dumps({"targets_file": targets_file, "created": time.time(),
                                               "settings": settings, "total": len(rows)}))
        r.zadd(f"{KEY}:batches", {batch_id: time.time()})
    counts = {"enqueued": 0, "done": 0, "waiting": 0}
    states = target_states(r, batch_id)
    for row in rows:
        state = states.get(row.position) or {}
        if state.get("status") in DONE and state.get("status") != "error":
            counts["done"] += 1
            continue
        if state.get("status") in ("queued", "running") and _job_alive(broker, state.get("job")):
            counts["waiting"] += 1
            continue
        message = actor.message(batch_id, asdict(row), settings)
        set_state(r, batch_id, row.position, {"name": row.name, "country": row.country, "url": row.url,
                                              "status": "queued", "reason": "", "job": message.message_id,
                                              "attempts": 0})
        broker.enqueue(message)
        counts["enqueued"] += 1
    broker.close()
    return counts


def _job_alive(broker, message_id: str | None) -> bool:
    """Whether a message with this id is still held by the queue (waiting, delayed, or taken by a worker)."""
    if not message_id:
        return False
    client = broker.client
    for name in (QUEUE, f"{QUEUE}.DQ"):
        for raw in client.hvals(f"dramatiq:{name}.msgs"):
            if message_id.encode() in raw:
                return True
    return False


def set_state(r, batch_id: str, position: int, state: dict) -> None:
    state = {**state, "position": position, "updated": time.time()}
    r.hset(_targets_key(batch_id), str(position), json.dumps(state))


def update_state(r, batch_id: str, position: int, **changes) -> dict:
    raw = r.hget(_targets_key(batch_id), str(position))
    state = json.loads(raw) if raw else {}
    state.update(changes)
    set_state(r, batch_id, position, state)
    return state


def target_states(r, batch_id: str) -> dict[int, dict]:
    return {int(k): json.loads(v) for k, v in r.hgetall(_targets_key(batch_id)).items()}


def batch_ids(r) -> list[str]:
    return [b.decode() for b in r.zrange(f"{KEY}:batches", 0, -1)]


def batch_summary(r, batch_id: str) -> dict:
    meta_raw = r.get(_meta_key(batch_id))
    meta = json.loads(meta_raw) if meta_raw else {}
    counts = {"queued": 0, "running": 0, "done": 0, "failed": 0}
    for state in target_states(r, batch_id).values():
        status = state.get("status")
        counts["done" if status in DONE else status if status in counts else "queued"] += 1
    return {"batch_id": batch_id, "targets_file": meta.get("targets_file", ""), "total": meta.get("total", 0),
            **counts}


def wait_for(url: str, batch_id: str, positions: list[int], poll_s: float = 2.0, on_change=None) -> dict[int, dict]:
    """Block until every target is done or failed; survives Redis restarts (retries the connection)."""
    import redis
    last = None
    while True:
        try:
            states = target_states(redis_for(url), batch_id)
        except redis.exceptions.ConnectionError:
            time.sleep(poll_s)
            continue
        snapshot = {p: states.get(p, {}).get("status") for p in positions}
        if snapshot != last and on_change:
            on_change(states)
        last = snapshot
        if all(status in FINAL for status in snapshot.values()):
            return states
        time.sleep(poll_s)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"
