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

// MeasureRecovery is the time from faultEnd to the first steady sample at or
// after it that starts a run of n consecutive steady samples (n < 1 counts
// as 1), so a single lucky sample does not end the recovery. Samples must be
// in time order.
func MeasureRecovery(faultEnd time.Time, samples []SteadySample, n int) Value {
	n = max(n, 1)
	run, seen := 0, 0
	for i, s := range samples {
		if s.T.Before(faultEnd) {
			continue
		}
		seen++
		if !s.Steady {
			run = 0
			continue
		}
		run++
		if run == n {
			return Seconds(samples[i-n+1].T.Sub(faultEnd))
		}
	}
	if seen == 0 {
		return Unknown("no steady-state check ran after the fault's end (%s)", stamp(faultEnd))
	}
	return Unknown("not steady for %d consecutive checks in the %d checks after the fault's end", n, seen)
}
