"""Site checks: judged once per run from what the crawl gathered on the live site."""
from __future__ import annotations

from checks.base import FAIL, CheckResult, Option, register
from egov_audit.html.textnorm import fold

ERROR_KINDS_THAT_ARE_NOT_ABSENCE = ("timeout", "dns", "connection", "tls", "fetch", "render")


def _answer(site, url: str, query: str):
    """The stored answer to one search request, or a CheckResult saying why it does not count."""
    page = site.page(url)
    if page is None:
        return CheckResult("fail", reason=f"the search for '{query}' was not fetched")
    error = page.row.get("error_kind")
    if error in ERROR_KINDS_THAT_ARE_NOT_ABSENCE:
        raise RuntimeError(f"the search request failed ({error}): {page.row.get('error')}")
    if error or (page.row.get("status") or 0) >= 400:
        return CheckResult("fail", reason=f"the search for '{query}' answered with an error page "
                                          f"({page.row.get('status')} {error or ''})".strip())
    return page


def page_scope_internal(page, link) -> bool:
    return page.link_scope(link) != "external" and not link.href.lower().startswith(("mailto:", "tel:"))


def _without(text: str, word: str) -> str:
    return " ".join(text.replace(word, " ").split())


@register("site-search", site=True)
def site_search(site, options, context) -> CheckResult:
    """The UN procedure for #206: a one-word search must answer with results. We also search a nonsense
    word: a search box that answers every query with the same page (or an error) does not work."""
    probes = site.artifacts.get("site-search") or []
    if not probes:
        return CheckResult("fail", reason="no search form was found on the home page to submit a query")
    probe = probes[-1]
    answer = _answer(site, probe["url"], probe["query"])
    if isinstance(answer, CheckResult):
        return answer
    word = fold(probe["query"])
    body = (answer.fields.get("text") or [None])[0]
    body_text = body.folded if body else ""
    quoted = body_text.count(word)
    result_links = [l for l in answer.links if word in l.anchor and l.url != probe["url"]]
    control = site.page(probe.get("control_url", "")) if probe.get("control_url") else None
    differs = True
    if control is not None and not control.row.get("error_kind"):
        # links that only the real word's answer has are its results (menus and footers are in both)
        control_urls = {l.url for l in control.links}
        result_links = [l for l in answer.links if l.url not in control_urls and page_scope_internal(answer, l)]
        control_body = (control.fields.get("text") or [None])[0]
        control_text = control_body.folded if control_body else ""
        differs = _without(body_text, word) != _without(control_text, fold(probe["control_query"]))
    summary = (f"searched '{probe['query']}': the answer quotes it {quoted} times with {len(result_links)} "
               f"result links" + ("" if control is None else f"; a nonsense word got {'a different' if differs else 'the same'} answer"))
    if differs and (result_links or quoted >= 2):
        return CheckResult("pass", [answer.evidence(summary, None, field="site-search")])
    return CheckResult("review", [answer.evidence(summary, None, field="site-search")],
                       reason="the search answered, but not with results for a word the portal itself uses")


@register("https", site=True, options=[
    Option("hsts", "bool", "the home page must also send Strict-Transport-Security", default=False),
])
def https(site, options, context) -> CheckResult:
    """The home page is served over HTTPS (after redirects)."""
    home = site.home
    if home is None:
        raise RuntimeError("the home page was not fetched")
    if not home.final_url.lower().startswith("https://"):
        return CheckResult("fail", reason=f"the home page is served at {home.final_url}")
    hsts = {k.lower(): v for k, v in home.headers.items()}.get("strict-transport-security")
    if options.get("hsts") and not hsts:
        return CheckResult("fail", reason="served over HTTPS but without Strict-Transport-Security")
    return CheckResult("pass", [home.evidence(f"{home.final_url}" + (f"; HSTS: {hsts}" if hsts else ""), None,
                                              field="https")])


@register("axe-clean", site=True)
def axe_clean(site, options, context) -> CheckResult:
    """WCAG 2.1 AA (#210): axe-core found no violation on any assessed page (incomplete items are for review)."""
    all_scans = site.artifacts.get("axe") or []
    scans = [s for s in all_scans if not s.get("error")]
    if not scans:
        why = all_scans[0]["error"] if all_scans else "no axe-core scan is stored for this run (rendering off?)"
        raise RuntimeError(f"WCAG conformance was not assessed: {why}")
    version = scans[0].get("axe_version", "")
    failing = [s for s in scans if s.get("violations")]
    pages = f"{len(scans)} pages assessed with axe-core {version}"
    if failing:
        worst = sorted({r["id"] for s in failing for r in s.get("rules", ())})
        evidence = [{"url": s["url"], "excerpt": f"{s['violations']} violations: " + ", ".join(
                        f"{r['id']} ({r.get('impact')})" for r in s.get("rules", ())[:6]),
                     "selector": (s["rules"][0]["nodes"][0]["target"] or [""])[0] if s.get("rules") and s["rules"][0]["nodes"] else "",
                     "click_depth": None, "snapshot": None, "screenshot": None} for s in failing[:5]]
        return CheckResult("fail", evidence, reason=f"{sum(s['violations'] for s in failing)} violations "
                                                    f"({', '.join(worst[:8])}) on {len(failing)} of {pages}")
    incomplete = sum(s.get("incomplete", 0) for s in scans)
    return CheckResult("pass", [{"url": s["url"], "excerpt": f"axe-core {version}: 0 violations, "
                                                             f"{s.get('incomplete', 0)} items to review by hand",
                                 "selector": "", "click_depth": None, "snapshot": None, "screenshot": None}
                                for s in scans[:5]],
                       reason=f"{pages}; {incomplete} incomplete items need a human look" if incomplete else pages)
