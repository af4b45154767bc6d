"""The targets file of a batch: one portal per row (name, country, url; optional languages, extra_hosts, level)."""
from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from egov_audit.app.runner import validate_start_url

REQUIRED = ("name", "country", "url")
OPTIONAL = ("languages", "extra_hosts", "level")
LEVELS = ("city", "national", "")


class TargetsError(ValueError):
    pass


@dataclass
class TargetRow:
    position: int                 # 1-based data row, as a person counts rows under the header
    name: str
    country: str
    url: str
    languages: list[str] = field(default_factory=list)
    extra_hosts: list[str] = field(default_factory=list)
    level: str = ""


def _split(value: str | None) -> list[str]:
    return [part for part in re.split(r"[\s;,|]+", value or "") if part]


def read_targets(path: Path) -> tuple[list[TargetRow], str]:
    """Rows and a digest of their content (the same rows give the same batch, whatever the file's layout)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise TargetsError(f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise TargetsError(f"{path} is not UTF-8 text") from exc
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise TargetsError(f"{path}: missing column(s) {', '.join(missing)} (the header needs name, country, url; "
                           f"optional: {', '.join(OPTIONAL)})")
    reader.fieldnames = header
    rows, problems, seen = [], [], {}
    for number, raw in enumerate(reader, start=1):
        values = {k: (v or "").strip() for k, v in raw.items() if k}
        if not any(values.values()):
            continue
        try:
            url = validate_start_url(values.get("url", ""))
        except ValueError as exc:
            problems.append(f"row {number} ({values.get('name') or 'no name'}): {exc}")
            continue
        level = values.get("level", "").lower()
        if level not in LEVELS:
            problems.append(f"row {number}: level must be city or national, not {level!r}")
            continue
        if url in seen:
            problems.append(f"row {number}: {url} is already row {seen[url]}")
            continue
        seen[url] = number
        rows.append(TargetRow(position=number, name=values.get("name") or url, country=values.get("country", ""),
                              url=url, languages=_split(values.get("languages")),
                              extra_hosts=_split(values.get("extra_hosts")), level=level))
    if problems:
        raise TargetsError(f"{path}: " + "; ".join(problems))
    if not rows:
        raise TargetsError(f"{path}: no targets")
    digest = hashlib.sha256("\n".join(f"{r.name}\t{r.country}\t{r.url}\t{' '.join(r.languages)}\t"
                                      f"{' '.join(r.extra_hosts)}\t{r.level}" for r in rows).encode()).hexdigest()
    return rows, digest
