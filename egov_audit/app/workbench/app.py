"""The workbench web application (Flask + Jinja2, served by waitress; see serving.py).

Pages: the queue (portals with progress, filtered items), an item (the machine's verdict and evidence, the
answer form), a portal's reconciliation, the accuracy page, and the stored snapshot of an evidence page.
Safety: Jinja2 autoescapes everything (titles, excerpts, notes come from pages and people we do not
control); every POST carries the session's CSRF token; app pages run only our own script file; stored
snapshots are served with a CSP that runs no script and loads nothing (and in a sandbox).
"""
from __future__ import annotations

import hmac
import re
import secrets
from pathlib import Path

from flask import Flask, Response, abort, g, redirect, render_template, request, session, url_for
from markupsafe import Markup, escape

from egov_audit.app.workbench.assessment import ANSWER_TO_OUTCOME, DEFAULT_SAMPLE, DEFAULT_SEED
from egov_audit.app.workbench.queue import Item, Portal, build_queue
from egov_audit.store import reviews
from egov_audit.store.db import Store

HERE = Path(__file__).parent
ANSWER_LABELS = {"yes": "yes", "no": "no", "not_applicable": "not applicable"}
APP_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
           "frame-ancestors 'none'; base-uri 'none'")
# a stored page as crawled: no script runs (sandbox without allow-scripts, script-src none) and nothing loads
SNAPSHOT_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox; form-action 'none'; base-uri 'none'"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
FILTERS = ("portal", "criterion", "outcome", "assessor", "state")


def create_app(db: Path, token: str | None = None, sample: float = DEFAULT_SAMPLE, seed: str = DEFAULT_SEED) -> Flask:
    app = Flask(__name__, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"))
    app.config.update(SECRET_KEY=secrets.token_bytes(32), SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Strict", DB=Path(db), TOKEN=token, SAMPLE=sample, SEED=seed)
    app.jinja_env.filters["answer_label"] = lambda a: ANSWER_LABELS.get(a, a or "")
    app.jinja_env.filters["highlight"] = highlight
    app.jinja_env.tests["http_url"] = is_http_url

    @app.before_request
    def guard():
        # without a token the app trusts that only this machine reaches it; a page elsewhere could still reach it
        # through DNS rebinding (its own name resolving to 127.0.0.1), so only loopback names are answered
        if token is None and (request.host.rsplit(":", 1)[0] if not request.host.startswith("[")
                              else request.host.split("]")[0] + "]") not in LOOPBACK_HOSTS:
            return Response("this workbench answers only to 127.0.0.1, localhost or [::1]\n", 400,
                            {"Content-Type": "text/plain; charset=utf-8"})
        if token is not None and not session.get("authorised"):
            offered = request.args.get("token") or request.headers.get("Authorization", "").removeprefix("Bearer ")
            if not offered or not hmac.compare_digest(offered.encode(), token.encode()):
                return Response("a token is required (open the link with ?token=… once)\n", 401,
                                {"Content-Type": "text/plain; charset=utf-8"})
            session["authorised"] = True
        session.setdefault("csrf", secrets.token_urlsafe(32))
        if request.method == "POST":
            sent = request.form.get("csrf_token", "")
            if not hmac.compare_digest(sent.encode(), session["csrf"].encode()):
                abort(400, "the form's CSRF token is missing or wrong: reload the page")
        g.store = Store(app.config["DB"])

    @app.teardown_request
    def close(_exc):
        store = g.pop("store", None)
        if store is not None:
            store.close()

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", APP_CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.context_processor
    def common():
        return {"csrf_token": session.get("csrf", ""), "assessor": session.get("assessor")}

    def queue() -> list[Portal]:
        return build_queue(g.store, app.config["SAMPLE"], app.config["SEED"])

    @app.get("/")
    def index():
        assessor = session.get("assessor")
        if not assessor:
            return render_template("login.html")
        portals = queue()
        filters = {k: request.args.get(k, "") for k in FILTERS}
        items = filtered(portals, filters, assessor)
        return render_template("queue.html", portals=portals, items=items, filters=filters,
                               criteria=sorted({i.verdict["criterion"] for p in portals for i in p.items}),
                               outcomes=sorted({i.verdict["outcome"] for p in portals for i in p.items}),
                               assessors=sorted({n for p in portals for n in visible_assessors(p, assessor)}),
                               query=query_string(filters), scores=portal_scores(portals))

    @app.post("/login")
    def login():
        name = " ".join(request.form.get("assessor", "").split())[:80]
        if not name:
            abort(400, "give your name")
        session["assessor"] = name
        return redirect(url_for("index"))

    @app.post("/logout")
    def logout():
        session.pop("assessor", None)
        return redirect(url_for("index"))

    @app.get("/item/<run_id>/<rule_id>")
    def item(run_id: str, rule_id: str):
        assessor = session.get("assessor")
        if not assessor:
            return redirect(url_for("index"))
        portals = queue()
        portal, found = find_item(portals, run_id, rule_id)
        filters = {k: request.args.get(k, "") for k in FILTERS}
        items = filtered(portals, filters, assessor)
        ids = [(i.run_id, i.rule_id) for i in items]
        position = ids.index((run_id, rule_id)) if (run_id, rule_id) in ids else None
        previous = items[position - 1] if position else None
        following = items[position + 1] if position is not None and position + 1 < len(items) else None
        from egov_audit.judge.rules import rule_catalogue
        entry = rule_catalogue().get(rule_id) or {}
        mine = found.state.answers.get(assessor)
        others = [a for name, a in found.state.answers.items() if name != assessor] \
            if portal.can_see_others(assessor) else []
        return render_template("item.html", portal=portal, item=found, entry=entry, mine=mine, others=others,
                               previous=previous, following=following, position=position, total=len(items),
                               query=query_string(filters), final=found.state.final)

    @app.post("/item/<run_id>/<rule_id>/answer")
    def answer(run_id: str, rule_id: str):
        assessor = session.get("assessor")
        if not assessor:
            abort(403, "give your name first")
        value = request.form.get("answer", "")
        if value not in ANSWER_TO_OUTCOME:
            abort(400, "answer yes, no or not applicable")
        evidence_url = request.form.get("evidence_url", "").strip()
        if evidence_url and not is_http_url(evidence_url):
            abort(400, "the evidence URL must start with http:// or https://")
        portals = queue()
        portal, found = find_item(portals, run_id, rule_id)
        reviews.save_answers(g.store, [reviews.Answer(
            run_id, rule_id, assessor, value, note=request.form.get("note", "").strip()[:4000],
            evidence_url=evidence_url[:2000], evaluation_id=portal.evaluation_id,
            verdict_outcome=found.verdict["outcome"], verdict_confidence=found.verdict["confidence"])])
        filters = {k: request.form.get(k, "") for k in FILTERS}
        # the next item opens at once: the one after this in the same filtered queue
        items = filtered(queue(), filters, assessor)
        ids = [(i.run_id, i.rule_id) for i in items]
        after = ids[ids.index((run_id, rule_id)) + 1:] if (run_id, rule_id) in ids else ids
        target = next((i for i in after), None)
        if target is None:
            return redirect(url_for("index", **{k: v for k, v in filters.items() if v}))
        return redirect(url_for("item", run_id=target[0], rule_id=target[1], **{k: v for k, v in filters.items() if v}))

    @app.get("/reconcile/<run_id>")
    def reconcile(run_id: str):
        assessor = session.get("assessor")
        if not assessor:
            return redirect(url_for("index"))
        portal = next((p for p in queue() if p.run_id == run_id), None)
        if portal is None:
            abort(404)
        ready = len(portal.completed()) >= 2
        return render_template("reconcile.html", portal=portal, ready=ready,
                               conflicts=portal.conflicts() if ready else [],
                               reconciled=[i for i in portal.items if i.state.recorded is not None] if ready else [])

    @app.post("/reconcile/<run_id>/<rule_id>")
    def record_final(run_id: str, rule_id: str):
        assessor = session.get("assessor")
        if not assessor:
            abort(403, "give your name first")
        value = request.form.get("answer", "")
        if value not in ANSWER_TO_OUTCOME:
            abort(400, "answer yes, no or not applicable")
        portal, found = find_item(queue(), run_id, rule_id)
        if len(portal.completed()) < 2 or not found.state.conflict:
            abort(409, "only a disagreement of two assessors who finished the portal is reconciled")
        reviews.save_final(g.store, reviews.FinalAnswer(run_id, rule_id, value,
                                                             request.form.get("note", "").strip()[:4000], assessor, ""))
        return redirect(url_for("reconcile", run_id=run_id))

    @app.get("/accuracy")
    def accuracy_page():
        from egov_audit.app.workbench.accuracy import accuracy
        return render_template("accuracy.html", figures=accuracy(g.store))

    @app.get("/accuracy.csv")
    def accuracy_csv():
        from egov_audit.app.workbench.accuracy import accuracy, csv_text
        return Response(csv_text(accuracy(g.store)), 200, {"Content-Type": "text/csv; charset=utf-8",
                                                           "Content-Disposition": "attachment; filename=accuracy.csv"})

    @app.get("/snapshot/<run_id>/<digest>")
    def snapshot(run_id: str, digest: str):
        """The evidence page as it was crawled, from the snapshot store (never the live site)."""
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            abort(404)
        page = reviews.page_for_snapshot(g.store, run_id, digest)
        found = reviews.snapshot_path(g.store, digest)
        if page is None or found is None:
            abort(404)
        body = g.store.snapshots.get(found[0])
        kind = (page.get("content_type") or "text/html").split(";")[0].strip().lower()
        if kind not in ("text/html", "application/xhtml+xml", "application/pdf", "text/plain"):
            kind = "text/plain"
        response = Response(body, 200, {"Content-Type": kind})
        response.headers["Content-Security-Policy"] = SNAPSHOT_CSP
        response.headers["Cache-Control"] = "private, max-age=3600"
        return response

    @app.get("/screenshot/<path:reference>")
    def screenshot(reference: str):
        found = reviews.snapshot_path(g.store, reference)
        if found is None or found[1] != "screenshot":
            abort(404)
        response = Response(g.store.snapshots.get(found[0]), 200, {"Content-Type": "image/png"})
        response.headers["Content-Security-Policy"] = "default-src 'none'"
        return response

    return app


def find_item(portals: list[Portal], run_id: str, rule_id: str) -> tuple[Portal, Item]:
    for p in portals:
        if p.run_id == run_id:
            for i in p.items:
                if i.rule_id == rule_id:
                    return p, i
    abort(404, "no such item in the queue")


def visible_assessors(portal: Portal, assessor: str) -> set[str]:
    """Names whose answers this assessor may see on this portal (blind answering)."""
    everyone = {n for s in portal.states.values() for n in s.answers}
    return everyone if portal.can_see_others(assessor) else {assessor} & everyone


def filtered(portals: list[Portal], filters: dict, assessor: str) -> list[Item]:
    items = []
    for p in portals:
        if filters.get("portal") and filters["portal"] != p.run_id:
            continue
        visible = visible_assessors(p, assessor)
        for i in p.items:
            if filters.get("criterion") and i.verdict["criterion"] != filters["criterion"]:
                continue
            if filters.get("outcome") and i.verdict["outcome"] != filters["outcome"]:
                continue
            name = filters.get("assessor")
            if name and (name not in visible or name not in i.state.answers):
                continue
            state = filters.get("state")
            if state == "open" and assessor in i.state.answers:
                continue
            if state == "answered" and assessor not in i.state.answers:
                continue
            items.append(i)
    return items


def query_string(filters: dict) -> dict:
    return {k: v for k, v in filters.items() if v}


def portal_scores(portals: list[Portal]) -> dict[str, dict]:
    """Per portal: the machine's index and the index with the people's final answers (the result document's)."""
    from egov_audit.app.result import build_result
    scores = {}
    for p in portals:
        document = build_result(g.store, p.run_id, report_facts=False)
        scores[p.run_id] = {"index": document["scores"].get("index"), "confirmed": document["scores"].get("confirmed"),
                            "machine": (document["assessment"].get("machine_scores") or document["scores"]).get("index"),
                            "final_answers": document["assessment"]["final_answers"],
                            "indicators": document["assessment"]["indicators"]}
    return scores


def is_http_url(url) -> bool:
    """Only http(s) URLs become links; javascript:, data: and the like stay text."""
    return isinstance(url, str) and url.strip().lower().startswith(("http://", "https://")) and url == url.strip()


def highlight(excerpt: str | None, term: str | None) -> Markup:
    """The excerpt, escaped, with the matched term (case-insensitive) in <mark>."""
    text = excerpt or ""
    if term:
        at = text.lower().find(term.lower())
        if at >= 0:
            return Markup("{}<mark>{}</mark>{}").format(text[:at], text[at:at + len(term)], text[at + len(term):])
    return escape(text)

