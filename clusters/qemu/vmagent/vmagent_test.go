package vmagent

import (
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// serveOn plays QEMU's part: one guest-side port that lives for the
// whole VM, served by Serve, and a unix socket whose clients come and go,
// one at a time. Output written while no client is connected is dropped.
// Each client first gets a stale answer with another ID, which it must
// skip.
func serveOn(t *testing.T) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	guest, host := net.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); l.Close(); guest.Close(); host.Close() })
	go func() { _ = Serve(ctx, guest) }()
	var mu sync.Mutex
	var client net.Conn
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := host.Read(buf)
			if err != nil {
				return
			}
			mu.Lock()
			if client != nil {
				_, _ = client.Write(buf[:n])
			}
			mu.Unlock()
		}
	}()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte(`{"id":1,"output":"c3RhbGU=","exitCode":0}` + "\n"))
			mu.Lock()
			client = c
			mu.Unlock()
			_, _ = io.Copy(host, c)
			mu.Lock()
			client = nil
			mu.Unlock()
			c.Close()
		}
	}()
	return sock
}

func TestExec(t *testing.T) {
	sock := serveOn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := Exec(ctx, sock, nil, "echo", "hello")
	if err != nil || string(out) != "hello\n" {
		t.Fatalf("echo: %q %v", out, err)
	}
	out, err = Exec(ctx, sock, []byte("from stdin"), "cat")
	if err != nil || string(out) != "from stdin" {
		t.Fatalf("cat: %q %v", out, err)
	}
	_, err = Exec(ctx, sock, nil, "sh", "-c", "echo broken >&2; exit 3")
	var exit *ExitError
	if !errors.As(err, &exit) || exit.ExitCode != 3 || !strings.Contains(exit.Error(), "broken") {
		t.Fatalf("exit 3: %v", err)
	}
	if _, err := Exec(ctx, sock, nil, "/nonexistent/program"); err == nil || errors.As(err, &exit) {
		t.Fatalf("missing program must be an error, not an exit code: %v", err)
	}
}

func TestRunTimeout(t *testing.T) {
	r := Run(context.Background(), Request{ID: 7, Args: []string{"sleep", "5"}, Timeout: 100 * time.Millisecond})
	if r.ID != 7 || r.ExitCode != -1 || !strings.Contains(r.Error, "timed out") {
		t.Fatalf("%+v", r)
	}
}

func TestExecNoAgent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := Exec(ctx, filepath.Join(t.TempDir(), "none.sock"), nil, "true"); err == nil {
		t.Fatal("no socket must fail")
	}
}
