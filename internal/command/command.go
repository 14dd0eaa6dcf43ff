// Package command runs external programs and turns their failures into
// errors that carry the command line and its output, so a failed step can be
// understood without re-running it.
package command

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
)

// Cmd is a prepared external command.
type Cmd struct {
	name  string
	args  []string
	dir   string
	env   []string
	stdin io.Reader
	out   io.Writer
	nice  bool
}

// New returns a command that runs name with args.
func New(name string, args ...string) *Cmd {
	return &Cmd{name: name, args: args}
}

// Dir sets the working directory.
func (c *Cmd) Dir(dir string) *Cmd { c.dir = dir; return c }

// Env appends KEY=VALUE pairs to the inherited environment.
func (c *Cmd) Env(kv ...string) *Cmd { c.env = append(c.env, kv...); return c }

// Stdin feeds r to the command's standard input.
func (c *Cmd) Stdin(r io.Reader) *Cmd { c.stdin = r; return c }

// Tee also copies the command's combined output to w while it runs (for
// progress on long steps).
func (c *Cmd) Tee(w io.Writer) *Cmd { c.out = w; return c }

// LowPriority runs the command, when on is true, under `nice -n 19` and
// (where present) `ionice -c3`, so heavy build steps yield the CPU and disk
// to whatever else runs on the machine (e.g. a cluster being measured).
func (c *Cmd) LowPriority(on bool) *Cmd { c.nice = on; return c }

// String renders the command line.
func (c *Cmd) String() string {
	return strings.TrimSpace(c.name + " " + strings.Join(c.args, " "))
}

// Output runs the command and returns its standard output. On failure the
// error holds the command line, the exit status and the tail of stderr.
func (c *Cmd) Output(ctx context.Context) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := c.build(ctx)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if c.out != nil {
		cmd.Stderr = io.MultiWriter(&stderr, c.out)
	}
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), &Error{Command: c.String(), Err: err, Output: tail(stderr.String() + stdout.String())}
	}
	return stdout.Bytes(), nil
}

// Run runs the command, discarding its output unless it fails.
func (c *Cmd) Run(ctx context.Context) error {
	var combined bytes.Buffer
	cmd := c.build(ctx)
	var w io.Writer = &combined
	if c.out != nil {
		w = io.MultiWriter(&combined, c.out)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Run(); err != nil {
		return &Error{Command: c.String(), Err: err, Output: tail(combined.String())}
	}
	return nil
}

func (c *Cmd) build(ctx context.Context) *exec.Cmd {
	name, args := c.name, c.args
	if c.nice {
		name, args = LowPriorityArgv(name, args)
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = c.dir
	if len(c.env) > 0 {
		cmd.Env = append(cmd.Environ(), c.env...)
	}
	cmd.Stdin = c.stdin
	return cmd
}

// Error is a failed command with what it printed.
type Error struct {
	Command string
	Err     error
	Output  string
}

func (e *Error) Error() string {
	if e.Output == "" {
		return fmt.Sprintf("%s: %v", e.Command, e.Err)
	}
	return fmt.Sprintf("%s: %v: %s", e.Command, e.Err, e.Output)
}

func (e *Error) Unwrap() error { return e.Err }

// tail keeps the end of long output: the cause of a failure is nearly
// always in its last lines.
func tail(s string) string {
	s = strings.TrimSpace(s)
	const max = 4000
	if len(s) > max {
		s = "..." + s[len(s)-max:]
	}
	return s
}

// LowPriorityArgv prefixes a command line with nice and, when installed,
// ionice's idle class, for processes started without Cmd (long-running
// ones); a missing nice leaves the command as it is. Both exec the
// command in place, so its PID is the one started.
func LowPriorityArgv(name string, args []string) (string, []string) {
	argv := append([]string{name}, args...)
	if _, err := exec.LookPath("ionice"); err == nil {
		argv = append([]string{"ionice", "-c3"}, argv...)
	}
	if _, err := exec.LookPath("nice"); err == nil {
		argv = append([]string{"nice", "-n", "19"}, argv...)
	}
	return argv[0], argv[1:]
}

// Quote returns s as one POSIX shell word: unchanged when it holds only
// characters the shell takes literally, else in single quotes.
func Quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./_-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
