package journal

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func open(t *testing.T, dir string) (*Journal, *[]string) {
	t.Helper()
	var warnings []string
	var mu sync.Mutex
	j, err := OpenDir(dir, WithWarnf(func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		warnings = append(warnings, fmt.Sprintf(format, args...))
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j, &warnings
}

func pendingIDs(t *testing.T, j *Journal) []string {
	t.Helper()
	p, err := j.Pending()
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(p))
	for i, e := range p {
		ids[i] = e.ID
	}
	return ids
}

func TestBeginHealedPending(t *testing.T) {
	j, warnings := open(t, t.TempDir())
	a, err := j.Begin(Entry{Fault: "cut", Kind: "node-isolate", Targets: []string{"w1"},
		Recovery: []Action{{Op: OpIptablesFlushComment, Node: "w1", Comment: "edgeproof:x"}}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := j.Begin(Entry{Fault: "off", Kind: "node-power-loss", Recovery: []Action{{Op: OpStartNode, Node: "w2"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := pendingIDs(t, j); strings.Join(got, ",") != a+","+b {
		t.Fatalf("pending = %v, want [%s %s]", got, a, b)
	}
	if err := j.Healed(a); err != nil {
		t.Fatal(err)
	}
	if err := j.Healed(a); err != nil {
		t.Fatalf("healing twice: %v", err)
	}
	p, err := j.Pending()
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != 1 || p[0].ID != b || p[0].Recovery[0] != (Action{Op: OpStartNode, Node: "w2"}) || p[0].Started.IsZero() {
		t.Fatalf("pending = %+v, want only %s with its recovery", p, b)
	}
	if err := j.Healed("nope"); err == nil {
		t.Fatal("healing an unknown id succeeded")
	}
	if len(*warnings) != 0 {
		t.Fatalf("warnings: %v", *warnings)
	}
}

func TestBeginWithReservedID(t *testing.T) {
	j, _ := open(t, t.TempDir())
	id := j.NewID()
	got, err := j.Begin(Entry{ID: id})
	if err != nil || got != id {
		t.Fatalf("Begin = %q, %v; want %q", got, err, id)
	}
	if _, err := j.Begin(Entry{ID: id}); err == nil {
		t.Fatal("second Begin with the same id succeeded")
	}
	if _, err := j.Begin(Entry{Recovery: []Action{{Node: "x"}}}); err == nil {
		t.Fatal("Begin accepted an action without op")
	}
}

func TestReopenAfterCrash(t *testing.T) {
	dir := t.TempDir()
	j, _ := open(t, dir)
	a, _ := j.Begin(Entry{Kind: "node-pause", Recovery: []Action{{Op: OpResumeNode, Node: "w1"}}})
	b, _ := j.Begin(Entry{Kind: "kubelet-stop", Recovery: []Action{{Op: OpSystemctlStart, Node: "w1", Unit: "kubelet"}}})
	if err := j.Healed(b); err != nil {
		t.Fatal(err)
	}
	// Crash in the middle of a write: half a record, no newline.
	f, err := os.OpenFile(filepath.Join(dir, FileName), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"type":"begin","id":"torn","entry":{"id":"to`); err != nil {
		t.Fatal(err)
	}
	f.Close()

	j2, warnings := open(t, dir)
	if got := pendingIDs(t, j2); len(got) != 1 || got[0] != a {
		t.Fatalf("pending after reopen = %v, want [%s]", got, a)
	}
	if len(*warnings) == 0 {
		t.Fatal("no warning about the torn line")
	}
	// The next record must not be glued to the torn line.
	c, err := j2.Begin(Entry{Kind: "node-stop", Recovery: []Action{{Op: OpStartNode, Node: "w3"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := pendingIDs(t, j2); len(got) != 2 || got[1] != c {
		t.Fatalf("pending = %v, want [%s %s]", got, a, c)
	}
	// Another process heals an entry this one did not begin.
	if err := j2.Healed(a); err != nil {
		t.Fatal(err)
	}
	if got := pendingIDs(t, j); len(got) != 1 || got[0] != c {
		t.Fatalf("first journal sees pending %v, want [%s]", got, c)
	}
	n := len(*warnings)
	pendingIDs(t, j2)
	if len(*warnings) != n {
		t.Fatal("the same bad line was reported twice")
	}
}

func TestTornLastLineOnRead(t *testing.T) {
	dir := t.TempDir()
	j, warnings := open(t, dir)
	a, _ := j.Begin(Entry{Kind: "node-stop", Recovery: []Action{{Op: OpStartNode, Node: "w1"}}})
	// A writer that died after Open's repair: unterminated garbage at the end.
	if err := os.WriteFile(filepath.Join(dir, FileName), append(mustRead(t, filepath.Join(dir, FileName)), `{"type":"hea`...), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := pendingIDs(t, j); len(got) != 1 || got[0] != a {
		t.Fatalf("pending = %v, want [%s]", got, a)
	}
	if len(*warnings) != 1 || !strings.Contains((*warnings)[0], "incomplete last line") {
		t.Fatalf("warnings = %v", *warnings)
	}
}

func TestCorruptMiddleLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	data := `{"type":"begin","id":"a","time":"2026-01-01T00:00:00Z","entry":{"id":"a","started":"2026-01-01T00:00:00Z","recovery":[{"op":"start-node","node":"w1"}]}}
not json
{"type":"healed","id":"ghost","time":"2026-01-01T00:00:01Z"}
{"type":"begin","id":"b","time":"2026-01-01T00:00:02Z","entry":{"id":"b","started":"2026-01-01T00:00:02Z","recovery":[]}}
`
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	j, warnings := open(t, dir)
	if got := pendingIDs(t, j); strings.Join(got, ",") != "a,b" {
		t.Fatalf("pending = %v", got)
	}
	if len(*warnings) != 2 {
		t.Fatalf("warnings = %v, want 2 (corrupt line, unknown id)", *warnings)
	}
}

func TestConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	j1, _ := open(t, dir)
	j2, _ := open(t, dir) // a second handle, as a second process would have
	var wg sync.WaitGroup
	ids := make(chan string, 100)
	for i := range 50 {
		j := j1
		if i%2 == 1 {
			j = j2
		}
		wg.Go(func() {
			id, err := j.Begin(Entry{Kind: "node-stop", Recovery: []Action{{Op: OpStartNode, Node: fmt.Sprint("w", i)}}})
			if err != nil {
				t.Error(err)
				return
			}
			ids <- id
			if i%3 == 0 {
				if err := j.Healed(id); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	close(ids)
	all, healed, err := j1.All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 50 {
		t.Fatalf("%d entries, want 50", len(all))
	}
	n := 0
	for _, h := range healed {
		if h {
			n++
		}
	}
	if n != 17 {
		t.Fatalf("%d healed, want 17", n)
	}
}

func TestOpenByCluster(t *testing.T) {
	t.Setenv("EDGEPROOF_CACHE", t.TempDir())
	j, err := Open("edge-1")
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	want := filepath.Join(os.Getenv("EDGEPROOF_CACHE"), "journal", "edge-1", FileName)
	if j.Path() != want || j.Cluster() != "edge-1" {
		t.Fatalf("path %s cluster %s, want %s edge-1", j.Path(), j.Cluster(), want)
	}
	id, _ := j.Begin(Entry{})
	p, _ := j.Pending()
	if len(p) != 1 || p[0].ID != id || p[0].Cluster != "edge-1" {
		t.Fatalf("pending = %+v", p)
	}
	if _, err := Open("../etc"); err == nil {
		t.Fatal("Open accepted a path as cluster name")
	}
}

func TestActionString(t *testing.T) {
	for _, c := range []struct {
		a    Action
		want string
	}{
		{Action{Op: OpStartNode, Node: "w1"}, "start-node w1"},
		{Action{Op: OpSystemctlStart, Node: "w1", Unit: "kubelet"}, "systemctl-start w1 kubelet"},
		{Action{Op: OpTCDelRoot, Node: "w1", Dev: "eth0"}, "tc-del-root w1 eth0"},
		{Action{Op: OpDeleteCR, APIVersion: "chaos-mesh.org/v1alpha1", Kind: "PodChaos", Namespace: "ns", Name: "x"}, "delete-cr PodChaos ns/x"},
	} {
		if got := c.a.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.a, got, c.want)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
