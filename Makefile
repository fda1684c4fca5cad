# gigscan: every target creates .venv itself, so a fresh clone needs only `make demo` / `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# The matchers compiled with mypyc (about twice as fast; see matchers/compiled.py). `make NATIVE=0 ...` skips
# the build (no C compiler): the matchers then run as Python, with the same verdicts.
NATIVE ?= 1
NATIVE_BUILD := matchers/_native/BUILT_FROM.json
ENGINE := $(if $(filter 1,$(NATIVE)),$(NATIVE_BUILD),)

.PHONY: demo test test-fast bench lint clean native

$(STAMP): pyproject.toml scripts/system_deps.sh
	bash scripts/system_deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,native]'
	touch $(STAMP)

$(NATIVE_BUILD): $(STAMP) $(wildcard matchers/*.py)
	$(BIN)/python scripts/build_native.py

native: $(NATIVE_BUILD)

demo: $(STAMP) $(ENGINE)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

test: $(STAMP) $(ENGINE)
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

test-fast: $(STAMP) $(ENGINE)
	$(BIN)/python -m pytest -n 2 -q -m "not slow"

bench: $(STAMP) $(ENGINE)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check gigscan crawler matchers db testbed bench tests scripts

clean:
	rm -rf $(VENV) demo-output .pytest_cache matchers/_native
