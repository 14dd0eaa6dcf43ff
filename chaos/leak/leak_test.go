package leak

import (
	"context"
	"strings"
	"testing"

	"github.com/edgeproof/edgeproof/chaos/internal/fakecluster"
	"github.com/edgeproof/edgeproof/chaos/journal"
)

func TestClean(t *testing.T) {
	_, c := fakecluster.New(t, "leak", "cp", "w1")
	found, err := Check(context.Background(), c)
	if err != nil || len(found) != 0 {
		t.Fatalf("Check = %q, %v", found, err)
	}
}

func TestEverythingLeft(t *testing.T) {
	ctx := context.Background()
	b, c := fakecluster.New(t, "leak", "cp", "w1", "w2", "w3")
	j, err := journal.Open(c.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	id, _ := j.Begin(journal.Entry{Fault: "cut", Kind: "node-isolate", Targets: []string{"w1"},
		Recovery: []journal.Action{{Op: journal.OpIptablesFlushComment, Node: "w1", Comment: "edgeproof:x"}}})
	b.Node("w2").SetState("paused")
	b.Node("w3").SetState("exited")
	w1 := b.Node("w1")
	w1.SetUnit("kubelet", false)
	w1.SetUnit("edgeproof-stress-x", true)
	if _, err := w1.Exec(ctx, []byte("*filter\n-I OUTPUT -d 10.0.0.1 -m comment --comment edgeproof:x -j DROP\nCOMMIT\n"), "iptables-restore", "-w", "--noflush"); err != nil {
		t.Fatal(err)
	}
	if _, err := w1.Exec(ctx, nil, "tc", "qdisc", "replace", "dev", "eth0", "root", "handle", "1:", "tbf", "rate", "8bit"); err != nil {
		t.Fatal(err)
	}
	found, err := Check(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(found, "\n")
	for _, want := range []string{
		"journal entry " + id + " node-isolate \"cut\" on w1 not healed",
		"node w2 is paused, not running",
		"node w3 is exited, not running",
		"node w1: kubelet is inactive",
		"node w1: iptables rule left: -t filter -A OUTPUT -d 10.0.0.1/32 -m comment --comment edgeproof:x -j DROP",
		"node w1: root qdisc tbf left on eth0",
		"node w1: stress unit edgeproof-stress-x.service still active",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in\n%s", want, all)
		}
	}
	if len(found) != 7 {
		t.Errorf("%d findings:\n%s", len(found), all)
	}
}
