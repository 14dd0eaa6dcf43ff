package host

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestRegisterRuntimeKeepsOtherSettings(t *testing.T) {
	dir := t.TempDir()
	daemonJSON = filepath.Join(dir, "daemon.json")
	wrapperPath = "/opt/edgeproof-runc"
	if err := os.WriteFile(daemonJSON, []byte(`{"log-level":"warn","runtimes":{"other":{"path":"/x"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	changed, err := registerRuntime()
	if err != nil || !changed {
		t.Fatalf("first registration: changed=%v err=%v", changed, err)
	}
	var doc map[string]any
	raw, _ := os.ReadFile(daemonJSON)
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	runtimes := doc["runtimes"].(map[string]any)
	if doc["log-level"] != "warn" || runtimes["other"] == nil || doc["default-runtime"] != RuntimeName {
		t.Fatalf("daemon.json = %s", raw)
	}
	if changed, err := registerRuntime(); err != nil || changed {
		t.Fatalf("second registration must change nothing: changed=%v err=%v", changed, err)
	}
	os.WriteFile(daemonJSON, []byte("{"), 0o644)
	if _, err := registerRuntime(); err == nil {
		t.Fatal("malformed daemon.json: want an error, not an overwrite")
	}
}

func TestInstallWrapperIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	wrapperPath = filepath.Join(dir, "libexec", RuntimeName)
	src := filepath.Join(dir, "src")
	os.WriteFile(src, []byte("binary"), 0o755)
	if changed, err := installWrapper(src); err != nil || !changed {
		t.Fatalf("install: changed=%v err=%v", changed, err)
	}
	if changed, err := installWrapper(src); err != nil || changed {
		t.Fatalf("reinstall of the same binary: changed=%v err=%v", changed, err)
	}
	if _, err := installWrapper(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing wrapper binary: want an error")
	}
}
