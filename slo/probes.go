package slo

import "time"

// ProbeCounts are one probe's counters over the run.
type ProbeCounts struct {
	// Name is the probe's name.
	Name string
	// Attempts and Successes count the probe's attempts.
	Attempts, Successes uint64
	// LongestOutage is from the start of the first failed attempt to the
	// end of the next successful one (or the reading).
	LongestOutage time.Duration
}

// ProbeAvailability turns the prober's counters into the availability of
// each probe: the share of attempts that succeeded and the longest outage.
// A probe with no counters, or no attempt, is Unknown; err, when the
// prober could not be read, makes every probe Unknown with it as reason.
func ProbeAvailability(names []string, stats []ProbeCounts, err error) map[string]Availability {
	byName := map[string]ProbeCounts{}
	for _, s := range stats {
		byName[s.Name] = s
	}
	out := map[string]Availability{}
	for _, n := range names {
		s, ok := byName[n]
		var why Value
		switch {
		case err != nil:
			why = Unknown("prober not read: %v", err)
		case !ok:
			why = Unknown("the prober has no probe %s", n)
		case s.Attempts == 0:
			why = Unknown("probe %s made no attempt", n)
		}
		a := Availability{SuccessRatio: why, LongestOutage: why, MinReady: notRolled}
		if why.Reason == "" {
			a.SuccessRatio = Ratio(float64(s.Successes) / float64(s.Attempts))
			a.LongestOutage = Seconds(s.LongestOutage)
		}
		out[n] = a
	}
	return out
}
