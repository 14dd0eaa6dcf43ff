package reports

import "time"

// SchemaVersion is the version of the report.json layout this package writes
// and reads. It is also the schemaVersion constant in report.schema.json:
// a change to the JSON layout must bump both.
const SchemaVersion = "1.3.0"

// Report is one run of an edgeproof suite: where it ran and what each
// scenario measured and concluded.
type Report struct {
	// SchemaVersion is the report.json layout version; writers expect SchemaVersion.
	SchemaVersion string `json:"schemaVersion"`
	// Suite identifies the run.
	Suite Suite `json:"suite"`
	// Environment fingerprints the cluster and host the run used.
	Environment Environment `json:"environment"`
	// Scenarios are the scenarios in the order they ran.
	Scenarios []Scenario `json:"scenarios"`
	// Shard is set on the report of one shard of a run split over
	// machines (SHARD=i/N); such a report alone certifies only its part.
	// Added in schema 1.3.0.
	Shard *Shard `json:"shard,omitempty"`
}

// Shard names one part of a run split over machines.
type Shard struct {
	// Index is the shard's number, from 1 to Total.
	Index int `json:"index"`
	// Total is how many shards the run was split into.
	Total int `json:"total"`
	// Plan identifies the split: a hash of every selected spec and the
	// shard it went to, the same on every shard of one run.
	Plan string `json:"plan,omitempty"`
	// Specs is how many specs the whole split covers: a merge of every
	// shard must hold that many scenarios.
	Specs int `json:"specs,omitempty"`
}

// Suite identifies one run of a test suite.
type Suite struct {
	// Name is the suite's name, e.g. "edge-resilience".
	Name string `json:"name"`
	// Started is when the run began.
	Started time.Time `json:"started"`
	// Finished is when the run ended.
	Finished time.Time `json:"finished"`
	// Duration is the wall time of the run.
	Duration Duration `json:"durationSeconds"`
}

// State is the outcome of a scenario.
type State string

// The outcomes a scenario can have.
const (
	// StatePassed means the scenario ran and every check and objective held.
	StatePassed State = "passed"
	// StateFailed means the scenario ran and a check or objective did not hold.
	StateFailed State = "failed"
	// StateSkipped means the scenario did not run; SkipReason says why.
	StateSkipped State = "skipped"
)

// Valid reports whether s is one of the defined states.
func (s State) Valid() bool {
	return s == StatePassed || s == StateFailed || s == StateSkipped
}

// Scenario is one chaos scenario: the faults it injected, what it measured
// while they were active, and the verdicts on its objectives.
type Scenario struct {
	// Name is the scenario's name, unique within the report.
	Name string `json:"name"`
	// File is the scenario definition file, relative to the repository root.
	File string `json:"file,omitempty"`
	// FileSHA256 is the lowercase hex SHA-256 of File's content as run.
	FileSHA256 string `json:"fileSha256,omitempty"`
	// Labels are the scenario's labels, e.g. "network", "slow".
	Labels []string `json:"labels,omitempty"`
	// State is the outcome.
	State State `json:"state"`
	// SkipReason says why a skipped scenario did not run.
	SkipReason string `json:"skipReason,omitempty"`
	// Failure is the failure message of a failed scenario.
	Failure string `json:"failure,omitempty"`
	// Started is when the scenario began; zero if it never started.
	Started time.Time `json:"started,omitzero"`
	// Duration is the scenario's wall time.
	Duration Duration `json:"durationSeconds"`
	// FaultEvents are the faults injected, in injection order.
	FaultEvents []FaultEvent `json:"faultEvents,omitempty"`
	// Series are the time series sampled during the scenario.
	Series []Series `json:"series,omitempty"`
	// Verdicts are the judged objectives.
	Verdicts []Verdict `json:"verdicts,omitempty"`
	// Artifacts are files kept for this scenario (logs, dumps).
	Artifacts []Artifact `json:"artifacts,omitempty"`
	// Output is the scenario's captured log output. junit.xml trims it for
	// passed scenarios; report.json keeps it whole.
	Output string `json:"output,omitempty"`
	// Mutant is set on a mutation-suite run: the scenario played against a
	// planted defect. Its State is passed when the defect was caught, and
	// its verdicts (some failing, by design) are not counted in the
	// report's objectives. Added in schema 1.2.0.
	Mutant *MutantRun `json:"mutant,omitempty"`
}

// MutantRun is what a mutation-suite run planted and whether it was caught.
type MutantRun struct {
	// Name is the defect's name, e.g. "gateway-no-store-forward".
	Name string `json:"name"`
	// Defect says what was broken.
	Defect string `json:"defect,omitempty"`
	// Expect names the objectives of which one must fail; empty means the
	// run itself must fail.
	Expect []string `json:"expect,omitempty"`
	// Caught reports whether the run failed as expected.
	Caught bool `json:"caught"`
}

// FaultEvent is one injected fault and its window.
type FaultEvent struct {
	// Name identifies the fault within the scenario, e.g. "reboot-worker-1".
	Name string `json:"name"`
	// Kind is the fault type, e.g. "node-reboot", "network-partition", "packet-loss".
	Kind string `json:"kind"`
	// Target is what the fault hit, e.g. a node, pod or link.
	Target string `json:"target,omitempty"`
	// Start is when the fault was injected; zero if it was skipped before injection.
	Start time.Time `json:"start,omitzero"`
	// End is when the fault was removed; zero if it never was.
	End time.Time `json:"end,omitzero"`
	// Healed reports whether the target was back to healthy after End.
	Healed bool `json:"healed"`
	// Skipped reports that the fault was not injected.
	Skipped bool `json:"skipped,omitempty"`
	// SkipReason says why a skipped fault was not injected, e.g. a missing host capability.
	SkipReason string `json:"skipReason,omitempty"`
	// Backend names what injected the fault: native, chaos-mesh or workload. Added in schema 1.2.0.
	Backend string `json:"backend,omitempty"`
	// Evidence shows the fault in force, checked from outside after the injection, e.g.
	// "node edge-b-1: 4 iptables rules tagged edgeproof:x1". Added in schema 1.2.0.
	Evidence []string `json:"evidence,omitempty"`
	// Error is why injecting or healing the fault failed. Added in schema 1.2.0.
	Error string `json:"error,omitempty"`
}

// Series is one sampled time series, e.g. availability or gateway queue depth.
type Series struct {
	// Name is the measured quantity, e.g. "availability", "delivery latency p99".
	Name string `json:"name"`
	// Unit is the unit of every value, e.g. "%", "ms", "messages"; empty for a plain count.
	Unit string `json:"unit,omitempty"`
	// Points are the samples in time order.
	Points []Point `json:"points"`
}

// Point is one sample of a Series.
type Point struct {
	// T is the sample time.
	T time.Time `json:"t"`
	// V is the sampled value; it must be finite.
	V float64 `json:"v"`
}

// Verdict is the judgement of one service-level objective.
type Verdict struct {
	// Objective names the objective, e.g. "availability during reboot".
	Objective string `json:"objective"`
	// Kind is the objective's category, e.g. "availability", "latency", "loss", "recovery".
	Kind string `json:"kind,omitempty"`
	// Metric is the measured metric, usually a Series name plus aggregation, e.g. "p99(delivery latency)".
	Metric string `json:"metric"`
	// Value is the measured value, in Unit.
	Value float64 `json:"value"`
	// Budget is the limit the objective allows, in Unit.
	Budget float64 `json:"budget"`
	// Unit is the unit of Value, Budget and Margin.
	Unit string `json:"unit,omitempty"`
	// Margin is the headroom left before the budget is breached, in Unit:
	// positive when the objective holds, negative by how much it was missed.
	Margin float64 `json:"margin"`
	// Pass reports whether the objective held.
	Pass bool `json:"pass"`
	// Detail explains the verdict when the numbers alone do not, e.g. why a
	// metric could not be measured or which occurrence of a repeated fault
	// was the worst. Added in schema 1.1.0.
	Detail string `json:"detail,omitempty"`
}

// Artifact is a file kept alongside the report.
type Artifact struct {
	// Name is a short human label, e.g. "gateway logs".
	Name string `json:"name"`
	// Path is the file's path relative to the report directory, slash-separated.
	Path string `json:"path"`
}
