package clusters

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestReadFilesScript runs the script ReadFiles sends to nodes in a local
// shell: only files with the suffix come back, each whole, nested ones
// included, and a missing directory reads as no files rather than an error.
func TestReadFilesScript(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, data string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("pod-a/1.ledger", "one\ntwo\n")
	write("pod-b/2.ledger", "no newline at end")
	write("pod-b/other.txt", "skip me\n")
	run := func(d string) map[string][]byte {
		out, err := exec.Command("sh", "-c", readFilesScript, "sh", d, ".ledger").Output()
		if err != nil {
			t.Fatal(err)
		}
		return splitFiles(out)
	}
	got := run(dir)
	if len(got) != 2 || string(got[filepath.Join(dir, "pod-a/1.ledger")]) != "one\ntwo\n" ||
		string(got[filepath.Join(dir, "pod-b/2.ledger")]) != "no newline at end" {
		t.Fatalf("files %q", got)
	}
	if got := run(filepath.Join(dir, "missing")); len(got) != 0 {
		t.Fatalf("missing dir: %q", got)
	}
}
