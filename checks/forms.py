"""Form checks: a form with the field kinds a feature needs (an upload, a message box, an e-mail)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from checks.base import FAIL, CheckResult, Option, register
from checks.text import KeywordSet

FIELD_ALIASES = {"text": {"text"}, "email": {"email"}, "tel": {"tel"}, "file": {"file"}, "textarea": {"textarea"},
                 "search": {"search"}, "password": {"password"}, "date": {"date", "datetime-local"},
                 "select": {"select"}, "checkbox": {"checkbox", "radio"}}


@lru_cache(maxsize=1)
def _anonymous() -> KeywordSet:
    data = yaml.safe_load((Path(__file__).parent / "data" / "forms.yaml").read_text(encoding="utf-8"))
    return KeywordSet.compile(data["anonymous"])


def _field_present(form, kind: str) -> bool:
    kinds = FIELD_ALIASES.get(kind, {kind})
    if kind == "email":   # many forms use type=text for e-mail: read the name and label too
        return any(f.kind in kinds or (f.kind == "text" and ("mail" in f.name or "mail" in f.label or "correo" in f.label))
                   for f in form.fields)
    return any(f.kind in kinds for f in form.fields)


def prepare_form(options: dict) -> dict:
    return {"keywords": KeywordSet.compile(options.get("keywords")) if options.get("keywords") else None}


@register("form-present", prepare=prepare_form, options=[
    Option("keywords", "keywords", "words the form's text (labels, legend, buttons, placeholders) must contain",
           subject=True),
    Option("fields", "list", "kinds of field the form must have (all of them)", allowed=tuple(FIELD_ALIASES),
           shown=True),
    Option("anonymous", "bool", "the form must offer an anonymous or confidential option", default=False),
])
def form_present(page, options, context) -> CheckResult:
    """A form (not the site search box, unless asked for) with the field kinds a feature needs and, with
    keywords, words that say what it is for."""
    wanted = options.get("fields") or []
    keywords = options.compiled["keywords"]
    for form in page.forms:
        if form.is_search and "search" not in wanted:
            continue   # a site search box is not a service form
        if not form.fields or not all(_field_present(form, k) for k in wanted):
            continue
        if keywords is not None and keywords.search(form.text) is None:
            continue
        anonymous = _anonymous().search(form.text) is not None
        if options.get("anonymous") and not anonymous:
            continue
        kinds = sorted({f.kind for f in form.fields})
        excerpt = f"form ({', '.join(kinds)}){' with an anonymous/confidential option' if anonymous else ''}: {form.text[:200]}"
        return CheckResult("pass", [page.evidence(excerpt, form.element, field="form", anonymous=anonymous)])
    return FAIL


@register("search-form")
def search_form(page, options, context) -> CheckResult:
    """The page has a site search form."""
    for form in page.forms:
        if form.is_search:
            return CheckResult("pass", [page.evidence(f"search form → {form.action or '(this page)'}", form.element,
                                                      field="form")])
    return FAIL
