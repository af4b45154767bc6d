"""Audit a fixture portal and compare the verdicts with its expected.yaml (used by tests and by
`python -m tests.support.fixturecheck` to print the per-indicator agreement table)."""
from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from egov_audit.app import fixtureserver
from egov_audit.judge.rulecases import ALLOWED
from egov_audit.paths import FIXTURES_DIR



@dataclass
class Comparison:
    site: str
    rule_id: str
    expected: str
    got: str
    reason: str
    evidence_url: str
    excerpt: str = ""

    @property
    def ok(self) -> bool:
        return self.got in ALLOWED[self.expected]


def fixture_sites() -> list[Path]:
    return sorted(p.parent for p in FIXTURES_DIR.glob("*/expected.yaml"))


def audit_fixture(site_dir: Path, workdir: Path, render: str = "auto") -> list[Comparison]:
    from egov_audit.judge.evaluation import evaluate_run, latest_evaluation
    from egov_audit.store.db import Store
    expected = yaml.safe_load((site_dir / "expected.yaml").read_text(encoding="utf-8"))
    db = workdir / f"{site_dir.name}.db"
    site = fixtureserver.start(site_dir)
    try:
        subprocess.run([sys.executable, "-m", "egov_audit.app.cli", "crawl", site.url(expected.get("start", "/")),
                        "--db", str(db), "--fast", "--no-w3c-and-engines", "--fresh", "--render", render, "--timeout", "10"],
                       check=True, timeout=300, capture_output=True)
    finally:
        site.stop()
    store = Store(db)
    try:
        summary = evaluate_run(store, None, date.fromisoformat(str(expected.get("audit_date", "2026-11-22"))))
        _, verdicts = latest_evaluation(store, summary["run_id"])
    finally:
        store.close()
    by_id = {v["rule_id"]: v for v in verdicts}
    out = []
    for rule_id, want in (expected.get("expected") or {}).items():
        verdict = by_id.get(rule_id)
        if verdict is None:
            out.append(Comparison(site_dir.name, rule_id, want, "missing-rule", "no such rule", ""))
            continue
        first = verdict["evidence"][0] if verdict["evidence"] else {}
        out.append(Comparison(site_dir.name, rule_id, want, verdict["outcome"], verdict["reason"] or "",
                              first.get("url", ""), (first.get("excerpt") or "")[:160]))
    return out


def main() -> None:
    sites = [FIXTURES_DIR / a for a in sys.argv[1:]] or fixture_sites()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for site_dir in sites:
            rows += audit_fixture(site_dir, Path(tmp))
    per_rule: dict[str, list[Comparison]] = {}
    for row in rows:
        per_rule.setdefault(row.rule_id, []).append(row)
        if not row.ok:
            print(f"MISMATCH {row.site:<16} {row.rule_id:<36} expected {row.expected:<8} got {row.got:<7} "
                  f"{row.reason[:90]} {row.evidence_url} «{row.excerpt}»")
    print()
    for rule_id, items in sorted(per_rule.items()):
        good = sum(r.ok for r in items)
        print(f"{rule_id:<40} {good}/{len(items)}  " + " ".join(f"{r.site}:{r.expected}{'' if r.ok else '✗'}" for r in items))
    total = sum(r.ok for r in rows)
    print(f"\n{total}/{len(rows)} expected verdicts match across {len(sites)} fixture portals")


if __name__ == "__main__":
    main()
