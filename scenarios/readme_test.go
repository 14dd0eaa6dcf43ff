package scenarios

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeScenarioIsTheCatalogFile keeps the scenario README.md explains
// identical to the catalog file it names, so the example cannot drift.
func TestReadmeScenarioIsTheCatalogFile(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "```yaml\n")
	block, _, closed := strings.Cut(block, "```\n")
	if !ok || !closed {
		t.Fatal("README.md has no ```yaml block")
	}
	file, err := os.ReadFile("catalog/uplink-cut.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if block != string(file) {
		t.Error("README.md's scenario differs from scenarios/catalog/uplink-cut.yaml; copy the file into the README")
	}
}
