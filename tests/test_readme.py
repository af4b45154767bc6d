"""Meta test: every CLI command is documented in the README, and the README opens with the two commands."""
import re

from egov_audit.app.cli import app
from egov_audit.paths import REPO_ROOT


def test_every_command_is_in_the_readme():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    names = [c.name or c.callback.__name__.replace("_", "-") for c in app.registered_commands]
    assert names
    for group in app.registered_groups:
        for command in group.typer_instance.registered_commands:
            names.append(f"{group.name} {command.name}")
    for name in names:
        assert f"### `egov-audit {name}" in readme, name


def test_readme_opens_with_the_two_commands():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^    (make \w+)", readme, re.M)[:2]
    assert commands == ["make demo", "make test"]
    assert "make test" in (REPO_ROOT / ".ci" / "run").read_text()
