package svgchart

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

// wellFormed parses s as XML, which also proves labels were escaped.
func wellFormed(t *testing.T, s string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, s)
		}
	}
}

func TestChartShadesWindowsAndStaysSelfContained(t *testing.T) {
	svg, err := Chart(Line{
		Title: `queue <depth> & "more"`, Unit: "msgs",
		X: []float64{30, 0, 10, 20}, Y: []float64{4, 1, 2, 3},
		Span: 40, Windows: []Window{{From: 5, To: 15}},
	})
	if err != nil {
		t.Fatal(err)
	}
	wellFormed(t, svg)
	if !strings.HasPrefix(svg, `<svg class="chart" role="img" aria-label="queue &lt;depth&gt; &amp; &#34;more&#34;"`) {
		t.Errorf("unexpected svg start: %.120s", svg)
	}
	if strings.Contains(svg, "://") {
		t.Error("svg contains a URL")
	}
	if !strings.Contains(svg, "fill:rgba(220,38,38,") {
		t.Errorf("no shaded fault window in %s", svg)
	}
}

func TestChartFlatAndSinglePoint(t *testing.T) {
	for _, l := range []Line{
		{Title: "flat", X: []float64{0, 1, 2}, Y: []float64{5, 5, 5}},
		{Title: "one", X: []float64{0}, Y: []float64{0}},
		{Title: "negative", X: []float64{0, 1}, Y: []float64{-2, -1}},
	} {
		svg, err := Chart(l)
		if err != nil {
			t.Fatalf("%s: %v", l.Title, err)
		}
		wellFormed(t, svg)
	}
	if _, err := Chart(Line{Title: "none"}); !errors.Is(err, ErrNoPoints) {
		t.Errorf("empty series: err = %v, want ErrNoPoints", err)
	}
}

func TestTimeline(t *testing.T) {
	svg := Timeline([]Bar{
		{Label: "reboot <w1>", Detail: "a & b", From: 10, To: 40, Healed: true},
		{Label: "partition", From: 50, Open: true},
		{Label: "disk-fill", Skipped: true},
	}, 90, "faults")
	wellFormed(t, svg)
	for _, want := range []string{"reboot &lt;w1&gt;", "<title>a &amp; b</title>", "skipped", `stroke-dasharray="3 2"`, "+1m30s"} {
		if !strings.Contains(svg, want) {
			t.Errorf("timeline lacks %q", want)
		}
	}
	wellFormed(t, Timeline(nil, 0, "empty"))
}

func TestValueRange(t *testing.T) {
	for _, c := range []struct{ lo, hi float64 }{
		{99.2, 99.98}, {0, 37}, {5, 5}, {0, 0}, {-3, 7}, {0.001, 0.002},
	} {
		mn, mx, step := valueRange(c.lo, c.hi, 4)
		if mn > c.lo || mx < c.hi {
			t.Errorf("valueRange(%v, %v) = [%v, %v] does not cover the data", c.lo, c.hi, mn, mx)
		}
		if c.lo >= 0 && mn < 0 {
			t.Errorf("valueRange(%v, %v) min %v is negative for non-negative data", c.lo, c.hi, mn)
		}
		if n := (mx - mn) / step; n > 5.001 || n < 1 {
			t.Errorf("valueRange(%v, %v) gives %v intervals of %v", c.lo, c.hi, n, step)
		}
	}
	if mn, mx, _ := valueRange(0, 37, 4); mn != 0 || mx != 40 {
		t.Errorf("valueRange(0, 37) = [%v, %v], want [0, 40]", mn, mx)
	}
}
