# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test lint format worker beat migrate clean fuzz faults load audit

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)
	$(PY) manage.py compile_catalogues

migrate: install
	$(PY) manage.py migrate --noinput

run: migrate
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver 127.0.0.1:8000

test: install
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(PY) -m pytest $(PYTEST_ARGS)

# Schemathesis alone: 50 examples per operation and caller (`make test` runs 15) plus the coverage phase.
fuzz: install
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-50} FUZZ_COVERAGE=$${FUZZ_COVERAGE:-1} DJANGO_ALLOW_ASYNC_UNSAFE=true $(PY) -m pytest -m fuzz tests/fuzz $(PYTEST_ARGS)

# Real-process fault tests (need DATABASE_URL on PostgreSQL and REDIS_URL; they also run in `make test`).
faults: install
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(PY) -m pytest -m faults tests/faults $(PYTEST_ARGS)

# 100 concurrent users against gunicorn + PostgreSQL (DATABASE_URL) for 60 s; prints figures, gates nothing.
load: install
	$(PY) bench/load.py $(LOAD_ARGS)

audit: install
	$(PY) .ci/audit.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

worker: install
	@test -n "$$REDIS_URL" || (echo "Set REDIS_URL (and DATABASE_URL) to run a Celery worker." && exit 2)
	$(VENV)/bin/celery -A crm worker --loglevel=info

beat: install
	@test -n "$$REDIS_URL" || (echo "Set REDIS_URL (and DATABASE_URL) to run celery beat." && exit 2)
	$(VENV)/bin/celery -A crm beat --loglevel=info

clean:
	rm -rf $(VENV) staticfiles db.sqlite3*
