// Package kind is the clusters driver for kind: node containers on the
// local Docker engine, driven through kind's Go API (sigs.k8s.io/kind/pkg/
// cluster), never a kind binary. Each cluster gets its own Docker network
// so that deleting the cluster can delete the network too.
package kind

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	kindcluster "sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodes"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
	kindlog "sigs.k8s.io/kind/pkg/log"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/internal/command"
)

// NetworkPrefix names each cluster's Docker network: edgeproof-<cluster>.
const NetworkPrefix = "edgeproof-"

// kind reads the network name from its environment at create time;
// serialise creates so concurrent ones cannot see each other's value.
var createMu sync.Mutex

// Driver drives kind.
type Driver struct {
	kp *kindcluster.Provider
}

// New returns a Provider backed by kind on Docker.
func New(logf func(string, ...any)) *clusters.Provider {
	return clusters.NewProvider(&Driver{kp: kindcluster.NewProvider(
		kindcluster.ProviderWithDocker(),
		kindcluster.ProviderWithLogger(logger{logf: logf}),
	)})
}

// Kind implements clusters.Driver.
func (b *Driver) Kind() string { return "kind" }

// Config renders a topology as a kind cluster config.
func Config(t *clusters.Topology) *v1alpha4.Cluster {
	cfg := &v1alpha4.Cluster{TypeMeta: v1alpha4.TypeMeta{Kind: "Cluster", APIVersion: "kind.x-k8s.io/v1alpha4"}}
	cfg.Nodes = append(cfg.Nodes, v1alpha4.Node{
		Role:   v1alpha4.ControlPlaneRole,
		Labels: map[string]string{clusters.LabelZone: t.Spec.Cloud.Zone, clusters.LabelTier: clusters.TierCloud},
	})
	for _, z := range t.WorkerZones() {
		labels := map[string]string{clusters.LabelZone: z.Name, clusters.LabelTier: clusters.TierEdge}
		for k, v := range z.Labels {
			labels[k] = v
		}
		cfg.Nodes = append(cfg.Nodes, v1alpha4.Node{Role: v1alpha4.WorkerRole, Labels: labels})
	}
	if t.Spec.Timers == clusters.TimersFastFailure {
		cfg.KubeadmConfigPatches = FastFailurePatches()
	}
	v1alpha4.SetDefaultsCluster(cfg)
	return cfg
}

// Fast-failure timers. The controller marks a node Unknown after the grace
// period without a status update; kubelet posts status every 2 s and renews
// an 8 s lease, so four missed updates make a node lost.
const (
	NodeMonitorGracePeriod    = "8s"
	NodeMonitorPeriod         = "1s"
	NodeStatusUpdateFrequency = "2s"
	NodeLeaseDurationSeconds  = 8
)

// FastFailurePatches are the kubeadm patches of the fast-failure profile.
// kind v0.33 writes kubeadm v1beta3 for Kubernetes v1.34, where extraArgs
// is a map.
func FastFailurePatches() []string {
	return []string{
		"kind: ClusterConfiguration\ncontrollerManager:\n  extraArgs:\n" +
			"    node-monitor-grace-period: \"" + NodeMonitorGracePeriod + "\"\n" +
			"    node-monitor-period: \"" + NodeMonitorPeriod + "\"\n",
		"kind: KubeletConfiguration\nnodeStatusUpdateFrequency: \"" + NodeStatusUpdateFrequency + "\"\n" +
			"nodeLeaseDurationSeconds: " + strconv.Itoa(NodeLeaseDurationSeconds) + "\n",
	}
}

// Create implements clusters.Driver. kind's Create takes no context, so on
// cancellation the node containers are removed under it, which makes it
// fail fast; the caller then deletes whatever is left.
func (b *Driver) Create(ctx context.Context, name string, t *clusters.Topology, opts clusters.CreateOptions, kubeconfig string) error {
	createMu.Lock()
	defer createMu.Unlock()
	network := NetworkPrefix + name
	if err := ensureIPv4Network(ctx, network); err != nil {
		return err
	}
	prev, had := os.LookupEnv("KIND_EXPERIMENTAL_DOCKER_NETWORK")
	os.Setenv("KIND_EXPERIMENTAL_DOCKER_NETWORK", network)
	defer func() {
		if had {
			os.Setenv("KIND_EXPERIMENTAL_DOCKER_NETWORK", prev)
		} else {
			os.Unsetenv("KIND_EXPERIMENTAL_DOCKER_NETWORK")
		}
	}()
	done := make(chan error, 1)
	go func() {
		done <- b.kp.Create(name,
			kindcluster.CreateWithV1Alpha4Config(Config(t)),
			kindcluster.CreateWithNodeImage(opts.NodeImage),
			kindcluster.CreateWithKubeconfigPath(kubeconfig),
			kindcluster.CreateWithDisplayUsage(false),
			kindcluster.CreateWithDisplaySalutation(false),
		)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		_ = b.kp.Delete(name, kubeconfig)
		<-done
		return ctx.Err()
	}
}

// ensureIPv4Network creates the cluster's Docker network without IPv6
// before kind does. kind makes its networks dual-stack, and a kubelet then
// reaches the API server over IPv6 (the node names resolve to both), past
// the IPv4 rules that isolate a node: a partition that does not partition.
// Node InternalIPs are IPv4, so nothing in the cluster needs IPv6. An
// existing network (a retry after a failed create) is kept.
func ensureIPv4Network(ctx context.Context, network string) error {
	if command.New("docker", "network", "inspect", network).Run(ctx) == nil {
		return nil
	}
	// Masquerading as kind sets it on the networks it creates itself.
	if err := command.New("docker", "network", "create", "--driver", "bridge",
		"-o", "com.docker.network.bridge.enable_ip_masquerade=true", network).Run(ctx); err != nil {
		return fmt.Errorf("creating Docker network %s: %w", network, err)
	}
	return nil
}

// List implements clusters.Driver.
func (b *Driver) List(ctx context.Context) ([]string, error) {
	names, err := b.kp.List()
	if err != nil {
		return nil, fmt.Errorf("listing kind clusters: %w", err)
	}
	return names, nil
}

// Delete implements clusters.Driver: node containers, kubeconfig entries
// and file, and the cluster's Docker network.
func (b *Driver) Delete(ctx context.Context, name, kubeconfig string) error {
	var errs []error
	if err := b.kp.Delete(name, kubeconfig); err != nil {
		errs = append(errs, err)
	}
	if err := removeStragglers(ctx, name); err != nil {
		errs = append(errs, err)
	}
	if err := os.Remove(kubeconfig); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	network := NetworkPrefix + name
	if command.New("docker", "network", "inspect", network).Run(ctx) == nil {
		if err := command.New("docker", "network", "rm", network).Run(ctx); err != nil {
			errs = append(errs, fmt.Errorf("removing network %s: %w", network, err))
		}
	}
	return errors.Join(errs...)
}

// removeStragglers removes node containers that appear after kind's own
// delete: when creation is cancelled, kind returns on the first error while
// its other `docker run`s are still in flight. It waits until no container
// of the cluster has been seen for two checks in a row.
func removeStragglers(ctx context.Context, name string) error {
	deadline := time.Now().Add(60 * time.Second)
	quiet := 0
	for quiet < 2 {
		out, err := command.New("docker", "ps", "-aq", "--filter", "label=io.x-k8s.kind.cluster="+name).Output(ctx)
		if err != nil {
			return fmt.Errorf("listing containers of %s: %w", name, err)
		}
		ids := strings.Fields(string(out))
		if len(ids) == 0 {
			quiet++
		} else {
			quiet = 0
			if err := command.New("docker", append([]string{"rm", "-f", "-v"}, ids...)...).Run(ctx); err != nil {
				return fmt.Errorf("removing containers of %s: %w", name, err)
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("containers of %s kept appearing for 60s", name)
		}
		time.Sleep(time.Second)
	}
	return nil
}

// WriteKubeconfig implements clusters.Driver.
func (b *Driver) WriteKubeconfig(ctx context.Context, name, path string) error {
	cfg, err := b.kp.KubeConfig(name, false)
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(cfg), 0o600)
}

// Nodes implements clusters.Driver.
func (b *Driver) Nodes(ctx context.Context, name string) ([]clusters.NodeOps, error) {
	ns, err := b.kp.ListNodes(name)
	if err != nil {
		return nil, err
	}
	out := make([]clusters.NodeOps, 0, len(ns))
	for _, n := range ns {
		out = append(out, &node{n: n})
	}
	return out, nil
}

// LoadImageArchive implements clusters.Driver.
func (b *Driver) LoadImageArchive(ctx context.Context, name, archive string) error {
	ns, err := b.kp.ListInternalNodes(name)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(archive)
	if err != nil {
		return err
	}
	for _, n := range ns {
		if err := nodeutils.LoadImageArchive(n, bytes.NewReader(data)); err != nil {
			return fmt.Errorf("node %s: %w", n.String(), err)
		}
	}
	return nil
}

// CollectLogs implements clusters.Driver.
func (b *Driver) CollectLogs(ctx context.Context, name, dir string) error {
	return b.kp.CollectLogs(name, dir)
}

// node is a kind node container. Power and freeze operations go through
// the Docker CLI, as kind's own provider does.
type node struct{ n nodes.Node }

func (n *node) Name() string { return n.n.String() }

func (n *node) docker(ctx context.Context, args ...string) error {
	return command.New("docker", append(args, n.n.String())...).Run(ctx)
}

// Stop sends systemd's shutdown signal and gives it 30 s.
func (n *node) Stop(ctx context.Context) error { return n.docker(ctx, "stop", "--time", "30") }

// Start boots the node container and returns once systemd inside it
// answers, so callers can manage its units right away.
func (n *node) Start(ctx context.Context) error {
	if err := n.docker(ctx, "start"); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	for {
		// is-system-running exits non-zero while starting or degraded, but
		// prints a state once systemd is PID 1 and its bus is up.
		var out bytes.Buffer
		_ = n.n.CommandContext(ctx, "systemctl", "is-system-running").SetStdout(&out).Run()
		switch strings.TrimSpace(out.String()) {
		case "initializing", "starting", "running", "degraded", "maintenance":
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("systemd in node %s did not come up: %w", n.n.String(), ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}
func (n *node) Kill(ctx context.Context) error  { return n.docker(ctx, "kill", "--signal", "KILL") }
func (n *node) Pause(ctx context.Context) error { return n.docker(ctx, "pause") }
func (n *node) Resume(ctx context.Context) error {
	return n.docker(ctx, "unpause")
}

// SetLink sets the host end of the node's veth down or up: the node's
// eth0 loses its carrier as with a pulled cable, keeps its addresses and
// routes, and works as before once the link is back. It needs the host's
// network namespace (where Docker's bridges are) and CAP_NET_ADMIN.
func (n *node) SetLink(ctx context.Context, up bool) error {
	out, err := n.Exec(ctx, nil, "cat", "/sys/class/net/eth0/iflink")
	if err != nil {
		return fmt.Errorf("finding the host end of eth0: %w", err)
	}
	idx, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		return fmt.Errorf("finding the host end of eth0: iflink %q: %w", out, err)
	}
	peer, err := net.InterfaceByIndex(idx)
	if err != nil {
		return fmt.Errorf("the host end of eth0 (interface %d) is not in this network namespace: %w", idx, err)
	}
	state := "down"
	if up {
		state = "up"
	}
	return command.New("ip", "link", "set", "dev", peer.Name, state).Run(ctx)
}

func (n *node) State(ctx context.Context) (string, error) {
	out, err := command.New("docker", "inspect", "--format", "{{.State.Status}}", n.n.String()).Output(ctx)
	return strings.TrimSpace(string(out)), err
}

func (n *node) Exec(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	if len(args) == 0 {
		return nil, errors.New("exec: no command")
	}
	var out, stderr bytes.Buffer
	cmd := n.n.CommandContext(ctx, args[0], args[1:]...).SetStdout(&out).SetStderr(&stderr)
	if stdin != nil {
		cmd.SetStdin(bytes.NewReader(stdin))
	}
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()+" "+out.String()))
	}
	return out.Bytes(), nil
}

// logger adapts kind's logger to a printf function; kind's debug levels
// are dropped.
type logger struct{ logf func(string, ...any) }

func (l logger) Warn(m string)                        { l.printf("warning: %s", m) }
func (l logger) Warnf(f string, a ...any)             { l.printf("warning: "+f, a...) }
func (l logger) Error(m string)                       { l.printf("error: %s", m) }
func (l logger) Errorf(f string, a ...any)            { l.printf("error: "+f, a...) }
func (l logger) V(v kindlog.Level) kindlog.InfoLogger { return infoLogger{l: l, on: v == 0} }
func (l logger) printf(f string, a ...any) {
	if l.logf != nil {
		l.logf(f, a...)
	}
}

type infoLogger struct {
	l  logger
	on bool
}

func (i infoLogger) Info(m string) {
	if i.on && strings.TrimSpace(m) != "" {
		i.l.printf("%s", strings.TrimSpace(m))
	}
}
func (i infoLogger) Infof(f string, a ...any) { i.Info(fmt.Sprintf(f, a...)) }
func (i infoLogger) Enabled() bool            { return i.on }
