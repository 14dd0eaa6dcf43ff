#!/bin/sh
# Runs in the node image build container: loads the component images into
# the node's containerd and pins them so kubelet's GC never removes them.
set -eu
containerd > /tmp/containerd.log 2>&1 &
pid=$!
i=0
until ctr version >/dev/null 2>&1; do
  i=$((i+1)); [ $i -lt 120 ] || { cat /tmp/containerd.log; exit 1; }
  sleep 0.5
done
ctr -n k8s.io images import --all-platforms --no-unpack /kind/images.tar
for ref in $(ctr -n k8s.io images list -q | grep -v '^sha256:'); do
  ctr -n k8s.io images label "$ref" io.cri-containerd.pinned=pinned >/dev/null
done
ctr -n k8s.io images list -q | grep -v '^sha256:'
kill "$pid"; wait "$pid" || true
rm -f /kind/images.tar /tmp/containerd.log
