package scenarios

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadFleet(t *testing.T) {
	f, err := LoadFleet("testdata/fleets/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Spec.Power) != 2 || f.Spec.Power[0].Timeout.Std() != 20*time.Second || f.Spec.Power[1].Timeout.Std() != DefaultHookTimeout {
		t.Fatalf("power hooks %+v", f.Spec.Power)
	}
	if !f.Spec.Power[0].Matches("vm-3", map[string]string{"pool": "vms", "x": "y"}) || f.Spec.Power[0].Matches("vm-3", map[string]string{"pool": "pis"}) {
		t.Error("nodeSelector matching is wrong")
	}
	if !f.Spec.Power[1].Matches("pi-1", nil) || f.Spec.Power[1].Matches("pi-2", nil) {
		t.Error("nodes matching is wrong")
	}
}

func TestLoadFleetInvalid(t *testing.T) {
	_, err := LoadFleet("testdata/fleets/bad.yaml")
	list, ok := errors.AsType[ErrorList](err)
	if !ok {
		t.Fatalf("error is %T (%v), want an ErrorList", err, err)
	}
	want := []string{
		`testdata/fleets/bad.yaml:8:21: spec.power[0].nodes[1]: invalid node name "Pi_2"`,
		`testdata/fleets/bad.yaml:9:12: spec.power[0].off: command template: template: hook:1:14: executing "hook" at <.Adress>: can't evaluate field Adress in type scenarios.hookData (a hook command knows`,
		`testdata/fleets/bad.yaml:11:16: spec.power[0].timeout: must be > 0`,
		`testdata/fleets/bad.yaml:12:7: spec.power[1].on: required: a shell command`,
		`testdata/fleets/bad.yaml:12:13: spec.power[1].name: hook "pis" defined twice`,
		`testdata/fleets/bad.yaml:14:12: spec.power[1].off: command template: template: hook:1: unclosed action`,
		`testdata/fleets/bad.yaml:15:7: spec.power[1].onn: unknown field "onn" (did you mean "on"?)`,
		`testdata/fleets/bad.yaml:17:17: spec.production.namespaces: required`,
		`testdata/fleets/bad.yaml:19:44: spec.topology.cloud.nodeSelector: give nodes or nodeSelector, not both`,
		`testdata/fleets/bad.yaml:19:65: spec.topology.cloud.zone: invalid zone "in the cloud"`,
		`testdata/fleets/bad.yaml:21:7: spec.topology.zones[0].nodes: required: name the nodes, or match them with nodeSelector`,
		`testdata/fleets/bad.yaml:22:13: spec.topology.zones[1].name: zone "edge-a" is also spec.topology.zones[0]`,
	}
	if len(list) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(list), len(want), err)
	}
	for i, e := range list {
		if !strings.HasPrefix(e.Error(), want[i]) {
			t.Errorf("error %d:\n got %s\nwant %s", i, e.Error(), want[i])
		}
	}
}

func TestRenderHookQuotes(t *testing.T) {
	got, err := RenderHook(`ipmi -H {{.Address}} -n {{.Node}} -o {{label "outlet"}}`, HookNode{Name: "pi-1", Address: "10.0.0.7", Labels: map[string]string{"outlet": "3; rm -rf /"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `ipmi -H 10.0.0.7 -n pi-1 -o '3; rm -rf /'`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if _, err := RenderHook(`x {{label "missing"}}`, HookNode{Name: "pi-1", Labels: map[string]string{}}); err == nil || !strings.Contains(err.Error(), `node pi-1 has no label "missing"`) {
		t.Errorf("missing label: %v", err)
	}
}

// The fleet files shipped as examples load.
func TestExampleFleets(t *testing.T) {
	files, err := filepath.Glob("../examples/fleets/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example fleets: %v", err)
	}
	for _, f := range files {
		if _, err := LoadFleet(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	f, _ := LoadFleet("../examples/fleets/kind-docker.yaml")
	got, err := RenderHook(f.Spec.Power[0].Status, HookNode{Name: "edge-worker2"})
	if err != nil || !strings.Contains(got, "--format '{{.State.Status}}' edge-worker2)") {
		t.Errorf("status renders as %q (%v)", got, err)
	}
}
