# Two commands for a fresh machine (see README):
#   make book   set up .venv from requirements.txt, fetch the pinned browser assets, build the HTML book
#   make test   set up .venv if needed and run every test
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
COLAB  := $(VENV)/colab-stack/.installed
PYTEST := $(BIN)/python -m pytest

.PHONY: book test regenerate lint clean assets browser

$(STAMP): requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; the book needs Python 3.11 (make PYTHON=/path/to/python3.11 ...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# Colab's versions (tests/colab-stack.txt), layered over .venv for tests/test_notebooks_colab_stack.py
$(COLAB): tests/colab-stack.txt $(STAMP)
	rm -rf $(VENV)/colab-stack
	$(BIN)/python -m pip install --quiet --no-deps --target $(VENV)/colab-stack -r tests/colab-stack.txt
	touch $@

# Pinned widget and math scripts (vendor/package-lock.json) served by the book itself
assets:
	$(PYTHON) scripts/vendor_assets.py

# Debian's chromium for the browser test (skips, saying why, where it cannot be installed)
browser:
	scripts/install_browser.sh

book: $(STAMP) assets
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "Open _build/html/index.html in a browser."

test: $(STAMP) $(COLAB) assets browser
	$(PYTEST) -n 2 --dist loadfile --nbval --nbval-current-env \
	    --nbval-sanitize-with tests/nbval_sanitize.cfg

regenerate: $(STAMP)
	$(BIN)/python scripts/regenerate.py

lint: $(STAMP)
	$(BIN)/ruff check helpers tests scripts bench book
	$(BIN)/ruff check --line-length 79 --select E501 book/*.ipynb

clean:
	rm -rf _build
