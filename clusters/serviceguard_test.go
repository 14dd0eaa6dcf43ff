package clusters

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// ruleNode keeps iptables rules added with -A and answers -C from them.
type ruleNode struct {
	NodeOps
	rules []string
}

func (n *ruleNode) Name() string { return "n1" }

func (n *ruleNode) Exec(_ context.Context, _ []byte, args ...string) ([]byte, error) {
	if len(args) < 2 || args[0] != "iptables" {
		return nil, errors.New("unexpected command")
	}
	rule := strings.Join(args[2:], " ")
	switch args[1] {
	case "-C":
		if slices.Contains(n.rules, rule) {
			return nil, nil
		}
		return nil, errors.New("no such rule")
	case "-A":
		n.rules = append(n.rules, rule)
		return nil, nil
	}
	return nil, errors.New("unexpected iptables call")
}

func TestGuardNodeAddsEachRuleOnce(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewClientset(&networkingv1.ServiceCIDR{ObjectMeta: metav1.ObjectMeta{Name: "kubernetes"},
		Spec: networkingv1.ServiceCIDRSpec{CIDRs: []string{"10.96.0.0/16"}}})
	ops := &ruleNode{}
	n := &Node{ops: ops}
	for range 2 { // the second call, after a restart that kept the rules, adds nothing
		if err := GuardNode(ctx, cs, n); err != nil {
			t.Fatal(err)
		}
	}
	if len(ops.rules) != 2 || !strings.HasPrefix(ops.rules[0], "OUTPUT -d 10.96.0.0/16") || !strings.HasPrefix(ops.rules[1], "FORWARD -d 10.96.0.0/16") {
		t.Fatalf("rules = %q", ops.rules)
	}
	for _, r := range ops.rules {
		if !strings.HasSuffix(r, "-j REJECT") || strings.Contains(r, "edgeproof:") {
			t.Errorf("rule %q: want a REJECT without the chaos rules' tag (the leak check would flag it)", r)
		}
	}
	// Without the ServiceCIDR object (Kubernetes before 1.33) there is nothing to guard.
	if err := GuardNode(ctx, fake.NewClientset(), &Node{ops: &ruleNode{}}); err != nil {
		t.Fatal(err)
	}
}
