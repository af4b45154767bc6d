"""Screenshots embedded once each: one data: URI per distinct image, however many verdicts cite it.

Each distinct PNG becomes one CSS class (`.shot-N { background-image: url(data:…) }`); thumbnails
and the full-size :target view both use that class, so a home-page screenshot cited by 25 pieces
of evidence costs its bytes once and the report needs neither scripts nor requests.
"""
from __future__ import annotations

import base64
import hashlib
import re
import struct

from egov_audit.store.snapshots import SnapshotStore

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_BYTES = 4_000_000      # a larger screenshot is named, not embedded: the report must stay mailable
MAX_SHOTS = 40
# a screenshot's path in the snapshot store (ab/<sha256>.png): any other value in a document is not read,
# so a tampered evidence item cannot make the report read an arbitrary file
SHOT_PATH = re.compile(r"[0-9a-f]{2}/[0-9a-f]{64}\.png")


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the IHDR chunk; None when the bytes are not a PNG."""
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


class Gallery:
    def __init__(self, snapshots: SnapshotStore | None):
        self.snapshots = snapshots
        self.shots: list[dict] = []          # distinct images, in first-cited order
        self._by_digest: dict[str, dict] = {}
        self._by_ref: dict[str, dict | None] = {}

    def ref(self, reference: str | None) -> dict | None:
        """The shot for an evidence item's "screenshot" (its path in the snapshot store), or None."""
        if not reference:
            return None
        if reference not in self._by_ref:
            self._by_ref[reference] = self._load(reference)
        return self._by_ref[reference]

    def _load(self, reference: str) -> dict | None:
        if self.snapshots is None or not SHOT_PATH.fullmatch(reference):
            return None
        try:
            data = self.snapshots.get(reference)
        except OSError:
            return None
        size = png_size(data)
        if size is None or len(data) > MAX_BYTES:
            return None
        digest = hashlib.sha256(data).hexdigest()
        if digest in self._by_digest:
            return self._by_digest[digest]
        if len(self.shots) >= MAX_SHOTS:
            return None
        shot = {"id": f"shot-{len(self.shots) + 1}", "width": size[0], "height": size[1], "bytes": len(data),
                "uri": "data:image/png;base64," + base64.b64encode(data).decode("ascii")}
        self.shots.append(shot)
        self._by_digest[digest] = shot
        return shot
