"""Markup checks: head facts (viewport, language, alternates) and schema.org types."""
from __future__ import annotations

from checks.base import FAIL, CheckResult, Option, register


@register("page-meta", options=[
    Option("viewport", "bool", "a meta viewport (pages laid out for phones)", default=False),
    Option("html_lang", "bool", "the html element declares the page's language", default=False),
    Option("hreflang", "bool", "the head links alternates in other languages (hreflang)", default=False),
    Option("charset", "bool", "a declared character set", default=False),
])
def page_meta(page, options, context) -> CheckResult:
    """Facts of the page's head that a rule asks for (each option set to true must hold)."""
    meta = page.meta
    wanted = {"viewport": meta["viewport"], "html_lang": bool(meta["html_lang"]),
              "hreflang": bool(meta["hreflang"]), "charset": meta["charset"]}
    asked = [k for k in wanted if options.get(k)]
    missing = [k for k in asked if not wanted[k]]
    if not asked or missing:
        return CheckResult("fail", reason=f"missing: {', '.join(missing)}" if missing else "nothing asked")
    shown = {"viewport": "meta viewport", "html_lang": f"html lang={meta['html_lang']}",
             "hreflang": f"hreflang {', '.join(meta['hreflang'][:5])}", "charset": "charset declared"}
    return CheckResult("pass", [page.evidence("; ".join(shown[k] for k in asked), None, field="head")])


@register("structured-data", options=[
    Option("types", "list", "schema.org types that count (any of them; none given: any type)"),
])
def structured_data(page, options, context) -> CheckResult:
    """The page carries schema.org structured data (JSON-LD, microdata or RDFa) of one of the types."""
    wanted = set(options.get("types") or [])
    found = page.schema_types & wanted if wanted else page.schema_types
    if not found:
        return FAIL
    return CheckResult("pass", [page.evidence("schema.org: " + ", ".join(sorted(found)), None, field="structured-data")])
