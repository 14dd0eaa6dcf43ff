// Package sleep waits for a duration or a moment unless a context ends
// first: the one wait the timelines, probes and fixtures all need.
package sleep

import (
	"context"
	"time"
)

// For waits d; false when ctx ended first.
func For(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Until waits until t; false when ctx ended first.
func Until(ctx context.Context, t time.Time) bool {
	return For(ctx, time.Until(t))
}
