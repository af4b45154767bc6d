"""Browser compatibility (LOSI #201): the portal works in the engines behind the country's top-3 browsers.

The crawl rendered the home page and two key pages in every engine it could drive (crawler/engines.py)
and stored what each showed. This check compares them, page by page. A page is broken in an engine when
it does not load there while it loads elsewhere; when its content is blanked (a script error, a missing
feature) — less than half the text another engine shows; when its main navigation is missing or hidden
while another engine shows it; when landmarks another engine finds are gone; or when the layout is wider
than the 1366 px window (horizontal overflow). Problems every engine shares (no <main> anywhere) are
not compatibility problems and are left to the accessibility and markup indicators.

Outcome: fail when an engine the country's browsers use breaks a page; pass when none does and every
engine the country's top three use was run; review when one of them could not be run here (named).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from checks.base import CheckResult, register

BLANK_RATIO = 0.5           # an engine showing less than half another's text has lost content
MIN_TEXT_TO_COMPARE = 80    # below this, both pages are near-empty: nothing to compare
OVERFLOW_SLACK_PX = 2
ENGINE_NAMES = {"blink": "Chromium (Blink)", "webkit": "WebKit", "gecko": "Firefox (Gecko)"}
CCTLD_COUNTRY = {"uk": "GB"}


def country_of(url: str) -> str | None:
    host = (urlsplit(url).hostname or "").lower()
    label = host.rsplit(".", 1)[-1] if "." in host else ""
    if len(label) == 2 and label.isalpha():
        return CCTLD_COUNTRY.get(label, label.upper())
    return None


def browsers_for(url: str, shares: dict) -> tuple[list[str], str]:
    """The country's top three browsers and where that ranking comes from."""
    country = country_of(url)
    entry = (shares.get("countries") or {}).get(country) if country else None
    if entry:
        return list(entry["top3"]), f"{country}: {entry['source']}"
    default = shares["default"]
    where = f"no figures recorded for {country}" if country else "no country-code domain"
    return list(default["top3"]), f"worldwide ranking ({where}): {default['source']}"


def _page_problems(url: str, results: dict[str, dict]) -> dict[str, list[str]]:
    """Per engine family, what is broken on this page compared with the other engines."""
    loaded = {f: r for f, r in results.items() if r.get("loaded") and r.get("facts")}
    problems: dict[str, list[str]] = {f: [] for f in results}
    if not loaded:
        return problems
    best_text = max(r["facts"].get("text_length", 0) for r in loaded.values())
    best_main = max(r["facts"].get("main_text_length", 0) for r in loaded.values())
    nav_somewhere = any(r["facts"].get("nav_visible") for r in loaded.values())
    landmarks_somewhere = {name for r in loaded.values() for name, present in (r["facts"].get("landmarks") or {}).items() if present}
    for family, result in results.items():
        if family not in loaded:
            problems[family].append(f"does not load ({result.get('error') or 'no page'})")
            continue
        facts = result["facts"]
        errors = result.get("script_errors") or []
        cause = f" (script error: {errors[0]})" if errors else ""
        if best_text >= MIN_TEXT_TO_COMPARE and facts.get("text_length", 0) < BLANK_RATIO * best_text:
            problems[family].append(f"content missing: {facts.get('text_length', 0)} characters of text "
                                    f"against {best_text} in another engine{cause}")
        elif best_main >= MIN_TEXT_TO_COMPARE and facts.get("main_text_length", 0) < BLANK_RATIO * best_main:
            problems[family].append(f"main content missing: {facts.get('main_text_length', 0)} characters "
                                    f"against {best_main} in another engine{cause}")
        if nav_somewhere and not facts.get("nav_visible"):
            problems[family].append("the main navigation is missing or hidden" if facts.get("nav_count")
                                    else "the main navigation is missing")
        lost = sorted(landmarks_somewhere - {n for n, present in (facts.get("landmarks") or {}).items() if present})
        if lost:
            problems[family].append("landmarks missing: " + ", ".join(lost))
        width, window = facts.get("scroll_width", 0), facts.get("client_width", 0)
        if window and width > window + OVERFLOW_SLACK_PX:
            problems[family].append(f"horizontal overflow: the page is {width} px wide in a {window} px window")
    return problems


def _evidence(url: str, family: str, engine: dict, page: dict | None, text: str) -> dict:
    return {"url": url, "excerpt": f"{engine.get('browser') or ENGINE_NAMES.get(family, family)}: {text}"[:300],
            "selector": "", "click_depth": None, "snapshot": None,
            "screenshot": (page or {}).get("screenshot")}


@register("browser-compat", site=True)
def browser_compat(site, options, context) -> CheckResult:
    """#201: the home page and two navigation pages, rendered at 1366 px in each engine the crawl could drive
    (Chromium, WebKitGTK, Firefox), compared: a page that does not load, loses
    its content or its visible navigation or landmarks in one engine, or overflows the window, is broken
    there. Fail when an engine behind the country's top-3 browsers (rules/_data/browser-shares.yaml) breaks
    a page; review when such an engine could not run. Misses: interaction (forms, menus that open on click),
    other pages, and mobile browsers, approximated by their engine at a desktop width."""
    records = site.artifacts.get("browser-compat") or []
    if not records:
        raise RuntimeError("no browser-engine renders are stored for this run")
    record = records[-1]
    if record.get("error"):
        raise RuntimeError(f"browsers were not compared: {record['error']}")
    shares = context.data.get("browser-shares") or {}
    start = site.run.get("start_url") or (record.get("pages") or [""])[0]
    top3, ranking = browsers_for(start, shares)
    needed = {shares.get("engines", {}).get(b, "blink") for b in top3}
    engines = {e["family"]: e for e in record.get("engines", ())}
    ran = {f: e for f, e in engines.items() if e.get("available") and e.get("pages")}
    not_run = {f: (engines.get(f) or {}).get("reason", "not attempted") for f in
               sorted(set(ENGINE_NAMES) - set(ran))}
    if not ran:
        raise RuntimeError("no browser engine could be run: " + "; ".join(f"{ENGINE_NAMES[f]}: {r}" for f, r in not_run.items()))
    for url in record.get("pages", ()):
        loaded_anywhere = any(p.get("loaded") for e in ran.values() for p in e["pages"] if p["url"] == url)
        if not loaded_anywhere:
            raise RuntimeError(f"{url} did not load in any engine, so the engines cannot be compared")
    broken, fine = [], []
    for url in record.get("pages", ()):
        results = {f: next((p for p in e["pages"] if p["url"] == url), {"loaded": False, "error": "not rendered"})
                   for f, e in ran.items()}
        for family, problems in _page_problems(url, results).items():
            text = "; ".join(problems) if problems else "works (loads, navigation visible, no overflow)"
            (broken if problems else fine).append((family, _evidence(url, family, ran[family], results[family], text)))
    used = ", ".join(f"{b} → {ENGINE_NAMES[shares.get('engines', {}).get(b, 'blink')]}" for b in top3)
    engines_run = ", ".join(e.get("browser") or ENGINE_NAMES[f] for f, e in ran.items())
    context_note = f"top three browsers: {used} ({ranking}); engines run: {engines_run}"
    relevant = [e for f, e in broken if f in needed]
    if relevant:
        return CheckResult("fail", relevant[:5], reason=f"{len(relevant)} page renders broken in an engine the "
                                                        f"country's browsers use; {context_note}")
    missing = sorted(needed - set(ran))
    if missing:
        why = "; ".join(f"{ENGINE_NAMES[f]}: {not_run.get(f, 'not run')}" for f in missing)
        return CheckResult("review", [e for _, e in broken + fine][:5],
                           reason=f"could not run the engine(s) {why}; {context_note}")
    remark = "" if not broken else f"; broken only in engines none of the top three uses: {len(broken)} renders"
    return CheckResult("pass", [e for _, e in fine][:5], reason=f"{len(record.get('pages', ()))} pages work alike in every engine "
                                                f"the top three browsers use; {context_note}{remark}")
