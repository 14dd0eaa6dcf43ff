package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/fixtures/workload"
	"github.com/edgeproof/edgeproof/scenarios"
)

// Toxiproxy streams, seen from the gateway: upstream carries its publishes
// to the broker, downstream the broker's acknowledgements.
const (
	upstream   = "upstream"
	downstream = "downstream"
)

// uplinkToxics maps a proxy-layer uplink fault to toxiproxy toxics.
//
// uplink-shape shapes the upstream only, as layer node shapes the edge
// node's egress with tc: the same scenario then means the same link at
// either layer, and the latency is added once per round trip, not twice.
//
// uplink-flap blackholes both streams with a timeout toxic of timeout 0,
// which swallows data and holds connections open, rather than disabling
// the proxy, which would refuse connections and reset the open ones: a cut
// backhaul answers nothing, and the gateway has to notice the silence
// itself (keepalives, acknowledgement timeouts), which is the behaviour
// under test.
func uplinkToxics(f scenarios.Fault) ([]workload.Toxic, error) {
	u := f.Uplink
	if u == nil {
		return nil, fmt.Errorf("fault %s: no uplink parameters", f.Name)
	}
	toxic := func(typ, stream string, attrs map[string]int64) workload.Toxic {
		return workload.Toxic{Name: f.Name + "-" + typ + "-" + stream, Type: typ, Stream: stream, Toxicity: 1, Attributes: attrs}
	}
	if f.Kind == scenarios.UplinkFlap {
		return []workload.Toxic{
			toxic("timeout", upstream, map[string]int64{"timeout": 0}),
			toxic("timeout", downstream, map[string]int64{"timeout": 0}),
		}, nil
	}
	if u.Loss != nil {
		// Validation refuses this; a TCP proxy has no packets to drop.
		return nil, fmt.Errorf("fault %s: packet loss is not possible at layer proxy", f.Name)
	}
	var out []workload.Toxic
	if b := u.Bandwidth; b != nil {
		bits, err := b.BitsPerSecond()
		if err != nil {
			return nil, fmt.Errorf("fault %s: %w", f.Name, err)
		}
		out = append(out, toxic("bandwidth", upstream, map[string]int64{"rate": proxyRate(bits)}))
	}
	if d := u.Delay; d != nil {
		out = append(out, toxic("latency", upstream, map[string]int64{
			"latency": d.Latency.Std().Milliseconds(), "jitter": d.Jitter.Std().Milliseconds()}))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("fault %s: uplink-shape without bandwidth or delay", f.Name)
	}
	return out, nil
}

// proxyRate converts bits per second to the bandwidth toxic's unit, KB/s
// (toxiproxy sleeps len/rate milliseconds per chunk, so 1 KB = 1000
// bytes), rounded to the nearest, and at least 1, since 0 would mean
// unlimited.
func proxyRate(bits uint64) int64 {
	return max(int64((bits+4000)/8000), 1)
}

// injectUplink adds the fault's toxics on the gateways of the resolved
// fault's nodes. The heal removes them; after a flap it also resets the
// proxies' connections, because bytes the timeout toxic swallowed leave a
// torn MQTT stream that must not reach the broker once the link is back:
// the gateways reconnect and resend what was not acknowledged, as they
// would after a real cut long enough to lose their TCP connections.
func (d *driver) injectUplink(ctx context.Context, f scenarios.Fault) (chaos.Recover, error) {
	nodes, err := chaos.NodeNames(f)
	if err != nil {
		return nil, err
	}
	toxics, err := uplinkToxics(f)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(toxics))
	for i, t := range toxics {
		names[i] = t.Name
	}
	heal := func(ctx context.Context) error {
		var reset error
		if f.Kind == scenarios.UplinkFlap {
			// Reset before removing the toxics: nothing torn gets through.
			reset = d.w.ResetUplinks(ctx, nodes)
		}
		return errors.Join(reset, d.w.RemoveToxics(ctx, nodes, names))
	}
	if err := d.w.AddToxics(ctx, nodes, toxics); err != nil {
		return nil, joinUndo(err, heal(context.WithoutCancel(ctx)))
	}
	return heal, nil
}

// uplinkEvidence lists the fault's toxics on the gateway of every target
// node; a target whose gateway lacks one is an error.
func (d *driver) uplinkEvidence(ctx context.Context, f scenarios.Fault, nodes []string) ([]string, error) {
	toxics, err := uplinkToxics(f)
	if err != nil {
		return nil, err
	}
	have, err := d.w.Toxics(ctx, nodes)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range nodes {
		for _, t := range toxics {
			if !slices.Contains(have[n], t.Name) {
				return nil, fmt.Errorf("fault %s not in force: the gateway on %s has no toxic %s (it has %v)", f.Name, n, t.Name, have[n])
			}
		}
		out = append(out, fmt.Sprintf("gateway on %s: toxics %s", n, strings.Join(have[n], ",")))
	}
	return out, nil
}
