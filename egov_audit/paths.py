"""Where the project's data lives, and where an audit's files go."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
RULES_DIR = Path(os.environ.get("EGOV_RULES_DIR") or REPO_ROOT / "rules")   # override: a rule set of your own
FIXTURES_DIR = REPO_ROOT / "fixtures" / "sites"
SCHEMAS_DIR = Path(__file__).resolve().parent / "schemas"


def snapshot_dir_for(db_path: str | Path) -> Path:
    """Snapshots sit beside the DB (audit.db → audit.snapshots/), so the pair is a portable audit."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.stem + ".snapshots")
