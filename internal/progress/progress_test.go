package progress

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the heartbeat goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestStepSaysItIsAliveAndStopsAfterwards(t *testing.T) {
	var out syncBuffer
	p := New(&out)
	p.every = 20 * time.Millisecond
	release := make(chan struct{})
	go func() {
		// Let the step run until it has said it is alive twice.
		for strings.Count(out.String(), "still running") < 2 {
			time.Sleep(5 * time.Millisecond)
		}
		close(release)
	}()
	if err := p.Step("compiling", func() error { <-release; return nil }); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if !strings.Contains(got, "  • compiling ...") || !strings.Contains(got, "… compiling: still running,") || !strings.Contains(got, "✓ compiling (") {
		t.Fatalf("output:\n%s", got)
	}
	time.Sleep(60 * time.Millisecond)
	if after := out.String(); after != got {
		t.Fatalf("printed after the step ended:\n%s", strings.TrimPrefix(after, got))
	}
	if !strings.HasSuffix(strings.TrimSpace(got), ")") {
		t.Errorf("the outcome line is not last:\n%s", got)
	}
}

func TestStepReportsFailure(t *testing.T) {
	var out syncBuffer
	err := New(&out).Step("debootstrap", func() error { return errors.New("mirror unreachable") })
	if err == nil || !strings.Contains(out.String(), "✗ debootstrap failed after") {
		t.Fatalf("err %v, output %q", err, out.String())
	}
}
