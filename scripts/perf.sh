#!/usr/bin/env bash
# Measures the numbers docs/performance.md quotes from `make perf`, on this
# machine, and prints them as a Markdown table: the host, the unit tests,
# cluster create and delete (idle host, warm node image), and the loopback
# pipeline benchmark. It creates one cluster and deletes it.
set -euo pipefail
EDGEPROOF=${EDGEPROOF:-bin/edgeproof}
NAME=${PERF_CLUSTER:-edgeproof-perf}
GO=${GO:-go}

secs() { local t0=$EPOCHREALTIME; "$@" >/dev/null 2>&1; awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
row() { printf '| %s | %s | %s |\n' "$1" "$2" "$3"; }

trap '$EDGEPROOF cluster delete "$NAME" >/dev/null 2>&1 || true' EXIT
echo "measuring on $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2/1048576 }' /proc/meminfo), load $(cut -d' ' -f1 /proc/loadavg) ..." >&2

unit=$(secs $GO test -count=1 ./...)
"$EDGEPROOF" cluster delete "$NAME" >/dev/null 2>&1 || true
create=$(secs "$EDGEPROOF" cluster create --name "$NAME")
delete=$(secs "$EDGEPROOF" cluster delete "$NAME")
bench=$("$EDGEPROOF" bench devices --devices 1000 --rate 1 --duration 20s 2>/dev/null | tail -1)

echo "| measurement | value | command |"
echo "|---|---|---|"
row "host" "$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2/1048576 }' /proc/meminfo), kernel $(uname -r)" "nproc, /proc/meminfo"
row "unit tests" "${unit} s" "go test -count=1 ./..."
row "cluster create (1 + 3 nodes, warm node image)" "${create} s" "edgeproof cluster create"
row "cluster delete" "${delete} s" "edgeproof cluster delete"
row "loopback pipeline, 1000 devices x 1 msg/s" "\`${bench}\`" "edgeproof bench devices --devices 1000 --rate 1 --duration 20s"
