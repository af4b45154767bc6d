"""W3C validity of the home page (LOSI #208 markup, #209 CSS), judged from the Nu Html Checker's messages.

The UN test runs the W3C validators on their defaults: any error means not aligned; warnings are
shown, never counted. The crawl ran vnu (the checker behind validator.w3.org/nu) offline on the home
page as served, on its rendered DOM, and on the CSS it uses (crawler/postcrawl.py); these checks only
read what it stored. A checker that could not run raises, so the verdict is `error`, never `fail`.
"""
from __future__ import annotations

from checks.base import CheckResult, register

SHOWN = 5   # messages quoted per document in the evidence


def _artifact(site, kind: str, what: str) -> dict:
    found = site.artifacts.get(kind) or []
    if not found:
        raise RuntimeError(f"{what} was not checked: no W3C checker result is stored for this run")
    record = found[-1]
    if record.get("error"):
        raise RuntimeError(f"{what} was not checked: {record['error']}")
    return record


def _line(message: dict) -> str:
    where = f"line {message.get('line')}" + (f", column {message['column']}" if message.get("column") else "")
    return f"{message.get('type')} ({where}): {message.get('message')}"


def _evidence(document: dict, label: str, counted: list[dict]) -> dict:
    listed = "; ".join(_line(m) for m in counted[:SHOWN]) or "no errors"
    warnings = document.get("warnings", 0)
    return {"url": document.get("url"), "excerpt": f"{label}: {len(counted)} errors, {warnings} warnings — {listed}"[:300],
            "selector": "", "click_depth": 0, "snapshot": None, "screenshot": None,
            "extract": counted[0].get("extract", "") if counted else ""}


def _unreadable(record: dict) -> None:
    for document in record.get("documents", ()):
        if document.get("checker_errors"):
            first = next((m for m in document.get("messages", ()) if m["type"] == "non-document-error"), {})
            raise RuntimeError(f"the checker could not read the {document.get('document')} document "
                               f"{document.get('url')}: {first.get('message', '')}")


@register("w3c-markup-valid", site=True)
def w3c_markup_valid(site, options, context) -> CheckResult:
    """#208: the home page's HTML as served has no vnu error. The rendered DOM is checked apart and
    reported (scripts can add errors a visitor's browser sees) but, like the W3C test, only the served
    document decides. Misses: errors only other pages have (the UN test looks at the home page)."""
    record = _artifact(site, "markup-validation", "the markup")
    _unreadable(record)
    documents = {d["document"]: d for d in record.get("documents", ())}
    served = documents.get("served")
    if served is None:
        raise RuntimeError("the markup was not checked: the served home page is missing from the checker result")
    errors = [m for m in served.get("messages", ()) if m["type"] == "error"]
    checker = record.get("checker", "the Nu Html Checker")
    evidence = [_evidence(served, f"served HTML, {checker}", errors)]
    rendered = documents.get("rendered")
    if rendered is not None:
        evidence.append(_evidence(rendered, f"rendered DOM (not counted), {checker}",
                                  [m for m in rendered.get("messages", ()) if m["type"] == "error"]))
    note = "" if rendered is None else f"; the rendered DOM has {rendered.get('errors', 0)} errors (reported, not counted)"
    if served.get("errors"):
        return CheckResult("fail", evidence, reason=f"{checker}: {served['errors']} errors and "
                                                    f"{served.get('warnings', 0)} warnings in the home page as served{note}")
    return CheckResult("pass", evidence, reason=f"{checker}: 0 errors, {served.get('warnings', 0)} warnings "
                                                f"(warnings are listed, not counted){note}")


@register("w3c-css-valid", site=True)
def w3c_css_valid(site, options, context) -> CheckResult:
    """#209: no vnu CSS error in the stylesheets the home page loaded, nor in the CSS inside its HTML
    (style elements and attributes), as the W3C CSS validator checks a page. A stylesheet that could not
    be fetched is named. Misses: stylesheets only other pages load."""
    record = _artifact(site, "css-validation", "the CSS")
    _unreadable(record)
    checker = record.get("checker", "the Nu Html Checker")
    if not record.get("stylesheets_captured"):
        raise RuntimeError(f"the linked stylesheets were not checked: {record.get('note', 'they were not captured')}")
    checked = [d for d in record.get("documents", ()) if not d.get("skipped")]
    skipped = [d for d in record.get("documents", ()) if d.get("skipped")]
    failing = [d for d in checked if d.get("errors")]
    labels = {"inline": "CSS inside the HTML", "stylesheet": "stylesheet"}
    evidence = [_evidence(d, f"{labels.get(d['document'], d['document'])}, {checker}",
                          [m for m in d.get("messages", ()) if m["type"] == "error"]) for d in (failing or checked)[:5]]
    sheets = sum(d["document"] == "stylesheet" for d in checked)
    summary = f"{sheets} stylesheets and the page's own CSS checked with {checker}"
    if skipped:
        summary += f"; not fetched: {', '.join(str(d.get('url')) for d in skipped[:3])}"
    if failing:
        total = sum(d["errors"] for d in failing)
        return CheckResult("fail", evidence, reason=f"{total} CSS errors in {len(failing)} documents; {summary}")
    return CheckResult("pass", evidence, reason=f"0 CSS errors, {sum(d.get('warnings', 0) for d in checked)} "
                                                f"warnings (not counted); {summary}")
