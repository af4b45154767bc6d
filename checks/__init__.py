"""Checks: small pure detectors. A check reads one stored page (or, for site checks, the whole run)
and the options a rule gives it, and returns pass / fail / review with evidence. No I/O.

Importing this package registers every check in CHECKS.

A new check: a function (page_or_site, options, context) -> CheckResult with a docstring saying what it
detects, registered with the options a rule may give it, each one line long:

    @register("my-check", prepare=compile_my_options, options=[
        Option("keywords", "keywords", "words the page must contain", required=True, subject=True),
        Option("min_count", "int", "matches needed", default=1),
    ])

Rules are validated against these declarations when they load (a misspelt or mistyped option is an error
naming the rule file and line); read the author's options as a mapping (declared defaults filled in) and
what prepare() compiled from them as `options.compiled`. docs/rules.md is generated from the docstring and
the declarations: run `egov-audit rules docs --write`.
"""
from checks.base import CHECKS, CheckResult, Context, register  # noqa: F401
from checks import text, links, forms, markup, platforms, site, opendata, participation, datarequests, validity, compat  # noqa: F401,E402  (registration)
