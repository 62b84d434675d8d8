# certpick: the two commands of the README.
#   make demo    build, then tell the whole story on a throwaway PKI
#   make check   build, then run every test (ends with "N passed, N failed")
# Both install missing Debian packages first (as root), or print the command.

PREFIX ?= /usr/local
DESTDIR ?=
MESON ?= meson
NINJA ?= ninja
FUZZ_SECONDS ?= 600

.PHONY: all build deps deps-check demo check check-valgrind fuzz install clean

all: build

deps:
	@scripts/deps.sh build

deps-check:
	@scripts/deps.sh check

# The build globs its folders; reconfigure when the set of files changes.
GLOBSTAMP = $(shell ls src/lib src/cli tests/unit fuzz docs/cli 2>/dev/null | cksum | cut -d' ' -f1)
define reconf
	@if [ "$$(cat $(1)/.globstamp 2>/dev/null)" != "$(GLOBSTAMP)" ]; then \
		$(MESON) setup --reconfigure $(1) >/dev/null && echo $(GLOBSTAMP) >$(1)/.globstamp; fi
endef

build/build.ninja:
	$(MESON) setup build --prefix=$(PREFIX) >/dev/null

build: deps build/build.ninja
	$(call reconf,build)
	@$(NINJA) -C build >/dev/null || $(NINJA) -C build

build-asan/build.ninja:
	CC=clang $(MESON) setup build-asan -Dtests=enabled -Dsanitize=address,undefined -Db_lundef=false >/dev/null

build-fuzz/build.ninja:
	CC=clang $(MESON) setup build-fuzz -Dtests=enabled -Dfuzz=true -Dsanitize=address,undefined -Db_lundef=false >/dev/null

# `make demo` configures build/ before the test packages are installed (tests=auto finds no
# cmocka and builds no unit test); `make check` requires them, so a missing one is an error.
define tests_on
	@if [ ! -f $(1)/.tests-enabled ]; then \
		$(MESON) configure $(1) -Dtests=enabled >/dev/null && touch $(1)/.tests-enabled; fi
endef

demo: build
	@build/certpick demo

check: deps-check build/build.ninja build-asan/build.ninja build-fuzz/build.ninja
	$(call tests_on,build)
	$(call reconf,build)
	$(call reconf,build-asan)
	$(call reconf,build-fuzz)
	@$(NINJA) -C build >/dev/null || $(NINJA) -C build
	@$(NINJA) -C build-asan >/dev/null || $(NINJA) -C build-asan
	@$(NINJA) -C build-fuzz >/dev/null || $(NINJA) -C build-fuzz
	@tests/run-all.sh

check-valgrind: deps-check build
	@CERTPICK_VALGRIND=1 tests/run-all.sh integration

fuzz: deps-check build-fuzz/build.ninja
	$(call reconf,build-fuzz)
	@$(NINJA) -C build-fuzz >/dev/null
	@FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run.sh long

install: build
	@$(MESON) configure build --prefix=$(PREFIX) >/dev/null
	@$(NINJA) -C build >/dev/null
	DESTDIR=$(DESTDIR) $(MESON) install -C build --no-rebuild --quiet

clean:
	rm -rf build build-asan build-fuzz
