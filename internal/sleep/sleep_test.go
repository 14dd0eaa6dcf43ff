package sleep

import (
	"context"
	"testing"
	"time"
)

func TestSleep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	if !For(ctx, time.Millisecond) || !Until(ctx, time.Now().Add(-time.Second)) {
		t.Fatal("a live context ended a wait")
	}
	cancel()
	if For(ctx, time.Hour) || Until(ctx, time.Now().Add(-time.Second)) {
		t.Fatal("a cancelled context did not end a wait")
	}
}
