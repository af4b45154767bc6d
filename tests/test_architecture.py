"""The layers of ARCHITECTURE.md, held against the code: a module may import only the layers below it."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("egov_audit", "crawler", "checks", "reports")

# layer → the layers it may import (besides itself). `base` is egov_audit/__init__.py, paths.py and outcomes.py.
ALLOWED = {
    "base": set(),
    "html": {"base"},
    "store": {"base"},
    "page": {"base", "html", "store"},
    "checks": {"base", "html"},
    "judge": {"base", "html", "page", "store", "checks"},
    "crawler": {"base", "html", "store"},
    "reports": {"base", "html", "store", "judge"},
    "app": {"base", "html", "page", "store", "checks", "judge", "crawler", "reports"},
}


def layer_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "egov_audit":
        return parts[0]
    if len(parts) == 1 or not (ROOT / "egov_audit" / parts[1]).is_dir():   # paths.py, __init__.py, __version__
        return "base"
    return parts[1]


def imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            yield node.lineno, names[0] if node.module != "egov_audit" else names[1]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name


def forbidden_imports() -> list[str]:
    problems = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            own = layer_of(module)
            assert own in ALLOWED, f"{path}: layer '{own}' is not in ARCHITECTURE.md"
            for line, target in imports(path):
                if target.split(".")[0] not in PACKAGES:
                    continue
                other = layer_of(target)
                if other != own and other not in ALLOWED[own]:
                    problems.append(f"{path.relative_to(ROOT)}:{line}: {own} imports {other} ({target})")
    return problems


def test_no_layer_imports_a_layer_above_it():
    assert forbidden_imports() == []


def test_the_rule_itself_catches_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from egov_audit.app.cli import main\nimport reports.html\n")
    found = [layer_of(t) for _, t in imports(bad)]
    assert found == ["app", "reports"]
    assert "app" not in ALLOWED["crawler"] and "reports" not in ALLOWED["store"]


def test_every_package_folder_is_a_known_layer():
    for folder in (ROOT / "egov_audit").iterdir():
        if folder.is_dir() and (folder / "__init__.py").exists():
            assert folder.name in ALLOWED, f"egov_audit/{folder.name} is not a layer of ARCHITECTURE.md"
