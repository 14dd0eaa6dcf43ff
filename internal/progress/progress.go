// Package progress prints the steps of long work with their durations, so a
// user watching a cold build knows what runs and how long each part took.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Printer writes step lines to a terminal or log.
type Printer struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
	// every is how often a running step says it is still alive.
	every time.Duration
}

// Heartbeat is how often a step that is still running prints its elapsed
// time: compiling Kubernetes or debootstrap can be silent for many minutes.
const Heartbeat = 30 * time.Second

// New returns a Printer writing to w (os.Stderr when nil).
func New(w io.Writer) *Printer {
	if w == nil {
		w = os.Stderr
	}
	return &Printer{w: w, now: time.Now, every: Heartbeat}
}

// Discard returns a Printer that prints nothing.
func Discard() *Printer { return New(io.Discard) }

// Writer returns the underlying writer, for streaming a command's output.
func (p *Printer) Writer() io.Writer { return p.w }

// Infof prints a line as is.
func (p *Printer) Infof(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format+"\n", args...)
}

// Step runs fn as a named step, printing its start and its outcome with the
// time it took.
func (p *Printer) Step(name string, fn func() error) error {
	start := p.now()
	p.Infof("  • %s ...", name)
	stop := p.heartbeat(name, start)
	err := fn()
	stop()
	d := p.now().Sub(start).Round(100 * time.Millisecond)
	if err != nil {
		p.Infof("  ✗ %s failed after %s", name, d)
		return err
	}
	p.Infof("  ✓ %s (%s)", name, d)
	return nil
}

// heartbeat prints "still running" with the elapsed time every p.every
// until the returned stop is called; stop returns once nothing more prints.
func (p *Printer) heartbeat(name string, start time.Time) (stop func()) {
	if p.every <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(p.every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p.Infof("    … %s: still running, %s so far", name, p.now().Sub(start).Round(time.Second))
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// Skip prints a step that was not needed, with the reason.
func (p *Printer) Skip(name, why string) {
	p.Infof("  ✓ %s (cached: %s)", name, why)
}
