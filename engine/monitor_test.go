package engine

import (
	"reflect"
	"strings"
	"testing"

	"github.com/edgeproof/edgeproof/fixtures/gateway"
	"github.com/edgeproof/edgeproof/fixtures/workload"
)

func TestStartBlockers(t *testing.T) {
	up := workload.GatewayStats{Pod: "gw-a", Stats: gateway.Stats{UplinkConnected: true}}
	down := workload.GatewayStats{Pod: "gw-b"}
	cases := []struct {
		name      string
		nodes     bool
		fixtures  bool
		connected int64
		flowing   bool
		gws       []workload.GatewayStats
		want      []string
	}{
		{name: "all set", nodes: true, fixtures: true, connected: 3, flowing: true, gws: []workload.GatewayStats{up}},
		// Steady by the monitor's own rule, yet one gateway still holds its
		// devices' messages: the run must not start.
		{name: "uplink connecting", nodes: true, fixtures: true, connected: 3, flowing: true,
			gws: []workload.GatewayStats{up, down}, want: []string{"gateway gw-b uplink not connected"}},
		{name: "nothing yet", connected: 1, want: []string{"a node is not Ready", "a fixture is not Ready",
			"1 of 3 devices connected", "the sink receives less than half the publish rate"}},
	}
	for _, c := range cases {
		got := append(steadyBlockers(c.nodes, c.fixtures, c.connected, 3, c.flowing), uplinkBlockers(c.gws)...)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: blockers = %q, want %q", c.name, got, c.want)
		}
	}
}

// TestUnreadableSinkStopsTheWait: a sink that reads none of what arrives
// (a wrong field path) ends the wait for steady state with the reason; a
// few unreadable messages among readable ones, or too few to tell, do not.
func TestUnreadableSinkStopsTheWait(t *testing.T) {
	bad := map[string]sinkSummary{"sink-0": {malformed: 12, lastMalformed: "topic site/a: field n is absent"}}
	if got := unreadable(bad, 0); !strings.Contains(got, "none of the 12 messages") || !strings.Contains(got, "field n is absent") {
		t.Errorf("unreadable = %q", got)
	}
	if got := unreadable(bad, 5); got != "" {
		t.Errorf("with messages read: %q", got)
	}
	few := map[string]sinkSummary{"sink-0": {malformed: unreadableAfter - 1, lastMalformed: "x"}}
	if got := unreadable(few, 0); got != "" {
		t.Errorf("with %d unreadable: %q", unreadableAfter-1, got)
	}
}
