# keyrotd: `make demo` shows keys rotating against the built-in emulator; `make test` runs every test.
SWIFT ?= swift

.PHONY: deps build release install demo test clean benchmark

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --static-swift-stdlib --product keyrotd

# Honours DESTDIR and PREFIX (default /usr/local).
install: release
	scripts/install.sh

demo: deps
	$(SWIFT) build --product keyrotd
	.build/debug/keyrotd demo

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	python3 Benchmarks/benchmark.py --bin .build/debug --quick

benchmark: deps
	$(SWIFT) build -c release --static-swift-stdlib
	python3 Benchmarks/benchmark.py --bin .build/release

clean:
	rm -rf .build keyrotd-demo
