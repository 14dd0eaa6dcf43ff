package reports

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
)

// passedOutputLines is how much captured output junit.xml keeps for a passed
// scenario: enough to see how it ended, without bloating CI test views.
const passedOutputLines = 20

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Stamp    string       `xml:"timestamp,attr,omitempty"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string           `xml:"name,attr"`
	Tests      int              `xml:"tests,attr"`
	Failures   int              `xml:"failures,attr"`
	Errors     int              `xml:"errors,attr"`
	Skipped    int              `xml:"skipped,attr"`
	Time       string           `xml:"time,attr"`
	Stamp      string           `xml:"timestamp,attr,omitempty"`
	Properties *junitProperties `xml:"properties"`
	Cases      []junitCase      `xml:"testcase"`
}

type junitProperties struct {
	List []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name       string           `xml:"name,attr"`
	Classname  string           `xml:"classname,attr"`
	File       string           `xml:"file,attr,omitempty"`
	Time       string           `xml:"time,attr"`
	Properties *junitProperties `xml:"properties"`
	Skipped    *junitMessage    `xml:"skipped"`
	Failure    *junitMessage    `xml:"failure"`
	SystemOut  *junitText       `xml:"system-out"`
}

// junitText is element text written as CDATA, so multi-line logs stay
// readable in the file instead of turning every newline into &#xA;.
type junitText struct {
	Text string `xml:",cdata"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",cdata"`
}

// MarshalJUnit encodes r as JUnit XML in the dialect Jenkins, GitLab and
// GitHub test reporters share: one testsuite, one testcase per scenario.
func MarshalJUnit(r *Report) ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("invalid report: %w", err)
	}
	t := r.Totals()
	suite := junitSuite{
		Name:       r.Suite.Name,
		Tests:      t.Scenarios,
		Failures:   t.Failed,
		Skipped:    t.Skipped,
		Time:       junitSeconds(r.Suite.Duration),
		Stamp:      junitStamp(r),
		Properties: properties(environmentProperties(r.Environment)),
	}
	for _, s := range r.Scenarios {
		suite.Cases = append(suite.Cases, junitTestCase(r.Suite.Name, s))
	}
	doc := junitSuites{
		Name: r.Suite.Name, Tests: t.Scenarios, Failures: t.Failed, Skipped: t.Skipped,
		Time: suite.Time, Stamp: suite.Stamp, Suites: []junitSuite{suite},
	}
	b, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode junit: %w", err)
	}
	out := append([]byte(xml.Header), b...)
	return append(out, '\n'), nil
}

// WriteJUnit writes r to dir/junit.xml.
func WriteJUnit(r *Report, dir string) error {
	b, err := MarshalJUnit(r)
	if err != nil {
		return err
	}
	return writeFile(dir, JUnitFile, b)
}

func junitTestCase(suite string, s Scenario) junitCase {
	c := junitCase{
		Name:      s.Name,
		Classname: suite,
		File:      s.File,
		Time:      junitSeconds(s.Duration),
	}
	var props []junitProperty
	for _, v := range s.Verdicts {
		val, budget, margin := v.Quantities()
		value := fmt.Sprintf("%s value=%s budget=%s margin=%s", passWord(v.Pass), val, budget, margin)
		if v.Detail != "" {
			// A verdict that could not be measured reads value=0; say why.
			value += " detail=" + v.Detail
		}
		props = append(props, junitProperty{Name: "verdict: " + v.Objective, Value: value})
	}
	c.Properties = properties(props)
	out := xmlSafe(cleanOutput(s.Output))
	switch s.State {
	case StateSkipped:
		c.Skipped = &junitMessage{Message: skipReason(s.SkipReason)}
	case StateFailed:
		msg := xmlSafe(strings.TrimSpace(cleanOutput(s.Failure)))
		if msg == "" {
			msg = "scenario failed"
		}
		table := verdictText(s.Verdicts)
		c.Failure = &junitMessage{Message: firstLine(msg), Type: failureType(s), Body: joinBlocks(msg, table, faultText(s.FaultEvents))}
		c.SystemOut = text(joinBlocks(table, out))
	case StatePassed:
		c.SystemOut = text(trimTail(out, passedOutputLines))
	}
	return c
}

func properties(ps []junitProperty) *junitProperties {
	if len(ps) == 0 {
		return nil
	}
	return &junitProperties{List: ps}
}

func text(s string) *junitText {
	if s == "" {
		return nil
	}
	return &junitText{Text: s}
}

// xmlSafe replaces characters XML 1.0 forbids even when escaped (most
// control characters), which CDATA sections would otherwise carry through.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r == 0xFFFE, r == 0xFFFF, 0xD800 <= r && r <= 0xDFFF:
			return '\uFFFD'
		}
		return r
	}, s)
}

// failureType tells a missed objective from any other failure, since the
// first means "the system under test regressed" and the second often "the
// harness broke".
func failureType(s Scenario) string {
	for _, v := range s.Verdicts {
		if !v.Pass {
			return "ObjectiveMissed"
		}
	}
	return "Failure"
}

func skipReason(reason string) string {
	if reason == "" {
		return "skipped (no reason given)"
	}
	return reason
}

func environmentProperties(e Environment) []junitProperty {
	var ps []junitProperty
	add := func(name, value string) {
		if value != "" {
			ps = append(ps, junitProperty{Name: name, Value: value})
		}
	}
	add("edgeproof.version", e.EdgeproofVersion)
	add("edgeproof.commit", e.EdgeproofCommit)
	add("kubernetes.version", e.KubernetesVersion)
	add("provider", e.Provider)
	for _, n := range e.Nodes {
		add("node."+n.Name, strings.Join(nonEmpty(n.Arch, n.Kernel, n.ContainerRuntime, strings.Join(n.Roles, "+"), n.Zone), ", "))
	}
	for _, c := range e.HostCapabilities {
		add("capability."+c.Name, c.Value)
	}
	for _, f := range e.ScenarioFiles {
		add("sha256."+f.Path, f.SHA256)
	}
	return ps
}

// verdictText renders verdicts as an aligned plain-text table for CI log views.
func verdictText(vs []Verdict) string {
	if len(vs) == 0 {
		return ""
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "OBJECTIVE\tMETRIC\tVALUE\tBUDGET\tMARGIN\tRESULT")
	for _, v := range vs {
		value, budget, margin := v.Quantities()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", v.Objective, v.Metric, value, budget, margin, passWord(v.Pass))
	}
	tw.Flush()
	return strings.TrimRight(b.String(), "\n")
}

func faultText(fs []FaultEvent) string {
	var lines []string
	for _, f := range fs {
		switch {
		case f.Skipped:
			lines = append(lines, fmt.Sprintf("fault %s (%s) skipped: %s", f.Name, f.Kind, skipReason(f.SkipReason)))
		case !f.Start.IsZero() && f.End.IsZero():
			lines = append(lines, fmt.Sprintf("fault %s (%s) on %s was never removed", f.Name, f.Kind, f.Target))
		case !f.Start.IsZero() && !f.Healed:
			lines = append(lines, fmt.Sprintf("fault %s (%s) on %s: target did not heal", f.Name, f.Kind, f.Target))
		}
	}
	return strings.Join(lines, "\n")
}

// trimTail keeps the last n lines of s and says how many it dropped.
func trimTail(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) <= n {
		return s
	}
	dropped := len(lines) - n
	return fmt.Sprintf("[%d earlier lines trimmed; report.json has the full output]\n%s", dropped, strings.Join(lines[dropped:], "\n"))
}

func joinBlocks(blocks ...string) string {
	return strings.Join(nonEmpty(blocks...), "\n\n")
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func junitSeconds(d Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}

// junitStamp uses the zone-less form the JUnit XSD's timestamp allows, in UTC.
func junitStamp(r *Report) string {
	if r.Suite.Started.IsZero() {
		return ""
	}
	return r.Suite.Started.UTC().Format("2006-01-02T15:04:05")
}
