// Package vmagent runs commands in a QEMU VM for the host, over a
// virtio-serial port: the VM's counterpart of `docker exec` on a kind
// node. The guest serves one request at a time; each is a line of JSON
// and so is its answer, matched by ID so that the answer to a request
// whose client gave up is never taken for the next one's.
package vmagent

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"time"
)

// PortName is the virtio-serial port's name; the guest sees it as
// /dev/virtio-ports/PortName.
const PortName = "edgeproof.agent"

// maxLine bounds a request or answer (stdin or output included).
const maxLine = 32 << 20

// Request is one command to run in the guest.
type Request struct {
	ID    uint64   `json:"id"`
	Args  []string `json:"args"`
	Stdin []byte   `json:"stdin,omitempty"`
	// Timeout bounds the command in the guest.
	Timeout time.Duration `json:"timeout"`
}

// Response is the outcome of a Request.
type Response struct {
	ID       uint64 `json:"id"`
	Output   []byte `json:"output"`
	ExitCode int    `json:"exitCode"`
	// Error is set when the command could not run or timed out.
	Error string `json:"error,omitempty"`
}

// Serve answers requests read from rw until ctx ends. A read error other
// than EOF ends it; EOF (no host connected) is waited out, since the host
// side of a virtio-serial port comes and goes with each Exec.
func Serve(ctx context.Context, rw io.ReadWriter) error {
	r := bufio.NewReaderSize(rw, 64<<10)
	var pending []byte
	for ctx.Err() == nil {
		chunk, err := r.ReadBytes('\n')
		pending = append(pending, chunk...)
		if errors.Is(err, io.EOF) {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if err != nil {
			return fmt.Errorf("reading requests: %w", err)
		}
		line := bytes.TrimSpace(pending)
		pending = nil
		if len(line) == 0 {
			continue
		}
		if len(line) > maxLine {
			continue
		}
		var req Request
		if err := json.Unmarshal(line, &req); err != nil {
			continue // garbage from a half-written request of a dead client
		}
		out, err := json.Marshal(Run(ctx, req))
		if err != nil {
			return err
		}
		if _, err := rw.Write(append(out, '\n')); err != nil {
			return fmt.Errorf("writing a response: %w", err)
		}
	}
	return ctx.Err()
}

// Run executes one request; output is stdout and stderr combined, as a
// kind node's `docker exec` gives it.
func Run(ctx context.Context, req Request) Response {
	resp := Response{ID: req.ID}
	if len(req.Args) == 0 {
		resp.Error, resp.ExitCode = "no command", -1
		return resp
	}
	if req.Timeout <= 0 {
		req.Timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, req.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, req.Args[0], req.Args[1:]...)
	cmd.Stdin = bytes.NewReader(req.Stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	resp.Output = out.Bytes()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		resp.Error, resp.ExitCode = fmt.Sprintf("timed out after %s", req.Timeout), -1
	case errors.As(err, &exit):
		resp.ExitCode = exit.ExitCode()
	default:
		resp.Error, resp.ExitCode = err.Error(), -1
	}
	return resp
}

// ExitError is a command that ran in the guest and failed.
type ExitError struct {
	Args     []string
	ExitCode int
	Output   []byte
}

func (e *ExitError) Error() string {
	out := strings.TrimSpace(string(e.Output))
	if len(out) > 512 {
		out = "..." + out[len(out)-512:]
	}
	return fmt.Sprintf("%s: exit code %d: %s", strings.Join(e.Args, " "), e.ExitCode, out)
}

// Exec runs args in the guest behind the unix socket at sock (QEMU's end
// of the port) and returns the output. A failed command is an *ExitError.
// QEMU serves one client at a time, so concurrent calls queue.
func Exec(ctx context.Context, sock string, stdin []byte, args ...string) ([]byte, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return nil, fmt.Errorf("connecting to the VM agent: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	req := Request{ID: newID(), Args: args, Stdin: stdin, Timeout: time.Minute}
	if dl, ok := ctx.Deadline(); ok {
		req.Timeout = time.Until(dl)
	}
	raw, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Write(append(raw, '\n')); err != nil {
		return nil, fmt.Errorf("sending to the VM agent: %w", err)
	}
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	for sc.Scan() {
		var resp Response
		if json.Unmarshal(sc.Bytes(), &resp) != nil || resp.ID != req.ID {
			continue // an answer meant for a client that gave up
		}
		if resp.Error != "" {
			return resp.Output, fmt.Errorf("%s: %s", strings.Join(args, " "), resp.Error)
		}
		if resp.ExitCode != 0 {
			return resp.Output, &ExitError{Args: args, ExitCode: resp.ExitCode, Output: resp.Output}
		}
		return resp.Output, nil
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("VM agent: %s: %w", strings.Join(args, " "), ctx.Err())
	}
	return nil, fmt.Errorf("VM agent: %s: connection closed before an answer (%v)", strings.Join(args, " "), sc.Err())
}

func newID() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}
