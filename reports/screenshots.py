"""Screenshots embedded once each: one data: URI per distinct image, however many verdicts cite it.

Each distinct PNG becomes one CSS class (`.shot-N { background-image: url(data:…) }`); thumbnails
and the full-size :target view both use that class, so a home-page screenshot cited by 25 pieces
of evidence costs its bytes once and the report needs neither scripts nor requests.
"""
from __future__ import annotations

import base64
import hashlib
import struct

from egov_audit.store.db import Store

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_BYTES = 4_000_000      # a larger screenshot is named, not embedded: the report must stay mailable
MAX_SHOTS = 40


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the IHDR chunk; None when the bytes are not a PNG."""
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


class Gallery:
    def __init__(self, store: Store):
        self.store = store
        self.shots: list[dict] = []          # distinct images, in first-cited order
        self._by_digest: dict[str, dict] = {}
        self._by_ref: dict[str, dict | None] = {}

    def ref(self, reference: str | None) -> dict | None:
        """The shot for an evidence item's "screenshot" (a snapshot path or hash), or None.

        Only references the snapshots table knows are read, so a tampered evidence value cannot
        make the report read an arbitrary file.
        """
        if not reference:
            return None
        if reference not in self._by_ref:
            self._by_ref[reference] = self._load(reference)
        return self._by_ref[reference]

    def _load(self, reference: str) -> dict | None:
        row = self.store.conn.execute("SELECT path FROM snapshots WHERE path = ? OR hash = ? LIMIT 1",
                                      (reference, reference)).fetchone()
        if row is None:
            return None
        try:
            data = self.store.snapshots.get(row[0])
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
