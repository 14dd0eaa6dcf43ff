package scenarios

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"text/template"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/edgeproof/edgeproof/internal/command"
)

// KindFleet is the kind every fleet file declares.
const KindFleet = "Fleet"

// DefaultHookTimeout bounds one power hook command when its hook sets no
// timeout: long enough for a BMC or a cloud API, short enough that a hung
// one is reported while the run can still heal.
const DefaultHookTimeout = 60 * time.Second

// HookNode is what a power hook's commands are rendered with.
type HookNode struct {
	// Name is the node's name.
	Name string
	// Address is the node's InternalIP ("" when it has none).
	Address string
	// Labels are the node's labels.
	Labels map[string]string
}

// Source returns the file the fleet was loaded from.
func (f *Fleet) Source() string { return f.source }

// LoadFleet reads a fleet file and decodes it strictly; errors name
// path:line:column and the field, as for scenarios.
func LoadFleet(path string) (*Fleet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load fleet file: %w", err)
	}
	return LoadFleetBytes(path, data)
}

// LoadFleetBytes is LoadFleet for a file held in memory; name is used in
// error messages as the file name.
func LoadFleetBytes(name string, data []byte) (*Fleet, error) {
	f := &Fleet{source: name}
	d, errs := decodeDocument(data, f, KindFleet, "a fleet")
	if d != nil {
		f.positions = d.positions
		for _, e := range f.validate() {
			e.Pos = position(f.positions, e.Path)
			if !shadowed(fieldPath(e.Path), errs) {
				errs = append(errs, e)
			}
		}
	}
	for _, e := range errs {
		e.File = name
	}
	if len(errs) > 0 {
		errs.sortByPosition()
		return nil, errs
	}
	for i := range f.Spec.Power {
		if f.Spec.Power[i].Timeout == 0 {
			f.Spec.Power[i].Timeout = Duration(DefaultHookTimeout)
		}
	}
	return f, nil
}

func (f *Fleet) validate() ErrorList {
	var errs ErrorList
	validateHeader(&errs, f.APIVersion, f.Kind, KindFleet, &f.Metadata)
	names := map[string]bool{}
	for i := range f.Spec.Power {
		p := fieldPath("spec.power").index(i)
		h := &f.Spec.Power[i]
		h.validate(&errs, p)
		if h.Name != "" && names[h.Name] {
			errs.add(p.child("name"), ErrDuplicate, "hook %q defined twice", h.Name)
		}
		names[h.Name] = true
	}
	if m := f.Spec.Production; m != nil {
		m.validate(&errs, "spec.production")
	}
	if t := f.Spec.Topology; t != nil {
		t.validate(&errs, "spec.topology")
	}
	return errs
}

func (h *PowerHook) validate(errs *ErrorList, p fieldPath) {
	if h.Name == "" {
		errs.required(p.child("name"), "")
	} else {
		dns1123Label(errs, p.child("name"), h.Name)
	}
	h.NodeSet.validate(errs, p)
	for _, c := range []struct {
		field, text string
		required    bool
	}{{"off", h.Off, true}, {"on", h.On, true}, {"status", h.Status, false}} {
		switch {
		case strings.TrimSpace(c.text) == "" && c.required:
			errs.required(p.child(c.field), "a shell command")
		case c.text != "":
			if _, err := RenderHook(c.text, HookNode{Name: "node", Address: "192.0.2.1"}); err != nil {
				errs.add(p.child(c.field), ErrInvalid, "%v", err)
			}
		}
	}
	if h.Timeout < 0 {
		errs.add(p.child("timeout"), ErrInvalid, "must be > 0")
	}
}

func (n *NodeSet) validate(errs *ErrorList, p fieldPath) {
	switch {
	case len(n.Nodes) == 0 && len(n.NodeSelector) == 0:
		errs.required(p.child("nodes"), "name the nodes, or match them with nodeSelector")
	case len(n.Nodes) > 0 && len(n.NodeSelector) > 0:
		errs.add(p.child("nodeSelector"), ErrInvalid, "give nodes or nodeSelector, not both")
	}
	for i, name := range n.Nodes {
		if msgs := validation.IsDNS1123Subdomain(name); len(msgs) > 0 {
			errs.add(p.child("nodes").index(i), ErrInvalid, "invalid node name %q: %s", name, strings.Join(msgs, "; "))
		}
	}
	validateLabels(errs, p.child("nodeSelector"), n.NodeSelector)
}

func (t *Topology) validate(errs *ErrorList, p fieldPath) {
	if t.Cloud == nil && len(t.Zones) == 0 {
		errs.required(p.child("zones"), "map the edge zones, the cloud nodes or both")
	}
	if c := t.Cloud; c != nil {
		c.NodeSet.validate(errs, p.child("cloud"))
		zoneValue(errs, p.child("cloud", "zone"), c.Zone)
	}
	names := map[string]int{}
	for i := range t.Zones {
		z, zp := &t.Zones[i], p.child("zones").index(i)
		if z.Name == "" {
			errs.required(zp.child("name"), "the zone's name, as scenarios give it (target.zone)")
		} else {
			zoneValue(errs, zp.child("name"), z.Name)
			if j, dup := names[z.Name]; dup {
				errs.add(zp.child("name"), ErrDuplicate, "zone %q is also spec.topology.zones[%d]", z.Name, j)
			}
			names[z.Name] = i
		}
		z.NodeSet.validate(errs, zp)
	}
}

// zoneValue checks a zone name: it becomes a label value.
func zoneValue(errs *ErrorList, p fieldPath, v string) {
	if msgs := validation.IsValidLabelValue(v); len(msgs) > 0 {
		errs.add(p, ErrInvalid, "invalid zone %q: %s", v, strings.Join(msgs, "; "))
	}
}

func (m *ProductionMarker) validate(errs *ErrorList, p fieldPath) {
	if len(m.Namespaces) == 0 && len(m.NodeLabels) == 0 {
		errs.required(p.child("namespaces"), "a marker names namespaces, nodeLabels or both")
	}
	for i, ns := range m.Namespaces {
		dns1123Label(errs, p.child("namespaces").index(i), ns)
	}
	validateLabels(errs, p.child("nodeLabels"), m.NodeLabels)
}

// Matches reports whether the set holds the node named name with these
// labels.
func (n *NodeSet) Matches(name string, labels map[string]string) bool {
	if len(n.Nodes) > 0 {
		return slices.Contains(n.Nodes, name)
	}
	for k, v := range n.NodeSelector {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// RenderHook expands a hook command for node n, shell-quoting every value
// it inserts, so that a label value can never become shell syntax. A
// template that does not parse, or names a field or label the node lacks,
// is an error.
func RenderHook(text string, n HookNode) (string, error) {
	t, err := template.New("hook").Option("missingkey=error").Funcs(template.FuncMap{
		"label": func(k string) (string, error) {
			v, ok := n.Labels[k]
			if !ok && n.Labels != nil {
				return "", fmt.Errorf("node %s has no label %q", n.Name, k)
			}
			return command.Quote(v), nil
		},
	}).Parse(text)
	if err != nil {
		return "", fmt.Errorf("command template: %w", err)
	}
	var b strings.Builder
	if err := t.Execute(&b, hookData{command.Quote(n.Name), command.Quote(n.Address)}); err != nil {
		return "", fmt.Errorf("command template: %w (a hook command knows {{.Node}}, {{.Address}} and {{label \"KEY\"}})", err)
	}
	return b.String(), nil
}

// hookData holds the values a hook command's template names.
type hookData struct{ Node, Address string }
