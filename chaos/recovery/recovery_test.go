package recovery

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crfake "sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/edgeproof/edgeproof/chaos/internal/fakecluster"
	"github.com/edgeproof/edgeproof/chaos/journal"
)

func TestNodeOpsIdempotent(t *testing.T) {
	ctx := context.Background()
	b, c := fakecluster.New(t, "rec", "w1", "w2", "w3")
	b.Node("w1").SetState("exited")
	b.Node("w2").SetState("paused")
	env := &Env{Cluster: c}
	e := journal.Entry{ID: "x", Recovery: []journal.Action{
		{Op: journal.OpStartNode, Node: "w1"},
		{Op: journal.OpResumeNode, Node: "w2"},
		{Op: journal.OpStartNode, Node: "w3"}, // already running
	}}
	for i := range 2 { // healing twice must be harmless
		if err := env.Recover(ctx, e); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
	}
	for _, n := range []string{"w1", "w2", "w3"} {
		if s, _ := b.Node(n).State(ctx); s != "running" {
			t.Errorf("%s is %s", n, s)
		}
	}
	calls := fakecluster.Join(b.Calls())
	if strings.Count(calls, "w1 start") != 1 || strings.Count(calls, "w2 resume") != 1 || strings.Contains(calls, "w3 start") {
		t.Fatalf("calls:\n%s", calls)
	}
}

func TestResumeNodeThatWasStopped(t *testing.T) {
	b, c := fakecluster.New(t, "rec", "w1")
	b.Node("w1").SetState("exited")
	if err := Recover(context.Background(), c, journal.Entry{Recovery: []journal.Action{{Op: journal.OpResumeNode, Node: "w1"}}}); err != nil {
		t.Fatal(err)
	}
	if s, _ := b.Node("w1").State(context.Background()); s != "running" {
		t.Fatalf("w1 is %s", s)
	}
}

func TestServicesAndNetwork(t *testing.T) {
	ctx := context.Background()
	b, c := fakecluster.New(t, "rec", "w1")
	n := b.Node("w1")
	n.SetUnit("kubelet", false)
	n.SetUnit("edgeproof-stress-1", true)
	if _, err := n.Exec(ctx, nil, "tc", "qdisc", "replace", "dev", "eth0", "root", "handle", "1:", "tbf", "rate", "1000bit"); err != nil {
		t.Fatal(err)
	}
	restore := "*filter\n-I OUTPUT -d 10.0.0.1 -m comment --comment edgeproof:a -j DROP\n-I INPUT -s 10.0.0.1 -m comment --comment edgeproof:a -j DROP\n-I OUTPUT -d 10.0.0.2 -m comment --comment edgeproof:b -j DROP\nCOMMIT\n"
	if _, err := n.Exec(ctx, []byte(restore), "iptables-restore", "-w", "--noflush"); err != nil {
		t.Fatal(err)
	}
	e := journal.Entry{ID: "a", Recovery: []journal.Action{
		{Op: journal.OpSystemctlStart, Node: "w1", Unit: "kubelet"},
		{Op: journal.OpSystemctlStop, Node: "w1", Unit: "edgeproof-stress-1"},
		{Op: journal.OpTCDelRoot, Node: "w1", Dev: "eth0"},
		{Op: journal.OpIptablesFlushComment, Node: "w1", Comment: "edgeproof:a"},
	}}
	for range 2 {
		if err := Recover(ctx, c, e); err != nil {
			t.Fatal(err)
		}
	}
	if !n.UnitActive("kubelet") || n.UnitActive("edgeproof-stress-1") {
		t.Error("units not healed")
	}
	if root, _ := n.Qdisc(); root != "noqueue" {
		t.Errorf("root qdisc %s", root)
	}
	rules := strings.Join(n.Rules(), "\n")
	if strings.Contains(rules, "edgeproof:a") || !strings.Contains(rules, "edgeproof:b") {
		t.Errorf("rules left:\n%s", rules)
	}
}

func TestRefusesForeignComment(t *testing.T) {
	_, c := fakecluster.New(t, "rec", "w1")
	err := Recover(context.Background(), c, journal.Entry{Recovery: []journal.Action{{Op: journal.OpIptablesFlushComment, Node: "w1", Comment: "kubernetes"}}})
	if err == nil {
		t.Fatal("deleted rules with a foreign comment")
	}
}

func TestErrorsAreCollected(t *testing.T) {
	b, c := fakecluster.New(t, "rec", "w1", "w2")
	b.Node("w2").SetState("exited")
	err := Recover(context.Background(), c, journal.Entry{ID: "x", Recovery: []journal.Action{
		{Op: "bogus"},
		{Op: journal.OpStartNode, Node: "gone"},
		{Op: journal.OpStartNode, Node: "w2"},
	}})
	if err == nil || !strings.Contains(err.Error(), "unknown recovery op") || !strings.Contains(err.Error(), `no node "gone"`) {
		t.Fatalf("err = %v", err)
	}
	if s, _ := b.Node("w2").State(context.Background()); s != "running" {
		t.Fatal("a failing action stopped the later ones")
	}
}

func TestDeleteCR(t *testing.T) {
	ctx := context.Background()
	s := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	pc := &v1alpha1.PodChaos{ObjectMeta: metav1.ObjectMeta{Namespace: "work", Name: "edgeproof-x"}}
	cl := crfake.NewClientBuilder().WithScheme(s).WithObjects(pc).Build()
	env := &Env{Objects: cl}
	e := journal.Entry{Recovery: []journal.Action{{Op: journal.OpDeleteCR, APIVersion: "chaos-mesh.org/v1alpha1", Kind: "PodChaos", Namespace: "work", Name: "edgeproof-x"}}}
	for range 2 {
		if err := env.Recover(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := cl.Get(ctx, client.ObjectKeyFromObject(pc), &v1alpha1.PodChaos{}); err == nil {
		t.Fatal("PodChaos still there")
	}
}

func TestRecoverAll(t *testing.T) {
	ctx := context.Background()
	b, c := fakecluster.New(t, "rec", "w1", "w2")
	j, err := journal.Open(c.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	healed, _ := j.Begin(journal.Entry{Kind: "node-stop", Recovery: []journal.Action{{Op: journal.OpStartNode, Node: "w1"}}})
	j.Healed(healed)
	first, _ := j.Begin(journal.Entry{Fault: "off", Kind: "node-power-loss", Targets: []string{"w1"}, Recovery: []journal.Action{{Op: journal.OpStartNode, Node: "w1"}}})
	second, _ := j.Begin(journal.Entry{Fault: "down", Kind: "kubelet-stop", Targets: []string{"w2"}, Recovery: []journal.Action{{Op: journal.OpSystemctlStart, Node: "w2", Unit: "kubelet"}}})
	bad, _ := j.Begin(journal.Entry{Fault: "lost", Kind: "node-stop", Recovery: []journal.Action{{Op: journal.OpStartNode, Node: "gone"}}})
	b.Node("w1").SetState("exited")
	b.Node("w2").SetUnit("kubelet", false)

	results, err := RecoverAll(ctx, c, j)
	if err == nil {
		t.Fatal("failure of the entry on a missing node not reported")
	}
	if len(results) != 3 || results[0].Entry.ID != bad || results[1].Entry.ID != second || results[2].Entry.ID != first {
		t.Fatalf("results not newest first: %v", results)
	}
	if results[0].Err == nil || results[1].Err != nil || results[2].Err != nil {
		t.Fatalf("results = %v", results)
	}
	if s := results[1].String(); !strings.HasPrefix(s, "healed "+second) || !strings.Contains(s, "systemctl-start w2 kubelet") {
		t.Errorf("report line %q", s)
	}
	if s := results[0].String(); !strings.HasPrefix(s, "FAILED") {
		t.Errorf("report line %q", s)
	}
	pending, _ := j.Pending()
	if len(pending) != 1 || pending[0].ID != bad {
		t.Fatalf("pending after RecoverAll = %v", pending)
	}
	if s, _ := b.Node("w1").State(ctx); s != "running" || !b.Node("w2").UnitActive("kubelet") {
		t.Fatal("nodes not healed")
	}
}

// Before their own timers heal a cut-off fault, its nodes cannot be
// reached: recover says when to come back instead of failing obscurely;
// a node that does answer is healed at once, its apply timer stopped
// first.
func TestCutOffEntryBeforeItsNodesHealIt(t *testing.T) {
	ctx := context.Background()
	b, c := fakecluster.New(t, "rec", "w1")
	w1 := b.Node("w1")
	w1.Remote = true
	w1.SetUnit(CutOffPrefix+"x1", true)
	e := journal.Entry{ID: "x1", Fault: "f", Targets: []string{"w1"},
		Recovery: []journal.Action{{Op: journal.OpSystemctlStart, Node: "w1", Unit: "kubelet"}},
		CutOff:   &journal.CutOff{Applies: time.Now(), Heals: time.Now().Add(time.Minute)}}
	w1.ExecHook = func([]string, []byte) ([]byte, error, bool) {
		return nil, errors.New("error dialing backend"), true
	}
	err := Recover(ctx, c, e)
	if err == nil || !strings.Contains(err.Error(), "run edgeproof recover again after that") {
		t.Fatalf("got %v", err)
	}
	w1.ExecHook = nil
	if err := Recover(ctx, c, e); err != nil {
		t.Fatal(err)
	}
	if w1.UnitActive(CutOffPrefix + "x1") {
		t.Error("apply timer left armed")
	}
}

// A node whose power a switch cut is powered on even though its State
// still says running, and its entry heals while it boots: nothing on it
// needs disarming, so recovery does not wait for it to answer.
func TestPowerOnWhileTheNodeStillLooksRunning(t *testing.T) {
	ctx := context.Background()
	b, c := fakecluster.New(t, "rec", "w1")
	w1 := b.Node("w1")
	w1.Remote, w1.Switched = true, true
	if err := w1.Kill(ctx); err != nil {
		t.Fatal(err)
	}
	w1.ExecHook = func([]string, []byte) ([]byte, error, bool) {
		return nil, errors.New("error dialing backend"), true
	}
	e := journal.Entry{ID: "p1", Fault: "f", Targets: []string{"w1"},
		Recovery: []journal.Action{{Op: journal.OpPowerOn, Node: "w1"}}}
	if err := Recover(ctx, c, e); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(b.Calls(), "w1 start") {
		t.Errorf("w1 was not powered on: %v", b.Calls())
	}
}
