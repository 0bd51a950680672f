# bk - backups you can restore.  See README and bk(7).
.POSIX:
include config.mk

# Out-of-tree build directory: make O=build-asan SAN=1 builds a second copy.
O = build
SAN =

# Computed when make reads this file.  The targets that install the
# libraries first (demo, check) build through a second make, which reads
# the file again once the packages are there; a build without them stops
# with one line saying what to run.
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
NEEDS_LIBS := $(filter-out deps servers demo check fuzz lint clean uninstall,$(or $(MAKECMDGOALS),all))
ifneq ($(NEEDS_LIBS),)
ifeq ($(PKG_LIBS),)
$(error pkg-config finds no $(PKGS): run 'make deps' first (as root))
endif
endif
ifeq ($(SAN),1)
CFLAGS += $(SANFLAGS)
LDFLAGS += $(SANFLAGS)
endif
# make FUZZ=1 CC=clang: the library instrumented for libFuzzer, ASan, UBSan.
ifeq ($(FUZZ),1)
CFLAGS += $(FUZZFLAGS)
LDFLAGS += $(SANFLAGS)
endif
ALL_CFLAGS = $(CPPFLAGS) -Ilib $(PKG_CFLAGS) $(CFLAGS)

LIBSRC := $(sort $(wildcard lib/*.c lib/*/*.c))
LIBHDR := $(sort $(wildcard lib/*.h lib/*/*.h))
LIBOBJ := $(LIBSRC:%.c=$(O)/%.o)
TOOLSRC := $(sort $(wildcard tools/bk-*.c))
TOOLS := $(TOOLSRC:tools/%.c=$(O)/bin/%)
UNITSRC := $(sort $(wildcard tests/unit/test-*.c))
UNITS := $(UNITSRC:tests/unit/%.c=$(O)/tests/%)
FUZZSRC := $(sort $(wildcard tests/fuzz/fuzz-*.c))
FUZZERS := $(FUZZSRC:tests/fuzz/%.c=$(O)/fuzz/%)
MAN1 := $(sort $(wildcard man/*.1))
MAN5 := $(sort $(wildcard man/*.5))
MAN7 := $(sort $(wildcard man/*.7))
MAN8 := $(sort $(wildcard man/*.8))
EXAMPLES := $(sort $(filter-out examples/systemd,$(wildcard examples/*)))
SYSTEMD := $(sort $(wildcard examples/systemd/*))
SCRIPTS := $(sort $(wildcard scripts/*.sh))

all: $(TOOLS) $(UNITS)

$(O)/lib/%.o: lib/%.c $(LIBHDR) config.mk
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/lib/libbk.a: $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

$(O)/bin/%: tools/%.c $(O)/lib/libbk.a $(LIBHDR)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(O)/lib/libbk.a $(LDFLAGS) $(PKG_LIBS)

$(O)/tests/%: tests/unit/%.c tests/unit/unit.h $(O)/lib/libbk.a $(LIBHDR)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(O)/lib/libbk.a \
		$(LDFLAGS) $(PKG_LIBS)

$(O)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(O)/lib/libbk.a $(LIBHDR)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $< $(O)/lib/libbk.a \
		$(LDFLAGS) $(PKG_LIBS)

fuzzers: $(FUZZERS)

# libFuzzer targets for every parser of outside input (tests/fuzz/), built
# with clang into build-fuzz/ and run FUZZ_SECONDS each; make check runs
# them briefly.
FUZZ_SECONDS = 60
fuzz: deps
	$(MAKE) O=build-fuzz CC=clang FUZZ=1 fuzzers
	bash tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

# Debian packages, the test servers (built once, cached in ~/.cache/bk).
deps:
	sh tests/deps.sh

servers:
	sh tests/servers/build.sh all

# The whole gate: -Werror build, suite, suite again under ASan+UBSan,
# man-page lint, shellcheck.  Ends with "N passed, N failed".
check: deps
	bash tests/check.sh

# Only the test suite against the normal build (no sanitizers, no lint).
test: all servers
	bash tests/run.sh

# The suite with every tool (and unit test) under valgrind; slow.
check-valgrind: all servers
	EXEC="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite" \
		bash tests/run.sh

bench: all servers
	bash tests/bench/run.sh

# Hourly cycles compressed in time under random faults (tests/soak.sh);
# not part of check.  make soak SOAK_CYCLES=20 for a short one.
SOAK_CYCLES = 200
soak: all servers
	bash tests/soak.sh $(SOAK_CYCLES)

demo: deps
	$(MAKE) all
	bash scripts/bk-demo.sh

lint:
	mandoc -T lint -W warning $(MAN1) $(MAN5) $(MAN7) $(MAN8)
	shellcheck -x $(SCRIPTS) tests/*.sh tests/servers/*.sh tests/bench/*.sh \
		tests/fuzz/*.sh

install: $(TOOLS)
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANPREFIX)/man1 \
		$(DESTDIR)$(MANPREFIX)/man5 $(DESTDIR)$(MANPREFIX)/man7 \
		$(DESTDIR)$(MANPREFIX)/man8 $(DESTDIR)$(PREFIX)/share/bk/scripts \
		$(DESTDIR)$(PREFIX)/share/bk/examples/systemd
	cp -f $(TOOLS) $(DESTDIR)$(PREFIX)/bin/
	cp -f $(MAN1) $(DESTDIR)$(MANPREFIX)/man1/
	$(if $(MAN5),cp -f $(MAN5) $(DESTDIR)$(MANPREFIX)/man5/)
	cp -f $(MAN7) $(DESTDIR)$(MANPREFIX)/man7/
	$(if $(MAN8),cp -f $(MAN8) $(DESTDIR)$(MANPREFIX)/man8/)
	$(if $(SCRIPTS),cp -f $(SCRIPTS) $(DESTDIR)$(PREFIX)/share/bk/scripts/)
	$(if $(EXAMPLES),cp -f $(EXAMPLES) $(DESTDIR)$(PREFIX)/share/bk/examples/)
	$(if $(SYSTEMD),cp -f $(SYSTEMD) $(DESTDIR)$(PREFIX)/share/bk/examples/systemd/)

uninstall:
	rm -f $(TOOLS:$(O)/bin/%=$(DESTDIR)$(PREFIX)/bin/%)
	rm -f $(MAN1:man/%=$(DESTDIR)$(MANPREFIX)/man1/%)
	rm -f $(MAN5:man/%=$(DESTDIR)$(MANPREFIX)/man5/%)
	rm -f $(MAN7:man/%=$(DESTDIR)$(MANPREFIX)/man7/%)
	rm -f $(MAN8:man/%=$(DESTDIR)$(MANPREFIX)/man8/%)
	rm -rf $(DESTDIR)$(PREFIX)/share/bk

clean:
	rm -rf build build-*

.PHONY: all fuzzers fuzz deps servers check check-valgrind test bench demo lint install uninstall clean
