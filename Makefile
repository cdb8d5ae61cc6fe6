# ha-router: build, test, package and demo. `make test` and `make demo` work on a fresh Debian
# machine as root: they install what they need first (scripts/deps.sh).

VERSION := $(shell node -p "require('./package.json').version" 2>/dev/null)
export PATH := $(CURDIR)/.cache/bin:$(CURDIR)/node_modules/.bin:$(PATH)
VITEST := vitest run --reporter=default

.PHONY: all deps build typecheck test test-unit test-runtime test-package test-e2e bench demo ipk clean

all: build

deps:
	@sh scripts/deps.sh

build: deps
	@node scripts/build.mjs

typecheck: deps
	@tsc --noEmit -p . && tsc --noEmit -p test

# Unit tests run under Node; runtime, package and e2e tests run the built bundle on real tjs.
# The e2e scenarios (0.1 s VRRP adverts on a real kernel) run one file at a time, after the rest,
# so they do not compete for the two cores with the other suites.
REPORTS := .cache/reports
test: build typecheck
	@rm -rf $(REPORTS); mkdir -p $(REPORTS)
	@$(VITEST) --dir test --exclude '**/e2e/**' --reporter=default --reporter=json --outputFile.json=$(REPORTS)/main.json; \
	a=$$?; $(VITEST) --dir test/e2e --no-file-parallelism --reporter=default --reporter=json --outputFile.json=$(REPORTS)/e2e.json; \
	b=$$?; node scripts/test-summary.mjs $(REPORTS)/main.json $(REPORTS)/e2e.json && [ $$a = 0 ] && [ $$b = 0 ]

test-unit: deps
	@$(VITEST) --dir test/unit

test-runtime: build
	@$(VITEST) --dir test/runtime

test-package: ipk
	@$(VITEST) --dir test/package

test-e2e: build
	@$(VITEST) --dir test/e2e --no-file-parallelism

ipk: build
	@sh scripts/build-ipk.sh $(VERSION)

bench: build
	@node test/bench/run.mjs

demo: build
	@sh scripts/demo.sh

clean:
	rm -rf dist
