#!/bin/sh
# Build the servers and peer tools the integration tests run, once, into
# ${BK_CACHE:-~/.cache/bk}/NAME-VERSION/bin.  A later run finds them there.
#
#   build.sh all | ferretdb | versitygw | mongo-tools | local-kms
#
# A peer that cannot be built here is reported, with the reason, in
# NAME-VERSION/UNAVAILABLE; the tests that need it say so instead of
# passing.  Nothing is ever replaced by a fake.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=${BK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bk}
FERRETDB_VERSION=v1.24.2
VERSITYGW_VERSION=v1.7.0
# mongo-tools 100.18.0 (tags are not semver; this is the release commit).
MONGO_TOOLS_VERSION=v0.0.0-20260812163951-21a342dfee64
# local-kms has no releases as Go modules; this is the pseudo-version.
LOCAL_KMS_VERSION=v0.0.0-20260228092603-2a5e92d09ab6

log() { echo "servers: $*"; }

build_ferretdb() {
	dir=$cache/ferretdb-$FERRETDB_VERSION
	[ -x "$dir/bin/bk-test-ferretdb" ] && return 0
	log "building FerretDB $FERRETDB_VERSION (first time only, ~2 min)"
	mkdir -p "$dir/bin"
	(cd "$here/ferretdb" &&
	    go build -trimpath -o "$dir/bin/bk-test-ferretdb.tmp" .)
	mv "$dir/bin/bk-test-ferretdb.tmp" "$dir/bin/bk-test-ferretdb"
}

build_versitygw() {
	dir=$cache/versitygw-$VERSITYGW_VERSION
	[ -x "$dir/bin/versitygw" ] && return 0
	log "building versitygw $VERSITYGW_VERSION (first time only, ~2 min)"
	mkdir -p "$dir/bin"
	GOBIN=$dir/bin go install \
	    "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
}

build_mongo_tools() {
	dir=$cache/mongo-tools-$MONGO_TOOLS_VERSION
	[ -x "$dir/bin/mongodump" ] && [ -x "$dir/bin/mongorestore" ] &&
	    return 0
	mkdir -p "$dir/bin"
	rm -f "$dir/UNAVAILABLE"
	for t in mongodump mongorestore; do
		mkdir -p "$dir/$t"
		if ! GOBIN=$dir/$t go install \
		    "github.com/mongodb/mongo-tools/$t/main@$MONGO_TOOLS_VERSION" \
		    >"$dir/$t.log" 2>&1; then
			# The Go module proxy reachable here answers 403 for
			# mongo-tools; record why and go on without it.
			{
				echo "go install of $t@$MONGO_TOOLS_VERSION failed:"
				tail -n 3 "$dir/$t.log" |
				    sed -E 's#https?://[^ ]*#(module proxy)#g'
			} >"$dir/UNAVAILABLE"
			log "mongo-tools unavailable: $(head -c 300 "$dir/UNAVAILABLE" | tr '\n' ' ')"
			return 0
		fi
		mv "$dir/$t/main" "$dir/bin/$t"
	done
}

build_local_kms() {
	dir=$cache/local-kms-$LOCAL_KMS_VERSION
	[ -x "$dir/bin/local-kms" ] && return 0
	log "building local-kms $LOCAL_KMS_VERSION (first time only, ~1 min)"
	mkdir -p "$dir/bin"
	GOBIN=$dir/bin go install \
	    "github.com/nsmithuk/local-kms@$LOCAL_KMS_VERSION"
}

what=${1:-all}
case $what in
all)
	build_ferretdb
	build_versitygw
	build_mongo_tools
	build_local_kms
	;;
ferretdb) build_ferretdb ;;
versitygw) build_versitygw ;;
mongo-tools) build_mongo_tools ;;
local-kms) build_local_kms ;;
*) echo "usage: build.sh all|ferretdb|versitygw|mongo-tools|local-kms" >&2
	exit 2 ;;
esac
