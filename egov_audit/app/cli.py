"""The egov-audit command line."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

from crawler.options import DEFAULTS, POLITE_DELAY, RENDER_MODES, CrawlOptions
from egov_audit.paths import FIXTURES_DIR, snapshot_dir_for

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Audit government web portals against the UN DESA LOSI / OSI e-government indicators.")
console = Console(stderr=True)

DEMO_PORT = 8765
RULES_OPT = typer.Option(None, "--rules", help="a rules folder (default: the catalogue's rules/, or $EGOV_RULES_DIR)")


def fail(message: str, code: int = 2):
    """One line on stderr and an exit code: what a person reads when a command cannot go on."""
    print(f"error: {' '.join(str(message).split())}", file=sys.stderr)
    raise typer.Exit(code)
RENDER_HELP = "auto: render pages whose HTML is an application shell (and the home page once); always; never"


def _crawl_options(url, db, allow_host, max_pages, max_depth, satellite_pages, max_external, render, fast,
                   delay, timeout, fresh, max_size_mb=DEFAULTS.max_size_mb, axe_pages=DEFAULTS.axe_pages,
                   allow_private_host=None, verbose=False, w3c_and_engines=DEFAULTS.w3c_and_engines):
    if render not in RENDER_MODES:
        raise typer.BadParameter("--render takes auto, always or never")
    return CrawlOptions(start_url=url, db=str(db), allow_hosts=list(allow_host or []), max_pages=max_pages,
                        max_depth=max_depth, satellite_pages=satellite_pages, max_external=max_external,
                        render=render, fast=fast, delay=delay, timeout=timeout, fresh=fresh,
                        max_size_mb=max_size_mb, axe_pages=axe_pages,
                        allow_private_hosts=list(allow_private_host or []), verbose=verbose,
                        w3c_and_engines=w3c_and_engines)


def _run_crawl(options):
    from egov_audit.app.progress import CrawlProgress
    from egov_audit.app.runner import run_crawl
    try:
        outcome = run_crawl(options, progress=CrawlProgress(console, options.max_pages))
    except ValueError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2)
    c = outcome.counts
    verb = "resumed and continued" if outcome.resumed else "crawled"
    console.print(f"run {outcome.run_id} {verb}: {outcome.status}; {c['pages']} pages "
                  f"({c['errors']} errors, {c['rendered']} rendered, {c['satellite_pages']} on satellite hosts, "
                  f"{c['external_pages']} outbound landings), {c['links']} links, "
                  f"{c['skipped_robots']} skipped by robots.txt, {c['skipped_budget']} left over the budget, "
                  f"{c['skipped_traps']} traps, {c['skipped_egress']} refused by the egress policy")
    return outcome


def _home_unreachable(outcome) -> None:
    """One clear line and a documented exit code when the home page could not be fetched (outputs are written)."""
    from egov_audit.app.runner import HOME_UNREACHABLE
    if outcome.home_error:
        # one plain line (no wrapping): batches and monitoring read it as the reason
        print(f"error: the home page could not be fetched: {' '.join(outcome.home_error.split())}", file=sys.stderr)
        raise typer.Exit(HOME_UNREACHABLE)


# The same crawl options on `crawl` and `audit`.
URL_ARG = typer.Argument(..., help="the portal's home page, e.g. https://www.city.gov/")
DB_OPT = typer.Option(Path("audit.db"), "--db", help="SQLite file (snapshots go in a folder beside it)")
ALLOW_OPT = typer.Option(None, "--allow-host", help="another host that is part of the portal (repeatable)")
PAGES_OPT = typer.Option(DEFAULTS.max_pages, "--max-pages", help="page budget for the portal's own hosts")
DEPTH_OPT = typer.Option(DEFAULTS.max_depth, "--max-depth", help="link hops from the home page")
SAT_OPT = typer.Option(DEFAULTS.satellite_pages, "--satellite-pages", help="page budget for each satellite host (data, participation …)")
EXT_OPT = typer.Option(DEFAULTS.max_external, "--max-external", help="outbound landing pages fetched at most (one hop each)")
RENDER_OPT = typer.Option(DEFAULTS.render, "--render", help=RENDER_HELP)
FAST_OPT = typer.Option(DEFAULTS.fast, "--fast/--polite", help="--fast drops politeness delays: for local fixtures only")
DELAY_OPT = typer.Option(DEFAULTS.delay, "--delay",
                         help=f"seconds between requests to one host (default {POLITE_DELAY}, auto-throttled)")
TIMEOUT_OPT = typer.Option(DEFAULTS.timeout, "--timeout", help="seconds before a request counts as timed out (an error, not a fail)")
FRESH_OPT = typer.Option(False, "--fresh", help="start a new run even if an interrupted one can be resumed")
DATE_OPT = typer.Option(None, "--audit-date", help="YYYY-MM-DD that recency is judged against (default: the crawl date)")
AXE_OPT = typer.Option(DEFAULTS.axe_pages, "--axe-pages", help="pages scanned with axe-core in Chromium: the home page and its "
                                               "navigation pages (0: no accessibility scan)")
SIZE_OPT = typer.Option(float(DEFAULTS.max_size_mb), "--max-size-mb", help="larger responses are cancelled and recorded as too large")
VERBOSE_OPT = typer.Option(False, "--verbose", help="log details (tracebacks included) on the console; "
                                                     "they are always in <db>.log")
W3C_OPT = typer.Option(DEFAULTS.w3c_and_engines, "--w3c-and-engines/--no-w3c-and-engines",
                       help="after the crawl, run the W3C checker (#208/#209) and render key pages in every browser "
                            "engine here (#201): about 25 s per portal; off, those three indicators are 'error' "
                            "(not checked)")
PRIVATE_OPT = typer.Option(None, "--allow-private-host",
                           help="a host that may resolve to a private, loopback or link-local address (repeatable); "
                                "otherwise only the start host's own address may be private")


@app.command()
def crawl(url: str = URL_ARG, db: Path = DB_OPT, allow_host: Optional[List[str]] = ALLOW_OPT,
          max_pages: int = PAGES_OPT, max_depth: int = DEPTH_OPT, satellite_pages: int = SAT_OPT,
          max_external: int = EXT_OPT, render: str = RENDER_OPT, fast: bool = FAST_OPT,
          delay: Optional[float] = DELAY_OPT, timeout: int = TIMEOUT_OPT, fresh: bool = FRESH_OPT,
          max_size_mb: float = SIZE_OPT, axe_pages: int = AXE_OPT,
          allow_private_host: Optional[List[str]] = PRIVATE_OPT, verbose: bool = VERBOSE_OPT,
          w3c_and_engines: bool = W3C_OPT):
    """Crawl a portal into the audit DB (no judging).

    Re-running the same command after an interruption resumes the run.

    Example: egov-audit crawl https://www.city.gov/ --db city.db --max-pages 200 --allow-host sede.city.gov
    """
    outcome = _run_crawl(_crawl_options(url, db, allow_host, max_pages, max_depth, satellite_pages, max_external,
                                        render, fast, delay, timeout, fresh, max_size_mb, axe_pages, allow_private_host,
                                        verbose, w3c_and_engines))
    _home_unreachable(outcome)


@app.command()
def audit(url: str = URL_ARG, db: Path = DB_OPT, json_out: Optional[Path] = typer.Option(
              None, "--json", help="write the result document here (default: <db>.result.json)"),
          report_out: Optional[Path] = typer.Option(None, "--report", help="HTML report path (default: <db>.report.html)"),
          allow_host: Optional[List[str]] = ALLOW_OPT, max_pages: int = PAGES_OPT, max_depth: int = DEPTH_OPT,
          satellite_pages: int = SAT_OPT, max_external: int = EXT_OPT, render: str = RENDER_OPT,
          fast: bool = FAST_OPT, delay: Optional[float] = DELAY_OPT, timeout: int = TIMEOUT_OPT,
          fresh: bool = FRESH_OPT, max_size_mb: float = SIZE_OPT, audit_date: Optional[str] = DATE_OPT,
          axe_pages: int = AXE_OPT, allow_private_host: Optional[List[str]] = PRIVATE_OPT,
          verbose: bool = VERBOSE_OPT, w3c_and_engines: bool = W3C_OPT):
    """Audit a portal: crawl it, judge every indicator, then write the JSON result and the HTML report.

    Example: egov-audit audit https://www.city.gov/ --db city.db --json city.json --report city.html
    """
    from egov_audit.judge.rules import load_rules
    load_rules()   # a bad rule stops the audit before the crawl, not after it
    outcome = _run_crawl(_crawl_options(url, db, allow_host, max_pages, max_depth, satellite_pages,
                                        max_external, render, fast, delay, timeout, fresh, max_size_mb, axe_pages,
                                        allow_private_host, verbose, w3c_and_engines))
    _evaluate(db, outcome.run_id, audit_date)
    _write_outputs(db, outcome.run_id, json_out, report_out)
    _home_unreachable(outcome)   # after the outputs: batches and monitoring still get the DB, JSON and report


def _evaluate(db: Path, run_id: str | None, audit_date: Optional[str], edition: Optional[str] = None) -> dict:
    from datetime import date

    from egov_audit.judge.evaluation import evaluate_run
    from egov_audit.judge.rules import RuleError
    from egov_audit.store.db import Store
    store = Store(db)
    try:
        summary = evaluate_run(store, run_id, date.fromisoformat(audit_date) if audit_date else None, edition)
    except (RuleError, LookupError, ValueError) as exc:
        fail(exc)
    finally:
        store.close()
    s = summary["scores"]
    counts = ", ".join(f"{n} {o}" for o, n in sorted(summary["counts"].items()))
    index = "–" if s["index"] is None else f"{s['index']:.2f}"
    upper = "" if not s["provisional"] else f" (provisional; up to {s['upper_bound']:.2f} if open items are met)"
    console.print(f"evaluated run {summary['run_id']} with {summary['rules']} rules in {summary['seconds']} s: {counts}")
    console.print(f"{s['edition']} index {index} — {s['band']}{upper}")
    return summary


def _write_outputs(db: Path, run_id: str | None, json_out: Optional[Path], report_out: Optional[Path]):
    from egov_audit.app.result import build_result, write_result
    from egov_audit.store.db import Store
    from reports.html import write_report
    store = Store(db)
    try:
        document = build_result(store, run_id)
        json_path = write_result(document, json_out or db.with_suffix(".result.json"))
        report_path = write_report(document, report_out or db.with_suffix(".report.html"), store.snapshots)
    finally:
        store.close()
    print(f"database:  {db.resolve()}")
    print(f"snapshots: {snapshot_dir_for(db).resolve()}")
    print(f"result:    {json_path.resolve()}")
    print(f"report:    {report_path.resolve()}")


@app.command()
def report(db: Path = DB_OPT, run: Optional[str] = typer.Option(None, "--run", help="run id (default: the newest)"),
           json_out: Optional[Path] = typer.Option(None, "--json", help="result document path"),
           report_out: Optional[Path] = typer.Option(None, "--report", help="HTML report path"),
           from_json: Optional[Path] = typer.Option(None, "--from-json",
                                                    help="render a saved result document instead (no database read; "
                                                         "screenshots from --db's snapshot folder when it exists)")):
    """Write the JSON result and HTML report of a stored run again, without crawling; or, with --from-json,
    re-render the report of a saved result document exactly as it was.

    Example: egov-audit report --db city.db --run 20261122T101500Z-1a2b3c --report city.html
    """
    if from_json is None:
        from egov_audit.judge.rules import load_rules
        load_rules()   # the report shows the rules' titles and advice: a bad rule is answered first, in one line
        _write_outputs(db, run, json_out, report_out)
        return
    # from a saved document: it holds every title and piece of advice itself, so the rules are not read
    import json

    import jsonschema

    from egov_audit.app.result import validate_result
    from egov_audit.store.snapshots import SnapshotStore
    from reports.html import write_report
    try:
        document = json.loads(from_json.read_text(encoding="utf-8"))
        validate_result(document)
    except (OSError, ValueError, jsonschema.ValidationError) as exc:
        fail(f"{from_json}: not a result document ({getattr(exc, 'message', exc)})")
    folder = snapshot_dir_for(db)
    path = write_report(document, report_out or from_json.with_suffix(".html"),
                        SnapshotStore(folder) if folder.is_dir() else None)
    print(f"report:    {path.resolve()}")


@app.command()
def evaluate(db: Path = DB_OPT, run: Optional[str] = typer.Option(None, "--run", help="run id (default: the newest)"),
             audit_date: Optional[str] = DATE_OPT,
             edition: Optional[str] = typer.Option(None, "--edition", help="scored profile of rules/editions.yaml (default: its `default`)"),
             json_out: Optional[Path] = typer.Option(None, "--json", help="also write the result document here"),
             report_out: Optional[Path] = typer.Option(None, "--report", help="also write the HTML report here")):
    """Judge a stored run again with the current rules, offline (no network), and store the verdicts.

    Example: egov-audit evaluate --db city.db --run 20261122T101500Z-1a2b3c --audit-date 2026-11-22
    """
    summary = _evaluate(db, run, audit_date, edition)
    if json_out or report_out:
        _write_outputs(db, summary["run_id"], json_out, report_out)


rules_app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                        help="The indicator catalogue: list, show, check and test rules, generate the docs.")
app.add_typer(rules_app, name="rules")


@rules_app.command("list")
def rules_list(criterion: Optional[str] = typer.Option(None, "--criterion", help="only this criterion")):
    """List every rule: UN code, id, automation, title.

    Example: egov-audit rules list --criterion participation-engagement
    """
    from egov_audit.editions import display_code
    from egov_audit.judge.rules import load_rules
    for r in load_rules():   # a bad rule file: one line and exit 2 (main() answers every RuleError so)
        if criterion and r.criterion != criterion:
            continue
        code = display_code(r.codes, fallback="suppl.")
        print(f"{code:<8}\t{r.id:<40}\t{r.automation:<9}\t{r.title}")


@rules_app.command("show")
def rules_show(rule_id: str = typer.Argument(..., help="a rule id, e.g. participatory-budgeting")):
    """Print one rule file (definition, checks, keywords).

    Example: egov-audit rules show participatory-budgeting
    """
    from egov_audit.judge.rules import load_rule, rule_files
    for path in rule_files():
        if path.stem == rule_id:
            load_rule(path)   # a rule that does not validate is answered with what is wrong, not printed as if usable
            print(f"# {path}")
            print(path.read_text(encoding="utf-8"))
            return
    fail(f"no rule '{rule_id}'")


@rules_app.command("check")
def rules_check(rules: Optional[Path] = RULES_OPT):
    """Validate every rule file: schema, check names, each check's declared options (names, types, allowed values).

    Prints every problem as file:line: what is wrong (and what is allowed); exit code 2 if there is any.

    Example: egov-audit rules check --rules my-rules/
    """
    from egov_audit.judge.rules import check_rules, rule_files
    from egov_audit.paths import RULES_DIR
    folder = rules or RULES_DIR
    if not folder.is_dir():
        fail(f"{folder} is not a folder of rules (rules/<criterion>/<id>.yaml)")
    good, problems = check_rules(folder)
    for problem in problems:
        print(problem, file=sys.stderr)
    files = len(rule_files(folder))
    if problems:
        print(f"{len(problems)} problems in {files - len(good)} of {files} rule files", file=sys.stderr)
        raise typer.Exit(2)
    print(f"{files} rule files in {folder}: all valid")


@rules_app.command("test")
def rules_test(rule_id: str = typer.Argument(..., help="a rule id, e.g. participatory-budgeting"),
               rules: Optional[Path] = RULES_OPT,
               cases: Optional[Path] = typer.Option(None, "--cases", help="folder of rule-case files (default: "
                                                    "fixtures/rules/, or $EGOV_RULE_CASES_DIR)")):
    """Run one rule's cases (its page fixtures, offline) and the meta checks for it (tested both ways).

    Exit code 1 when a case or a meta check fails, 2 when the rules do not load.

    Example: egov-audit rules test participatory-budgeting
    """
    from egov_audit.judge.rulecases import CASES_DIR, case_kinds, coverage_problem, run_cases
    from egov_audit.judge.rules import load_data, load_rules
    from egov_audit.paths import RULES_DIR
    folder, cases_dir = rules or RULES_DIR, cases or CASES_DIR
    catalogue = {r.id: r for r in load_rules(folder)}
    rule = catalogue.get(rule_id)
    if rule is None:
        fail(f"no rule '{rule_id}' in {folder}")
    case_file = cases_dir / f"{rule_id}.yaml"
    problems = []
    if case_file.exists():
        results = run_cases(case_file, catalogue, load_data(folder))
        for r in results:
            print(f"{'ok  ' if r.ok else 'FAIL'} {r.name}: expected {r.expect}, got {r.got}"
                  + ("" if r.ok else f" ({' '.join(r.reason.split())[:200]})"))
        problems += [f"case '{r.name}' expected {r.expect}, got {r.got}" for r in results if not r.ok]
    elif rule.automation != "manual":
        problems.append(f"no rule cases: write {case_file}")
    covered = coverage_problem(rule, case_kinds(catalogue, cases_dir).get(rule_id, set()))
    if covered and case_file.exists():
        problems.append(covered)
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    if problems:
        raise typer.Exit(1)
    print(f"{rule_id}: every case passes and the rule is tested both ways")


@rules_app.command("docs")
def rules_docs(write: bool = typer.Option(False, "--write", help="write docs/indicators.md, docs/rules.md and docs/lexicon.md "
                                                                 "instead of printing the first")):
    """Generate the indicator catalogue page (docs/indicators.md) from rules/ and the rule author's reference
    (docs/rules.md) from the checks' own docstrings and option declarations, and the lexicon's coverage table
    (docs/lexicon.md: concept × language term counts) from rules/_lexicon/.

    Example: egov-audit rules docs --write
    """
    from egov_audit.judge import catalogue_doc, lexicon_doc, rules_doc
    text = catalogue_doc.current()
    if write:
        catalogue_doc.DOC_PATH.write_text(text, encoding="utf-8")
        rules_doc.DOC_PATH.write_text(rules_doc.current(), encoding="utf-8")
        lexicon_doc.DOC_PATH.write_text(lexicon_doc.current(), encoding="utf-8")
        print(f"wrote {catalogue_doc.DOC_PATH}, {rules_doc.DOC_PATH} and {lexicon_doc.DOC_PATH}")
    else:
        print(text)


@app.command()
def runs(db: Path = DB_OPT):
    """List the runs in an audit DB, newest first.

    Example: egov-audit runs --db city.db
    """
    from egov_audit.store.db import Store
    store = Store(db)
    for run in store.runs():
        print("\t".join("" if v is None else str(v)
                        for v in (run.id, run.portal, run.status, run.pages_crawled, run.started, run.finished)))
    store.close()


@app.command()
def demo(out: Path = typer.Option(Path("demo-output"), "--out", help="folder for audit.db, result and report"),
         render: str = RENDER_OPT):
    """Serve the bundled demo portal on 127.0.0.1 and audit it end to end.

    Example: egov-audit demo --out demo-output
    """
    from egov_audit.app import fixtureserver
    try:
        # the same address every time when it is free, so runs of the demo are one portal's history (diff works)
        site = fixtureserver.start(FIXTURES_DIR / "demo-city", DEMO_PORT)
    except OSError:
        site = fixtureserver.start(FIXTURES_DIR / "demo-city")
    try:
        console.print(f"serving the demo portal at {site.url('/')}")
        out.mkdir(parents=True, exist_ok=True)
        db = out / "audit.db"
        # A fresh process per crawl (Twisted's reactor runs once per process); the server stays in this one.
        cmd = [sys.executable, "-m", "egov_audit.app.cli", "audit", site.url("/"), "--db", str(db), "--fast",
               "--fresh", "--render", render, "--json", str(out / "result.json"), "--report", str(out / "report.html")]
        code = subprocess.call(cmd)
    finally:
        site.stop()
    raise typer.Exit(code)


@app.command("serve-fixture")
def serve_fixture(site: str = typer.Argument("demo-city", help="a folder under fixtures/sites/"),
                  port: int = typer.Option(0, "--port")):
    """Serve a fixture portal on loopback until Ctrl-C (for trying the crawler by hand).

    Example: egov-audit serve-fixture demo-city --port 8800
    """
    from egov_audit.app import fixtureserver
    running = fixtureserver.start(FIXTURES_DIR / site, port)
    for name in running.hosts:
        print(f"{name}: {running.origin(name)}/", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        running.stop()


from egov_audit.app.commands import register_all  # noqa: E402  (commands in their own modules)

register_all(app)


def main():
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    from egov_audit.judge.rules import RuleError
    try:
        app()
    except RuleError as exc:   # any command that loads rules: a bad rule is one line naming file and line, exit 2
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
