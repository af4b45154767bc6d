"""Sub-commands that live in their own modules (export, serve, batch, diff, monitor …).

Each module here defines ``register(app)`` and adds its commands to the typer app; cli.py
calls every one at import. Keeping them apart keeps cli.py small and lets one command change
without touching the others.
"""
from __future__ import annotations

import importlib
import pkgutil


def register_all(app) -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)
