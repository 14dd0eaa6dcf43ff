package capfilter

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestMissing(t *testing.T) {
	// The mask seen on the project's machines: everything but bit 24.
	got := Missing(0x000001fffeffffff)
	if !reflect.DeepEqual(got, []string{"CAP_SYS_RESOURCE"}) {
		t.Fatalf("Missing = %v, want [CAP_SYS_RESOURCE]", got)
	}
	if got := Missing(0x000001ffffffffff); len(got) != 0 {
		t.Fatalf("full mask: Missing = %v, want none", got)
	}
}

func TestSpecFiles(t *testing.T) {
	args := []string{"--root", "/r", "create", "--bundle", "/b/x/", "id"}
	if got := SpecFiles(args); !reflect.DeepEqual(got, []string{"/b/x/config.json"}) {
		t.Fatalf("create: %v", got)
	}
	args = []string{"exec", "--process=/tmp/p.json", "-d", "id"}
	if got := SpecFiles(args); !reflect.DeepEqual(got, []string{"/tmp/p.json"}) {
		t.Fatalf("exec: %v", got)
	}
	if got := SpecFiles([]string{"state", "id"}); len(got) != 0 {
		t.Fatalf("state: %v", got)
	}
}

func TestStripSpecFile(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	spec := `{"ociVersion":"1.0.2","process":{"capabilities":{
		"bounding":["CAP_CHOWN","CAP_SYS_RESOURCE"],
		"effective":["CAP_SYS_RESOURCE","CAP_KILL"]}}}`
	if err := os.WriteFile(cfg, []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := StripSpecFile(cfg, []string{"CAP_SYS_RESOURCE"}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Process struct {
			Capabilities map[string][]string `json:"capabilities"`
		} `json:"process"`
	}
	raw, _ := os.ReadFile(cfg)
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"bounding": {"CAP_CHOWN"}, "effective": {"CAP_KILL"}}
	if !reflect.DeepEqual(doc.Process.Capabilities, want) {
		t.Fatalf("caps = %v, want %v", doc.Process.Capabilities, want)
	}
	// An exec process file keeps its caps at the top level.
	proc := filepath.Join(dir, "p.json")
	_ = os.WriteFile(proc, []byte(`{"args":["sh"],"capabilities":{"bounding":["CAP_SYS_RESOURCE"]}}`), 0o600)
	if err := StripSpecFile(proc, []string{"CAP_SYS_RESOURCE"}); err != nil {
		t.Fatal(err)
	}
	raw, _ = os.ReadFile(proc)
	if string(raw) != `{"args":["sh"],"capabilities":{"bounding":[]}}` {
		t.Fatalf("process file = %s", raw)
	}
}

func TestStripSpecFileBadJSON(t *testing.T) {
	p := filepath.Join(t.TempDir(), "config.json")
	_ = os.WriteFile(p, []byte("{"), 0o600)
	if err := StripSpecFile(p, []string{"CAP_SYS_RESOURCE"}); err == nil {
		t.Fatal("want an error for malformed JSON")
	}
}
