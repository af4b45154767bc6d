"""One crawl-options type: every entry point (CLI, batch, monitor, spider, Scrapy settings) takes its defaults from it."""
from __future__ import annotations

import inspect
from dataclasses import fields

import pytest
import typer.main

from crawler import settings as crawl_settings
from crawler.options import DEFAULTS, MB, POLITE_DELAY, CrawlOptions
from crawler.spiders.portal import PortalSpider
from egov_audit.app.batch import BatchOptions
from egov_audit.app.cli import app

# CLI option name → CrawlOptions field
OPTION_FIELDS = {"max_pages": "max_pages", "max_depth": "max_depth", "satellite_pages": "satellite_pages",
                 "max_external": "max_external", "render": "render", "fast": "fast", "delay": "delay",
                 "timeout": "timeout", "max_size_mb": "max_size_mb", "axe_pages": "axe_pages",
                 "w3c_and_engines": "w3c_and_engines"}


def command_defaults(name: str) -> dict:
    command = typer.main.get_command(app).commands[name]
    return {p.name: p.default for p in command.params if p.name in OPTION_FIELDS}


@pytest.mark.parametrize("name, expected", [("crawl", 11), ("audit", 11), ("batch", 8), ("monitor", 7)])
def test_cli_defaults_are_the_crawl_options_defaults(name, expected):
    defaults = command_defaults(name)
    assert len(defaults) == expected, f"{name} lost or gained crawl options: {sorted(defaults)}"
    for option, value in defaults.items():
        assert value == getattr(DEFAULTS, OPTION_FIELDS[option]), f"{name} --{option}: {value!r}"


def test_batch_defaults_are_the_crawl_options_defaults():
    crawl_fields = {f.name for f in fields(CrawlOptions)}
    shared = [f for f in fields(BatchOptions) if f.name in crawl_fields - {"db"}]
    assert len(shared) == 9
    for f in shared:
        assert f.default == getattr(DEFAULTS, f.name), f.name


def test_spider_and_settings_defaults_are_the_crawl_options_defaults():
    signature = inspect.signature(PortalSpider.__init__)
    for name in ("max_pages", "max_depth", "satellite_pages", "max_external", "render", "axe_pages"):
        assert signature.parameters[name].default == getattr(DEFAULTS, name), name
    built = crawl_settings.build_settings({"db": "x.db", "run_id": "r"})
    assert built["DOWNLOAD_TIMEOUT"] == DEFAULTS.timeout
    assert built["DOWNLOAD_MAXSIZE"] == DEFAULTS.max_size_mb * MB
    assert built["DOWNLOAD_DELAY"] == POLITE_DELAY
    assert built["PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT"] == DEFAULTS.timeout * 1000
    # an option given overrides the default
    faster = crawl_settings.build_settings({"db": "x.db", "run_id": "r", "timeout": 7, "delay": 0.1,
                                            "max_size_mb": 2, "render": "never"})
    assert (faster["DOWNLOAD_TIMEOUT"], faster["DOWNLOAD_DELAY"], faster["DOWNLOAD_MAXSIZE"]) == (7, 0.1, 2 * MB)
    assert "DOWNLOAD_HANDLERS" not in faster


def test_a_bad_render_mode_is_refused_by_the_type():
    with pytest.raises(ValueError, match="render must be auto, always or never"):
        CrawlOptions(start_url="http://127.0.0.1/", render="sometimes")
