package native

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgeproof/edgeproof/chaos/internal/fakecluster"
	"github.com/edgeproof/edgeproof/chaos/journal"
	"github.com/edgeproof/edgeproof/chaos/recovery"
	"github.com/edgeproof/edgeproof/scenarios"
)

func TestDeadManScript(t *testing.T) {
	script, ok := recovery.NodeScript([]journal.Action{
		{Op: journal.OpIptablesFlushComment, Node: "a1", Comment: "edgeproof-x1"},
		{Op: journal.OpTCDelRoot, Node: "a1", Dev: "eth0"},
		{Op: journal.OpSystemctlStart, Node: "a1", Unit: "kubelet"},
		{Op: journal.OpSystemctlStop, Node: "a1", Unit: "edgeproof-stress-x1"},
	})
	if !ok {
		t.Fatal("no script")
	}
	for _, want := range []string{"awk -v c='edgeproof-x1'", "tc qdisc del dev eth0 root", "systemctl start kubelet", "systemctl stop edgeproof-stress-x1"} {
		if !strings.Contains(script, want) {
			t.Errorf("script lacks %q:\n%s", want, script)
		}
	}
	// A node start needs the provider, and a word that would need quoting
	// is never put in a script.
	for _, a := range []journal.Action{
		{Op: journal.OpStartNode, Node: "a1"},
		{Op: journal.OpSystemctlStop, Node: "a1", Unit: "x; reboot"},
		{Op: journal.OpIptablesFlushComment, Node: "a1", Comment: "it's"},
	} {
		if s, ok := recovery.NodeScript([]journal.Action{a}); ok {
			t.Errorf("%+v scripted as %q", a, s)
		}
	}
}

// TestDeadManScriptDeletesTaggedRulesOnly runs the iptables part of the
// script in a real shell against a stand-in iptables-save and iptables.
func TestDeadManScriptDeletesTaggedRulesOnly(t *testing.T) {
	dir := t.TempDir()
	save := `# Generated
*filter
:INPUT ACCEPT [0:0]
-A INPUT -s 172.18.0.2/32 -m comment --comment edgeproof-x1 -j DROP
-A INPUT -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A OUTPUT -d 10.244.0.0/24 -m comment --comment "edgeproof-x1" -j DROP
-A OUTPUT -d 10.244.1.0/24 -m comment --comment edgeproof-x2 -j DROP
COMMIT
*mangle
-A POSTROUTING -m comment --comment edgeproof-x1 -m statistic --mode random --probability 0.05000000000 -j DROP
COMMIT
`
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "save.txt"), []byte(save), 0o644); err != nil {
		t.Fatal(err)
	}
	write("iptables-save", `cat "$(dirname "$0")/save.txt"`)
	write("iptables", `printf '%s|' "$@" >> "$(dirname "$0")/calls"; echo >> "$(dirname "$0")/calls"`)
	script, _ := recovery.NodeScript([]journal.Action{{Op: journal.OpIptablesFlushComment, Node: "a1", Comment: "edgeproof-x1"}})
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	got, err := os.ReadFile(filepath.Join(dir, "calls"))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"-w|-t|filter|-D|INPUT|-s|172.18.0.2/32|-m|comment|--comment|edgeproof-x1|-j|DROP|",
		"-w|-t|filter|-D|OUTPUT|-d|10.244.0.0/24|-m|comment|--comment|edgeproof-x1|-j|DROP|",
		"-w|-t|mangle|-D|POSTROUTING|-m|comment|--comment|edgeproof-x1|-m|statistic|--mode|random|--probability|0.05000000000|-j|DROP|",
	}, "\n") + "\n"
	if string(got) != want {
		t.Errorf("iptables called as\n%s\nwant\n%s", got, want)
	}
}

func TestDeadManArmedOnUnattendedNodesAndDisarmedByTheHeal(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.fb.Node("a1").Remote = true
	f := nodeFault(scenarios.Stress, "a1", "b1")
	f.Duration = scenarios.Duration(30 * time.Second)
	f.Stress = &scenarios.StressParams{CPU: &scenarios.CPUStressor{Workers: 1}}
	rec, err := e.b.Inject(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	id := e.pending()[0].ID
	timer := recovery.DeadManPrefix + id
	calls := fakecluster.Join(e.fb.Calls())
	// 30 s of fault and the margin, armed before the stress starts.
	arm := "a1 exec systemd-run --unit=" + timer + " --on-active=45s"
	if i, j := strings.Index(calls, arm), strings.Index(calls, "--unit="+StressUnitPrefix+id); i < 0 || j < 0 || i > j {
		t.Fatalf("dead-man not armed before the fault in\n%s", calls)
	}
	if strings.Contains(calls, "b1 exec systemd-run --unit="+timer) {
		t.Fatal("a dead-man timer on a node edgeproof reaches directly")
	}
	if !e.fb.Node("a1").UnitActive(timer) {
		t.Fatal("timer not armed")
	}
	if err := rec(ctx); err != nil {
		t.Fatal(err)
	}
	if e.fb.Node("a1").UnitActive(timer) {
		t.Fatal("the heal left the dead-man timer armed")
	}
}
