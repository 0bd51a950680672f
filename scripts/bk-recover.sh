#!/bin/bash
# bk-recover.sh - the recovery, step by step, for the day itself: list the
# backups of every destination, pick the newest valid one, restore it to
# staging and validate it, request the approvals, promote it into
# production (restored aside, validated, swapped in), or merge back only
# the missing documents of one collection.  Each step runs the bk tools
# and prints the commands it runs, so the runbook's manual path and this
# one are the same.  See bk-recover(8) and docs/RUNBOOK.md.
set -euo pipefail

prog=bk-recover
usage() {
	cat <<'EOU'
usage: bk-recover.sh list [--kind db|files] prefix-url...
       bk-recover.sh pick [--kind db|files] [--before time] [-k keyring] prefix-url...
       bk-recover.sh stage -k keyring (--uri-file file --ns-to-prefix p | --dir dir) url
       bk-recover.sh request --target target [--expires time] [-o file] url
       bk-recover.sh promote -k keyring (--uri-file file | --dir dir)
                     --request req --approval sig... url
       bk-recover.sh merge -k keyring --uri-file file --collection db.coll
                     --request req --approval sig... url
       bk-recover.sh --help

  list      every committed backup under the prefixes (one per region or
            store): created, kind, name, key id, documents or files,
            size, and whether the copies agree
  pick      the newest backup (before time) with a copy that verifies:
            SHA-256 against its sidecar, and with -k opened and parsed to
            its end; prints its URL
  stage     restore url into staging (databases renamed to p*, or a
            directory) and validate it
  request   a restore request for url into target, for bk-approve(1)
  promote   the approved restore of url into production, validated
            before it is swapped in
  merge     the approved restore of only the missing documents of one
            collection, validated as a merge

The connection string is read from --uri-file (mode 0600) and given to
bk-restore in its environment, never on a command line.
Exit status: 0 done; 1 no valid backup, a validation difference, or a
refusal; 2 usage; 3 a step failed; 75 retry later.  See bk-recover(8).
EOU
}
die() { echo "$prog: $*" >&2; exit 3; }
usage_error() { echo "$prog: $*" >&2; usage >&2; exit 2; }
run() { printf '$ %s\n' "$*" >&2; "$@"; }

# entry URL: the listing's JSON object for the backup at URL.
entry() {
	local dir=${1%/*}/ name=${1##*/} e
	e=$(bk-get --list --json "$dir" | jq -c --arg n "$name" 'select(.name == $n)') ||
	    die "$dir: cannot be listed"
	[ -n "$e" ] || { echo "$prog: $1: no such backup" >&2; exit 1; }
	jq -e '.committed' >/dev/null <<<"$e" ||
	    { echo "$prog: $1: not committed" >&2; exit 1; }
	printf '%s\n' "$e"
}

# uri_env FILE: MONGODB_URI from FILE, for bk-restore alone.
uri_env() {
	[ -r "$1" ] || die "$1: cannot be read"
	MONGODB_URI=$(head -n 1 "$1")
	[ -n "$MONGODB_URI" ] || die "$1: empty"
	export MONGODB_URI
}

# check URL [KEYRING]: the object against its sidecar (and, with a
# keyring, opened and parsed to its end, writing nothing).  0 or non-zero.
check() {
	local url=$1 ring=${2:-} name=${1##*/} kind tmp
	kind=$(entry "$url" | jq -r .kind)
	tmp=$(mktemp -d)
	# shellcheck disable=SC2064 # tmp is fixed now
	trap "rm -rf '$tmp'" RETURN
	bk-get "$url.sha256" >"$tmp/sum" 2>"$tmp/err" || { cat "$tmp/err" >&2; return 3; }
	if [ -z "$ring" ]; then
		bk-get "$url" | bk-hash -n "$name" -c "$tmp/sum" >/dev/null
		return
	fi
	case $kind in
	files)
		bk-get "$url" | bk-hash -n "$name" -c "$tmp/sum" |
		    bk-encrypt -d -k "$ring" |
		    bk-restore --files "$tmp/dry" --dry-run >/dev/null ;;
	*)
		bk-get "$url" | bk-hash -n "$name" -c "$tmp/sum" |
		    bk-encrypt -d -k "$ring" | bk-restore --dry-run >/dev/null ;;
	esac
}

cmd_list() {
	local kind=''
	while [ $# -gt 0 ]; do
		case $1 in
		--kind) kind=${2:?}; shift 2 ;;
		-*) usage_error "list: unknown option $1" ;;
		*) break ;;
		esac
	done
	[ $# -gt 0 ] || usage_error "list: no prefix-url"
	local rc=0
	printf '%-20s  %-5s  %-34s  %-16s  %10s  %12s  %s\n' CREATED KIND NAME \
	    KEY_ID COUNT SIZE COPIES
	bk-get --list --json ${kind:+--kind "$kind"} "$@" | jq -r --argjson n $# '
	    select(.committed) |
	    [.created, (.kind // "-"), .name, (.key_id // "-"),
	     (if .counts == null then "-"
	      elif .kind == "files" then "\(.counts.files // "-") files"
	      else "\([.counts[]? | objects | .documents // 0] | add // 0) docs" end),
	     (.size | tostring),
	     (if $n == 1 then "1/1"
	      else "\([.copies[] | select(.state == "committed")] | length)/\($n)" +
	        (if .agree then "" else " DIFFER" end) end)] | @tsv' |
	    while IFS=$'\t' read -r c k nm key cnt sz cp; do
		printf '%-20s  %-5s  %-34s  %-16s  %10s  %12s  %s\n' "$c" "$k" \
		    "$nm" "$key" "$cnt" "$sz" "$cp"
	done || rc=$?
	return "$rc"
}

cmd_pick() {
	local kind='' before='' ring='' url name created
	while [ $# -gt 0 ]; do
		case $1 in
		--kind) kind=${2:?}; shift 2 ;;
		--before)
			before=$(date -u -d "${2:?}" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null) ||
			    usage_error "pick: --before $2: not a time"
			shift 2 ;;
		-k) ring=${2:?}; shift 2 ;;
		-*) usage_error "pick: unknown option $1" ;;
		*) break ;;
		esac
	done
	[ $# -gt 0 ] || usage_error "pick: no prefix-url"
	# Newest first; every copy of each, in the order of the prefixes.
	while IFS=$'\t' read -r created name url; do
		if [ -n "$before" ] && [[ ! $created < $before ]]; then
			continue
		fi
		echo "$prog: checking $url ($created)" >&2
		if check "$url" "$ring"; then
			echo "$prog: $url: valid${ring:+ (opened and parsed to its end)}" >&2
			printf '%s\n' "$url"
			return 0
		fi
		echo "$prog: $url: not valid; trying the next copy or backup" >&2
	done < <(bk-get --list --json ${kind:+--kind "$kind"} "$@" 2>/dev/null |
	    jq -r '
	        select(.committed) | . as $b |
	        (if .copies then [.copies[] | select(.state == "committed") | .url]
	         else [.url] end)[] | [$b.created, $b.name, .] | @tsv' |
	    sort -r -s -t $'\t' -k1,1)
	echo "$prog: no valid ${kind:+$kind }backup${before:+ before $before} under $*" >&2
	return 1
}

cmd_stage() {
	local ring='' urifile='' pfx='' dir='' url name kind tmp
	while [ $# -gt 0 ]; do
		case $1 in
		-k) ring=${2:?}; shift 2 ;;
		--uri-file) urifile=${2:?}; shift 2 ;;
		--ns-to-prefix) pfx=${2:?}; shift 2 ;;
		--dir) dir=${2:?}; shift 2 ;;
		-*) usage_error "stage: unknown option $1" ;;
		*) break ;;
		esac
	done
	[ $# -eq 1 ] || usage_error "stage: one url"
	[ -n "$ring" ] || usage_error "stage: -k keyring"
	url=$1 name=${1##*/}
	kind=$(entry "$url" | jq -r .kind)
	tmp=$(mktemp -d)
	# shellcheck disable=SC2064 # tmp is fixed now
	trap "rm -rf '$tmp'" EXIT
	run bk-get "$url.sha256" >"$tmp/sum"
	if [ "$kind" = files ]; then
		[ -n "$dir" ] || usage_error "stage: a files backup needs --dir"
		printf '$ %s\n' "bk-get $url | bk-hash -n $name -c SUM | bk-encrypt -d -k $ring | bk-restore --files $dir" >&2
		bk-get "$url" | bk-hash -n "$name" -c "$tmp/sum" |
		    bk-encrypt -d -k "$ring" | bk-restore --files "$dir"
		printf '$ %s\n' "bk-get $url | bk-encrypt -d -k $ring | bk-restore --files $dir --validate" >&2
		bk-get "$url" | bk-encrypt -d -k "$ring" | bk-restore --files "$dir" --validate
		echo "$prog: staged in $dir and validated" >&2
		return
	fi
	if [ -z "$urifile" ] || [ -z "$pfx" ]; then
		usage_error "stage: a database backup needs --uri-file and --ns-to-prefix"
	fi
	uri_env "$urifile"
	printf '$ %s\n' "bk-get $url | bk-hash -n $name -c SUM | bk-encrypt -d -k $ring | bk-restore --ns-from '*.*' --ns-to '$pfx*.*' --validate" >&2
	bk-get "$url" | bk-hash -n "$name" -c "$tmp/sum" | bk-encrypt -d -k "$ring" |
	    bk-restore --ns-from '*.*' --ns-to "$pfx*.*" --validate
	echo "$prog: staged into databases $pfx* and validated" >&2
}

cmd_request() {
	local target='' expires=+4h out='' url e
	while [ $# -gt 0 ]; do
		case $1 in
		--target) target=${2:?}; shift 2 ;;
		--expires) expires=${2:?}; shift 2 ;;
		-o) out=${2:?}; shift 2 ;;
		-*) usage_error "request: unknown option $1" ;;
		*) break ;;
		esac
	done
	[ $# -eq 1 ] || usage_error "request: one url"
	[ -n "$target" ] || usage_error "request: --target"
	url=$1
	e=$(entry "$url")
	out=${out:-${url##*/}.req}
	run bk-approve --request --backup "${url##*/}" \
	    --sha256 "$(jq -r .sha256 <<<"$e")" --target "$target" \
	    --expires "$expires" >"$out"
	cat >&2 <<EOM
$prog: request written to $out.  Each approver checks it, then runs
    ssh-keygen -Y sign -n bk-restore -f ~/.ssh/id_ed25519 $out
and sends back $out.sig (renamed after themselves, e.g. $out.alice).
EOM
	printf '%s\n' "$out"
}

# approved MODE ARGS...: the approved restore (promote or merge).
approved() {
	local mode=$1 ring='' urifile='' dir='' coll='' req='' url
	local -a sigs=()
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		-k) ring=${2:?}; shift 2 ;;
		--uri-file) urifile=${2:?}; shift 2 ;;
		--dir) dir=${2:?}; shift 2 ;;
		--collection) coll=${2:?}; shift 2 ;;
		--request) req=${2:?}; shift 2 ;;
		--approval) sigs+=(--approval "${2:?}"); shift 2 ;;
		-*) usage_error "$mode: unknown option $1" ;;
		*) break ;;
		esac
	done
	[ $# -eq 1 ] || usage_error "$mode: one url"
	if [ -z "$ring" ] || [ -z "$req" ] || [ ${#sigs[@]} -eq 0 ]; then
		usage_error "$mode: -k, --request and --approval are needed"
	fi
	url=$1
	entry "$url" >/dev/null
	if [ -n "$dir" ]; then
		[ "$mode" = promote ] || usage_error "merge: databases only"
		run bk-get "$url" | run bk-restore -k "$ring" --files "$dir" \
		    --request "$req" "${sigs[@]}"
		run bk-get "$url" | run bk-restore -k "$ring" --files "$dir" --validate
		echo "$prog: $dir restored and validated" >&2
		return
	fi
	[ -n "$urifile" ] || usage_error "$mode: --uri-file or --dir"
	uri_env "$urifile"
	if [ "$mode" = merge ]; then
		case $coll in
		?*.?*) ;;
		*) usage_error "merge: --collection db.coll" ;;
		esac
		run bk-get "$url" | run bk-restore -k "$ring" --merge \
		    --ns-include "$coll" --validate --request "$req" "${sigs[@]}"
		echo "$prog: the missing documents of $coll restored; the merge validated" >&2
		return
	fi
	run bk-get "$url" | run bk-restore -k "$ring" --validate \
	    --request "$req" "${sigs[@]}"
	echo "$prog: restored, validated and swapped in" >&2
}

case ${1:-} in
-h | --help) usage; exit 0 ;;
list) shift; cmd_list "$@" ;;
pick) shift; cmd_pick "$@" ;;
stage) shift; cmd_stage "$@" ;;
request) shift; cmd_request "$@" ;;
promote) shift; approved promote "$@" ;;
merge) shift; approved merge "$@" ;;
'') usage_error "no step given" ;;
*) usage_error "$1: not a step" ;;
esac
