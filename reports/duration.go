package reports

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Duration is a time.Duration that JSON encodes as a number of seconds, so
// that report.json stays readable and language-neutral.
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// Seconds returns d in seconds.
func (d Duration) Seconds() float64 { return time.Duration(d).Seconds() }

// String formats d like time.Duration, rounded to milliseconds.
func (d Duration) String() string { return time.Duration(d).Round(time.Millisecond).String() }

// MarshalJSON encodes d as seconds with nanosecond precision.
func (d Duration) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, time.Duration(d).Seconds(), 'f', -1, 64), nil
}

// UnmarshalJSON decodes seconds into d.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s float64
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: want seconds as a number: %w", err)
	}
	if math.IsNaN(s) || s < 0 || s > math.MaxInt64/1e9 {
		return fmt.Errorf("duration: %v seconds is out of range", s)
	}
	*d = Duration(math.Round(s * 1e9))
	return nil
}
