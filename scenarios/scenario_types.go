package scenarios

// APIVersion is the apiVersion every scenario file declares.
const APIVersion = "edgeproof.dev/v1alpha1"

// KindScenario is the kind every scenario file declares.
const KindScenario = "Scenario"

// Scenario is one edge resilience experiment: the cluster it needs, the
// workload and devices it runs, the faults it injects and the objectives
// (SLO budgets) it must meet. It is the unit a user writes, reviews and
// certifies.
type Scenario struct {
	// APIVersion must be "edgeproof.dev/v1alpha1".
	APIVersion string `json:"apiVersion"`
	// Kind must be "Scenario".
	Kind string `json:"kind"`
	// Metadata names and describes the scenario.
	Metadata Metadata `json:"metadata"`
	// Spec is the experiment itself.
	Spec Spec `json:"spec"`

	// source is the file name the scenario was loaded from.
	source string
	// positions maps field paths to where they appear in source.
	positions map[string]Position
}

// Metadata names and describes a scenario.
type Metadata struct {
	// Name identifies the scenario in reports and test labels; a DNS-1123
	// label (lower-case letters, digits and '-', at most 63 characters).
	Name string `json:"name"`
	// Labels are free-form Kubernetes-style labels used to select scenarios,
	// e.g. tier: certify.
	Labels map[string]string `json:"labels,omitempty"`
	// Description says what the scenario proves, for reviewers.
	Description string `json:"description,omitempty"`
}

// Spec is the body of a scenario.
type Spec struct {
	// Duration is how long the run lasts, measured from the moment the
	// workload is steady; every fault window must end within it. Defaults
	// to the end of the last fault plus DefaultSettle.
	Duration Duration `json:"duration,omitempty"`
	// Cluster is what the cluster must offer for the scenario to run.
	Cluster ClusterSpec `json:"cluster,omitempty"`
	// Workload is what to deploy: fixtures of the reference pipeline and
	// the user's own application. Omitted or empty, all four fixtures are
	// deployed with default replicas.
	Workload WorkloadSpec `json:"workload,omitempty"`
	// Probes check the availability of the workload's Services from inside
	// the cluster, at an interval, for the whole run; availability
	// objectives name them.
	Probes []Probe `json:"probes,omitempty"`
	// Devices is the simulated device fleet; required when the devicesim
	// fixture is deployed.
	Devices *DeviceSpec `json:"devices,omitempty"`
	// Observe is where the devices' data lands in the user's pipeline,
	// for the sink fixture to account it there; needs devices.endpoint.
	Observe *ObserveSpec `json:"observe,omitempty"`
	// Faults is the fault timeline, in any order; each fault starts at its
	// own offset.
	Faults []Fault `json:"faults,omitempty"`
	// Objectives are the SLO budgets the run is judged by; at least one.
	Objectives []Objective `json:"objectives"`
	// Defect declares this scenario a known-bad variant: its workload is
	// broken on purpose (a misconfiguration, a faulty build), and the run
	// passes only when an objective it names fails on a measured value.
	// Keep one beside a scenario to show that its objectives can go red.
	Defect *Defect `json:"defect,omitempty"`
}

// Defect is the planted defect of a known-bad variant.
type Defect struct {
	// Description says what is broken, for the report.
	Description string `json:"description"`
	// CaughtBy names objectives of this scenario; at least one must fail
	// on a measured value (not Unknown) for the defect to count as caught.
	CaughtBy []string `json:"caughtBy"`
	// UnknownCatches lets an objective of caughtBy that stayed Unknown,
	// because what it waits for never happened within the run (pods that
	// never moved off a lost node), count as catching the defect, when that
	// is the defect's harm.
	UnknownCatches bool `json:"unknownCatches,omitempty"`
}

// Source returns the file name the scenario was loaded from, or "" for a
// scenario built in memory.
func (s *Scenario) Source() string { return s.source }

// Position returns where a field path (e.g. spec.objectives[1].budget)
// appears in the scenario's file, falling back to the closest enclosing
// field; it lets later stages, such as an SLO report, point at the line of
// a budget that was missed.
func (s *Scenario) Position(path string) Position { return position(s.positions, path) }

// position looks path up in positions, falling back to the closest
// enclosing field.
func position(positions map[string]Position, path string) Position {
	for p := fieldPath(path); ; p = p.parent() {
		if pos, ok := positions[string(p)]; ok {
			return pos
		}
		if p == "" {
			return Position{}
		}
	}
}
