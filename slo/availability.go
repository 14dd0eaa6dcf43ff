package slo

import (
	"time"
)

// DeviceSample is one poll of devicesim's /counters, summed over every
// devicesim instance. LongestAckGapMs, LastAckUnixMs, LongestDeviceWaitMs
// and DeviceWaitMs are optional: zero means devicesim did not report them.
type DeviceSample struct {
	// T is when the counters were read.
	T time.Time
	// Generated counts messages the devices created, since devicesim started.
	Generated uint64
	// Acknowledged counts messages whose PUBACK arrived.
	Acknowledged uint64
	// Buffered is the number of messages unsent or awaiting their PUBACK.
	Buffered int64
	// LongestAckGapMs is devicesim's longest interval between two
	// consecutive acknowledgements, since it started; 0 when unknown.
	LongestAckGapMs int64
	// LastAckUnixMs is when the latest acknowledgement arrived, in Unix
	// milliseconds; 0 when unknown.
	LastAckUnixMs int64
	// LongestDeviceWaitMs is the longest time any single device waited for
	// an acknowledgement while it had messages pending, counting waits
	// still open, since devicesim started or its last gap reset (the engine
	// resets it once the system is steady); the maximum over instances.
	// 0 when unknown.
	LongestDeviceWaitMs int64
	// DeviceWaitMs is the longest wait still open at T among the devices;
	// 0 when none or unknown.
	DeviceWaitMs int64
}

// Availability is what the devices saw during a window.
type Availability struct {
	// SuccessRatio is the share of the window's publishes acknowledged.
	SuccessRatio Value
	// LongestOutage is the longest time a single device waited for an
	// acknowledgement while it had messages to send, in seconds. Without
	// per-device figures it is the longest time no publish was acknowledged
	// while some were pending.
	LongestOutage Value
	// MinReady is the fewest pods of the rolled fixture serving during a
	// rolling-update occurrence; Unknown for any other window.
	MinReady Value
}

// notRolled is MinReady outside a rollout; the engine sets it for each
// rolling-update occurrence.
var notRolled = Unknown("minReady is measured only while a rolling-update rolls a fixture")

// MeasureAvailability computes availability over w from samples in time
// order. grace is how long after w.End acknowledgements still count, so
// messages in flight when the window closes are not counted as failures;
// samples after w.End+grace are ignored. See the package documentation for
// the definitions.
func MeasureAvailability(samples []DeviceSample, w Window, grace time.Duration) Availability {
	in := within(samples, w.Start, w.End)
	if len(in) < 2 {
		why := Unknown("fewer than two devicesim samples between %s and %s", stamp(w.Start), stamp(w.End))
		return Availability{SuccessRatio: why, LongestOutage: why, MinReady: notRolled}
	}
	return Availability{
		SuccessRatio:  successRatio(in, within(samples, w.Start, w.End.Add(grace))),
		LongestOutage: longestOutage(in),
		MinReady:      notRolled,
	}
}

// within returns the samples from the last one at or before from to the
// last one at or before to: the counters that bracket the interval.
func within(samples []DeviceSample, from, to time.Time) []DeviceSample {
	first, last := -1, -1
	for i, s := range samples {
		if !s.T.After(from) {
			first = i
		}
		if !s.T.After(to) {
			last = i
		}
	}
	if first < 0 {
		first = 0 // polling began after the window opened; start from the first poll
	}
	if last < first {
		return nil
	}
	return samples[first : last+1]
}

func successRatio(in, withGrace []DeviceSample) Value {
	start, end := in[0], in[len(in)-1]
	generated := delta(start.Generated, end.Generated)
	if generated == 0 {
		return Unknown("devices generated no messages between %s and %s", stamp(start.T), stamp(end.T))
	}
	// Acknowledgements that arrive within the grace belong to messages
	// already generated; the cap keeps acks of the pre-window backlog or of
	// post-window messages from pushing the ratio above 1.
	acked := min(delta(start.Acknowledged, withGrace[len(withGrace)-1].Acknowledged), generated)
	return Ratio(float64(acked) / float64(generated))
}

// longestOutage measures per-device waits when the samples carry them,
// otherwise fleet-wide gaps.
func longestOutage(in []DeviceSample) Value {
	for _, s := range in {
		if s.LongestDeviceWaitMs > 0 {
			return longestDeviceWait(in)
		}
	}
	return longestAckGap(in)
}

// longestDeviceWait is the largest of the run-to-date maximum where it grew
// inside the window (a wait then ended or was still open after in[0], so it
// overlaps the window) and of the waits open at each sample. A longer wait
// that ended before the window only raises the baseline and is not counted.
func longestDeviceWait(in []DeviceSample) Value {
	var longest int64
	for _, s := range in[1:] {
		if s.LongestDeviceWaitMs > in[0].LongestDeviceWaitMs {
			longest = max(longest, s.LongestDeviceWaitMs)
		}
		longest = max(longest, s.DeviceWaitMs)
	}
	return Seconds(time.Duration(longest) * time.Millisecond)
}

// longestAckGap prefers devicesim's millisecond figures where both samples
// of an interval carry them, and falls back to sample resolution.
func longestAckGap(in []DeviceSample) Value {
	var longest time.Duration
	runStart := -1 // first sample of the current run of ack-less intervals
	for i := 1; i < len(in); i++ {
		prev, cur := in[i-1], in[i]
		if prev.LastAckUnixMs > 0 && cur.LastAckUnixMs > 0 {
			runStart = -1
			if cur.LongestAckGapMs > in[0].LongestAckGapMs {
				// devicesim's maximum grew, so the new longest gap
				// ended inside the window.
				longest = max(longest, time.Duration(cur.LongestAckGapMs)*time.Millisecond)
			}
			if cur.Buffered > 0 {
				// An outage still open at this sample.
				longest = max(longest, cur.T.Sub(time.UnixMilli(cur.LastAckUnixMs)))
			}
			continue
		}
		if cur.Acknowledged > prev.Acknowledged || (prev.Buffered <= 0 && cur.Generated == prev.Generated) {
			runStart = -1 // acks flowed, or nothing was waiting for one
			continue
		}
		if runStart < 0 {
			runStart = i - 1
		}
		longest = max(longest, cur.T.Sub(in[runStart].T))
	}
	return Seconds(longest)
}

// delta is b-a for monotonic counters, 0 if the counter went backwards
// (a restarted devicesim).
func delta(a, b uint64) uint64 {
	if b < a {
		return 0
	}
	return b - a
}

func stamp(t time.Time) string { return t.UTC().Format("15:04:05.000") }
