package chaos

import (
	"context"
	"sync"
	"time"
)

// A fault healed on the node by a timer (see journal.CutOff) ends when the
// timer fires, not when edgeproof learns of it seconds later: the engine
// measures recovery from the fault's end, so reporting the later moment
// would make every recovery look faster than it was.

type healTimeKey struct{}

type healTime struct {
	mu sync.Mutex
	t  time.Time
}

// WithHealTime returns a context for a Recover call and a function giving
// the moment the Recover reported as the fault's true end (zero when it
// reported none).
func WithHealTime(ctx context.Context) (context.Context, func() time.Time) {
	h := &healTime{}
	return context.WithValue(ctx, healTimeKey{}, h), func() time.Time {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.t
	}
}

// ReportHealTime records, for the caller of WithHealTime, that the fault
// truly ended at t. It does nothing on a context without one.
func ReportHealTime(ctx context.Context, t time.Time) {
	h, ok := ctx.Value(healTimeKey{}).(*healTime)
	if !ok {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.t = t
}
