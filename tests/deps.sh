#!/bin/sh
# Install what bk builds and tests with: Debian packages (only the missing
# ones, so a second run is quick) and the test servers (cached builds).
set -eu

pkgs="build-essential pkg-config libssl-dev zlib1g-dev libzstd-dev
libcurl4-openssl-dev libmongoc-dev libbson-dev mandoc shellcheck valgrind
jq time awscli s3cmd age restic libarchive-tools tar coreutils openssl
python3 python3-pymongo python3-cryptography ca-certificates clang
libclang-rt-14-dev curl python3-aiosmtpd msmtp prometheus chromium fonts-dejavu-core
openssh-client procps systemd nftables iproute2 util-linux"

missing=
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	echo "deps: installing:$missing"
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: need root to install Debian packages:$missing" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	# shellcheck disable=SC2086 # word splitting of the list is intended
	apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
if ! command -v go >/dev/null 2>&1; then
	echo "deps: the Go toolchain is needed to build the test servers" >&2
	exit 1
fi
exec sh "$(dirname "$0")/servers/build.sh" all
