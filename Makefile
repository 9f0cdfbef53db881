# apiscout — run `make help` for the targets.
SHELL := /bin/bash
GO ?= go
BIN := bin
export APISCOUT_TEST_REDIS_URL ?= redis://127.0.0.1:6379

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

.PHONY: build
build: ## Build the api, worker, scheduler, embedded-mode and CLI binaries into bin/.
	$(GO) build -o $(BIN)/api ./api
	$(GO) build -o $(BIN)/worker ./worker
	$(GO) build -o $(BIN)/scheduler ./scheduler
	$(GO) build -o $(BIN)/apiscout-dev ./cmd/apiscout-dev
	$(GO) build -o $(BIN)/apiscout ./cmd/apiscout

.PHONY: run
run: ## Run a complete apiscout on this machine: API, worker and scheduler (embedded Redis and FerretDB unless APISCOUT_REDIS_URL / APISCOUT_MONGO_URI are set).
	$(GO) run ./cmd/apiscout-dev

.PHONY: test
test: ## Run every test with the race detector (needs redis-server on 127.0.0.1:6379).
	@hp=$$(echo "$$APISCOUT_TEST_REDIS_URL" | sed -E 's#^[a-z]+://([^@/]*@)?([^/]+).*#\2#'); \
	(exec 3<>/dev/tcp/$${hp%:*}/$${hp##*:}) 2>/dev/null || { echo "make test: redis not reachable at $$hp; start one: redis-server --daemonize yes --port 6379 --save '' --appendonly no (or set APISCOUT_TEST_REDIS_URL)"; exit 1; }
	$(GO) test -race -count=1 -timeout 30m ./...

.PHONY: lint
lint: ## gofmt and go vet.
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

.PHONY: bench
bench: ## Measure apiscout against Newman, Postman's SDK, the raw store and redis-benchmark; writes bench/results/latest.md (minutes; not part of make test).
	./bench/run.sh

.PHONY: drills
drills: ## Fault drills on real processes: kill -9 a worker, restart redis-server, stop the database, API under load (minutes).
	$(GO) test -tags drills -count=1 -v -timeout 30m ./bench/drills/

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME each (default 30s; not in CI).
	@set -e; for pkg in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
	  for fn in $$(grep -h '^func Fuzz' $$pkg/*_test.go | sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/'); do \
	    echo "== $$pkg $$fn"; $(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $${FUZZTIME:-30s} $$pkg; \
	  done; \
	done

.PHONY: clean
clean: ## Remove build output and embedded-mode data.
	rm -rf $(BIN) data
