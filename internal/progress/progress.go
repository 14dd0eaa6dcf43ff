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
}

// New returns a Printer writing to w (os.Stderr when nil).
func New(w io.Writer) *Printer {
	if w == nil {
		w = os.Stderr
	}
	return &Printer{w: w, now: time.Now}
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
	err := fn()
	d := p.now().Sub(start).Round(100 * time.Millisecond)
	if err != nil {
		p.Infof("  ✗ %s failed after %s", name, d)
		return err
	}
	p.Infof("  ✓ %s (%s)", name, d)
	return nil
}

// Skip prints a step that was not needed, with the reason.
func (p *Printer) Skip(name, why string) {
	p.Infof("  ✓ %s (cached: %s)", name, why)
}
