# kefu — two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench bench-voice chromium clean lock

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

# Debian's chromium drives the report tests through Playwright; never a downloaded browser.
# A CJK font, so screenshots of the Chinese report show characters, not boxes.
chromium:
	@{ command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi wenquanyi; } || { \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei) >/dev/null \
	  || { echo "could not install Debian's chromium and fonts-wqy-microhei (run as root, or install them yourself)"; exit 1; }; }

demo: $(STAMP)
	$(BIN)/kefu demo --workspace demo-workspace

lint: $(STAMP)
	$(BIN)/ruff check src tests reference bench
	$(BIN)/ruff format --check src tests reference bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) chromium
	$(BIN)/pytest --durations=25

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python bench/run.py

# The voice of the buyer: topic accuracy on the labelled sets, speed at 10M (docs/performance.md).
bench-voice: $(STAMP)
	$(BIN)/python bench/voice.py

# Re-pin every dependency (run after editing pyproject.toml's dependencies).
lock:
	rm -rf /tmp/kefu-lock && $(PYTHON) -m venv /tmp/kefu-lock
	/tmp/kefu-lock/bin/pip install -q ".[spark,dev]"
	/tmp/kefu-lock/bin/pip freeze --exclude-editable | grep -v '^kefu' > requirements.lock

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
