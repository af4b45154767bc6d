"""A batch on several workers: a real redis-server on loopback, real worker processes, real crawls, one merge.

Fixture portals are small and crawled with --fast and without rendering, so the whole file stays around
a minute or two; the bench (bench/scale.py) measures the real defaults.
"""
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import pytest

from egov_audit.app import fixtureserver
from egov_audit.paths import FIXTURES_DIR

PASSWORD = "s3cret-pw-7781"
AUDIT = ["--fast", "--render", "never", "--axe-pages", "0", "--audit-date", "2026-11-22",
         "--no-w3c-and-engines"]   # #201/#208/#209 are tested in test_validators.py


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    """Our own redis-server: loopback, a free port, a temp dir, a password, an append-only file (survives restarts)."""

    def __init__(self, folder):
        self.folder, self.port, self.proc = folder, free_port(), None
        self.url = f"redis://:{PASSWORD}@127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--dir", str(self.folder), "--appendonly", "yes", "--save", "",
                                      "--requirepass", PASSWORD], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()     # SIGTERM: redis writes its append-only file and exits
            self.proc.wait(timeout=20)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = Redis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def portals():
    sites = [fixtureserver.start(FIXTURES_DIR / name) for name in ("watch-v1", "watch-v2", "demo-city")]
    yield sites
    for site in sites:
        site.stop()


def cli(*args, timeout=300, env=None):
    return subprocess.run([sys.executable, "-m", "egov_audit.app.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env=env)


def worker(url, db, *extra):
    return subprocess.Popen([sys.executable, "-m", "egov_audit.app.cli", "worker", "--queue", url, "--db", str(db),
                             *map(str, extra)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def states(url):
    from egov_audit.app import queue as q
    r = q.redis_for(url)
    return {b: q.target_states(r, b) for b in q.batch_ids(r)}


def wait_until(predicate, timeout=120, step=0.3):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out")


def verdicts_by_portal(export_json):
    documents = json.loads(export_json.read_text())
    documents = documents["results"] if "results" in documents else [documents]
    return {d["start_url"]: {i["id"]: i["outcome"] for i in d["indicators"]} for d in documents}


@pytest.fixture(scope="module")
def two_worker_batch(tmp_path_factory, redis_server, portals):
    tmp = tmp_path_factory.mktemp("dist")
    v1, v2, _ = portals
    targets = tmp / "targets.csv"
    targets.write_text("name,country,url\n"
                       f"Lakeside,Testland,{v1.url('/')}\n"
                       f"Hillside,Testland,{v2.url('/')}\n"
                       "Nowhere,Atlantis,http://127.0.0.1:9/\n", encoding="utf-8")
    url = redis_server.url
    first = cli("batch", targets, "--queue", url, *AUDIT)
    workers = [worker(url, tmp / f"shard-{n}.db", "--burst") for n in "ab"]
    outputs = [w.communicate(timeout=300)[0] for w in workers]
    again = cli("batch", targets, "--queue", url, *AUDIT)           # resume: only what is not done
    third = worker(url, tmp / "shard-a.db")                          # a long-lived worker (no --burst)
    waited = cli("batch", targets, "--queue", url, *AUDIT, "--wait")   # waits while that worker audits
    third.send_signal(signal.SIGTERM)
    outputs.append(third.communicate(timeout=120)[0])
    status = cli("queue", "status", "--queue", url)
    shards = [tmp / "shard-a.db", tmp / "shard-b.db"]
    local = cli("batch", targets, "--db", tmp / "local.db", "--out", tmp / "local", "--workers", "3", *AUDIT)
    return {"tmp": tmp, "url": url, "first": first, "workers": workers, "outputs": outputs, "again": again,
            "waited": waited, "status": status, "shards": shards, "local": local, "targets": targets}


def test_batch_finishes_on_two_workers_and_resumes(two_worker_batch):
    b = two_worker_batch
    assert b["first"].returncode == 0, b["first"].stderr
    assert "3 enqueued" in b["first"].stderr
    assert all(w.returncode == 0 for w in b["workers"]), b["outputs"]
    (batch,) = states(b["url"]).values()
    by_name = {s["name"]: s for s in batch.values()}
    assert by_name["Lakeside"]["status"] in ("ok", "partial") and by_name["Hillside"]["status"] in ("ok", "partial")
    assert by_name["Nowhere"]["status"] == "error" and "could not be fetched" in by_name["Nowhere"]["reason"]
    # both workers took part (burst workers start together; prefetch is one portal each)
    assert len({s["shard"] for s in batch.values()}) == 2, batch
    # resume: the same command again enqueues only the portal in error (as the local batch retries errors)
    assert "1 enqueued, 2 done earlier" in b["again"].stderr, b["again"].stderr
    assert "2 done earlier, 1 already queued or running" in b["waited"].stderr, b["waited"].stderr
    assert b["waited"].returncode == 1          # Nowhere ends in error, as in the local batch
    assert "Ranking" in b["waited"].stderr and "Lakeside" in b["waited"].stderr
    assert "done" in b["status"].stdout and "3" in b["status"].stdout


def test_queue_password_is_never_printed(two_worker_batch):
    b = two_worker_batch
    printed = b["first"].stderr + b["again"].stderr + b["waited"].stderr + b["status"].stdout + b["status"].stderr + "".join(b["outputs"])
    assert "127.0.0.1" in printed and ":***@" in printed
    assert PASSWORD not in printed


def test_merge_is_idempotent_and_exports_equal_the_local_batch(two_worker_batch):
    b = two_worker_batch
    merged = b["tmp"] / "merged.db"
    first = cli("merge", *b["shards"], "--into", merged)
    assert first.returncode == 0, first.stderr

    def counts():
        with sqlite3.connect(merged) as conn:
            return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                    for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    before = counts()
    second = cli("merge", *b["shards"], "--into", merged)
    assert second.returncode == 0 and counts() == before
    assert before["runs"] == 4 and before["verdicts"] > 0   # the unreachable portal was tried again on resume
    with sqlite3.connect(merged) as conn:
        hashes = [h for (h,) in conn.execute("SELECT raw_hash FROM pages WHERE raw_hash IS NOT NULL")]
        warcs = {f for (f,) in conn.execute("SELECT DISTINCT warc_file FROM pages WHERE warc_file IS NOT NULL")}
    snapshots = b["tmp"] / "merged.snapshots"
    assert hashes and all((snapshots / h[:2] / f"{h}.gz").exists() for h in hashes)
    assert warcs and all((b["tmp"] / "merged.warc" / w).exists() for w in warcs)
    # the merged database answers like the single-machine batch of the same targets
    assert cli("export", "--db", merged, "--format", "json", "--out", b["tmp"] / "m.json").returncode == 0
    local = cli("export", "--db", b["tmp"] / "local.db", "--format", "json", "--out", b["tmp"] / "l.json")
    assert local.returncode == 0, local.stderr
    assert verdicts_by_portal(b["tmp"] / "m.json") == verdicts_by_portal(b["tmp"] / "l.json")


def test_merge_copies_tables_added_later(two_worker_batch, tmp_path):
    """Tables other parts add (review answers, codes per edition) come along without a change to the merge."""
    import shutil
    b = two_worker_batch
    shard = tmp_path / "shard-x.db"
    shutil.copyfile(b["shards"][0], shard)
    with sqlite3.connect(shard) as conn:
        evaluation, run_id = conn.execute("SELECT id, run_id FROM evaluations LIMIT 1").fetchone()
        conn.executescript("""
            CREATE TABLE review_answers (id INTEGER PRIMARY KEY, evaluation_id TEXT REFERENCES evaluations(id),
                                         rule_id TEXT, answer TEXT);
            CREATE TABLE review_notes (answer_id INTEGER REFERENCES review_answers(id), note TEXT);
            CREATE TABLE edition_codes (run_id TEXT, edition TEXT, code TEXT);
        """)
        conn.execute("INSERT INTO review_answers (id, evaluation_id, rule_id, answer) VALUES (41, ?, 'e-petition', 'yes')",
                     (evaluation,))
        conn.execute("INSERT INTO review_notes VALUES (41, 'seen on the council page')")
        conn.execute("INSERT INTO edition_codes VALUES (?, 'losi2024', 'L-77')", (run_id,))
    target = tmp_path / "all.db"
    from egov_audit.app.merge import merge_shards
    from egov_audit.store.db import Store
    Store(target).close()
    with sqlite3.connect(target) as conn:   # the target already holds a review answer with id 41 of its own
        conn.executescript("CREATE TABLE review_answers (id INTEGER PRIMARY KEY, evaluation_id TEXT "
                           "REFERENCES evaluations(id), rule_id TEXT, answer TEXT);"
                           "INSERT INTO review_answers VALUES (41, 'elsewhere', 'x', 'no');")
    for _ in range(2):
        merge_shards(target, [shard])
    with sqlite3.connect(target) as conn:
        answers = conn.execute("SELECT id, rule_id, answer FROM review_answers WHERE evaluation_id = ?",
                               (evaluation,)).fetchall()
        assert len(answers) == 1 and answers[0][1:] == ("e-petition", "yes") and answers[0][0] != 41
        assert conn.execute("SELECT answer_id, note FROM review_notes").fetchall() == [
            (answers[0][0], "seen on the council page")]
        assert conn.execute("SELECT run_id, code FROM edition_codes").fetchall() == [(run_id, "L-77")]


def test_killed_worker_job_completes_elsewhere_and_redis_restart(tmp_path, redis_server, portals):
    _, _, demo = portals
    url = redis_server.url
    targets = tmp_path / "targets.csv"
    targets.write_text(f"name,country,url\nDemo,Testland,{demo.url('/')}\n", encoding="utf-8")
    # a slower crawl (0.2 s between requests) so that the kill lands in the middle of it
    assert cli("batch", targets, "--queue", url, *AUDIT, "--delay", "0.2").returncode == 0
    a = worker(url, tmp_path / "shard-a.db")

    def a_crawling():
        if not (tmp_path / "shard-a.db").exists():
            return False
        with sqlite3.connect(tmp_path / "shard-a.db") as conn:
            try:
                return conn.execute("SELECT count(*) FROM pages").fetchone()[0] >= 5
            except sqlite3.OperationalError:
                return False
    wait_until(a_crawling, timeout=120)
    os.killpg(a.pid, signal.SIGKILL)
    a.wait()
    b = worker(url, tmp_path / "shard-b.db", "--burst", "--dead-after", "3")

    def b_auditing():
        return any(t.get("status") == "running" and t.get("worker", "").endswith(f":{b.pid}")
                   for batch in states(url).values() for t in batch.values())
    wait_until(b_auditing, timeout=120)       # A's job came back to the queue after 3 s of silence; B took it
    # Redis goes down and comes back while B audits: B reconnects, records the outcome and acknowledges the job
    redis_server.stop()
    time.sleep(1)
    redis_server.start()
    out = b.communicate(timeout=300)[0]
    assert b.returncode == 0, out
    batch = next(s for s in states(url).values() if any(t["name"] == "Demo" for t in s.values()))
    (state,) = batch.values()
    assert state["status"] in ("ok", "partial") and state["shard"].endswith("shard-b.db"), state
    merged = tmp_path / "merged.db"
    result = cli("merge", tmp_path / "shard-a.db", tmp_path / "shard-b.db", "--into", merged)
    assert result.returncode == 0 and "1 unfinished run(s) left out" in result.stderr, result.stderr
    with sqlite3.connect(merged) as conn:
        runs = conn.execute("SELECT status FROM runs WHERE start_url = ?", (demo.url("/"),)).fetchall()
        assert runs == [("finished",)]
        assert conn.execute("SELECT count(*) FROM evaluations").fetchone()[0] == 1


def test_job_failing_three_times_is_parked_with_its_reason_and_can_be_retried(tmp_path, redis_server, portals):
    v1 = portals[0]
    url = redis_server.url
    targets = tmp_path / "targets.csv"
    targets.write_text(f"name,country,url\nParked,Testland,{v1.url('/')}\n", encoding="utf-8")
    first = cli("batch", targets, "--queue", url, *AUDIT)
    assert first.returncode == 0
    # a shard that cannot be created: every attempt raises (a real failure, not a mock)
    w = worker(url, "/proc/egov-no-such-dir/shard.db", "--burst")
    out = w.communicate(timeout=200)[0]
    assert w.returncode == 0, out
    batch_id, batch = next((b, s) for b, s in states(url).items() if any(t["name"] == "Parked" for t in s.values()))
    (state,) = batch.values()
    assert state["status"] == "failed" and state["attempts"] == 3, state
    assert "failed 3 times, parked" in state["reason"] and "Error" in state["reason"]
    status = cli("queue", "status", "--queue", url, "--batch", batch_id)
    assert "failed" in status.stdout and "parked" in status.stdout
    again = cli("batch", targets, "--queue", url, *AUDIT)                  # the same batch: the failed job again
    assert f"batch {batch_id}: 1 portals" in again.stderr and "1 enqueued" in again.stderr, again.stderr
    other = cli("batch", targets, "--queue", url, *AUDIT, "--new")           # --new: another batch of the targets
    assert f"batch {batch_id}" not in other.stderr and "1 enqueued" in other.stderr, other.stderr
