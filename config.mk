# bk build configuration: edit to suit, or override on the make command line.
VERSION = 0.1.0

PREFIX = /usr/local
MANPREFIX = $(PREFIX)/share/man
DESTDIR =

CC = cc
PKG_CONFIG = pkg-config
PKGS = libmongoc-1.0 libbson-1.0 libcurl openssl zlib libzstd

CPPFLAGS = -D_GNU_SOURCE -pthread
CFLAGS = -std=c11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-missing-field-initializers
LDFLAGS = -Wl,--as-needed -pthread

# make SAN=1: AddressSanitizer + UndefinedBehaviorSanitizer build.
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
# make FUZZ=1 CC=clang: instrumented for libFuzzer (make fuzz).
FUZZFLAGS = -fsanitize=fuzzer-no-link $(SANFLAGS)
