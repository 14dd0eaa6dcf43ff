//go:build e2e

package engine_test

// Real-cluster test of the Ctrl-C path: `edgeproof run` is interrupted
// with SIGINT while a fault is injected; it must heal the fault, tear the
// workload down and exit non-zero, leaving nothing behind.
//
//	EDGEPROOF_CLUSTER=edge go test -tags e2e -run TestInterruptHeals -v -timeout 20m ./engine/

import (
	"bufio"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/edgeproof/edgeproof/chaos/leak"
	"github.com/edgeproof/edgeproof/clusters/kind"
	"github.com/edgeproof/edgeproof/fixtures/workload"
	"github.com/edgeproof/edgeproof/internal/clustertest"
	"github.com/edgeproof/edgeproof/internal/repo"
)

func TestInterruptHeals(t *testing.T) {
	name := clustertest.Name(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "edgeproof")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/edgeproof")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building edgeproof: %v\n%s", err, out)
	}
	cmd := exec.CommandContext(ctx, bin, "run", "--cluster", name, filepath.Join(root, "engine", "testdata", "interrupt.yaml"))
	cmd.Dir = root
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	injected := false
	var lines []string
	for sc.Scan() {
		line := sc.Text()
		lines = append(lines, line)
		t.Log(line)
		if !injected && strings.Contains(line, "fault cut (uplink-flap)") && strings.Contains(line, "injected") {
			injected = true
			// Let the rules be in place for a moment, then press Ctrl-C.
			time.Sleep(3 * time.Second)
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
		}
	}
	err = cmd.Wait()
	if !injected {
		t.Fatalf("the fault was never injected; output:\n%s", strings.Join(lines, "\n"))
	}
	if err == nil {
		t.Error("an interrupted run must exit non-zero")
	}
	out := strings.Join(lines, "\n")
	if !strings.Contains(out, "interrupted, healed after") {
		t.Error("output does not say the interrupted fault was healed")
	}
	for _, want := range []string{"fault cut (uplink-flap) on ", "workload torn down"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}

	c, err := kind.New(t.Logf).Get(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	left, err := leak.Check(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
	cs, err := c.Client()
	if err != nil {
		t.Fatal(err)
	}
	nss, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: workload.LabelPartOf + "=" + workload.PartOf})
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range nss.Items {
		if strings.HasPrefix(ns.Name, "ep-interrupt-") {
			t.Errorf("namespace %s left behind (%s)", ns.Name, ns.Status.Phase)
		}
	}
}
