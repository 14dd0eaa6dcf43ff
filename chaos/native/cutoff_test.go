package native

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/chaos/internal/fakecluster"
	"github.com/edgeproof/edgeproof/chaos/iptables"
	"github.com/edgeproof/edgeproof/chaos/recovery"
	"github.com/edgeproof/edgeproof/scenarios"
)

// TestCutOffScriptRunsEachCommandWithItsInput runs a handed-over script in
// a real shell, with stand-ins for the node's commands: arguments arrive
// unchanged (quotes included), each command reads its own input, and the
// input files are gone afterwards.
func TestCutOffScriptRunsEachCommandWithItsInput(t *testing.T) {
	dir := t.TempDir()
	s := &script{}
	ctx := context.Background()
	s.ExecInput(ctx, []byte("rules\n"), "iptables-restore", "-w", "--noflush")
	s.Exec(ctx, "systemctl", "stop", "it's a unit")
	run := strings.ReplaceAll(s.shell("x1"), recovery.RunDir, dir)
	if err := os.WriteFile(strings.ReplaceAll(inputFile("x1", 0), recovery.RunDir, dir), []byte("rules\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"iptables-restore", "systemctl"} {
		body := "#!/bin/sh\nprintf '%s|' \"$0\" \"$@\" >> " + dir + "/calls\ncat >> " + dir + "/calls\necho >> " + dir + "/calls\n"
		if err := os.WriteFile(filepath.Join(dir, tool), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("sh", "-c", run)
	cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"))
	cmd.Stdin = strings.NewReader("") // the timer's unit has no input
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s\n%s", err, out, run)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "calls"))
	want := dir + "/iptables-restore|-w|--noflush|rules\n\n" + dir + "/systemctl|stop|it's a unit|\n"
	if string(got) != want {
		t.Errorf("calls:\n%q\nwant\n%q", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "x1.in0")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("input file left: %v", err)
	}
}

// A script whose commands take no input runs where nothing was written to
// the node before (no /run/edgeproof yet), and stamps when it applied the
// fault there.
func TestCutOffScriptWithoutInputStampsItsStart(t *testing.T) {
	dir := t.TempDir()
	s := &script{}
	s.Exec(context.Background(), "true")
	run := strings.ReplaceAll(s.shell("x2"), recovery.RunDir, filepath.Join(dir, "run"))
	if out, err := exec.Command("sh", "-c", run).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s\n%s", err, out, run)
	}
	out, err := os.ReadFile(strings.ReplaceAll(recovery.AppliedFile("x2"), recovery.RunDir, filepath.Join(dir, "run")))
	if err != nil {
		t.Fatal(err)
	}
	if at, err := parseStamp(out); err != nil || time.Since(at) > time.Minute || time.Since(at) < 0 {
		t.Errorf("applied stamp %q: %v", out, err)
	}
}

// stamp writes, on a fake node, what its dead-man timer writes when it
// healed entry id at t.
func stamp(n *fakecluster.Node, id string, t time.Time) {
	n.SetFile(recovery.HealedFile(id), []byte(strconv.FormatInt(t.UnixNano(), 10)+"\n"))
}

func TestCutOffFaultIsHandedToTheNodeAndHealedByIt(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		kind  scenarios.FaultKind
		still string // a call that must not run directly
	}{
		{scenarios.KubeletStop, "a1 exec systemctl stop kubelet"},
		{scenarios.RuntimeStop, "a1 exec systemctl stop containerd"},
		{scenarios.NodeIsolate, "a1 exec iptables-restore"},
	} {
		t.Run(string(c.kind), func(t *testing.T) {
			e := newEnv(t)
			a1 := e.fb.Node("a1")
			a1.Remote = true
			f := nodeFault(c.kind, "a1")
			f.Duration = scenarios.Duration(30 * time.Second)
			if _, err := e.b.Inject(ctx, f); err != nil {
				t.Fatal(err)
			}
			p := e.pending()
			if len(p) != 1 || p[0].CutOff == nil {
				t.Fatalf("journal: %+v", p)
			}
			id, cut := p[0].ID, p[0].CutOff
			if d := cut.Heals.Sub(cut.Applies); d != 30*time.Second {
				t.Errorf("applied for %s, want 30s", d)
			}
			calls := fakecluster.Join(e.fb.Calls())
			// Healed at the planned end (the apply delay after 30 s), by a
			// timer armed before the one that applies it.
			arm := "a1 exec systemd-run --unit=" + recovery.DeadManPrefix + id + " --on-active=31s"
			apply := "a1 exec systemd-run --unit=" + recovery.CutOffPrefix + id + " --on-active=1000ms"
			if i, j := strings.Index(calls, arm), strings.Index(calls, apply); i < 0 || j < 0 || i > j {
				t.Fatalf("want %q before %q in\n%s", arm, apply, calls)
			}
			if strings.Contains(calls, c.still) {
				t.Fatalf("the fault ran through the exec it cuts off:\n%s", calls)
			}

			// The node healed itself 2 s ago; the heal reports that moment.
			healed := time.Now().Add(-2 * time.Second).Truncate(time.Microsecond)
			stamp(a1, id, healed)
			applied := healed.Add(-time.Minute)
			a1.SetFile(recovery.AppliedFile(id), []byte(strconv.FormatInt(applied.UnixNano(), 10)+"\n"))
			rec := e.b.recoverFor(t, id)
			hctx, at := chaos.WithNodeTimes(ctx)
			if err := rec(hctx); err != nil {
				t.Fatal(err)
			}
			if !at().Healed.Equal(healed) {
				t.Errorf("heal reported %v, want the node's %v", at().Healed, healed)
			}
			if !at().Applied.Equal(applied) {
				t.Errorf("start reported %v, want the node's %v", at().Applied, applied)
			}
			if a1.UnitActive(recovery.CutOffPrefix+id) || a1.UnitActive(recovery.DeadManPrefix+id) {
				t.Error("timers left armed")
			}
			if _, ok := a1.File(recovery.HealedFile(id)); ok {
				t.Error("healed file left on the node")
			}
			if len(e.pending()) != 0 {
				t.Error("entry not healed")
			}
		})
	}
}

// recoverFor returns the Recover of pending entry id, as Inject returned
// it: a fresh injection over the journal entry.
func (b *Backend) recoverFor(t *testing.T, id string) chaos.Recover {
	t.Helper()
	p, err := b.Journal.Pending()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range p {
		if e.ID == id {
			return (&injection{b: b, entry: e}).heal
		}
	}
	t.Fatalf("no pending entry %s", id)
	return nil
}

// unreachable makes a fake node refuse every exec while cut is true, as
// a node whose kubelet is stopped or whose link to the API is cut.
func unreachable(n *fakecluster.Node, cut *atomic.Bool) {
	n.ExecHook = func(args []string, _ []byte) ([]byte, error, bool) {
		if cut.Load() {
			return nil, errors.New("error dialing backend: connection refused"), true
		}
		return nil, nil, false
	}
}

// injectCut injects a fault of kind on the unattended node a1 of a fresh
// fake cluster, and returns the cluster, a1, the pending entry's id and
// the heal.
func injectCut(t *testing.T, kind scenarios.FaultKind, d time.Duration) (*env, *fakecluster.Node, string, chaos.Recover) {
	t.Helper()
	e := newEnv(t)
	a1 := e.fb.Node("a1")
	a1.Remote = true
	f := nodeFault(kind, "a1")
	f.Duration = scenarios.Duration(d)
	rec, err := e.b.Inject(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return e, a1, e.pending()[0].ID, rec
}

func TestCutOffHealWaitsUntilTheNodeAnswers(t *testing.T) {
	ctx := context.Background()
	defer func(p time.Duration) { rejoinPoll = p }(rejoinPoll)
	rejoinPoll = 50 * time.Millisecond
	_, a1, id, rec := injectCut(t, scenarios.KubeletStop, time.Second)
	var cut atomic.Bool
	cut.Store(true)
	unreachable(a1, &cut)
	healed := time.Now().Add(300 * time.Millisecond)
	go func() {
		time.Sleep(500 * time.Millisecond)
		stamp(a1, id, healed)
		cut.Store(false)
	}()
	hctx, at := chaos.WithNodeTimes(ctx)
	start := time.Now()
	if err := rec(hctx); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < 400*time.Millisecond {
		t.Error("healed before the node answered")
	}
	if at().Healed.UnixNano() != healed.UnixNano() {
		t.Errorf("reported %v, want %v", at().Healed, healed)
	}
}

func TestCutOffHealFailsWhenTheNodeNeverAnswers(t *testing.T) {
	ctx := context.Background()
	defer func(p, r time.Duration) { rejoinPoll, RejoinTimeout = p, r }(rejoinPoll, RejoinTimeout)
	rejoinPoll, RejoinTimeout = 50*time.Millisecond, 200*time.Millisecond
	e, a1, _, rec := injectCut(t, scenarios.NodeIsolate, time.Second)
	var cut atomic.Bool
	cut.Store(true)
	unreachable(a1, &cut)
	err := rec(ctx)
	if err == nil || !strings.Contains(err.Error(), "did not answer") {
		t.Fatalf("got %v, want a failure naming the silent node", err)
	}
	if len(e.pending()) != 1 {
		t.Error("an unhealed fault was marked healed")
	}
}

// A node that answers at heal time was not cut off (the fault never bit,
// or the heal came early): its apply timer is stopped first, then it is
// healed at once, and no earlier end is claimed.
func TestCutOffHealOfANodeThatAnswers(t *testing.T) {
	ctx := context.Background()
	e, _, _, rec := injectCut(t, scenarios.KubeletStop, time.Minute)
	hctx, at := chaos.WithNodeTimes(ctx)
	if err := rec(hctx); err != nil {
		t.Fatal(err)
	}
	if !at().Healed.IsZero() || !at().Applied.IsZero() {
		t.Errorf("claimed node times %+v", at())
	}
	calls := fakecluster.Join(e.fb.Calls())
	stop, start := strings.Index(calls, "systemctl stop "+recovery.CutOffPrefix), strings.LastIndex(calls, "a1 exec systemctl start kubelet")
	if stop < 0 || start < 0 || stop > start {
		t.Fatalf("the apply timer was not stopped before the heal:\n%s", calls)
	}
}

func TestShortCutOffSkipsOnUnattendedNodes(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.fb.Node("a1").Remote = true
	for _, c := range []struct {
		kind scenarios.FaultKind
		d    time.Duration
		skip bool
	}{
		{scenarios.KubeletStop, 10 * time.Second, true},
		{scenarios.NodeIsolate, 10 * time.Second, true},
		{scenarios.KubeletStop, MinCutOff, false},
		// Not a cut: the node stays reachable, so no proof from the API.
		{scenarios.Stress, 5 * time.Second, false},
	} {
		f := nodeFault(c.kind, "a1")
		f.Duration = scenarios.Duration(c.d)
		if c.kind == scenarios.Stress {
			f.Stress = &scenarios.StressParams{CPU: &scenarios.CPUStressor{Workers: 1}}
		}
		ok, why, err := e.b.Preflight(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if ok == c.skip || (c.skip && !strings.Contains(why, "at least "+MinCutOff.String())) {
			t.Errorf("%s for %s: ok %v, %q", c.kind, c.d, ok, why)
		}
	}
}

var _ iptables.Execer = (*script)(nil)
