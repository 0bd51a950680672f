#!/bin/bash
# make install honours DESTDIR, PREFIX and MANPREFIX; uninstall removes
# what install put there and nothing else.
. "$BK_TOP/tests/lib.sh"

mkdir -p root/opt/bk/share/keep
echo mine >root/opt/bk/share/keep/file
make -s -C "$BK_TOP" O="$BK_BUILD" install DESTDIR="$T/root" PREFIX=/opt/bk \
	MANPREFIX=/opt/bk/man >install.log 2>&1 || fail "install: $(tail -n 5 install.log)"
[ -x root/opt/bk/bin/bk-hash ] || fail "bk-hash not installed"
[ -f root/opt/bk/man/man1/bk-hash.1 ] || fail "bk-hash.1 not installed"
[ -f root/opt/bk/man/man7/bk.7 ] || fail "bk.7 not installed"
echo abc | root/opt/bk/bin/bk-hash -n x 2>sum >/dev/null
[ "$(cut -c1-64 sum)" = "$(echo abc | sha256sum | cut -c1-64)" ] || fail "installed bk-hash"
man -l root/opt/bk/man/man1/bk-hash.1 >/dev/null 2>&1 || mandoc root/opt/bk/man/man1/bk-hash.1 >/dev/null ||
	fail "installed page does not render"
make -s -C "$BK_TOP" O="$BK_BUILD" uninstall DESTDIR="$T/root" PREFIX=/opt/bk \
	MANPREFIX=/opt/bk/man >>install.log 2>&1 || fail "uninstall"
[ ! -e root/opt/bk/bin/bk-hash ] || fail "uninstall left bk-hash"
[ "$(cat root/opt/bk/share/keep/file)" = mine ] || fail "uninstall removed a file it did not install"
