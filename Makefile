# Two commands (see README): `make demo` and `make test`. Everything else is a helper.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: setup demo test lint bench profile dev demo-data dictionary mutation clean

$(BIN)/dagster: requirements.lock pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock 2>&1 | grep -v 'is ignored' || true
	@# pandas was in .venv before it moved to $(BASELINE_SITE); Pandera imports it when present.
	@$(BIN)/pip uninstall --yes --quiet pandas >/dev/null 2>&1 || true
	$(BIN)/python -c 'import dagster, duckdb, polars, pandera, fastexcel, openpyxl'
	touch $@

# pandas for the benchmark's naive baseline only, apart from the pipeline's environment
# (see the header of the lock file); the tests of the baseline import it from there too.
BASELINE_SITE := bench/.baseline-site
$(BASELINE_SITE)/.installed: bench/requirements-baseline.lock $(BIN)/dagster
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --require-hashes --upgrade --target $(BASELINE_SITE) -r bench/requirements-baseline.lock 2>&1 | grep -v 'is ignored' || true
	PYTHONPATH=$(BASELINE_SITE) $(BIN)/python -c 'import pandas'
	touch $@

setup: $(BIN)/dagster
	@# The repository on the venv's path: Dagster imports instance.storage (dagster.yaml)
	@# when it loads the instance, before it has added the working directory.
	@$(BIN)/python -c 'import pathlib, sysconfig; pathlib.Path(sysconfig.get_paths()["purelib"], "nazorg-repo.pth").write_text("$(CURDIR)\n")'
	@mkdir -p $(DAGSTER_HOME)
	@test -f $(DAGSTER_HOME)/dagster.yaml || cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

# The log of a run: info (what was read, rebuilt, published; where the results are), or
# debug for Dagster's full event stream: `make demo LOG=debug`.
LOG ?=
## 1. set up and run the nightly job on the committed demo data
demo: setup
	$(if $(LOG),NAZORG_LOG=$(LOG) )$(BIN)/python -m pipelines

## 2. set up and run the tests
test: setup $(BASELINE_SITE)/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -p no:cacheprovider

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

demo-data: setup
	$(BIN)/python -m nazorg.demo

# docs/data-dictionary.md from the comments of the demo warehouse (a test keeps it current)
dictionary: demo
	$(BIN)/python -m nazorg.dictionary --output docs/data-dictionary.md

REPEAT ?= 3
bench: setup $(BASELINE_SITE)/.installed
	$(BIN)/python -m bench.run --repeat $(REPEAT) --report BENCHMARKS.md --notes docs/benchmark-notes.md

profile: setup
	$(BIN)/python -m bench.run --profile bench/profile

# The UI (http://127.0.0.1:$(PORT)) and the daemon, as on a server: `make dev PORT=3001`.
PORT ?= 3000

# Mutation testing of the pure modules against their fast unit tests (docs/testing.md).
# Not in CI: it takes the better part of an hour. Results stay in mutants/ (ignored by git);
# a second run retests only the functions or tests that changed.
MUTATION_SCOPE := 'nazorg.bsn.*' 'nazorg.dates.*' 'nazorg.municipalities.*' 'nazorg.mkba.*' \
	$(foreach f,typed_column _type_by_distinct _blank_to_null _date_text _lower _kind_dtype \
	_constant_for_missing,'nazorg.ingest.columns.x_$(f)__mutmut_*')
MUTATION_CHILDREN ?= 2
mutation: setup
	POLARS_MAX_THREADS=1 $(BIN)/mutmut run --max-children $(MUTATION_CHILDREN) $(MUTATION_SCOPE) | tr '\r' '\n' | tail -n 3
	$(BIN)/python -m nazorg.mutation_score $(MUTATION_SCOPE)

dev: setup
	$(BIN)/python -m pipelines.dev --port $(PORT)

clean:
	rm -rf $(VENV) $(BASELINE_SITE) warehouse/*.duckdb warehouse/reports .dagster_home
