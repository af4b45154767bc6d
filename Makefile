VENV ?= .venv
PY := $(VENV)/bin/python
.PHONY: setup demo test
setup: .setup-stamp
.setup-stamp: pyproject.toml
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)
	command -v redis-server >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server)
	python3 -m venv $(VENV)
	$(PY) -m pip install -q -e ".[ui,dev,distributed]"
	touch .setup-stamp
demo: setup
	$(VENV)/bin/egov-audit demo --out demo-output
test: setup
	$(PY) -m pytest -q
