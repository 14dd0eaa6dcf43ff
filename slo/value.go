package slo

import (
	"fmt"
	"time"
)

// Value is one measured quantity in the units objectives are judged in:
// seconds for durations, 0..1 for ratios, a plain number for counts. A
// quantity that could not be measured has Known false and a Reason; Judge
// turns it into a failing verdict that quotes the reason.
type Value struct {
	// V is the measurement; meaningful only when Known.
	V float64
	// Known reports whether V was measured.
	Known bool
	// Reason says why the value is unknown, e.g. "node edge-a-1 never
	// became NotReady".
	Reason string
}

// Seconds is a known duration, stored as seconds.
func Seconds(d time.Duration) Value { return Value{V: d.Seconds(), Known: true} }

// Ratio is a known ratio from 0 to 1.
func Ratio(r float64) Value { return Value{V: r, Known: true} }

// Count is a known count.
func Count[T ~int | ~int32 | ~int64 | ~uint64](n T) Value {
	return Value{V: float64(n), Known: true}
}

// Unknown is a value that could not be measured, with the reason why.
func Unknown(format string, args ...any) Value {
	return Value{Reason: fmt.Sprintf(format, args...)}
}

// Duration returns the value as a duration, for values made by Seconds.
func (v Value) Duration() time.Duration {
	return time.Duration(v.V * float64(time.Second))
}

// String formats the value for logs: the number, or "unknown (reason)".
func (v Value) String() string {
	if !v.Known {
		return "unknown (" + v.Reason + ")"
	}
	return fmt.Sprintf("%g", v.V)
}

// Window is an interval of wall-clock time, e.g. one occurrence of a fault
// or the whole run.
type Window struct {
	// Start is when the interval begins.
	Start time.Time
	// End is when it ends; for an instantaneous fault End equals Start.
	End time.Time
}

// Latest is the larger of known values, for a quantity that is over only
// when every part of it is (a backlog held in several places); it is
// Unknown, with that part's reason, as soon as one part is.
func Latest(parts ...Value) Value {
	out := Value{Known: len(parts) > 0, Reason: "nothing measured"}
	for _, p := range parts {
		if !p.Known {
			return p
		}
		out.V = max(out.V, p.V)
	}
	return out
}
