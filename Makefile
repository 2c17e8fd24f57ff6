# CRM chat agent — run `make help` for the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PY := .venv/bin/python
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
FRONTEND_SRC := $(shell find frontend/src frontend/index.html frontend/vite.config.* -type f 2>/dev/null)
export LANGGRAPH_CLI_NO_ANALYTICS := 1

.PHONY: help install system-deps run reset test lint format eval studio bench up seed

help: ## Show the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[1m%-14s\033[0m %s\n", $$1, $$2}'

.tools/bin/uv:
	python3 -m pip install --quiet --target .tools/lib uv==0.13.9
	mkdir -p .tools/bin && ln -sf ../lib/bin/uv .tools/bin/uv

.venv/.installed: pyproject.toml uv.lock | $(if $(findstring .tools,$(UV)),.tools/bin/uv)
	UV_PYTHON_DOWNLOADS=never $(UV) sync --frozen --python python3
	touch $@

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

frontend/dist/index.html: frontend/node_modules/.installed $(FRONTEND_SRC)
	cd frontend && npm run build

install: .venv/.installed $(if $(wildcard frontend/package.json),frontend/dist/index.html) ## Create .venv, install node modules, build the frontend (idempotent)

system-deps: ## Debian packages the tests need (PostgreSQL, Chromium, docker-compose): apt-get as root, else the command to run
	@scripts/system-deps.sh

seed: install ## Migrate both databases, seed demo leads and the demo user
	$(PY) -m agent_service.seed
	$(PY) django_proxy/manage.py migrate --noinput -v 0
	$(PY) django_proxy/manage.py ensure_demo_user

run: seed ## Start the agent service and the Django proxy (embedded defaults, offline model); prints the URL and login once both answer
	.venv/bin/honcho start -f Procfile

reset: install ## Restore the demo data: delete every lead, seed the demo leads again (services may be running)
	$(PY) -m agent_service.seed --reset

test: system-deps install ## Install what is missing (system packages too), then run every test suite (Python, frontend, offline eval gate)
	$(MAKE) --no-print-directory lint
	$(PY) -m pytest -q
	@if [ -f frontend/package.json ]; then cd frontend && npm test --silent; fi
	@if [ -f evals/__main__.py ]; then $(PY) -m evals --model offline --gate evals/baseline.json --json var/eval-offline.json; fi

lint: .venv/.installed frontend/node_modules/.installed ## ruff check and format check, ESLint on the frontend
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	cd frontend && npm run lint --silent

format: .venv/.installed ## ruff fix and format
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

eval: install ## Replay the recorded conversations with the offline model
	$(PY) -m evals --model offline --json var/eval-offline.json

studio: install ## LangGraph Studio's API server (langgraph dev) on the graph; model from CRM_MODEL, port STUDIO_PORT
	@port=$${STUDIO_PORT:-2024}; echo "LangGraph Studio: https://smith.langchain.com/studio/?baseUrl=http://127.0.0.1:$$port"; .venv/bin/langgraph dev --no-browser --no-reload --port $$port

bench: install ## Benchmarks; figures go to bench/results.json and bench/results.md
	$(PY) -m bench

up: ## Run the production stack with docker compose (needs a Docker engine)
	if docker compose version >/dev/null 2>&1; then docker compose up --build; else docker-compose up --build; fi
