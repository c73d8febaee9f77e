# make run  - install, migrate the SQLite file, create the local user once, serve on :8000
# make check - the inner loop, under 2 minutes: ruff, mypy --strict and the tests not marked
#              slow, on SQLite only (FOLLOWUP_TEST_BACKENDS=sqlite, read by tests/conftest.py)
# make test - lint, type-check, lint the Dockerfile, run the tests with coverage (what CI runs:
#             both databases, slow tests included: among them Redocly and Spectral on
#             openapi/openapi.json, pinned in openapi/lint)
# make bench - the benchmark suite (not part of make test): writes docs/benchmarks.md

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTHON ?= python3

.PHONY: venv lint check test run bench openapi clean

# Re-installs whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict app
	PYTHONPATH=tests $(BIN)/lint-imports
	$(BIN)/hadolint --failure-threshold warning Dockerfile

# What it leaves to make test: hadolint, coverage, the Postgres half and the tests marked
# slow (servers in subprocesses, the browser, generated clients, the OpenAPI linters, fuzzing,
# property searches).
# The fuzz module is not even collected: it loads the schema and parametrizes every
# operation at import, seconds of the budget for tests that are deselected anyway.
check: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict app
	FOLLOWUP_TEST_BACKENDS=sqlite $(BIN)/pytest -q -m 'not slow' --ignore=tests/test_fuzz.py

# Both backends named, so that a FOLLOWUP_TEST_BACKENDS left in the shell cannot narrow it.
test: lint
	$(BIN)/coverage erase
	FOLLOWUP_TEST_BACKENDS=sqlite,postgres $(BIN)/pytest --cov=app --cov-branch --cov-report=term
	$(BIN)/coverage report --include='app/rules/*' --fail-under=100
	$(BIN)/coverage report --include='app/mail/classifier/*' --fail-under=100

run: venv
	$(BIN)/alembic upgrade head
	$(BIN)/followup users local
	@echo
	@$(BIN)/python -c 'from app.core.config import get_settings as g; s = g(); print(f"Serving on http://{s.host}:{s.port} - open http://{s.host}:{s.port}/docs (Ctrl-C stops)")'
	$(BIN)/followup serve

bench: venv
	$(BIN)/python -m bench.run $(BENCH_ARGS)

openapi: venv
	$(BIN)/followup openapi > openapi/openapi.json

clean:
	rm -rf $(VENV) .coverage .pytest_cache .mypy_cache .ruff_cache
