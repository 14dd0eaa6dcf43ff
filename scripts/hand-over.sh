#!/usr/bin/env bash
# hand-over.sh CLUSTER [IMAGE...]
# Does to a kind cluster edgeproof created what the admin of a cluster
# edgeproof did not create does once: imports the node agent's image, and
# the application images named (taken from the local Docker engine), into
# every node. A run then reaches the cluster through its kubeconfig alone.
set -euo pipefail
EDGEPROOF=${EDGEPROOF:-bin/edgeproof}
cluster=$1; shift
dir=$(mktemp -d "${TMPDIR:-/tmp}/edgeproof-hand-over.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$EDGEPROOF" image agent --out "$dir/agent.tar"
archives=("$dir/agent.tar")
for image in "$@"; do
	f="$dir/image-${#archives[@]}.tar"
	docker save -o "$f" "$image" || { echo "hand-over: image $image is not in the local Docker engine (make example builds the example's)" >&2; exit 1; }
	archives+=("$f")
done
"$EDGEPROOF" cluster load "$cluster" "${archives[@]}"
