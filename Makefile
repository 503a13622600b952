# Two commands on a fresh machine: `make run` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint install dev chromium clean messages docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

dev: $(VENV)/.installed-dev

## run: install, create or migrate the embedded SQLite database with the demo, and serve on http://$(HOST):$(PORT)
run: install
	$(BIN)/redress init --demo
	$(BIN)/redress serve --host $(HOST) --port $(PORT)

## chromium: the system Chromium the browser tests drive (Debian's package; never a browser download), and a
## Devanagari font so Nepali pages render. Installed when missing on a Debian-like machine run as root;
## otherwise those tests skip (no Chromium) or Nepali shows as boxes (no font), and this says so.
chromium:
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="chromium"; \
	[ -d /usr/share/fonts/truetype/lohit-devanagari ] || missing="$$missing fonts-lohit-deva"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null 2>&1 || \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; } || \
	    echo "note: could not install$$missing; browser tests may be skipped"; \
	  else echo "note: not installed:$$missing (needs root and apt-get); browser tests may be skipped"; fi; \
	fi

## test: install test tools, lint, check the layer contract, and run the whole suite
test: dev chromium
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports

## messages: extract every say(language, "...") text into the template and update each language's catalogue
messages: dev
	$(BIN)/pybabel extract -k say:2 -k Figure:2 --no-default-keywords --no-location --sort-output --project=OpenRedress \
		--version=0.1 --msgid-bugs-address=none -o core/locale/messages.pot core intake routing escalation surveys channels dashboards app
	$(BIN)/pybabel update -i core/locale/messages.pot -d core/locale -D messages --no-fuzzy-matching \
		--ignore-obsolete --width=120

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache

## docs: write docs/kpis.md from the figures' registry (dashboards/figures.py); a test fails when it is stale
docs: install
	$(BIN)/python -c "from dashboards.figures import markdown; open('docs/kpis.md', 'w').write(markdown())"
