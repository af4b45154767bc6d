"""Dataset requests (OSI #040) judged from a data portal's own API (answers stored during the crawl by
crawler/dataprobe.py, artifacts of kind data-api).

CKAN with the ckanext-datarequests extension answers the action `datarequest_index` (renamed
`list_datarequests` in later releases) to anonymous users: {"success": true, "result": {"count": N,
"result": [{title, open_time, closed, …}], "facets": …}}. An answer with success true shows the feature,
even with no request yet.

What it misses: Socrata's and Opendatasoft's "suggest a dataset" pages are web forms with no public API
we could verify; they, and home-made request forms, are found by the rule's form, link and heading checks.
"""
from __future__ import annotations

import json

from checks.base import CheckResult, register


def _requests(body: str) -> tuple[int, list[dict]]:
    data = json.loads(body)
    if not isinstance(data, dict) or data.get("success") is not True:
        raise ValueError("not a successful CKAN action answer")
    result = data.get("result")
    if isinstance(result, list):
        return len(result), result
    if isinstance(result, dict) and isinstance(result.get("result"), list):
        return int(result.get("count") or len(result["result"])), result["result"]
    raise ValueError("not a data request list")


@register("data-requests-api", site=True)
def data_requests_api(site, options, context) -> CheckResult:
    """A data portal's API lists dataset requests (CKAN ckanext-datarequests)."""
    probes = [p for p in site.artifacts.get("data-api") or [] if p.get("platform") == "ckan-datarequests"]
    for probe in probes:
        if probe.get("error_kind") or (probe.get("status") or 0) >= 400 or not probe.get("body"):
            continue
        try:
            count, items = _requests(probe["body"])
        except (ValueError, TypeError):
            continue
        open_items = [i for i in items if isinstance(i, dict) and not i.get("closed")]
        latest = max((str(i.get("open_time") or "")[:10] for i in items if isinstance(i, dict)), default="")
        excerpt = (f"CKAN data requests (ckanext-datarequests) on {probe.get('host', '')}: {count} requests"
                   f"{f', {len(open_items)} of the listed open' if items else ''}"
                   f"{f', latest {latest}' if latest else ''}")
        return CheckResult("pass", [{"url": probe["url"], "excerpt": excerpt[:300], "selector": "", "click_depth": None,
                                     "snapshot": None, "screenshot": None, "field": "data-api",
                                     "platform": "ckan-datarequests"}])
    return CheckResult("fail", reason="no dataset-request API answered" if probes else "")
