package scenarios

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration is a Go duration written as a string such as "30s", "1m30s" or
// "250ms".
type Duration time.Duration

// Std returns the duration as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String formats the duration like time.Duration does ("1m30s").
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"30s\": %w", err)
	}
	return d.decodeScalar("!!str", s)
}

func (d *Duration) decodeScalar(tag, value string) error {
	if tag != "!!str" {
		return typeErrorf("must be a duration string such as \"30s\" or \"1m30s\", not %s", describeTag(tag))
	}
	v, err := time.ParseDuration(value)
	if err != nil {
		return invalidf("invalid duration %q: use a Go duration such as \"30s\" or \"1m30s\"", value)
	}
	*d = Duration(v)
	return nil
}

// Percent is a percentage from 0 to 100, written as a number (25, 2.5) or a
// string ("25", "25%"), as Chaos Mesh writes loss and correlation.
type Percent float64

// UnmarshalJSON reads a number or a numeric string with an optional "%".
func (p *Percent) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		return p.decodeScalar("!!str", s)
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("percentage must be a number or a string such as \"25%%\": %w", err)
	}
	return p.decodeScalar("!!float", strconv.FormatFloat(f, 'g', -1, 64))
}

// String formats the percentage as Chaos Mesh expects it: a plain number
// without the "%" sign.
func (p Percent) String() string { return strconv.FormatFloat(float64(p), 'f', -1, 64) }

func (p *Percent) decodeScalar(tag, value string) error {
	switch tag {
	case "!!int", "!!float", "!!str":
	default:
		return typeErrorf("must be a percentage such as 25 or \"25%%\", not %s", describeTag(tag))
	}
	f, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(value), "%"), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return invalidf("invalid percentage %q: use a number such as 25 or \"25%%\"", value)
	}
	*p = Percent(f)
	return nil
}

// Budget is the limit an objective's measurement is compared with. It is
// written as a Go duration ("15s"), a ratio (0.999 or "99.9%") or a count
// (0, "1k") depending on the metric; Objective.ParseBudget interprets it.
type Budget string

// MarshalJSON writes the budget as a string.
func (b Budget) MarshalJSON() ([]byte, error) { return json.Marshal(string(b)) }

// UnmarshalJSON reads a string or a number.
func (b *Budget) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		*b = Budget(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(data, &n); err != nil {
		return fmt.Errorf("budget must be a string or a number: %w", err)
	}
	*b = Budget(n.String())
	return nil
}

func (b *Budget) decodeScalar(tag, value string) error {
	switch tag {
	case "!!int", "!!float", "!!str":
		*b = Budget(value)
		return nil
	}
	return typeErrorf("must be a duration, ratio or count such as \"15s\", \"99.9%%\" or 0, not %s", describeTag(tag))
}

// describeTag names a YAML tag for error messages.
func describeTag(tag string) string {
	switch tag {
	case "!!str":
		return "a string"
	case "!!int":
		return "an integer"
	case "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "null"
	case "!!map":
		return "a mapping"
	case "!!seq":
		return "a list"
	case "!!timestamp":
		return "a timestamp"
	case "!!binary":
		return "binary data"
	}
	return "a value tagged " + tag
}
