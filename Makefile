# keyrotd: `make demo` shows keys rotating against the built-in emulator; `make test` runs every test.
SWIFT ?= swift

# The release daemon: the Swift runtime linked in; every function in its own section, so that lld
# can place the code the daemon runs together, in the order Linker/keyrotd.order lists it
# (scripts/link-order.py measures it) instead of spread over 30 MB of text, where the kernel maps
# 64 KB around every first touch; the 130,000 relative relocations packed (DT_RELR, glibc >= 2.36):
# 25 KB read at start instead of 3 MB; only what the dynamic linker needs exported (the static
# runtime's link arguments export every Swift symbol: 3.4 MB of symbol tables touched at start).
RELEASE = $(SWIFT) build -c release --static-swift-stdlib \
	-Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections \
	-Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs -Xlinker --no-export-dynamic \
	-Xlinker --symbol-ordering-file=$(CURDIR)/Linker/keyrotd.order -Xlinker --no-warn-symbol-ordering

.PHONY: deps test-deps build release install deb demo test clean benchmark link-order

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh test

build: deps
	$(SWIFT) build

release: deps
	$(RELEASE) --product keyrotd
	$(RELEASE) --product keyrotd-emulator

# Honours DESTDIR and PREFIX (default /usr/local).
install: release
	scripts/install.sh

# keyrotd_<version>_<arch>.deb in .build/deb, from the release build.
deb: release
	scripts/make-deb.sh

demo: deps
	$(SWIFT) build --product keyrotd
	$(SWIFT) build --product keyrotd-emulator
	.build/debug/keyrotd demo

test: test-deps
	$(SWIFT) format lint --strict --configuration .swift-format --recursive Sources Tests Benchmarks Package.swift
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	python3 Benchmarks/benchmark.py --bin .build/debug --quick

benchmark: deps
	$(RELEASE)
	python3 Benchmarks/benchmark.py --bin .build/release

# Remeasures Linker/keyrotd.order (root, about 15 minutes on this machine); see the script's header.
link-order: deps
	KEYROTD_RELEASE_BUILD='$(RELEASE)' python3 scripts/link-order.py

clean:
	rm -rf .build keyrotd-demo
