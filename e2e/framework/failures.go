package framework

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/edgeproof/edgeproof/reports"
)

// FailuresFile is written next to the reports when a run failed: every
// failure in a few lines, for the end of a terminal or CI log (the Makefile
// prints it after a failed suite), where Ginkgo's own summary gives only
// locations. Suite setup failures are in it too; the report model has no
// place for them, it holds specs.
const FailuresFile = "failures.txt"

// failureLines caps each failure message: the first lines say what broke,
// the rest is in the reports.
const failureLines = 12

// Failures lists what failed in a run: failed suite nodes (setup and
// teardown) with their location and message, then failed specs with their
// message and every unmet objective's value and budget.
func Failures(r types.Report, rep *reports.Report) string {
	var b strings.Builder
	for _, s := range r.SpecReports {
		if s.LeafNodeType == types.NodeTypeIt || !s.State.Is(types.SpecStateFailureStates) {
			continue
		}
		fmt.Fprintf(&b, "FAILED %s at %s (%s)\n", s.LeafNodeType, s.Failure.Location, s.State)
		writeIndented(&b, s.Failure.Message)
	}
	for _, s := range rep.Scenarios {
		if s.State != reports.StateFailed {
			continue
		}
		fmt.Fprintf(&b, "FAILED %s\n", s.Name)
		writeIndented(&b, s.Failure)
		for _, v := range s.Verdicts {
			if !v.Pass {
				fmt.Fprintf(&b, "    %s\n", v.Line())
			}
		}
	}
	return b.String()
}

func writeIndented(b *strings.Builder, msg string) {
	lines := strings.Split(strings.TrimSpace(msg), "\n")
	if len(lines) > failureLines {
		lines = append(lines[:failureLines], fmt.Sprintf("... (%d more lines in the reports)", len(lines)-failureLines))
	}
	for _, l := range lines {
		if l != "" {
			fmt.Fprintf(b, "    %s\n", l)
		}
	}
}

// WriteFailures writes dir/failures.txt when the run failed and removes a
// stale one when it did not.
func WriteFailures(dir string, r types.Report, rep *reports.Report) error {
	path := filepath.Join(dir, FailuresFile)
	text := Failures(r, rep)
	if text == "" {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing stale %s: %w", path, err)
		}
		return nil
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
