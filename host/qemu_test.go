package host

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseBinfmtEntry(t *testing.T) {
	e, err := parseBinfmtEntry("enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: PF\noffset 0\nmagic 7f454c46\n")
	if err != nil || !e.Enabled || e.Interpreter != "/usr/libexec/qemu-binfmt/aarch64-binfmt-P" || e.Flags != "PF" {
		t.Fatalf("%+v %v", e, err)
	}
	if e, err := parseBinfmtEntry("disabled\ninterpreter /x\nflags: \n"); err != nil || e.Enabled {
		t.Fatalf("disabled: %+v %v", e, err)
	}
	if _, err := parseBinfmtEntry("garbage"); err == nil {
		t.Fatal("garbage: want an error")
	}
}

func TestBinfmtState(t *testing.T) {
	dir := t.TempDir()
	binfmtDir = dir
	t.Cleanup(func() { binfmtDir = "/proc/sys/fs/binfmt_misc" })
	check := func(want string, ok bool) {
		t.Helper()
		got, gotOK := binfmtState()
		if gotOK != ok || !strings.Contains(got, want) {
			t.Fatalf("binfmtState = %q %v, want %q %v", got, gotOK, want, ok)
		}
	}
	check("not mounted", false)
	os.WriteFile(filepath.Join(dir, "status"), []byte("enabled\n"), 0o644)
	check("no qemu-aarch64 entry", false)
	entry := filepath.Join(dir, "qemu-aarch64")
	os.WriteFile(entry, []byte("disabled\ninterpreter /q\nflags: F\n"), 0o644)
	check("disabled", false)
	os.WriteFile(entry, []byte("enabled\ninterpreter /q\nflags: P\n"), 0o644)
	check("F flag", false)
	os.WriteFile(entry, []byte("enabled\ninterpreter /q\nflags: PF\n"), 0o644)
	check("enabled (/q)", true)
}
