"""How the workbench is bound: loopback by default, anything else only behind a secret.

Only 127.0.0.1, ::1 and "localhost" count as safe without a token. Everything else — 0.0.0.0, a LAN
address, and also the rest of 127.0.0.0/8 such as 127.0.0.2 — needs --token-file: the rule is the
name, not a guess about which interfaces another address reaches, so it holds on machines where
127.0.0.x is routed or forwarded (containers, SSH tunnels). The secret is read from a file (a password
file works the same way) so it never appears in the process list or shell history.
"""
from __future__ import annotations

from pathlib import Path

LOOPBACK = ("127.0.0.1", "::1", "localhost")
MIN_TOKEN = 16


class BindRefused(ValueError):
    pass


def read_token(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise BindRefused(f"cannot read the token file {path}: {exc.strerror}") from exc
    if len(token) < MIN_TOKEN:
        raise BindRefused(f"the token in {path} is shorter than {MIN_TOKEN} characters")
    return token


def check_bind(host: str, token: str | None) -> None:
    if host not in LOOPBACK and token is None:
        raise BindRefused(f"refusing to listen on {host} without --token-file: only 127.0.0.1, ::1 and localhost "
                          "are served without a token")


def serve(db: Path, host: str, port: int, token: str | None, sample: float, seed: str) -> None:
    import waitress

    from egov_audit.app.workbench.app import create_app
    check_bind(host, token)
    app = create_app(db, token=token, sample=sample, seed=seed)
    # waitress stops on SIGINT / SIGTERM; answers are committed per request, so stopping loses none
    waitress.serve(app, host=host, port=port, threads=4, ident="egov-audit-review", _quiet=True)
