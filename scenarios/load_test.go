package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// invalidCases lists, for each file in testdata/invalid, every error Load
// must report, in order: exact file:line:col and field path, and the
// message or, for messages from Kubernetes' validators, its start.
var invalidCases = []struct {
	file string
	want []string
}{
	{"control-plane.yaml", []string{
		`testdata/invalid/control-plane.yaml:15:26: spec.faults[0].target.allowControlPlane: applies to node targets: a pod fault picks pods wherever they run`,
	}},
	{"devices-endpoint.yaml", []string{
		`testdata/invalid/devices-endpoint.yaml:14:15: spec.devices.endpoint: the sink fixture accounts what reaches the reference broker, which devices publishing to your endpoint bypass; name where your pipeline delivers their data in spec.observe, or leave the sink out`,
		`testdata/invalid/devices-endpoint.yaml:14:25: spec.devices.endpoint.service: invalid Service name "Broker"`,
		`testdata/invalid/devices-endpoint.yaml:14:39: spec.devices.endpoint.port: must be a port number (1-65535), got 0`,
		`testdata/invalid/devices-endpoint.yaml:15:12: spec.devices.topic: a publish topic cannot hold the wildcards + or #`,
		`testdata/invalid/devices-endpoint.yaml:16:30: spec.devices.json.boot: field name "id" is also json.device`,
		`testdata/invalid/devices-endpoint.yaml:16:45: spec.devices.json.timestamp: a field name cannot hold a comma`,
	}},
	{"duplicates.yaml", []string{
		`testdata/invalid/duplicates.yaml:5:3: metadata.name: duplicate field "name"`,
		`testdata/invalid/duplicates.yaml:12:11: spec.faults[1].name: duplicate fault name "kill" (also spec.faults[0])`,
	}},
	{"durations.yaml", []string{
		"testdata/invalid/durations.yaml:13:9: spec.faults[0].at: must be >= 0",
		"testdata/invalid/durations.yaml:14:15: spec.faults[0].duration: must be > 0",
		`testdata/invalid/durations.yaml:18:9: spec.faults[1].at: must be a duration string such as "30s" or "1m30s", not an integer`,
		`testdata/invalid/durations.yaml:19:15: spec.faults[1].duration: invalid duration "5 minutes": use a Go duration such as "30s" or "1m30s"`,
		"testdata/invalid/durations.yaml:24:15: spec.faults[2].duration: must not be set: pod-kill is instantaneous; use repeat to inject it again",
		"testdata/invalid/durations.yaml:29:5: spec.faults[3]: runs until 6m0s, past spec.duration 5m0s",
	}},
	{"empty.yaml", []string{
		"testdata/invalid/empty.yaml:1:1: empty document: expected a Scenario",
	}},
	{"capacity.yaml", []string{
		`testdata/invalid/capacity.yaml:6:30: spec.cluster.zones: fault "partition" needs at least 2 edge zones (the one it cuts off and one to reschedule onto)`,
		"testdata/invalid/capacity.yaml:8:24: spec.workload.broker.replicas: must be > 0; leave the fixture out to not deploy it",
		"testdata/invalid/capacity.yaml:10:17: spec.workload.sink.replicas: must be within hpa minReplicas..maxReplicas (1..4)",
		"testdata/invalid/capacity.yaml:11:61: spec.workload.sink.hpa.targetCPUUtilizationPercentage: required: the average CPU use to aim for, 1-100",
		"testdata/invalid/capacity.yaml:16:34: spec.faults[0].target.mode: zone-partition always cuts the whole zone; leave mode out",
		"testdata/invalid/capacity.yaml:18:11: spec.faults[1].kind: device-storm needs the devicesim fixture in spec.workload",
	}},
	{"fleet.yaml", []string{
		`testdata/invalid/fleet.yaml:7:12: spec.cluster.nodes: fault "two-nodes" needs at least 3 edge nodes (its targets, plus one to reschedule onto if it makes nodes unready)`,
		"testdata/invalid/fleet.yaml:8:12: spec.cluster.zones: 3 zones need at least as many nodes, but nodes is 2",
		`testdata/invalid/fleet.yaml:9:11: spec.cluster.arch: unsupported value "x86": must be one of amd64, arm64`,
		`testdata/invalid/fleet.yaml:10:15: spec.cluster.provider: unsupported value "docker": must be one of kind, qemu, any`,
		"testdata/invalid/fleet.yaml:12:12: spec.devices.count: must be > 0",
		"testdata/invalid/fleet.yaml:13:11: spec.devices.rate: must be > 0",
		`testdata/invalid/fleet.yaml:14:14: spec.devices.profile: unsupported value "bursty": must be one of steady, burst, reconnect-storm (did you mean "burst"?)`,
		"testdata/invalid/fleet.yaml:15:10: spec.devices.qos: must be 0, 1 or 2",
	}},
	{"kinds.yaml", []string{
		`testdata/invalid/kinds.yaml:11:11: spec.faults[0].kind: unsupported value "node-powerloss": must be one of node-power-loss, node-stop, node-pause, node-reboot, kubelet-stop, runtime-stop, node-isolate, zone-partition, node-link-down, uplink-shape, uplink-flap, pod-kill, container-kill, pod-failure, stress, device-storm, device-load, rolling-update (did you mean "node-power-loss"?)`,
		"testdata/invalid/kinds.yaml:15:13: spec.faults[1].target: not allowed for kind device-storm, which acts on the whole device fleet",
		"testdata/invalid/kinds.yaml:16:11: spec.faults[1].load: not allowed for kind device-storm",
	}},
	{"metadata.yaml", []string{
		`testdata/invalid/metadata.yaml:1:13: apiVersion: unsupported value "edgeproof.dev/v1": must be "edgeproof.dev/v1alpha1"`,
		`testdata/invalid/metadata.yaml:2:7: kind: unsupported value "Experiment": must be "Scenario"`,
		`testdata/invalid/metadata.yaml:4:9: metadata.name: invalid name "Node_Loss": `,
		`testdata/invalid/metadata.yaml:6:17: metadata.labels[bad key!]: invalid label key "bad key!": `,
		"testdata/invalid/metadata.yaml:8:3: spec.objectives: required: a scenario certifies nothing without at least one objective",
	}},
	{"multi-doc.yaml", []string{
		"testdata/invalid/multi-doc.yaml:6:1: a scenario file holds exactly one YAML document",
	}},
	{"guard.yaml", []string{
		"testdata/invalid/guard.yaml:10:3: spec.objectives: devices publish into the sink, so give a delivery objective on metric lost",
	}},
	{"objectives.yaml", []string{
		`testdata/invalid/objectives.yaml:24:13: spec.objectives[0].budget: invalid duration budget "soon": must be a duration such as "15s": time: invalid duration "soon"`,
		"testdata/invalid/objectives.yaml:27:13: spec.objectives[1].metric: metric catchUp does not apply to kind delivery; use one of lost, duplicates, p99Latency",
		"testdata/invalid/objectives.yaml:32:9: spec.objectives[2].op: metric lost is bounded with <=; leave op out or use <=",
		`testdata/invalid/objectives.yaml:37:13: spec.objectives[3].budget: invalid ratio budget "99.9": must be a ratio from 0 to 1 (or a percentage such as "99.9%"), got 99.9`,
		"testdata/invalid/objectives.yaml:38:5: spec.objectives[4].op: required: metric replicas can be bounded either way; give <= or >=",
		"testdata/invalid/objectives.yaml:39:11: spec.objectives[4].kind: scaling objectives need spec.workload.sink.hpa",
		`testdata/invalid/objectives.yaml:45:12: spec.objectives[5].fault: no fault named "power-cut" in spec.faults`,
		`testdata/invalid/objectives.yaml:49:13: spec.objectives[6].metric: unsupported value "podsReady": must be one of total, nodeNotReady, podsEvicted, podsScheduled, successRatio, longestOutage, minReady, lost, duplicates, p99Latency, maxLatency, catchUp, duplicatePods, staleEndpoints, scaleOut, replicas (did you mean "minReady"?)`,
		`testdata/invalid/objectives.yaml:50:12: spec.objectives[6].fault: fault "kill" is a pod-kill; reschedule objectives need a fault that makes a node unready`,
		"testdata/invalid/objectives.yaml:53:11: spec.objectives[7].kind: metric minReady needs a rolling-update fault (it is measured while a fixture rolls), and the scenario has none",
		`testdata/invalid/objectives.yaml:59:12: spec.objectives[8].fault: fault "kill" is a pod-kill; metric minReady needs a rolling-update fault (it is measured while a fixture rolls)`,
	}},
	{"repeat.yaml", []string{
		"testdata/invalid/repeat.yaml:15:7: spec.faults[0].repeat.seed: required: jitter is random; a seed makes the timeline reproducible",
		"testdata/invalid/repeat.yaml:16:15: spec.faults[0].repeat.period: must be >= duration + jitter (15s) so that occurrences do not overlap",
		"testdata/invalid/repeat.yaml:22:14: spec.faults[1].repeat.count: must be >= 2 (it counts the first occurrence); leave repeat out for a single one",
		"testdata/invalid/repeat.yaml:23:15: spec.faults[1].repeat.period: must be > 0",
	}},
	{"shaping.yaml", []string{
		`testdata/invalid/shaping.yaml:14:25: spec.faults[0].uplink.bandwidth.rate: invalid rate "fast": unit must be one of bit, kbit, mbit, gbit, tbit, bps, kbps, mbps, gbps, tbps`,
		"testdata/invalid/shaping.yaml:15:20: spec.faults[0].uplink.loss.loss: must be > 0 and <= 100 (percent)",
		"testdata/invalid/shaping.yaml:15:38: spec.faults[0].uplink.loss.correlation: must be from 0 to 100 (percent)",
		"testdata/invalid/shaping.yaml:16:24: spec.faults[0].uplink.delay.latency: must be > 0",
		"testdata/invalid/shaping.yaml:23:39: spec.faults[1].uplink.bandwidth.limit: not supported at layer proxy (toxiproxy's bandwidth toxic has only a rate)",
		"testdata/invalid/shaping.yaml:24:13: spec.faults[1].uplink.loss: not supported at layer proxy: a TCP proxy has no packets to drop; use layer node",
		"testdata/invalid/shaping.yaml:29:13: spec.faults[2].uplink: required: uplink-shape needs at least one of bandwidth, loss and delay",
		"testdata/invalid/shaping.yaml:35:22: spec.faults[3].stress.cpu.workers: must be from 1 to 8192",
		"testdata/invalid/shaping.yaml:35:31: spec.faults[3].stress.cpu.load: must be from 0 to 100 (percent per worker)",
		`testdata/invalid/shaping.yaml:36:15: spec.faults[3].stress.memory.size: required: e.g. "256MB" or "50%"; without it stress-ng takes all available memory`,
	}},
	{"syntax.yaml", []string{
		"testdata/invalid/syntax.yaml:5:1: did not find expected key",
	}},
	{"targets.yaml", []string{
		"testdata/invalid/targets.yaml:10:5: spec.faults[0].target: required: node-power-loss needs one of nodes, zone or nodeSelector",
		"testdata/invalid/targets.yaml:17:7: spec.faults[1].target: set exactly one of nodes, zone or nodeSelector; got nodes and zone",
		"testdata/invalid/targets.yaml:24:9: spec.faults[2].target.pods: node-pause cannot target pods; use nodes, zone or nodeSelector",
		"testdata/invalid/targets.yaml:30:7: spec.faults[3].target.value: required: the number of targets for mode fixed",
		"testdata/invalid/targets.yaml:36:19: spec.faults[4].target.pods.selector: required: select pods by labelSelectors, expressionSelectors, fieldSelectors, annotationSelectors, pods, nodes or nodeSelectors; an empty selector would hit every pod",
		`testdata/invalid/targets.yaml:36:33: spec.faults[4].target.pods.selector.namespaces[0]: invalid name "Edge_Proof": `,
		`testdata/invalid/targets.yaml:37:15: spec.faults[4].target.pods.mode: unsupported value "some": must be one of one, all, fixed, fixed-percent, random-max-percent (did you mean "one"?)`,
		"testdata/invalid/targets.yaml:38:25: spec.faults[4].target.pods.containerNames: only used by container-kill and stress",
		`testdata/invalid/targets.yaml:43:15: spec.faults[5].target.nodes[0]: invalid node name "Edge_Worker": `,
	}},
	{"types.yaml", []string{
		`testdata/invalid/types.yaml:6:14: metadata.labels[version]: must be a string, not an integer; quote it: "2"`,
		"testdata/invalid/types.yaml:9:12: spec.devices.count: must be an integer, not a string",
		"testdata/invalid/types.yaml:10:11: spec.devices.rate: must be a number, not a list",
		"testdata/invalid/types.yaml:11:11: spec.faults: must be a list, not a mapping",
		"testdata/invalid/types.yaml:16:13: spec.objectives[0].budget: must be a scalar value, not a mapping",
	}},
	{"application.yaml", []string{
		`testdata/invalid/application.yaml:8:33: spec.workload.manifests[1]: manifest ../app/missing.yaml: no such file or directory`,
		`testdata/invalid/application.yaml:8:54: spec.workload.manifests[2]: required: a path relative to the scenario file`,
		`testdata/invalid/application.yaml:9:17: spec.workload.kustomize[0]: ../app holds no kustomization.yaml`,
		`testdata/invalid/application.yaml:11:14: spec.workload.helm[0].chart: chart ../app/no-chart: no such file or directory`,
		`testdata/invalid/application.yaml:12:16: spec.workload.helm[0].release: invalid name "Bad_Name"`,
		`testdata/invalid/application.yaml:13:16: spec.workload.helm[0].values[0]: values file ../app/none.yaml: no such file or directory`,
		`testdata/invalid/application.yaml:14:13: spec.workload.helm[0].set[0]: want key.path=value, got "replicas"`,
		`testdata/invalid/application.yaml:16:13: spec.workload.images[0].name: not an image reference: could not parse reference: UPPER:case`,
		`testdata/invalid/application.yaml:18:13: spec.workload.images[2].name: image "example.local/app:1" is listed twice (also spec.workload.images[1])`,
		`testdata/invalid/application.yaml:19:16: spec.workload.images[2].archive: image archive ../app/none.tar: no such file or directory`,
		`testdata/invalid/application.yaml:22:32: spec.probes[0].http.port: must be a port number (1-65535), got 0`,
		`testdata/invalid/application.yaml:22:41: spec.probes[0].http.path: must start with /, got "healthz"`,
		`testdata/invalid/application.yaml:22:64: spec.probes[0].http.expectStatus: must be an HTTP status code (100-599), got 42`,
		`testdata/invalid/application.yaml:23:11: spec.probes[1].name: duplicate probe name "web" (also spec.probes[0])`,
		`testdata/invalid/application.yaml:24:20: spec.probes[1].tcp.service: invalid Service name "Web_Svc"`,
		`testdata/invalid/application.yaml:26:14: spec.probes[1].timeout: must be > 0 and at most the interval (1s)`,
		`testdata/invalid/application.yaml:27:5: spec.probes[2]: required: set one of http, tcp and mqtt`,
		`testdata/invalid/application.yaml:32:12: spec.objectives[0].probe: no probe named "nope" in spec.probes`,
		`testdata/invalid/application.yaml:35:11: spec.objectives[1].kind: metric minReady needs a rolling-update fault (it is measured while a fixture rolls), and the scenario has none`,
		`testdata/invalid/application.yaml:37:12: spec.objectives[1].probe: a probe yields only the availability metrics successRatio and longestOutage`,
		`testdata/invalid/application.yaml:43:12: spec.objectives[2].fault: no fault named "kill" in spec.faults`,
		`testdata/invalid/application.yaml:43:12: spec.objectives[2].fault: a probe objective covers the whole run; leave fault out`,
	}},
	{"mqtt.yaml", []string{
		`testdata/invalid/mqtt.yaml:6:3: spec.objectives: required`,
		`testdata/invalid/mqtt.yaml:16:17: spec.devices.endpoint.protocol: unsupported value "3": must be one of 3.1.1, 5`,
		`testdata/invalid/mqtt.yaml:17:26: spec.devices.endpoint.credentialsSecret: invalid Secret name "Creds"`,
		`testdata/invalid/mqtt.yaml:18:12: spec.devices.endpoint.tls.secret: required`,
		`testdata/invalid/mqtt.yaml:18:25: spec.devices.endpoint.tls.serverName: invalid server name "bad name"`,
		`testdata/invalid/mqtt.yaml:21:48: spec.probes[0].mqtt.topic: the probe publishes to its topic: it cannot hold the wildcards + or #`,
		`testdata/invalid/mqtt.yaml:21:62: spec.probes[0].mqtt.qos: must be 0 or 1`,
		`testdata/invalid/mqtt.yaml:24:11: spec.probes[1].mqtt: set only one of http, tcp and mqtt (also tcp)`,
	}},
	{"observe.yaml", []string{
		`testdata/invalid/observe.yaml:14:20: spec.devices.json.device: a field name cannot hold a comma or a dot`,
		`testdata/invalid/observe.yaml:16:5: spec.observe.topic: required`,
		`testdata/invalid/observe.yaml:16:5: spec.observe.shared: several sink replicas need a shared subscription`,
		`testdata/invalid/observe.yaml:16:5: spec.observe: spec.observe judges the devices' data in your pipeline: point spec.devices.endpoint at it`,
		`testdata/invalid/observe.yaml:18:20: spec.observe.json.device: want a field name, or a dotted path such as data.device, got "a..b"`,
	}},
	{"images.yaml", []string{
		`testdata/invalid/images.yaml:12:17: spec.workload.images[0].archives: give archive or archives, not both`,
		`testdata/invalid/images.yaml:14:25: spec.workload.images[1].archives[arm64]: image archive ../app/none.tar: no such file or directory`,
		`testdata/invalid/images.yaml:14:51: spec.workload.images[1].archives[riscv64]: unsupported value "riscv64": must be one of amd64, arm64`,
		`testdata/invalid/images.yaml:16:22: spec.objectives[0].kind: availability is measured from device traffic`,
	}},
	{"defect.yaml", []string{
		"testdata/invalid/defect.yaml:14:18: spec.defect.description: required: say what is broken",
		`testdata/invalid/defect.yaml:15:30: spec.defect.caughtBy[1]: no objective named "latency" in spec.objectives`,
	}},
	{"rollout-object.yaml", []string{
		`testdata/invalid/rollout-object.yaml:13:16: spec.faults[0].rollout.fixture: fixture broker is not deployed in spec.workload`,
		`testdata/invalid/rollout-object.yaml:14:15: spec.faults[0].rollout.object: set only one of fixture and object`,
		`testdata/invalid/rollout-object.yaml:19:22: spec.faults[1].rollout.object.kind: unsupported value "Job": must be one of Deployment, StatefulSet, DaemonSet`,
		`testdata/invalid/rollout-object.yaml:19:33: spec.faults[1].rollout.object.name: invalid name "Web"`,
		`testdata/invalid/rollout-object.yaml:24:7: spec.faults[2].rollout: give both maxUnavailable and maxSurge, or neither to keep the object's own strategy`,
	}},
	{"unknown-field.yaml", []string{
		`testdata/invalid/unknown-field.yaml:10:5: spec.faults[0].duration: required: how long node-power-loss lasts, e.g. "60s"`,
		`testdata/invalid/unknown-field.yaml:13:5: spec.faults[0].duraton: unknown field "duraton" (did you mean "duration"?)`,
		`testdata/invalid/unknown-field.yaml:16:7: spec.faults[0].target.node: unknown field "node" (did you mean "nodes"?)`,
		`testdata/invalid/unknown-field.yaml:22:1: status: unknown field "status"`,
	}},
}

func TestLoadInvalid(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid/*.yaml")
	if len(files) != len(invalidCases) {
		t.Errorf("testdata/invalid has %d files, the table %d cases", len(files), len(invalidCases))
	}
	for _, tc := range invalidCases {
		t.Run(tc.file, func(t *testing.T) {
			s, err := Load(filepath.Join("testdata/invalid", tc.file))
			if err == nil {
				t.Fatalf("loaded %q without error", s.Metadata.Name)
			}
			if s != nil {
				t.Error("a failed Load returned a scenario")
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error is %T, want ErrorList", err)
			}
			got := strings.Split(err.Error(), "\n")
			if len(got) != len(tc.want) || len(list) != len(tc.want) {
				t.Fatalf("got %d errors, want %d:\n%s", len(got), len(tc.want), err)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("error %d:\n got %s\nwant %s", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestLoadValid(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid/*.yaml")
	if len(files) == 0 {
		t.Fatal("no valid testdata")
	}
	for _, f := range files {
		s, err := Load(f)
		if err != nil {
			t.Errorf("%s:\n%v", f, err)
			continue
		}
		if s.Source() != f {
			t.Errorf("Source() = %q, want %q", s.Source(), f)
		}
		// Default must be idempotent and leave a valid scenario valid.
		s.Default()
		if errs := s.Validate(); len(errs) > 0 {
			t.Errorf("%s: re-validation after a second Default fails:\n%v", f, errs)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/does-not-exist.yaml")
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want os.ErrNotExist wrapped", err)
	}
}

func TestErrorKinds(t *testing.T) {
	for _, tc := range []struct {
		file string
		kind error
	}{
		{"unknown-field.yaml", ErrUnknownField},
		{"unknown-field.yaml", ErrRequired},
		{"duplicates.yaml", ErrDuplicate},
		{"types.yaml", ErrType},
		{"fleet.yaml", ErrUnsupported},
		{"fleet.yaml", ErrInvalid},
		{"syntax.yaml", ErrSyntax},
	} {
		_, err := Load(filepath.Join("testdata/invalid", tc.file))
		if !errors.Is(err, tc.kind) {
			t.Errorf("%s: errors.Is(err, %v) is false", tc.file, tc.kind)
		}
	}
}

// TestOtherKindOfFile: a fleet file or budget profile given where a
// scenario belongs (and the other way round) is one error that says where
// that file goes, not a list of unknown fields.
func TestOtherKindOfFile(t *testing.T) {
	fleet := "apiVersion: edgeproof.dev/v1alpha1\nkind: Fleet\nmetadata: {name: f}\nspec:\n  power: []\n"
	_, err := LoadBytes("f.yaml", []byte(fleet))
	if err == nil || err.Error() != "f.yaml:2:7: kind: this is a Fleet file, not a Scenario: give it as --fleet FILE with --kubeconfig, or edgeproof fleet validate FILE" {
		t.Errorf("fleet as scenario: %v", err)
	}
	_, err = LoadFleetBytes("s.yaml", []byte("apiVersion: edgeproof.dev/v1alpha1\nkind: Scenario\nmetadata: {name: s}\nspec: {duration: 1m}\n"))
	if err == nil || !strings.Contains(err.Error(), "s.yaml:2:7: kind: this is a Scenario file, not a Fleet: give it as edgeproof run FILE") {
		t.Errorf("scenario as fleet: %v", err)
	}
	_, err = LoadBytes("x.yaml", []byte("apiVersion: edgeproof.dev/v1alpha1\nkind: Pod\nmetadata: {name: x}\n"))
	if err == nil || !strings.Contains(err.Error(), `kind: unsupported value "Pod": must be "Scenario"`) {
		t.Errorf("an unknown kind: %v", err)
	}
}

// TestObserveTopicFilter: a filter the broker would refuse is a field
// error, not a deploy that waits for a subscription that never comes.
func TestObserveTopicFilter(t *testing.T) {
	doc := func(topic string) string {
		return "apiVersion: edgeproof.dev/v1alpha1\nkind: Scenario\nmetadata: {name: o}\nspec:\n  duration: 1m\n" +
			"  workload: {devicesim: {}, sink: {}, manifests: [app/cm.yaml]}\n" +
			"  devices: {count: 1, rate: 1, endpoint: {service: b, port: 1883}}\n" +
			"  observe: {service: b, port: 1883, topic: \"" + topic + "\"}\n" +
			"  objectives: [{name: lost, kind: delivery, metric: lost, budget: 0}]\n"
	}
	for topic, want := range map[string]string{
		"a/#/b":       "# must be a whole level, and the last",
		"a+/b":        "+ must be a whole level",
		"$share/g/a":  "set shared: true",
		"site/+/up/#": "",
	} {
		_, err := LoadBytes("testdata/o.yaml", []byte(doc(topic)))
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", topic, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: error %v, want %q", topic, err, want)
		}
	}
}
