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

func TestVerdictQuantities(t *testing.T) {
	for _, c := range []struct {
		v                     Verdict
		value, budget, margin string
	}{
		{Verdict{Value: 8.365693804, Budget: 11, Margin: 2.634306196, Unit: "s"}, "8.366 s", "11 s", "+2.634 s"},
		{Verdict{Value: 0.9985, Budget: 0.999, Margin: -0.0005, Unit: "ratio"}, "0.9985", "0.999", "-0.0005"},
		{Verdict{Value: 0, Budget: 0, Margin: 0, Unit: "count"}, "0", "0", "0"},
	} {
		value, budget, margin := c.v.Quantities()
		if value != c.value || budget != c.budget || margin != c.margin {
			t.Errorf("%+v: got %q %q %q, want %q %q %q", c.v, value, budget, margin, c.value, c.budget, c.margin)
		}
	}
}
