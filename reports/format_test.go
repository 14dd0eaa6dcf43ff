package reports

import "testing"

func TestFormatNumber(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{
		{0, "0"}, {42, "42"}, {-3, "-3"}, {99.95, "99.95"}, {99.9512, "99.95"},
		{0.30000000000000004, "0.3"}, {1234.56, "1235"}, {0.001234, "0.001234"},
		{-0.05, "-0.05"}, {12.5, "12.5"},
	} {
		if got := formatNumber(c.in); got != c.want {
			t.Errorf("formatNumber(%v) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := formatMargin(0.05, "%"); got != "+0.05%" {
		t.Errorf("formatMargin = %q", got)
	}
	if got := formatValue(120, "ms"); got != "120 ms" {
		t.Errorf("formatValue = %q", got)
	}
}
