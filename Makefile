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
test: build typecheck
	@$(VITEST) --dir test

test-unit: deps
	@$(VITEST) --dir test/unit

test-runtime: build
	@$(VITEST) --dir test/runtime

test-package: ipk
	@$(VITEST) --dir test/package

test-e2e: build
	@$(VITEST) --dir test/e2e

ipk: build
	@sh scripts/build-ipk.sh $(VERSION)

bench: build
	@node test/bench/run.mjs

demo: build
	@sh scripts/demo.sh

clean:
	rm -rf dist
