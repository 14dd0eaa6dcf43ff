#!/usr/bin/env bash
# with-cluster.sh NAME [TOPOLOGY] -- COMMAND...
# Creates cluster NAME (from TOPOLOGY, default the edge topology), runs
# COMMAND with EDGEPROOF_CLUSTER=NAME so the suites and tests reuse it, and
# deletes the cluster however COMMAND ends, Ctrl-C included.
# MEANWHILE, if set, is a shell command run while the cluster is created
# (make test runs vet and the unit tests there: creation mostly waits on
# kubeadm); COMMAND runs only if both succeed.
set -euo pipefail
EDGEPROOF=${EDGEPROOF:-bin/edgeproof}
name=$1; shift
topology=()
if [ "${1:-}" != "--" ]; then topology=(--topology "$1"); shift; fi
[ "${1:-}" = "--" ] || { echo "usage: $0 NAME [TOPOLOGY] -- COMMAND..." >&2; exit 2; }
shift
log=$(mktemp)
create=
cleanup() {
	# A creation still running is interrupted first; it removes what it
	# made, and the delete below catches anything left.
	if [ -n "$create" ]; then kill -INT "$create" 2>/dev/null || true; wait "$create" 2>/dev/null || true; fi
	rm -f "$log"
	"$EDGEPROOF" cluster delete "$name"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ -z "${MEANWHILE:-}" ]; then
	"$EDGEPROOF" cluster create --name "$name" "${topology[@]}" >/dev/null
else
	echo "creating cluster $name in the background while running: $MEANWHILE"
	"$EDGEPROOF" cluster create --name "$name" "${topology[@]}" >/dev/null 2>"$log" &
	create=$!
	rc=0
	bash -c "$MEANWHILE" || rc=$?
	# No point finishing a cluster nothing will use.
	[ "$rc" = 0 ] || kill -INT "$create" 2>/dev/null || true
	crc=0
	wait "$create" || crc=$?
	create=
	echo "== cluster $name creation log =="; cat "$log"
	[ "$crc" = 0 ] || { echo "creating cluster $name failed (exit $crc)" >&2; exit "$crc"; }
	[ "$rc" = 0 ] || exit "$rc"
fi
EDGEPROOF_CLUSTER=$name "$@"
