package scenarios

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeScenariosAreTheirFiles keeps the scenarios README.md explains
// identical to the files they stand for, in order, so they cannot drift.
func TestReadmeScenariosAreTheirFiles(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rest := string(readme)
	for _, name := range []string{"catalog/uplink-cut.yaml", "../examples/nats-edge/pod-loss.yaml"} {
		var block string
		var ok, closed bool
		_, rest, ok = strings.Cut(rest, "```yaml\n")
		block, rest, closed = strings.Cut(rest, "```\n")
		if !ok || !closed {
			t.Fatalf("README.md has no ```yaml block for %s", name)
		}
		file, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if block != string(file) {
			t.Errorf("README.md's scenario differs from %s; copy the file into the README", name)
		}
	}
}
