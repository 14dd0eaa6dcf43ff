package reports

import (
	"encoding/xml"
	"regexp"
	"strings"
	"testing"
)

func TestJUnitStructure(t *testing.T) {
	b, err := MarshalJUnit(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("junit.xml does not parse: %v", err)
	}
	if doc.Tests != 3 || doc.Failures != 1 || doc.Skipped != 1 || len(doc.Suites) != 1 {
		t.Fatalf("totals: tests=%d failures=%d skipped=%d suites=%d", doc.Tests, doc.Failures, doc.Skipped, len(doc.Suites))
	}
	cases := doc.Suites[0].Cases
	passed, failed, skipped := cases[0], cases[1], cases[2]

	if passed.SystemOut == nil || !strings.HasPrefix(passed.SystemOut.Text, "[10 earlier lines trimmed") {
		t.Errorf("passed system-out not trimmed: %+v", passed.SystemOut)
	}
	if strings.Contains(passed.SystemOut.Text, "\x1b") {
		t.Error("terminal escape codes left in system-out")
	}
	if failed.Failure == nil || failed.Failure.Type != "ObjectiveMissed" || !strings.Contains(failed.Failure.Message, "no message loss") {
		t.Fatalf("failure element: %+v", failed.Failure)
	}
	if !strings.Contains(failed.SystemOut.Text, "no message loss") || !strings.Contains(failed.SystemOut.Text, "-37 messages") {
		t.Errorf("failed system-out lacks the verdict table:\n%s", failed.SystemOut.Text)
	}
	if failed.Properties == nil || len(failed.Properties.List) != 3 {
		t.Errorf("failed case: want 3 verdict properties, got %+v", failed.Properties)
	}
	if skipped.Skipped == nil || !strings.Contains(skipped.Skipped.Message, "/dev/kvm") {
		t.Errorf("skipped element: %+v", skipped.Skipped)
	}
}

func TestJUnitVerdictDetail(t *testing.T) {
	r := fixture(t)
	r.Scenarios[1].Verdicts[0].Detail = "not measured: node never became NotReady"
	b, err := MarshalJUnit(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "detail=not measured: node never became NotReady") {
		t.Errorf("junit.xml lacks the verdict detail:\n%s", b)
	}
}

func TestJUnitSurvivesHostileOutput(t *testing.T) {
	r := fixture(t)
	r.Scenarios[1].Output = "a ]]> b \x00\x07 c <d> & e"
	r.Scenarios[1].Failure = "x ]]> y\x01"
	b, err := MarshalJUnit(r)
	if err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("junit.xml does not parse: %v", err)
	}
	if got := doc.Suites[0].Cases[1].SystemOut.Text; !strings.Contains(got, "a ]]> b \uFFFD\uFFFD c <d> & e") {
		t.Errorf("system-out = %q", got)
	}
}

func TestSummary(t *testing.T) {
	b, err := MarshalSummary(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	if !strings.HasPrefix(md, "# ❌ edge-resilience: FAILED\n") {
		t.Errorf("summary does not open with the overall outcome:\n%.200s", md)
	}
	if got := strings.Count(md, "\n| [node-reboot-during-burst]") + strings.Count(md, "\n| [gateway-partition]"); got != 6+1 {
		t.Errorf("want 6 verdict rows and 1 skipped-fault row, got %d", got)
	}
	for _, want := range []string{
		"| no message loss | 37 messages | 0 messages | -37 messages | ❌ |",
		"host has no /dev/kvm",
		"host capability fallocate is unavailable",
		"[events \\| edge-2](artifacts/gateway-partition/events%20%28edge-2%29.txt)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	for _, link := range regexp.MustCompile(`\]\(([^)]*)\)`).FindAllStringSubmatch(md, -1) {
		if strings.Contains(link[1], "://") || strings.HasPrefix(link[1], "/") {
			t.Errorf("summary link %q is not relative", link[1])
		}
	}
}

func TestSummaryPassedRun(t *testing.T) {
	r := fixture(t)
	r.Scenarios = r.Scenarios[:1]
	b, err := MarshalSummary(r)
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	if !strings.HasPrefix(md, "# ✅ edge-resilience: PASSED") || strings.Contains(md, "## Failures") {
		t.Errorf("passed run summary:\n%s", md)
	}
}

func TestHTMLIsSelfContained(t *testing.T) {
	b, err := MarshalHTML(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	assertSelfContained(t, page)
	// 5 series in the first scenario, 5 with samples in the second.
	if got := strings.Count(page, `<svg class="chart"`); got != 10 {
		t.Errorf("want 10 charts, got %d", got)
	}
	if got := strings.Count(page, `<svg class="timeline"`); got != 2 {
		t.Errorf("want 2 timelines, got %d", got)
	}
	for _, want := range []string{
		"link gateway&lt;-&gt;cloud",
		"37 messages lost &lt;expected 0&gt; &amp; counting",
		`href="artifacts/gateway-partition/events%20%28edge-2%29.txt"`,
		`id="s2-gateway-partition"`,
		"no samples",
		"host has no /dev/kvm",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// assertSelfContained fails on anything that would make a browser fetch a
// resource: URLs, src attributes, CSS imports and url() references.
func assertSelfContained(t *testing.T, page string) {
	t.Helper()
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)https?://`),
		regexp.MustCompile(`(?i)\ssrc\s*=`),
		regexp.MustCompile(`(?i)@import`),
		regexp.MustCompile(`(?i)url\(`),
		regexp.MustCompile(`(?i)<(script|iframe|object|embed|img|link(?:[^>]*rel="stylesheet"))`),
		regexp.MustCompile(`(?i)href="(?:/|[a-z][a-z0-9+.-]*:)(?:[^"]*)"`),
	} {
		for _, m := range re.FindAllString(page, -1) {
			if m == `href="data:,"` {
				continue // the empty favicon stops the browser asking for /favicon.ico
			}
			t.Errorf("page refers outside itself: %q", m)
		}
	}
	if !strings.Contains(page, `http-equiv="Content-Security-Policy" content="default-src 'none'`) {
		t.Error("page lacks its no-network Content-Security-Policy")
	}
}
