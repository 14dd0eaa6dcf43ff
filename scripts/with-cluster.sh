#!/usr/bin/env bash
# with-cluster.sh NAME [TOPOLOGY] -- COMMAND...
# Creates cluster NAME (from TOPOLOGY, default the edge topology), runs
# COMMAND with EDGEPROOF_CLUSTER=NAME so the suites and tests reuse it, and
# deletes the cluster however COMMAND ends, Ctrl-C included.
set -euo pipefail
EDGEPROOF=${EDGEPROOF:-bin/edgeproof}
name=$1; shift
topology=()
if [ "${1:-}" != "--" ]; then topology=(--topology "$1"); shift; fi
[ "${1:-}" = "--" ] || { echo "usage: $0 NAME [TOPOLOGY] -- COMMAND..." >&2; exit 2; }
shift
trap '"$EDGEPROOF" cluster delete "$name"' EXIT
trap 'exit 130' INT TERM
"$EDGEPROOF" cluster create --name "$name" "${topology[@]}" >/dev/null
EDGEPROOF_CLUSTER=$name "$@"
