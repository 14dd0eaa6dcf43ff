package existing

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/scenarios"
)

func fleet(t *testing.T, spec string) *scenarios.Fleet {
	t.Helper()
	f, err := scenarios.LoadFleetBytes("fleet.yaml", []byte("apiVersion: edgeproof.dev/v1alpha1\nkind: Fleet\nmetadata: {name: test}\nspec:\n"+spec))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func kubeNode(name string, labels map[string]string) corev1.Node {
	return corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.0.0.9"}}}}
}

func TestPowerHooksMatchEachNodeOnce(t *testing.T) {
	nodes := []corev1.Node{kubeNode("pi-1", map[string]string{"pool": "pis"}), kubeNode("vm-1", nil)}
	f := fleet(t, `  power:
    - {name: pis, nodeSelector: {pool: pis}, off: "echo off {{.Node}}", on: "echo on"}
`)
	hooks, err := powerHooks(f, nodes, &deadMen{})
	if err != nil {
		t.Fatal(err)
	}
	if hooks["pi-1"] == nil || hooks["vm-1"] != nil || hooks["pi-1"].node.Address != "10.0.0.9" {
		t.Fatalf("hooks %v", hooks)
	}

	for spec, want := range map[string]string{
		`  power:
    - {name: a, nodeSelector: {pool: pis}, off: x, on: y}
    - {name: b, nodes: [pi-1], off: x, on: y}
`: "fleet file fleet.yaml: node pi-1 matches power hooks a and b: a node needs exactly one",
		`  power:
    - {name: a, nodes: [pi-9], off: x, on: y}
`: "fleet file fleet.yaml: power hook a names node pi-9, which the cluster does not have",
		`  power:
    - {name: a, nodes: [pi-1], off: 'pdu {{label "outlet"}} off', on: y}
`: `power hook a (fleet.yaml) off for node pi-1: command template: template: hook:1:6: executing "hook" at <label "outlet">: error calling label: node pi-1 has no label "outlet"`,
	} {
		if _, err := powerHooks(fleet(t, spec), nodes, &deadMen{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v\nwant %s", err, want)
		}
	}
}

func poweredNode(t *testing.T, off, on, status string, timeout time.Duration) *powered {
	t.Helper()
	h := &scenarios.PowerHook{Name: "h", Off: off, On: on, Status: status, Timeout: scenarios.Duration(timeout)}
	return &powered{node: &node{name: "pi-1"}, p: &power{hook: h, file: "fleet.yaml", node: scenarios.HookNode{Name: "pi-1", Address: "10.0.0.9"}, armed: &deadMen{}}}
}

func TestPowerHookCommands(t *testing.T) {
	dir := t.TempDir()
	n := poweredNode(t, "echo off > "+dir+"/{{.Node}}", `echo "$EDGEPROOF_NODE $EDGEPROOF_NODE_ADDRESS" > `+dir+"/env", "echo On", time.Minute)
	ctx := context.Background()
	if err := n.Kill(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.CheckPower(ctx); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{"pi-1": "off", "env": "pi-1 10.0.0.9"} {
		if got := readFile(t, dir+"/"+file); got != want {
			t.Errorf("%s holds %q, want %q", file, got, want)
		}
	}
	var _ clusters.PowerSwitch = n
	if n.Lacks(clusters.OpPower) != "" || n.node.Lacks(clusters.OpPower) == "" || n.Lacks(clusters.OpReboot) == "" {
		t.Error("a powered node can lose power, and only that")
	}
}

func TestPowerHookFailuresAreClear(t *testing.T) {
	kill := func(n *powered) error { return n.Kill(context.Background()) }
	start := func(n *powered) error { return n.Start(context.Background()) }
	check := func(n *powered) error { return n.CheckPower(context.Background()) }
	cases := []struct {
		n    *powered
		call func(*powered) error
		want string
	}{
		{poweredNode(t, "echo no route to BMC >&2; exit 3", "true", "", time.Minute), kill,
			"power hook h (fleet.yaml) off for node pi-1: echo no route to BMC >&2; exit 3: exit status 3: no route to BMC"},
		{poweredNode(t, "true", "sleep 30", "", 300*time.Millisecond), start,
			"power hook h (fleet.yaml) on for node pi-1: timed out after 300ms: sleep 30"},
		{poweredNode(t, "true", "true", "echo off", time.Minute), check,
			"power hook h (fleet.yaml) status for node pi-1: its status says the node is off"},
		{poweredNode(t, "true", "true", "echo maybe", time.Minute), check,
			`power hook h (fleet.yaml) status for node pi-1 printed "maybe": a status command prints on or off`},
	}
	for _, tc := range cases {
		began := time.Now()
		err := tc.call(tc.n)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v\nwant %s", err, tc.want)
		}
		if time.Since(began) > 20*time.Second {
			t.Errorf("%s: the hook was not stopped at its timeout", tc.want)
		}
	}
}

func TestProductionMarkerRefusesTheRun(t *testing.T) {
	f := fleet(t, `  production: {namespaces: [payments], nodeLabels: {env: production}}
`)
	prodNS := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "payments"}}
	prodNode := kubeNode("n1", map[string]string{"env": "production"})
	for _, tc := range []struct {
		cs   *fake.Clientset
		want string
	}{
		{fake.NewClientset(prodNS), "namespace payments exists"},
		{fake.NewClientset(&prodNode), "node n1 carries env=production"},
		{fake.NewClientset(), ""},
	} {
		d := &Driver{o: Options{Fleet: f, Logf: func(string, ...any) {}}, cs: tc.cs}
		err := d.checkFleet(context.Background())
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("an unmarked cluster was refused: %v", err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "pass --production")):
			t.Errorf("got %v, want a refusal naming %s", err, tc.want)
		}
		d.o.Production = true
		if err := d.checkFleet(context.Background()); err != nil {
			t.Errorf("--production still refused: %v", err)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// The dead-man shell outlives nothing here, but runs on its own: it
// switches the node on at its time unless a heal came first.
func TestPowerDeadMan(t *testing.T) {
	dir := t.TempDir()
	on := "echo on >> " + dir + "/{{.Node}}"
	ctx := context.Background()

	// The user's PATH may hold only what the hooks need (here nothing):
	// the dead-man must still sleep, not fire at once.
	t.Setenv("PATH", "")
	fired := poweredNode(t, "true", on, "", time.Minute)
	armed := time.Now()
	if err := fired.ArmPowerOn(ctx, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for readFileOr(dir+"/pi-1") == "" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if got := readFileOr(dir + "/pi-1"); got != "on" {
		t.Fatalf("the dead-man did not power the node on: %q", got)
	}
	if time.Since(armed) < 900*time.Millisecond {
		t.Fatalf("the dead-man fired after %s, before its time", time.Since(armed))
	}

	healed := poweredNode(t, "true", "echo on >> "+dir+"/healed", "", time.Minute)
	if err := healed.ArmPowerOn(ctx, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := healed.Start(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if got := readFileOr(dir + "/healed"); got != "on" {
		t.Fatalf("after a heal the dead-man must not fire: the on command ran %q", got)
	}
}

func readFileOr(path string) string {
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b))
}
