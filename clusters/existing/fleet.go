package existing

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/edgeproof/edgeproof/scenarios"
)

// checkFleet holds the cluster against its fleet file before anything is
// installed: a cluster carrying the production marker is refused without
// Options.Production, and the power hooks must fit the cluster's nodes.
func (d *Driver) checkFleet(ctx context.Context) error {
	f := d.o.Fleet
	if f == nil {
		return nil
	}
	if m := f.Spec.Production; m != nil {
		marked, err := production(ctx, d.cs, m)
		if err != nil {
			return fmt.Errorf("checking the production marker of fleet file %s: %w", f.Source(), err)
		}
		if marked != "" && !d.o.Production {
			return fmt.Errorf("this looks like production (fleet file %s: %s): refusing to break it; pass --production if it really is the cluster to test", f.Source(), marked)
		}
		if marked != "" {
			d.o.Logf("production marker found (%s); going on as --production allows", marked)
		}
	}
	nodes, err := d.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing nodes: %w", err)
	}
	_, err = powerHooks(f, nodes.Items, &d.deadMen)
	return err
}

// production says which part of marker m the cluster carries, or "".
func production(ctx context.Context, cs kubernetes.Interface, m *scenarios.ProductionMarker) (string, error) {
	for _, ns := range m.Namespaces {
		_, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if err == nil {
			return "namespace " + ns + " exists", nil
		}
		if !apierrors.IsNotFound(err) {
			return "", fmt.Errorf("reading namespace %s: %w", ns, err)
		}
	}
	if len(m.NodeLabels) == 0 {
		return "", nil
	}
	sel := labels.SelectorFromSet(m.NodeLabels).String()
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: sel, Limit: 1})
	if err != nil {
		return "", fmt.Errorf("listing nodes labelled %s: %w", sel, err)
	}
	if len(nodes.Items) > 0 {
		return fmt.Sprintf("node %s carries %s", nodes.Items[0].Name, sel), nil
	}
	return "", nil
}
