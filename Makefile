# keyrotd: `make demo` shows keys rotating against the built-in emulator; `make test` runs every test.
SWIFT ?= swift

.PHONY: deps build demo test clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

demo: deps
	$(SWIFT) build --product keyrotd
	.build/debug/keyrotd demo

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

clean:
	rm -rf .build keyrotd-demo
