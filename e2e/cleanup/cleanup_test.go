//go:build e2e

// Package cleanup proves that an e2e run leaves nothing behind: it runs the
// real suite binary against real clusters, once interrupted with Ctrl-C
// (SIGINT) while the cluster is being created and once with a spec that
// fails, and then looks for the run's containers, network and kubeconfig.
package cleanup

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/clusters/kind"
)

var suiteBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "edgeproof-cleanup-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	suiteBinary = filepath.Join(dir, "e2e.test")
	build := exec.Command("go", "test", "-c", "-tags", "e2e", "-o", suiteBinary, ".")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the e2e suite: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// leftovers lists what a cluster called name still has on this host.
func leftovers(t *testing.T, name string) []string {
	t.Helper()
	var out []string
	if ids := docker(t, "ps", "-aq", "--filter", "label=io.x-k8s.kind.cluster="+name); ids != "" {
		out = append(out, "containers: "+strings.ReplaceAll(ids, "\n", " "))
	}
	if ids := docker(t, "network", "ls", "-q", "--filter", "name=^"+kind.NetworkPrefix+name+"$"); ids != "" {
		out = append(out, "network "+kind.NetworkPrefix+name)
	}
	if kc, err := clusters.KubeconfigPath(name); err == nil {
		if _, err := os.Stat(kc); err == nil {
			out = append(out, "kubeconfig "+kc)
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		if b, err := os.ReadFile(filepath.Join(home, ".kube", "config")); err == nil && bytes.Contains(b, []byte("kind-"+name)) {
			out = append(out, "entry kind-"+name+" in ~/.kube/config")
		}
	}
	return out
}

func docker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).Output()
	if err != nil {
		t.Fatalf("docker %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

// suite starts the suite binary on a fresh, uniquely named cluster.
func suite(t *testing.T, name string, env ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	// The smoke container alone: its reschedule spec is what a forced
	// budget fails, and the catalog smoke scenario would add a minute.
	cmd := exec.Command(suiteBinary, "-test.timeout=20m", "-ginkgo.label-filter=smoke", "-ginkgo.focus=Smoke: an edge cluster", "-ginkgo.v")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "E2E_CLUSTER_NAME="+name, "EDGEPROOF_CLUSTER=", "E2E_KEEP_CLUSTER=", "E2E_SHARD=", "ARTIFACTS="+t.TempDir())
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// Its own process group, as a terminal would have it: SIGINT reaches
	// the suite, not this test.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting suite: %v", err)
	}
	t.Cleanup(func() {
		// Last resort if an assertion failed midway: never leak a cluster.
		if left := leftovers(t, name); len(left) > 0 {
			_ = kind.New(nil).Delete(context.Background(), name)
		}
	})
	return cmd, &out
}

func uniqueName(prefix string) string { return fmt.Sprintf("%s-%06d", prefix, rand.IntN(1000000)) }

func waitExit(t *testing.T, cmd *exec.Cmd, out *bytes.Buffer, limit time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		t.Fatalf("suite did not exit within %s; output:\n%s", limit, out.String())
		return nil
	}
}

func TestInterruptDuringCreateLeavesNothing(t *testing.T) {
	name := uniqueName("ep-int")
	cmd, out := suite(t, name)
	// Interrupt as soon as the first node container exists: kind is then
	// in the middle of creating the cluster.
	deadline := time.Now().Add(5 * time.Minute)
	for docker(t, "ps", "-aq", "--filter", "label=io.x-k8s.kind.cluster="+name) == "" {
		if time.Now().After(deadline) {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			t.Fatalf("no node container appeared; output:\n%s", out.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatalf("sending SIGINT: %v", err)
	}
	if err := waitExit(t, cmd, out, 4*time.Minute); err == nil {
		t.Fatalf("interrupted suite exited 0; output:\n%s", out.String())
	}
	if left := leftovers(t, name); len(left) > 0 {
		t.Fatalf("interrupted run left %v behind; output:\n%s", left, out.String())
	}
}

func TestFailingSpecLeavesNothing(t *testing.T) {
	name := uniqueName("ep-fail")
	// A budget no cluster can meet: the reschedule spec fails for real.
	cmd, out := suite(t, name, "E2E_BUDGETS=smoke-reschedule=1ms")
	if err := waitExit(t, cmd, out, 15*time.Minute); err == nil {
		t.Fatalf("suite with an impossible budget exited 0; output:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "within budget 1ms") {
		t.Fatalf("suite did not fail on the reschedule budget; output:\n%s", out.String())
	}
	if left := leftovers(t, name); len(left) > 0 {
		t.Fatalf("failed run left %v behind; output:\n%s", left, out.String())
	}
}
