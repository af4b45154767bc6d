"""Small helpers every table module shares: timestamps and the code version a row was made with."""
from __future__ import annotations

import subprocess
from datetime import datetime, timezone

from egov_audit import __version__
from egov_audit.paths import REPO_ROOT


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def code_version() -> str:
    try:
        sha = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = ""
    return f"{__version__}+{sha}" if sha else __version__
