package slo

import (
	"fmt"
	"time"

	"github.com/edgeproof/edgeproof/reports"
)

// SinkTotals is the sink's /summary accounting, merged over every sink
// replica, read once the run's traffic has drained.
type SinkTotals struct {
	// Received counts unique messages received.
	Received uint64
	// Expected counts sequence numbers up to the highest seen, over boots.
	Expected uint64
	// Lost counts gaps the sink declared lost.
	Lost uint64
	// Missing counts sequence numbers in gaps still open.
	Missing uint64
	// Duplicates counts deliveries of a message already received.
	Duplicates uint64
	// Reordered counts messages that filled an open gap.
	Reordered uint64
	// Malformed counts payloads that failed decoding.
	Malformed uint64
	// P50 is the median device-to-sink latency of first deliveries.
	P50 time.Duration
	// P99 is the 99th percentile of that latency.
	P99 time.Duration
	// Max is the slowest of those first deliveries.
	Max time.Duration
	// Measured counts the first deliveries P50 and P99 are computed over
	// (those after the steady-state baseline); with none they are Unknown.
	Measured uint64
}

// DeviceTail pairs, for one device boot, what devicesim had acknowledged
// with what the sink received, to find messages lost after the last one the
// sink saw (tail loss leaves no gap for the sink to count).
type DeviceTail struct {
	// Device is the device id.
	Device string
	// Boot is the device's boot id.
	Boot string
	// Acked is how many of this boot's messages devicesim had acknowledged.
	Acked uint64
	// NextSeq is the sink's highest received seq for this boot plus one; 0
	// when the sink received nothing from it.
	NextSeq uint64
	// Unread, when set, says why Acked is not established: the boot was
	// last seen in a reading taken before its simulator became unreachable,
	// and its ledger could not be read. Lost is then Unknown.
	Unread string
}

// Delivery is the end-to-end delivery of a run.
type Delivery struct {
	// Lost counts acknowledged messages that never reached the sink.
	Lost Value
	// TailLost is the part of Lost found by the tail check.
	TailLost uint64
	// Duplicates counts messages the sink received more than once.
	Duplicates Value
	// P50Latency is the median device-to-sink latency, in seconds.
	P50Latency Value
	// P99Latency is the 99th percentile of that latency, in seconds.
	P99Latency Value
	// MaxLatency is the slowest first delivery, in seconds.
	MaxLatency Value
}

// MeasureDelivery computes delivery from the sink's final totals and the
// per-boot tail check: lost = sink lost + missing at the end + tail lost,
// where a boot's tail loss is Acked - NextSeq when positive.
func MeasureDelivery(t SinkTotals, tails []DeviceTail) Delivery {
	var tail uint64
	var unread []string
	for _, d := range tails {
		// Seqs start at 0 per boot and the sink counts gaps below its
		// highest seq, so only acknowledged seqs beyond it are unaccounted.
		tail += delta(d.NextSeq, d.Acked)
		if d.Unread != "" {
			unread = append(unread, d.Device+" boot "+d.Boot+": "+d.Unread)
		}
	}
	d := Delivery{
		Lost:       Count(t.Lost + t.Missing + tail),
		TailLost:   tail,
		Duplicates: Count(t.Duplicates),
		P50Latency: Seconds(t.P50),
		P99Latency: Seconds(t.P99),
		MaxLatency: Seconds(t.Max),
	}
	if len(unread) > 0 {
		d.Lost = Unknown("at least %d lost; the acknowledged tail of %d device boots is not established (%s)",
			t.Lost+t.Missing+tail, len(unread), firstOf(unread))
	}
	switch {
	case t.Received == 0:
		d.P50Latency = Unknown("the sink received no message, so it measured no latency")
		d.P99Latency, d.MaxLatency = d.P50Latency, d.P50Latency
	case t.Measured == 0:
		// A pipeline that stalled once steady would otherwise read 0 s.
		d.P50Latency = Unknown("the sink received no message after steady state, so it measured no latency")
		d.P99Latency, d.MaxLatency = d.P50Latency, d.P50Latency
	}
	return d
}

// firstOf quotes the first reason of many, with how many more there are.
func firstOf(reasons []string) string {
	if len(reasons) == 1 {
		return reasons[0]
	}
	return fmt.Sprintf("%s; and %d more", reasons[0], len(reasons)-1)
}

// CountSample is one reading of a monotonic counter.
type CountSample struct {
	// T is when the counter was read.
	T time.Time
	// V is its value.
	V uint64
}

// MeasureCatchUp is the time from faultEnd until the sink has received as
// many messages as the devices had had acknowledged by the first reading at
// or after faultEnd: the backlog buffered during the fault has arrived.
// devicesAcked must hold only complete readings (every simulator answered):
// devices cut off during the fault are read again only after it, and a
// target from before the fault would leave their backlog out. Reading the
// target after the end makes it at most slightly high (messages sent since
// the end), never low. Both series must count from the same origin (e.g. the
// sink's received total and devicesim's acknowledged total of the same run)
// and be in time order. The result has sample resolution.
func MeasureCatchUp(faultEnd time.Time, sinkReceived, devicesAcked []CountSample) Value {
	target, ok := atOrAfter(devicesAcked, faultEnd)
	if !ok {
		return Unknown("no complete devicesim reading at or after the fault's end (%s)", stamp(faultEnd))
	}
	var last CountSample
	for _, s := range sinkReceived {
		if s.T.Before(faultEnd) {
			continue
		}
		if s.V >= target {
			return Seconds(s.T.Sub(faultEnd))
		}
		last = s
	}
	if last.T.IsZero() {
		return Unknown("no sink sample after the fault's end (%s)", stamp(faultEnd))
	}
	return Unknown("the sink had received %d of the %d messages acknowledged by the fault's end when sampling stopped, %s after it",
		last.V, target, last.T.Sub(faultEnd).Round(time.Millisecond))
}

// atOrAfter is the counter's first sample at or after t.
func atOrAfter(samples []CountSample, t time.Time) (uint64, bool) {
	for _, s := range samples {
		if !s.T.Before(t) {
			return s.V, true
		}
	}
	return 0, false
}

// MeasureDrain is the time from faultEnd until a backlog series (e.g. the
// gateways' total queue depth, in time order) is at or below normal, the
// depth of ordinary in-flight traffic: what was stored during the fault
// has been forwarded. A backlog that never built up drains at once.
func MeasureDrain(faultEnd time.Time, depth []reports.Point, normal float64) Value {
	var last reports.Point
	for _, p := range depth {
		if p.T.Before(faultEnd) {
			continue
		}
		if p.V <= normal {
			return Seconds(p.T.Sub(faultEnd))
		}
		last = p
	}
	if last.T.IsZero() {
		return Unknown("no queue sample after the fault's end (%s)", stamp(faultEnd))
	}
	return Unknown("the gateways still held %g messages %s after the fault's end, when sampling stopped",
		last.V, last.T.Sub(faultEnd).Round(time.Millisecond))
}
