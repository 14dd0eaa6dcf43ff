// Package clustertest hands tests that need a real cluster the one
// $EDGEPROOF_CLUSTER names (make chaos-tests sets it; make e2e-chaos and
// make test create the cluster around them).
package clustertest

import (
	"context"
	"os"
	"testing"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/clusters/kind"
	"github.com/edgeproof/edgeproof/clusters/qemu"
)

// Env names the cluster the tests use.
const Env = "EDGEPROOF_CLUSTER"

// Name returns the cluster's name, skipping t when none is named: plain
// `go test ./...` has no cluster, and the make targets that do always
// name one.
func Name(t testing.TB) string {
	t.Helper()
	name := os.Getenv(Env)
	if name == "" {
		t.Skip(Env + " names no cluster")
	}
	return name
}

// Get returns the named cluster, arm64 QEMU nodes included; a cluster that
// is named but cannot be reached fails t.
func Get(ctx context.Context, t testing.TB) *clusters.Cluster {
	t.Helper()
	name := Name(t)
	c, err := kind.New(t.Logf).WithExtension(&qemu.Extension{}).Get(ctx, name)
	if err != nil {
		t.Fatalf("cluster %s: %v", name, err)
	}
	return c
}
