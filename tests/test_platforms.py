"""Platform signatures (rules/_data/platforms.yaml) against the platforms-lab fixture, served on loopback."""
import urllib.request

import pytest
import yaml

from checks.platforms import detect, feature_shown
from egov_audit.app import fixtureserver
from egov_audit.page.model import Page
from egov_audit.paths import FIXTURES_DIR
from egov_audit.judge.rules import load_data

LAB = FIXTURES_DIR / "platforms-lab"
EXPECTED = yaml.safe_load((LAB / "expected-platforms.yaml").read_text(encoding="utf-8"))["pages"]


@pytest.fixture(scope="module")
def lab():
    site = fixtureserver.start(LAB)
    yield site
    site.stop()


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_signature(lab, path):
    want = EXPECTED[path]
    url = lab.url(path)
    with urllib.request.urlopen(url, timeout=10) as response:
        headers = {k.lower(): v for k, v in response.headers.items()}
        html = response.read().decode("utf-8")
    page = Page({"url": url, "kind": "html", "headers": __import__("json").dumps(headers)}, html)
    table = load_data()["platforms"]
    found = [pid for pid, *_ in detect(page, table)]
    assert found == want["platforms"]
    if want.get("feature"):
        assert feature_shown(page, table, found[0], want["feature"])
