package scenarios

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeScenariosAreTheirFiles keeps the scenario README.md explains
// identical to the file it stands for, so they cannot drift.
func TestReadmeScenariosAreTheirFiles(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rest := string(readme)
	for _, c := range []struct {
		name    string
		excerpt bool
	}{{"catalog/node-power-loss.yaml", false}} {
		name := c.name
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
		if c.excerpt && (len(block) < 200 || !strings.Contains(string(file), block)) {
			t.Errorf("README.md's excerpt is not a part of %s; copy its lines into the README", name)
		}
		if !c.excerpt && block != string(file) {
			t.Errorf("README.md's scenario differs from %s; copy the file into the README", name)
		}
	}
}
