"""The base of the store's records: dataclasses that can also be read like the rows they replace."""
from __future__ import annotations

from dataclasses import asdict, fields


class Record:
    """A stored row as a dataclass. ``record["field"]`` reads like ``record.field``, so code written against
    the dict rows the store used to return keeps working while it moves to attributes."""

    def __getitem__(self, name: str):
        try:
            return getattr(self, name)
        except AttributeError:
            raise KeyError(name) from None

    def get(self, name: str, default=None):
        return getattr(self, name, default)

    def keys(self):
        return [f.name for f in fields(self)]

    def as_dict(self) -> dict:
        return asdict(self)
