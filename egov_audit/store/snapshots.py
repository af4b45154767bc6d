"""Content-addressed snapshot files: every fetched body, rendered DOM and screenshot, once.

Files live beside the DB (see paths.snapshot_dir_for) as ``ab/abcdef….gz`` (gzip of
the bytes; PNG screenshots are stored as they are, already compressed). The name
is the SHA-256 of the original bytes, so identical bodies are stored once and a
reviewer can check a file against the hash recorded in the DB.
"""
from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class SnapshotStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def relative_path(self, digest: str, compressed: bool = True) -> str:
        return f"{digest[:2]}/{digest}{'.gz' if compressed else '.png'}"

    def put(self, data: bytes, compressed: bool = True) -> tuple[str, str, int]:
        """Store bytes; returns (sha256, path relative to the store, stored size)."""
        digest = content_hash(data)
        rel = self.relative_path(digest, compressed)
        target = self.root / rel
        if target.exists():
            return digest, rel, target.stat().st_size
        target.parent.mkdir(exist_ok=True)
        payload = gzip.compress(data, compresslevel=5, mtime=0) if compressed else data
        tmp = target.with_name(target.name + f".{os.getpid()}.tmp")
        tmp.write_bytes(payload)
        os.replace(tmp, target)   # atomic: a killed crawl never leaves half a snapshot under its final name
        return digest, rel, len(payload)

    def get(self, rel: str) -> bytes:
        data = (self.root / rel).read_bytes()
        return gzip.decompress(data) if rel.endswith(".gz") else data
