package chaos

import (
	"context"
	"sync"
	"time"
)

// A fault handed to a node (see journal.CutOff) begins when the node's
// timer applies it and ends when its dead-man timer heals it, not when
// edgeproof asked for it or learned of it seconds later: the engine
// measures reactions from the fault's start and recovery from its end, so
// edgeproof's own moments would skew both.

type nodeTimesKey struct{}

// NodeTimes are the moments the target nodes themselves recorded for a
// fault (zero when they recorded none).
type NodeTimes struct {
	// Applied is when the first node applied the fault.
	Applied time.Time
	// Healed is when the last node healed it.
	Healed time.Time
}

type nodeTimes struct {
	mu sync.Mutex
	t  NodeTimes
}

// WithNodeTimes returns a context for a Recover call and a function giving
// the moments that Recover reported.
func WithNodeTimes(ctx context.Context) (context.Context, func() NodeTimes) {
	h := &nodeTimes{}
	return context.WithValue(ctx, nodeTimesKey{}, h), func() NodeTimes {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.t
	}
}

// ReportNodeTimes records, for the caller of WithNodeTimes, when the
// fault truly began and ended. It does nothing on a context without one.
func ReportNodeTimes(ctx context.Context, t NodeTimes) {
	h, ok := ctx.Value(nodeTimesKey{}).(*nodeTimes)
	if !ok {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.t = t
}
