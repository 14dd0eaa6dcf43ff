package existing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/scenarios"
)

// AnnotationLabelsAdded lists, on a node, the keys of the labels edgeproof
// added for a run (comma-separated). The run's end, or edgeproof recover
// from any machine, removes exactly those: the record lives on the node,
// not in a file a crash could lose.
const AnnotationLabelsAdded = "edgeproof.dev/labels-added"

// DefaultCloudZone is the zone label given to cloud nodes that have none.
const DefaultCloudZone = "cloud"

// topologyPlan says, for each node, which labels the fleet's topology
// adds to it. It fails, naming the node and field, when a node is mapped
// twice, a named node does not exist, a selector matches nothing, or a
// node's own label says otherwise: edgeproof never changes a label it did
// not set.
func topologyPlan(t *scenarios.Topology, source string, nodes []corev1.Node) (map[string]map[string]string, error) {
	type group struct {
		field      string
		set        scenarios.NodeSet
		tier, zone string
	}
	var groups []group
	if c := t.Cloud; c != nil {
		zone := c.Zone
		if zone == "" {
			zone = DefaultCloudZone
		}
		groups = append(groups, group{"spec.topology.cloud", c.NodeSet, clusters.TierCloud, zone})
	}
	for i, z := range t.Zones {
		groups = append(groups, group{fmt.Sprintf("spec.topology.zones[%d]", i), z.NodeSet, clusters.TierEdge, z.Name})
	}
	plan := map[string]map[string]string{}
	mappedBy := map[string]string{}
	for _, g := range groups {
		where := fmt.Sprintf("fleet file %s, %s", source, g.field)
		matched := 0
		for _, n := range nodes {
			if !g.set.Matches(n.Name, n.Labels) {
				continue
			}
			matched++
			if other, dup := mappedBy[n.Name]; dup {
				return nil, fmt.Errorf("%s: node %s is also mapped by %s", where, n.Name, other)
			}
			mappedBy[n.Name] = g.field
			want := map[string]string{clusters.LabelTier: g.tier, clusters.LabelZone: g.zone}
			if _, has := n.Labels[clusters.LabelZone]; has && g.tier == clusters.TierCloud {
				// Scenarios name edge zones only: a cloud node keeps its own
				// zone (a managed cluster's us-east-1a).
				delete(want, clusters.LabelZone)
			}
			add, err := labelsToAdd(n, want)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			if len(add) > 0 {
				plan[n.Name] = add
			}
		}
		for _, name := range g.set.Nodes {
			if !slices.ContainsFunc(nodes, func(n corev1.Node) bool { return n.Name == name }) {
				return nil, fmt.Errorf("%s: the cluster has no node %s", where, name)
			}
		}
		if matched == 0 {
			return nil, fmt.Errorf("%s: nodeSelector %v matches no node", where, g.set.NodeSelector)
		}
	}
	return plan, nil
}

// labelsToAdd are the labels of want that node n lacks; one it carries
// with another value is an error.
func labelsToAdd(n corev1.Node, want map[string]string) (map[string]string, error) {
	add := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		got, ok := n.Labels[k]
		switch {
		case !ok:
			add[k] = want[k]
		case got != want[k]:
			return nil, fmt.Errorf("node %s is labelled %s=%s, the fleet file maps it to %s: edgeproof does not change labels it did not set (map the node to what its label says, or relabel it yourself)",
				n.Name, k, got, want[k])
		}
	}
	return add, nil
}

// applyTopology labels the nodes as the fleet's topology maps them, or,
// in a dry run, says what it would label. Whole or nothing: a failure
// part-way removes what was added.
func (d *Driver) applyTopology(ctx context.Context) error {
	f := d.o.Fleet
	if f == nil || f.Spec.Topology == nil {
		return nil
	}
	nodes, err := d.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing nodes: %w", err)
	}
	plan, err := topologyPlan(f.Spec.Topology, f.Source(), nodes.Items)
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(plan)) {
		if d.o.NoAgent {
			d.o.Logf("would label node %s %s for the run (fleet file topology)", name, describeLabels(plan[name]))
			continue
		}
		if err := labelNode(ctx, d.cs, name, plan[name]); err != nil {
			return errors.Join(fmt.Errorf("labelling node %s: %w", name, err), d.removeTopology(context.WithoutCancel(ctx)))
		}
		d.o.Logf("labelled node %s %s for the run (fleet file topology)", name, describeLabels(plan[name]))
	}
	return nil
}

// labelNode adds labels to a node and their keys to its record of what
// edgeproof added, in one patch.
func labelNode(ctx context.Context, cs kubernetes.Interface, name string, add map[string]string) error {
	n, err := cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	keys := strings.FieldsFunc(n.Annotations[AnnotationLabelsAdded], func(r rune) bool { return r == ',' })
	for k := range add {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return patchNode(ctx, cs, name, toAny(add), strings.Join(keys, ","))
}

// removeTopology removes from every node the labels edgeproof recorded
// adding, then the record.
func (d *Driver) removeTopology(ctx context.Context) error {
	nodes, err := d.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing nodes: %w", err)
	}
	var errs []error
	for _, n := range nodes.Items {
		rec, ok := n.Annotations[AnnotationLabelsAdded]
		if !ok {
			continue
		}
		drop := map[string]any{}
		for _, k := range strings.Split(rec, ",") {
			if k != "" {
				drop[k] = nil
			}
		}
		if err := patchNode(ctx, d.cs, n.Name, drop, nil); err != nil {
			errs = append(errs, fmt.Errorf("removing the labels edgeproof added to node %s (%s): %w", n.Name, rec, err))
			continue
		}
		d.o.Logf("removed the labels edgeproof added to node %s (%s)", n.Name, rec)
	}
	return errors.Join(errs...)
}

// patchNode merges labels into a node (nil values delete) and sets its
// AnnotationLabelsAdded record (nil deletes it).
func patchNode(ctx context.Context, cs kubernetes.Interface, name string, labels map[string]any, record any) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"labels": labels, "annotations": map[string]any{AnnotationLabelsAdded: record}}})
	if err != nil {
		return err
	}
	_, err = cs.CoreV1().Nodes().Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
	return err
}

func toAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func describeLabels(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ", ")
}
