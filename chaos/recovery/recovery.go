// Package recovery replays journal recovery records: the registry maps
// each journal.Op to a function that heals it. Every function is
// idempotent, so an entry may be recovered twice (by the run that injected
// it and again by edgeproof recover) without harm.
package recovery

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/edgeproof/edgeproof/chaos/iptables"
	"github.com/edgeproof/edgeproof/chaos/journal"
	"github.com/edgeproof/edgeproof/chaos/tc"
	"github.com/edgeproof/edgeproof/clusters"
)

// Func heals one recovery action.
type Func func(ctx context.Context, env *Env, a journal.Action) error

var (
	regMu    sync.RWMutex
	registry = map[journal.Op]Func{}
)

// Register adds or replaces the function healing op; providers with other
// node types (QEMU) can add their own operations.
func Register(op journal.Op, fn Func) {
	regMu.Lock()
	defer regMu.Unlock()
	registry[op] = fn
}

func lookup(op journal.Op) (Func, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	fn, ok := registry[op]
	return fn, ok
}

func init() {
	Register(journal.OpStartNode, runNode)
	Register(journal.OpResumeNode, runNode)
	Register(journal.OpSystemctlStart, systemctlStart)
	Register(journal.OpSystemctlStop, systemctlStop)
	Register(journal.OpIptablesFlushComment, iptablesFlush)
	Register(journal.OpTCDelRoot, tcDelRoot)
	Register(journal.OpDeleteCR, deleteCR)
	Register(journal.OpLinkUp, linkUp)
	Register(journal.OpPowerOn, powerOn)
}

// Env is what recovery acts on.
type Env struct {
	// Cluster gives access to nodes.
	Cluster *clusters.Cluster
	// Objects deletes custom resources (delete-cr). When nil, a client is
	// built from Cluster.Kubeconfig the first time one is needed.
	Objects client.Client

	mu sync.Mutex
}

// Recover heals one entry of cluster c; see Env.Recover.
func Recover(ctx context.Context, c *clusters.Cluster, e journal.Entry) error {
	return (&Env{Cluster: c}).Recover(ctx, e)
}

// Recover runs every recovery action of e in order. It goes on after a
// failed action, so one stuck node does not keep the others broken, and
// returns all failures joined.
func (env *Env) Recover(ctx context.Context, e journal.Entry) error {
	if c := e.CutOff; c != nil && time.Now().Before(c.Heals) {
		// Nothing can reach its nodes before their own timers heal it.
		if err := env.disarm(ctx, e); err != nil {
			return fmt.Errorf("recovering %s: it cuts its nodes off until their own timers heal it at %s; run edgeproof recover again after that (%w)",
				e.ID, c.Heals.Local().Format(time.TimeOnly), err)
		}
	}
	var errs []error
	for _, a := range e.Recovery {
		fn, ok := lookup(a.Op)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: unknown recovery op %q", a, a.Op))
			continue
		}
		if err := fn(ctx, env, a); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", a, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("recovering %s: %w", e.ID, err)
	}
	if err := env.disarm(ctx, e); err != nil {
		return fmt.Errorf("recovering %s: %w", e.ID, err)
	}
	return nil
}

// DeadManPrefix starts the name of the transient systemd timer that heals
// a fault on an unattended node by itself (see clusters.Unattended); the
// leak check looks for it.
const DeadManPrefix = "edgeproof-deadman-"

// CutOffPrefix starts the name of the transient systemd timer that applies
// a fault which cuts an unattended node off (journal.CutOff): edgeproof
// cannot reach the node once it is in force, so the node applies it.
const CutOffPrefix = "edgeproof-cut-"

// RunDir holds, on an unattended node, the inputs of a pending cut-off
// fault and the moment its dead-man timer healed it; files are named by
// the journal id.
const RunDir = "/run/edgeproof"

// HealedFile is where the dead-man timer of entry id writes when it healed
// the fault (nanoseconds since the epoch, by the node's clock).
func HealedFile(id string) string { return RunDir + "/" + id + ".healed" }

// AppliedFile is where the apply timer of entry id writes when it applied
// the fault, in the same form as HealedFile.
func AppliedFile(id string) string { return RunDir + "/" + id + ".applied" }

// StopApplyTimer is the shell command that stops entry id's cut-off apply
// timer on a node, whether or not it exists.
func StopApplyTimer(id string) string {
	return "systemctl stop " + CutOffPrefix + id + ".timer 2>/dev/null"
}

// disarmScript stops entry id's timers on a node (a cut-off fault's apply
// timer first, so that it cannot start once its heal has run) and removes
// its files.
func disarmScript(id string) string {
	return StopApplyTimer(id) + "; systemctl stop " + DeadManPrefix + id + ".timer 2>/dev/null; rm -f " + RunDir + "/" + id + ".*; true"
}

// disarm stops the dead-man timers of e on its unattended nodes, once the
// fault is healed: a timer left armed would heal a later fault's rules
// too, were they ever tagged alike, and is a leftover.
func (env *Env) disarm(ctx context.Context, e journal.Entry) error {
	if !env.Cluster.Unattended() {
		return nil
	}
	seen := map[string]bool{}
	for _, a := range e.Recovery {
		if a.Node == "" || seen[a.Node] || !armed(e, a.Node) {
			continue
		}
		seen[a.Node] = true
		n, err := env.node(ctx, a.Node)
		if err != nil {
			return err
		}
		if !n.Unattended() {
			continue
		}
		if _, err := n.Exec(ctx, "sh", "-c", disarmScript(e.ID)); err != nil {
			return fmt.Errorf("disarming the dead-man timer on %s: %w", n.Name(), err)
		}
	}
	return nil
}

// armed reports whether entry e left a timer on node: its steps there
// have a NodeScript, as chaos/native's dead-man timer requires. A node
// brought back by its provider or power switch has none, and may still be
// booting when its entry is healed.
func armed(e journal.Entry, node string) bool {
	var steps []journal.Action
	for _, a := range e.Recovery {
		if a.Node == node {
			steps = append(steps, a)
		}
	}
	_, ok := NodeScript(steps)
	return ok
}

// Result is what RecoverAll did with one pending entry.
type Result struct {
	// Entry is the entry recovered.
	Entry journal.Entry
	// Err is nil when the entry was healed and marked so.
	Err error
}

// String reports the result in one line.
func (r Result) String() string {
	acts := make([]string, len(r.Entry.Recovery))
	for i, a := range r.Entry.Recovery {
		acts[i] = a.String()
	}
	what := strings.Join(acts, "; ")
	if what == "" {
		what = "nothing to undo"
	}
	if r.Err != nil {
		return fmt.Sprintf("FAILED %s: %s: %v", r.Entry, what, r.Err)
	}
	return fmt.Sprintf("healed %s: %s", r.Entry, what)
}

// RecoverAll heals every pending entry of c's journal j; see
// Env.RecoverAll.
func RecoverAll(ctx context.Context, c *clusters.Cluster, j *journal.Journal) ([]Result, error) {
	return (&Env{Cluster: c}).RecoverAll(ctx, j)
}

// RecoverAll heals every pending entry, newest first (undoing in reverse
// order of injection), marks each healed one in the journal and reports
// what it did. The error joins every failure; failed entries stay pending.
func (env *Env) RecoverAll(ctx context.Context, j *journal.Journal) ([]Result, error) {
	pending, err := j.Pending()
	if err != nil {
		return nil, err
	}
	slices.Reverse(pending)
	var results []Result
	var errs []error
	for _, e := range pending {
		err := env.Recover(ctx, e)
		if err == nil {
			err = j.Healed(e.ID)
		}
		if err != nil {
			errs = append(errs, err)
		}
		results = append(results, Result{Entry: e, Err: err})
	}
	return results, errors.Join(errs...)
}

func (env *Env) node(ctx context.Context, name string) (*clusters.Node, error) {
	if env.Cluster == nil {
		return nil, errors.New("no cluster to recover on")
	}
	if name == "" {
		return nil, errors.New("action names no node")
	}
	return env.Cluster.Node(ctx, name)
}

// runNode brings a node back to running whatever stopped it: thaw a
// paused node, boot an exited one, leave a running one alone.
func runNode(ctx context.Context, env *Env, a journal.Action) error {
	n, state, err := env.nodeState(ctx, a.Node)
	if err != nil {
		return err
	}
	switch state {
	case "running":
		return nil
	case "paused":
		return n.Resume(ctx)
	default: // exited, created, dead
		return n.Start(ctx)
	}
}

// powerOn switches a node's power on; the switch's on command succeeds
// on a node that is on already.
func powerOn(ctx context.Context, env *Env, a journal.Action) error {
	n, err := env.node(ctx, a.Node)
	if err != nil {
		return err
	}
	return n.Start(ctx)
}

// nodeState finds a node and its backend state (running, paused, ...).
func (env *Env) nodeState(ctx context.Context, name string) (*clusters.Node, string, error) {
	n, err := env.node(ctx, name)
	if err != nil {
		return nil, "", err
	}
	state, err := n.State(ctx)
	return n, state, err
}

// linkUp plugs a node's cable back in; a node without power is left
// alone, since it boots with its link up.
func linkUp(ctx context.Context, env *Env, a journal.Action) error {
	n, state, err := env.nodeState(ctx, a.Node)
	if err != nil {
		return err
	}
	if state != "running" && state != "paused" {
		return nil
	}
	return n.SetLink(ctx, true)
}

func systemctlStart(ctx context.Context, env *Env, a journal.Action) error {
	n, err := env.node(ctx, a.Node)
	if err != nil {
		return err
	}
	_, err = n.Exec(ctx, "systemctl", "start", a.Unit)
	return err
}

// systemctlStop stops a unit and succeeds when it is no longer active,
// including when it is already gone (transient units vanish once stopped).
func systemctlStop(ctx context.Context, env *Env, a journal.Action) error {
	n, err := env.node(ctx, a.Node)
	if err != nil {
		return err
	}
	script := `systemctl stop "$1" >/dev/null 2>&1; if systemctl is-active --quiet "$1"; then echo "$1 still active" >&2; exit 1; fi`
	_, err = n.Exec(ctx, "sh", "-c", script, "sh", a.Unit)
	return err
}

func iptablesFlush(ctx context.Context, env *Env, a journal.Action) error {
	if !strings.HasPrefix(a.Comment, iptables.CommentPrefix) {
		// Never delete rules edgeproof did not make.
		return fmt.Errorf("refusing to delete rules with comment %q: not an edgeproof comment", a.Comment)
	}
	n, err := env.node(ctx, a.Node)
	if err != nil {
		return err
	}
	_, err = iptables.DeleteComment(ctx, n, a.Comment)
	return err
}

func tcDelRoot(ctx context.Context, env *Env, a journal.Action) error {
	n, err := env.node(ctx, a.Node)
	if err != nil {
		return err
	}
	_, err = tc.DeleteRoot(ctx, n, a.Dev)
	return err
}

func deleteCR(ctx context.Context, env *Env, a journal.Action) error {
	cl, err := env.objects()
	if err != nil {
		return err
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(schema.FromAPIVersionAndKind(a.APIVersion, a.Kind))
	u.SetNamespace(a.Namespace)
	u.SetName(a.Name)
	// Gone, or its CRD is gone (which takes the resource with it): healed.
	if err := cl.Delete(ctx, u); err != nil && !apierrors.IsNotFound(err) && !meta.IsNoMatchError(err) {
		return err
	}
	return nil
}

func (env *Env) objects() (client.Client, error) {
	env.mu.Lock()
	defer env.mu.Unlock()
	if env.Objects != nil {
		return env.Objects, nil
	}
	if env.Cluster == nil {
		return nil, errors.New("no cluster to recover on")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", env.Cluster.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("loading kubeconfig %s: %w", env.Cluster.Kubeconfig, err)
	}
	cl, err := client.New(cfg, client.Options{})
	if err != nil {
		return nil, fmt.Errorf("creating client: %w", err)
	}
	env.Objects = cl
	return cl, nil
}
