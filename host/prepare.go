package host

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/edgeproof/edgeproof/host/capfilter"
	"github.com/edgeproof/edgeproof/internal/command"
	"github.com/edgeproof/edgeproof/internal/progress"
)

// RuntimeName is the name the wrapper is registered under in dockerd.
const RuntimeName = "edgeproof-runc"

// Paths used by Prepare; variables so tests can point them elsewhere.
var (
	daemonJSON     = "/etc/docker/daemon.json"
	wrapperPath    = "/usr/local/libexec/edgeproof/" + RuntimeName
	dockerdLog     = "/var/log/edgeproof-dockerd.log"
	dockerdPIDFile = "/run/edgeproof-dockerd.pid"
	libModules     = "/lib/modules"
)

// PrepareOptions tunes Prepare.
type PrepareOptions struct {
	// WrapperBinary is the built edgeproof-runc; empty means "beside the
	// running executable".
	WrapperBinary string
	// Install allows installing Debian packages (docker.io).
	Install bool
}

// Prepare makes the host able to run kind clusters and returns what it
// changed. On a host with a working engine and a full capability set it
// changes nothing.
func Prepare(ctx context.Context, p *progress.Printer, opts PrepareOptions) ([]string, error) {
	var changes []string
	note := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		changes = append(changes, msg)
		p.Infof("  + %s", msg)
	}

	// kind bind-mounts /lib/modules into every node; an empty one will do.
	if _, err := os.Stat(libModules); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(libModules, 0o755); err != nil {
			return changes, fmt.Errorf("creating %s (kind mounts it into nodes): %w", libModules, err)
		}
		note("created empty %s (kind mounts it into nodes)", libModules)
	}

	// Not fatal: one cluster runs within the usual defaults.
	raised, err := raiseInotify()
	if err != nil {
		p.Infof("  ! %v: a second cluster on this host may fail with \"too many open files\"", err)
	}
	for _, r := range raised {
		note("%s", r)
	}

	needWrapper, err := wrapperNeeded()
	if err != nil {
		return changes, err
	}

	engineUp := false
	if _, err := DockerServerVersion(ctx); err == nil {
		engineUp = true
	}
	if !engineUp {
		if _, err := exec.LookPath("dockerd"); err != nil {
			if !opts.Install {
				return changes, errors.New("no Docker engine answers and dockerd is not installed: install Docker, or run `edgeproof doctor --fix` on Debian as root")
			}
			if err := installDocker(ctx, p); err != nil {
				return changes, err
			}
			note("installed Debian package docker.io")
		}
	}

	restart := false
	if needWrapper {
		changed, err := installWrapper(opts.WrapperBinary)
		if err != nil {
			return changes, err
		}
		if changed {
			note("installed runtime wrapper %s (host lacks CAP_SYS_RESOURCE)", wrapperPath)
		}
		changed, err = registerRuntime()
		if err != nil {
			return changes, err
		}
		if changed {
			note("registered %s as dockerd's default runtime in %s", RuntimeName, daemonJSON)
		}
		if engineUp {
			rt, err := defaultRuntime(ctx)
			if err != nil {
				return changes, err
			}
			restart = rt != RuntimeName
		}
	}

	if engineUp && !restart {
		return changes, nil
	}
	if restart {
		if err := stopOwnDockerd(ctx); err != nil {
			return changes, err
		}
	}
	if err := startDockerd(ctx); err != nil {
		return changes, err
	}
	if restart {
		note("restarted dockerd to load the %s runtime", RuntimeName)
	} else {
		note("started dockerd (log: %s)", dockerdLog)
	}
	return changes, nil
}

func wrapperNeeded() (bool, error) {
	mask, err := capfilter.BoundingSet()
	if err != nil {
		return false, err
	}
	return len(capfilter.Missing(mask)) > 0, nil
}

func installDocker(ctx context.Context, p *progress.Printer) error {
	if os.Geteuid() != 0 {
		return errors.New("no Docker engine: install Docker (edgeproof installs Debian's docker.io only when run as root)")
	}
	if _, err := os.Stat("/etc/debian_version"); err != nil {
		return errors.New("no Docker engine: install Docker for this distribution and start it (automatic install supports Debian only)")
	}
	return p.Step("installing Debian's docker.io", func() error {
		env := []string{"DEBIAN_FRONTEND=noninteractive"}
		if err := command.New("apt-get", "update", "-qq").Env(env...).Run(ctx); err != nil {
			return fmt.Errorf("apt-get update: %w", err)
		}
		if err := command.New("apt-get", "install", "-y", "-qq", "docker.io").Env(env...).Run(ctx); err != nil {
			return fmt.Errorf("installing docker.io (check the apt archive is reachable): %w", err)
		}
		return nil
	})
}

// installWrapper copies edgeproof-runc to a fixed path outside the checkout,
// because dockerd outlives the clone it was configured from.
func installWrapper(src string) (bool, error) {
	if src == "" {
		self, err := os.Executable()
		if err != nil {
			return false, fmt.Errorf("locating edgeproof-runc: %w", err)
		}
		src = filepath.Join(filepath.Dir(self), RuntimeName)
	}
	want, err := os.ReadFile(src)
	if err != nil {
		return false, fmt.Errorf("reading the runtime wrapper %s (build it with `make build`): %w", src, err)
	}
	if have, err := os.ReadFile(wrapperPath); err == nil && bytes.Equal(have, want) {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(wrapperPath), 0o755); err != nil {
		return false, fmt.Errorf("installing runtime wrapper: %w", err)
	}
	tmp := wrapperPath + ".new"
	if err := os.WriteFile(tmp, want, 0o755); err != nil {
		return false, fmt.Errorf("installing runtime wrapper: %w", err)
	}
	if err := os.Rename(tmp, wrapperPath); err != nil {
		return false, fmt.Errorf("installing runtime wrapper: %w", err)
	}
	return true, nil
}

// registerRuntime merges the wrapper into daemon.json, keeping every other
// setting the admin made.
func registerRuntime() (bool, error) {
	doc := map[string]any{}
	raw, err := os.ReadFile(daemonJSON)
	switch {
	case err == nil:
		if err := json.Unmarshal(raw, &doc); err != nil {
			return false, fmt.Errorf("%s is not valid JSON, fix it first: %w", daemonJSON, err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return false, fmt.Errorf("reading %s: %w", daemonJSON, err)
	}
	runtimes, _ := doc["runtimes"].(map[string]any)
	if runtimes == nil {
		runtimes = map[string]any{}
	}
	entry, _ := runtimes[RuntimeName].(map[string]any)
	if entry != nil && entry["path"] == wrapperPath && doc["default-runtime"] == RuntimeName {
		return false, nil
	}
	runtimes[RuntimeName] = map[string]any{"path": wrapperPath}
	doc["runtimes"] = runtimes
	doc["default-runtime"] = RuntimeName
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return false, fmt.Errorf("encoding %s: %w", daemonJSON, err)
	}
	if err := os.MkdirAll(filepath.Dir(daemonJSON), 0o755); err != nil {
		return false, fmt.Errorf("writing %s: %w", daemonJSON, err)
	}
	if err := os.WriteFile(daemonJSON, append(out, '\n'), 0o644); err != nil {
		return false, fmt.Errorf("writing %s: %w", daemonJSON, err)
	}
	return true, nil
}

func defaultRuntime(ctx context.Context) (string, error) {
	out, err := command.New("docker", "info", "--format", "{{.DefaultRuntime}}").Output(ctx)
	if err != nil {
		return "", fmt.Errorf("asking dockerd for its default runtime: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

func systemdIsInit() bool {
	comm, err := os.ReadFile("/proc/1/comm")
	return err == nil && strings.TrimSpace(string(comm)) == "systemd"
}

// stopOwnDockerd stops a dockerd only when edgeproof started it (or systemd
// manages it): a daemon someone else runs is never killed.
func stopOwnDockerd(ctx context.Context) error {
	if systemdIsInit() {
		return nil // systemctl restart in startDockerd covers it
	}
	pid, err := ownDockerdPID()
	if err != nil {
		return fmt.Errorf("dockerd runs without the %s runtime and was not started by edgeproof: restart it with `dockerd --add-runtime %s=%s --default-runtime %s`: %w",
			RuntimeName, RuntimeName, wrapperPath, RuntimeName, err)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("stopping dockerd (pid %d): %w", pid, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if syscall.Kill(pid, 0) != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("dockerd (pid %d) did not stop within 30s", pid)
}

func ownDockerdPID() (int, error) {
	raw, err := os.ReadFile(dockerdPIDFile)
	if err != nil {
		return 0, fmt.Errorf("no %s", dockerdPIDFile)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || syscall.Kill(pid, 0) != nil {
		return 0, fmt.Errorf("stale %s", dockerdPIDFile)
	}
	return pid, nil
}

func startDockerd(ctx context.Context) error {
	if systemdIsInit() {
		if err := command.New("systemctl", "restart", "docker").Run(ctx); err != nil {
			return fmt.Errorf("starting docker with systemd: %w", err)
		}
	} else {
		logf, err := os.OpenFile(dockerdLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("opening dockerd log: %w", err)
		}
		defer logf.Close()
		// Its own session, so Ctrl-C in the terminal that started it does
		// not take the engine (and every cluster) down with the test run.
		cmd := exec.Command("dockerd", "--pidfile", dockerdPIDFile)
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("starting dockerd: %w", err)
		}
		_ = cmd.Process.Release()
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		if _, err := DockerServerVersion(ctx); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("dockerd did not answer within 90s; see %s", dockerdLog)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func lookPath(name string) (string, error) { return exec.LookPath(name) }
