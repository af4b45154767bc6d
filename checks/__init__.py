"""Checks: small pure detectors. A check reads one stored page (or, for site checks, the whole run)
and the options a rule gives it, and returns pass / fail / review with evidence. No I/O.

Importing this package registers every check in CHECKS.
"""
from checks.base import CHECKS, CheckResult, Context, register  # noqa: F401
from checks import text, links, forms, markup, platforms, site, opendata, participation, datarequests  # noqa: F401,E402  (registration)
