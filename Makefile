# Bourse: `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash
UV ?= uv
OPS ?= 1000000

.PHONY: help bootstrap lint typecheck test test-fast web-build web-test bench bench-b bench-e2e bench-http profile-e2e bench-sql

help: ## list the targets
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

bootstrap: ## install uv, the locked environment, Node.js + npm deps + Chromium (idempotent)
	@scripts/bootstrap.sh

lint: bootstrap ## ruff; the terminal's eslint and tsc (servers/web-terminal)
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	@scripts/web-terminal.sh lint

# mypy runs per workspace member: mypy names a test module by its file name, and members'
# tests share names (conftest, test_api). Within a member: one tests/conftest.py, and no
# file name in both tests/unit/ and tests/integration/.
MEMBERS = $(sort $(dir $(wildcard exchange/*/pyproject.toml libs/*/pyproject.toml servers/services/*/pyproject.toml bench/pyproject.toml)))

typecheck: bootstrap ## mypy (strict), one workspace member at a time
	@set -e; for member in $(MEMBERS); do echo "mypy $$member"; $(UV) run mypy $$member; done
	$(UV) run mypy scripts tests

test: lint typecheck web-test ## everything: lint, types, the terminal's unit tests, the whole test suite
	$(UV) run pytest

web-build: bootstrap ## build the browser terminal (servers/web-terminal/dist; make up does it too)
	@scripts/web-terminal.sh build

web-test: bootstrap ## the browser terminal's unit tests (Vitest; its Playwright specs run in pytest's e2e)
	@scripts/web-terminal.sh test

test-fast: bootstrap ## the test suite without lint and types
	$(UV) run pytest -q

bench: bootstrap ## matching-engine benchmark, workload a, vs every installed peer (OPS=...)
	$(UV) run python -m bourse.bench.engine --workload a --ops $(OPS)

bench-b: bootstrap ## matching-engine benchmark, workload b (exchange-core's mix)
	$(UV) run python -m bourse.bench.engine --workload b --ops $(OPS)

RATE ?= 1000
SECONDS ?= 20
READS ?= order
BATCH ?= 1
# who sends single orders: wrk (little CPU: the cores go to the stack) or python
GENERATOR ?= $(if $(filter 1,$(BATCH)),wrk,python)
bench-e2e: ## load through nginx (needs make up): crossing orders at RATE/s for SECONDS, BATCH per request (GENERATOR=wrk|python)
	$(UV) run python -m bourse.bench.e2e --rate $(RATE) --seconds $(SECONDS) --batch $(BATCH) --generator $(GENERATOR)

bench-sql: bootstrap ## CPU of one transaction: SQLAlchemy session / Core / asyncpg (needs PostgreSQL)
	$(UV) run python -m bourse.bench.sql

PROFILE_RATE ?= 20
profile-e2e: ## (needs make up) bench-e2e's load with every service sampled: CPU by layer, SQL per order
	$(UV) run python -m bourse.bench.profile_e2e --rate $(PROFILE_RATE) --seconds $(SECONDS)

bench-http: ## CPU per authenticated read through nginx, no messaging (needs make up; READS=order,account,...)
	$(UV) run python -m bourse.bench.http --seconds $(SECONDS) --reads $(READS)

CLIENTS ?= 1000
bench-portfolio: bootstrap ## 1,000 WebSocket clients on portfolio-service, price ticks: p99 delay, memory/conn
	$(UV) run python -m bourse.bench.portfolio_ws --clients $(CLIENTS) --seconds $(SECONDS)

bench-feed: ## (needs make up) trade -> /ws/portfolio update through nginx, CLIENTS sockets
	$(UV) run python -m bourse.bench.feed --clients $(CLIENTS) --seconds $(SECONDS)

MARKET_RATE ?= 200
GATEWAY ?= http://127.0.0.1:8080
bench-market: ## (needs make up) CLIENTS /ws/market clients on 20 symbols during bench-e2e's orders at MARKET_RATE/s
	$(UV) run python -m bourse.bench.market --base-url $(GATEWAY) --clients $(CLIENTS) --rate $(MARKET_RATE) --seconds $(SECONDS)

.PHONY: up down reset ps logs bench-portfolio bench-feed bench-market

up: ## run the whole stack behind nginx on http://127.0.0.1:8080 (ADOPT=1: see make reset)
	@ADOPT=$(ADOPT) scripts/up.sh

reset: bootstrap ## (stack down) drop the dev databases, queued messages and var/exchange
	@.venv/bin/python scripts/stack.py reset

down: ## stop the stack (PostgreSQL and RabbitMQ keep running)
	@scripts/down.sh

ps: ## status of the stack's programs
	@if [ -S var/supervisor/supervisor.sock ]; then .venv/bin/supervisorctl -c var/supervisor/supervisord.conf status || true; else echo "the stack is not running (make up)"; fi

logs: ## follow the stack's logs (var/log, var/nginx/logs)
	@tail -n 20 -F var/log/*.log var/nginx/logs/*.log
