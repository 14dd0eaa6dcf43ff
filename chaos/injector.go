package chaos

import (
	"context"
	"fmt"
	"time"

	"github.com/edgeproof/edgeproof/scenarios"
)

// Recover heals one injection. It is idempotent: calling it again after
// success does nothing harmful.
type Recover func(ctx context.Context) error

// Injector injects faults. The engine calls Inject at a fault's start and
// the returned Recover at its end; for instantaneous kinds (node-reboot,
// pod-kill, container-kill) the fault is over when Inject returns and
// Recover does nothing. Inject journals the injection before it touches
// the cluster, and Recover marks the journal entry healed. When Inject
// fails it undoes what it did and returns a nil Recover.
type Injector interface {
	Inject(ctx context.Context, f scenarios.Fault) (Recover, error)
}

// Preflighter decides before a run whether a fault can be injected here.
// A fault this host or cluster lacks the capability for is not ok, with the
// reason: it is skipped, never passed. A check that could not be made (the
// API or a node did not answer) is an error: the scenario fails, since a
// broken environment must not read as a missing feature.
type Preflighter interface {
	Preflight(ctx context.Context, f scenarios.Fault) (ok bool, reason string, err error)
}

// Backend is an injector with its preflight.
type Backend interface {
	Injector
	Preflighter
	// Name is "native" or "chaos-mesh".
	Name() string
}

// Nop is the Recover of an injection that needs no healing.
func Nop(context.Context) error { return nil }

// UndoTimeout bounds healing an injection that must be undone after its
// caller's context may have ended.
const UndoTimeout = 3 * time.Minute

// Undo heals an injection that was found wanting after it returned (its
// effect could not be shown), with a context of its own so that a
// cancelled run still undoes it, and returns err with any healing failure
// added.
func Undo(ctx context.Context, heal Recover, err error) error {
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), UndoTimeout)
	defer cancel()
	if herr := heal(hctx); herr != nil {
		return fmt.Errorf("%w (and healing it failed: %v)", err, herr)
	}
	return err
}
