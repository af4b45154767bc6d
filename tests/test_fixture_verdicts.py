"""Each fixture portal (several languages, with traps) is crawled once and every expected verdict is checked."""
import pytest

from tests.support.fixturecheck import audit_fixture, fixture_sites


@pytest.mark.parametrize("site_dir", fixture_sites(), ids=lambda p: p.name)
def test_expected_verdicts(site_dir, tmp_path):
    comparisons = audit_fixture(site_dir, tmp_path)
    assert comparisons, "expected.yaml lists no verdicts"
    wrong = [f"{c.rule_id}: expected {c.expected}, got {c.got} ({c.reason[:120]}) {c.evidence_url}"
             for c in comparisons if not c.ok]
    assert not wrong, "\n".join(wrong)
