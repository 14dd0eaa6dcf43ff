package slo

import "time"

// SteadySample is one evaluation of the runner's steady-state check: every
// node Ready, every fixture's replicas Ready and the sink receiving at the
// devices' publish rate.
type SteadySample struct {
	// T is when the check ran.
	T time.Time
	// Steady is its outcome.
	Steady bool
}

// Recovery is how fast things were back to normal after one occurrence of a
// fault.
type Recovery struct {
	// Total is the time from the fault's end until the pipeline was steady
	// again, in seconds.
	Total Value
	// CatchUp is the time from the fault's end until the backlog reached the
	// sink, in seconds (MeasureCatchUp).
	CatchUp Value
	// DuplicatePods and StaleEndpoints come from CheckConsistency on the
	// state at the end of the run, after every fault healed.
	DuplicatePods, StaleEndpoints Value
}

// MeasureRecovery is the time from faultEnd until the pipeline was steady
// for good: until the first sample of the n consecutive steady samples (n <
// 1 counts as 1) that follow the last unsteady sample before until (the
// next fault's start, or the end of the run). Counting from the last
// unsteady sample, not the first steady one, matters for faults whose harm
// shows after they end: a killed container still counts as Ready for a
// second or two, and a restart backoff keeps it down long after the kill.
// A pipeline never unsteady in that span recovered at its first steady
// sample. Samples must be in time order.
func MeasureRecovery(faultEnd, until time.Time, samples []SteadySample, n int) Value {
	n = max(n, 1)
	var span []SteadySample
	for _, s := range samples {
		if !s.T.Before(faultEnd) && s.T.Before(until) {
			span = append(span, s)
		}
	}
	if len(span) == 0 {
		return Unknown("no steady-state check ran between the fault's end (%s) and %s", stamp(faultEnd), stamp(until))
	}
	from := 0
	for i, s := range span {
		if !s.Steady {
			from = i + 1
		}
	}
	if len(span)-from < n {
		return Unknown("not steady for %d consecutive checks before %s (%d checks after the fault's end, the last unsteady at %s)",
			n, stamp(until), len(span), stamp(span[max(from-1, 0)].T))
	}
	return Seconds(span[from].T.Sub(faultEnd))
}
