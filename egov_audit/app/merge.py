"""egov-audit merge: shards of several workers into one audit database, with their snapshots and WARCs."""
from __future__ import annotations

import shutil
from pathlib import Path

from crawler.warc import warc_dir_for
from egov_audit.paths import snapshot_dir_for
from egov_audit.store.merge import MergeReport, merge_into


def merge_shards(target: Path, sources: list[Path]) -> list[MergeReport]:
    """Rows first (one transaction per shard), then the files they name; both steps are idempotent."""
    reports = merge_into(target, sources)
    for report in reports:
        report.files = _copy_files(report.source, target, report.run_ids)
    return reports


def _copy_files(source: Path, target: Path, runs: list[str]) -> int:
    copied = 0
    # snapshots are content-addressed (the name is the hash): a file already there is the same file
    pairs = [(snapshot_dir_for(source), snapshot_dir_for(target), ["*/*"]),
             (warc_dir_for(source), warc_dir_for(target), [f"{run}*.warc.gz" for run in runs])]
    for src_dir, dst_dir, patterns in pairs:
        if not src_dir.is_dir():
            continue
        for pattern in patterns:
            for path in src_dir.glob(pattern):
                if not path.is_file() or path.name.endswith(".tmp"):
                    continue
                dest = dst_dir / path.relative_to(src_dir)
                if dest.exists() and dest.stat().st_size == path.stat().st_size:
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                tmp = dest.with_name(dest.name + ".merge.tmp")
                shutil.copyfile(path, tmp)
                tmp.replace(dest)   # a reader never sees half a file under its final name
                copied += 1
    return copied
