//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/edgeproof/edgeproof/apps"
	"github.com/edgeproof/edgeproof/chaos/leak"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/clusters/existing"
	"github.com/edgeproof/edgeproof/e2e/framework"
	"github.com/edgeproof/edgeproof/fixtures/images"
	"github.com/edgeproof/edgeproof/fixtures/workload"
	"github.com/edgeproof/edgeproof/reports"
)

// natsWorkload is the application the scenarios here deploy: the
// nats-edge example's chart, its image from an archive per architecture
// (CHART, ARCH and ARCHIVE are filled in; ARCH is the host's, which the
// kind nodes have).
const natsWorkload = `  workload:
    helm:
    - chart: CHART
      release: nats
    images:
    - name: example.local/nats-server:2.14.10
      archives: {ARCH: ARCHIVE}
`

// healthObjective probes the application's health endpoint and judges its
// success ratio; the budget line follows.
const healthObjective = `  probes:
  - name: health
    http: {service: nats, port: 8222, path: /healthz, expectStatus: 200}
  objectives:
  - name: health-available
    kind: availability
    metric: successRatio
    probe: health
`

// existingScenario is the user's application (the nats-edge example's
// chart, its image from an archive) broken from inside the nodes: a
// container killed with crictl on its node, then a pod deleted, both
// through the node agent. The budgets are loose on purpose: this spec
// proves the path, not the application (examples/nats-edge does that).
const existingScenario = `apiVersion: edgeproof.dev/v1alpha1
kind: Scenario
metadata:
  name: existing-nats
spec:
  duration: 40s
` + natsWorkload + `  probes:
  - name: health
    http: {service: nats, port: 8222, path: /healthz, expectStatus: 200}
    interval: 200ms
  # A message's round trip through NATS's MQTT listener, a fresh
  # connection per attempt.
  - name: mqtt-loop
    mqtt: {service: nats, port: 1883, topic: site/probe}
  faults:
  - name: kill-container
    kind: container-kill
    at: 8s
    target:
      pods:
        selector:
          labelSelectors:
            app.kubernetes.io/name: nats
        mode: one
        containerNames: [nats]
  - name: kill-pod
    kind: pod-kill
    at: 22s
    pod:
      gracePeriod: 0
    target:
      pods:
        selector:
          labelSelectors:
            app.kubernetes.io/name: nats
        mode: one
  objectives:
  # Two replicas: each kill costs a few attempts while the Service drops
  # the endpoint (0 to 4 of 200 measured per kill); 90% is far from that
  # and far from a Service left without endpoints.
  - name: health-available
    kind: availability
    metric: successRatio
    probe: health
    budget: 90%
  # The same budget for the round trip: each kill costs an attempt or two
  # (1 s apart) while the Service drops the killed server.
  - name: mqtt-available
    kind: availability
    metric: successRatio
    probe: mqtt-loop
    budget: 90%
`

// The reference pipeline for a short while: it schedules by tier and
// zone, so it runs only where the nodes are mapped.
const existingTopology = `apiVersion: edgeproof.dev/v1alpha1
kind: Scenario
metadata:
  name: existing-topology
spec:
  duration: 20s
  devices:
    count: 2
    rate: 1
  objectives:
  - name: nothing-lost
    kind: delivery
    metric: lost
    budget: 0
`

// A power loss needs a hand on the node's power, which the agent is not.
const existingPowerLoss = `apiVersion: edgeproof.dev/v1alpha1
kind: Scenario
metadata:
  name: existing-power-loss
spec:
  duration: 30s
` + natsWorkload + `  faults:
  - name: cut-power
    kind: node-power-loss
    at: 5s
    duration: 10s
    target:
      zone: edge-a
      mode: one
  objectives:
  - name: rescheduled
    kind: reschedule
    metric: total
    selector: {app.kubernetes.io/name: nats}
    budget: 60s
`

// existingHookedPowerLoss cuts the power of the one opted-in edge node
// through the fleet file's power hook (examples/fleets/kind-docker.yaml:
// docker kill, docker start), long enough for the node's lease to lapse.
const existingHookedPowerLoss = `apiVersion: edgeproof.dev/v1alpha1
kind: Scenario
metadata:
  name: existing-hooked-power-loss
spec:
  duration: 60s
` + natsWorkload + `  faults:
  - name: cut-power
    kind: node-power-loss
    at: 5s
    duration: 30s
    target:
      nodeSelector:
        edgeproof.dev/tier: edge
      mode: one
` + healthObjective + `    budget: 80%
`

// existingNoImage is the user's chart with an image no node has and none
// can pull, and no archive for it: the mistake of a first run.
const existingNoImage = `apiVersion: edgeproof.dev/v1alpha1
kind: Scenario
metadata:
  name: existing-no-image
spec:
  duration: 20s
  workload:
    helm:
    - chart: CHART
      release: nats
      set: [image=example.local/not-built:1]
` + healthObjective + `    budget: 90%
`

// stressScenario is a node stress on one edge node (a fault the agent
// can do) under the application's health probe: NAME, the run's TOTAL
// duration and the fault's FAULT duration are filled in.
const stressScenario = `apiVersion: edgeproof.dev/v1alpha1
kind: Scenario
metadata:
  name: NAME
spec:
  duration: TOTAL
  workload:
    helm:
    - chart: CHART
      release: nats
  faults:
  - name: hot-node
    kind: stress
    at: 5s
    duration: FAULT
    stress:
      cpu: {workers: 1, load: 50}
    target:
      nodeSelector:
        edgeproof.dev/tier: edge
      mode: one
` + healthObjective + `    budget: 90%
`

// existingCutOff cuts the one opted-in edge node off from the API server
// three ways, one after the other: its kubelet stopped, its link to the
// control plane dropped, its container runtime stopped. Nothing can reach
// the node through the agent while each is in force, so the node applies
// and heals each by its own timers. The runtime stop lasts longer: its
// node turns NotReady only after the kubelet's 30 s grace.
const existingCutOff = `apiVersion: edgeproof.dev/v1alpha1
kind: Scenario
metadata:
  name: existing-cut-off
spec:
  duration: 150s
` + natsWorkload + `  faults:
  - name: stop-kubelet
    kind: kubelet-stop
    at: 5s
    duration: 25s
    target: &edge
      nodeSelector:
        edgeproof.dev/tier: edge
      mode: one
  - name: isolate
    kind: node-isolate
    at: 45s
    duration: 25s
    target: *edge
  - name: stop-runtime
    kind: runtime-stop
    at: 85s
    duration: 50s
    target: *edge
  probes:
  - name: health
    http: {service: nats, port: 8222, path: /healthz, expectStatus: 200}
  objectives:
  # One of the two replicas may sit on the cut node; the other answers.
  - name: health-available
    kind: availability
    metric: successRatio
    probe: health
    budget: 80%
`

// existingControlPlane stresses the control-plane node, which only a
// target that allows the control plane may pick.
const existingControlPlane = `apiVersion: edgeproof.dev/v1alpha1
kind: Scenario
metadata:
  name: existing-control-plane
spec:
  duration: 15s
` + natsWorkload + `  faults:
  - name: hot-server
    kind: stress
    at: 3s
    duration: 5s
    stress:
      cpu: {workers: 1, load: 30}
    target:
      nodeSelector: {node-role.kubernetes.io/control-plane: ""}
      allowControlPlane: ALLOW
` + healthObjective + `    budget: 90%
`

var (
	// existingNotOptedIn is refused until an edge node is opted in.
	existingNotOptedIn = strings.NewReplacer("NAME", "existing-not-opted-in", "TOTAL", "20s", "FAULT", "5s").Replace(stressScenario)
	// existingDeadMan is long enough to kill edgeproof while it is in force.
	existingDeadMan = strings.NewReplacer("NAME", "existing-dead-man", "TOTAL", "60s", "FAULT", "20s").Replace(stressScenario)
)

// A cluster edgeproof did not create, reached only through a kubeconfig:
// the run may not touch Docker (no docker on PATH, no socket), so every
// node operation, image import and fault goes through the node agent, and
// the run removes the agent when it ends. The agent's own image is the one
// thing imported beforehand, as an air-gapped fleet's admin would.
var _ = Describe("A cluster reached only through its kubeconfig", Ordered, Label("existing"), framework.WithSlow(), Serial, func() {
	var bin, kubeconfig, dir, natsArchive string

	BeforeAll(func(ctx SpecContext) {
		dir = GinkgoT().TempDir()
		bin = filepath.Join(dir, "edgeproof")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/edgeproof")
		build.Dir = repoRoot
		out, err := build.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "building edgeproof: %s", out)
		kubeconfig = cluster.Kubeconfig

		By("importing the node agent's image into every node, as an admin would once")
		agent, err := images.BuildAgent(ctx, repoRoot)
		Expect(err).NotTo(HaveOccurred())
		Expect(cluster.LoadImageArchives(ctx, agent.Archives)).To(Succeed())

		By("building the application's image archive from the Go module proxy")
		natsArchive = filepath.Join(dir, "nats.tar")
		Expect(apps.BuildGoImage(ctx, apps.GoImage{Module: natsModule + "@v2.14.10", Tag: "example.local/nats-server:2.14.10",
			Arch: runtime.GOARCH}, natsArchive, GinkgoWriter)).To(Succeed())
	}, NodeTimeout(10*time.Minute))

	// runNoDocker runs `edgeproof run` on the scenario text with a PATH
	// holding only go and git, and a Docker socket that does not exist.
	// scenarioFile writes a scenario text, with the chart and archive
	// paths filled in.
	scenarioFile := func(name, text string) string {
		chart, err := filepath.Abs(filepath.Join(repoRoot, "examples", "nats-edge", "chart"))
		Expect(err).NotTo(HaveOccurred())
		text = strings.NewReplacer("CHART", chart, "ARCHIVE", natsArchive, "ARCH", runtime.GOARCH).Replace(text)
		file := filepath.Join(dir, name+".yaml")
		Expect(os.WriteFile(file, []byte(text), 0o644)).To(Succeed())
		return file
	}

	// noDocker is edgeproof with args, given a PATH holding only go and
	// git, and a Docker socket that does not exist.
	noDocker := func(ctx context.Context, args ...string) *exec.Cmd {
		tools := []string{"go", "git"}
		if i := slices.Index(args, "--fleet"); i >= 0 {
			// A power hook that drives Docker's CLI (with the socket
			// named) needs it; edgeproof itself still finds no Docker.
			if text, err := os.ReadFile(args[i+1]); err == nil && strings.Contains(string(text), "docker ") {
				tools = append(tools, "docker")
			}
		}
		path := filepath.Join(dir, "path-"+strings.Join(tools, "-"))
		if _, err := os.Stat(path); err != nil {
			Expect(os.MkdirAll(path, 0o755)).To(Succeed())
			for _, tool := range tools {
				p, err := exec.LookPath(tool)
				Expect(err).NotTo(HaveOccurred())
				Expect(os.Symlink(p, filepath.Join(path, tool))).To(Succeed())
			}
		}
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "PATH="+path, "DOCKER_HOST=unix:///nonexistent/docker.sock", "EDGEPROOF_CLUSTER=")
		return cmd
	}

	// runNoDocker runs the scenario text through noDocker and returns the
	// exit status and output.
	runFileNoDocker := func(ctx context.Context, name, file string, flags ...string) (int, string) {
		args := append([]string{"run", file, "--kubeconfig", kubeconfig, "--artifacts", filepath.Join(dir, "art-"+name)}, flags...)
		out, err := noDocker(ctx, args...).CombinedOutput()
		GinkgoWriter.Write(out)
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), string(out)
		}
		Expect(err).NotTo(HaveOccurred())
		return 0, string(out)
	}

	runNoDocker := func(ctx context.Context, name, text string, flags ...string) (int, string) {
		return runFileNoDocker(ctx, name, scenarioFile(name, text), flags...)
	}

	// optInEdges labels the edge nodes (all, or the last one)
	// edgeproof.dev/chaos=allowed until the spec ends, and returns their
	// names: a target over all the edge nodes must then pick among them.
	// labelNode merges labels into a node's (nil removes one), as the
	// cluster's admin would.
	labelNode := func(ctx context.Context, name string, labels map[string]any) {
		cs, err := cluster.Client()
		Expect(err).NotTo(HaveOccurred())
		patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"labels": labels}})
		Expect(err).NotTo(HaveOccurred())
		_, err = cs.CoreV1().Nodes().Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
		Expect(err).NotTo(HaveOccurred())
	}

	// optInNodes labels the nodes edgeproof.dev/chaos=allowed until the
	// spec ends.
	optInNodes := func(ctx context.Context, names ...string) {
		for _, name := range names {
			labelNode(ctx, name, map[string]any{existing.LabelChaos: existing.ChaosAllowed})
			DeferCleanup(func(ctx SpecContext) { labelNode(ctx, name, map[string]any{existing.LabelChaos: nil}) })
		}
	}

	optInEdges := func(ctx context.Context, all bool) []string {
		cs, err := cluster.Client()
		Expect(err).NotTo(HaveOccurred())
		edges, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: "edgeproof.dev/tier=edge"})
		Expect(err).NotTo(HaveOccurred())
		Expect(edges.Items).NotTo(BeEmpty())
		names := []string{edges.Items[len(edges.Items)-1].Name}
		if all {
			names = names[:0]
			for _, n := range edges.Items {
				names = append(names, n.Name)
			}
		}
		optInNodes(ctx, names...)
		return names
	}

	// optIn labels one edge node edgeproof.dev/chaos=allowed until the
	// spec ends, and returns its name: a target over all the edge nodes
	// must then pick that one.
	optIn := func(ctx context.Context) string { return optInEdges(ctx, false)[0] }

	// leftNothing checks the run removed the agent and its workload, and
	// healed everything on the nodes.
	leftNothing := func(ctx context.Context) {
		cs, err := cluster.Client()
		Expect(err).NotTo(HaveOccurred())
		_, err = cs.CoreV1().Namespaces().Get(ctx, existing.Namespace, metav1.GetOptions{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the node agent's namespace is still there (%v)", err)
		kc, err := cluster.Klient()
		Expect(err).NotTo(HaveOccurred())
		wls, err := workload.Leftovers(ctx, kc)
		Expect(err).NotTo(HaveOccurred())
		Expect(wls).To(BeEmpty(), "workload namespaces left behind")
		left, err := leak.Check(ctx, cluster)
		Expect(err).NotTo(HaveOccurred())
		Expect(left).To(BeEmpty())
	}

	It("deploys the user's chart and image, breaks it through the node agent and judges it, without Docker", func(ctx SpecContext) {
		code, out := runNoDocker(ctx, "nats", existingScenario)
		Expect(out).To(ContainSubstring("through its agent"), "images were not imported through the agent")
		Expect(out).To(ContainSubstring("fault kill-container in force"))
		Expect(code).To(Equal(0), "the run failed")
		raw, err := os.ReadFile(filepath.Join(dir, "art-nats", "report.json"))
		Expect(err).NotTo(HaveOccurred())
		var rep reports.Report
		Expect(json.Unmarshal(raw, &rep)).To(Succeed())
		Expect(rep.Scenarios).To(HaveLen(1))
		Expect(rep.Scenarios[0].State).To(Equal(reports.StatePassed))
		Expect(rep.Scenarios[0].Verdicts).To(framework.MeetObjectives())
		leftNothing(ctx)
	}, NodeTimeout(5*time.Minute))

	It("fails at once, naming the image, when the application's image is on no node", func(ctx SpecContext) {
		start := time.Now()
		code, out := runNoDocker(ctx, "no-image", existingNoImage)
		took := time.Since(start)
		Expect(code).To(Equal(1))
		Expect(out).To(ContainSubstring("cannot get its image (container nats, image example.local/not-built:1"))
		Expect(out).To(ContainSubstring("spec.workload.images"))
		AddReportEntry("missing image reported after", took.Round(time.Second).String())
		Expect(took).To(BeNumerically("<", 2*time.Minute), "waited out the readiness timeout instead of failing at once")
		leftNothing(ctx)
	}, NodeTimeout(4*time.Minute))

	It("skips a power loss with the reason: the agent has no hand on a node's power", func(ctx SpecContext) {
		code, out := runNoDocker(ctx, "power", existingPowerLoss)
		Expect(code).To(Equal(2), "a fault the agent cannot do must skip (exit 2)")
		Expect(out).To(ContainSubstring("skipped"))
		Expect(out).To(ContainSubstring("power"))
		leftNothing(ctx)

		By("refusing, before installing anything, a fleet file that does not fit the cluster or marks it production")
		for name, c := range map[string]struct{ spec, want string }{
			"ghost-node": {"  power:\n  - {name: pdu, nodes: [ghost-1], off: x, on: y}\n", "power hook pdu names node ghost-1, which the cluster does not have"},
			"production": {"  production: {namespaces: [kube-system]}\n", "this looks like production (fleet file " + filepath.Join(dir, "production.fleet.yaml") + ": namespace kube-system exists)"},
		} {
			file := filepath.Join(dir, name+".fleet.yaml")
			Expect(os.WriteFile(file, []byte("apiVersion: edgeproof.dev/v1alpha1\nkind: Fleet\nmetadata: {name: "+name+"}\nspec:\n"+c.spec), 0o644)).To(Succeed())
			code, out := runNoDocker(ctx, name, existingPowerLoss, "--fleet", file)
			Expect(code).To(Equal(1), "fleet %s", name)
			Expect(out).To(ContainSubstring(c.want))
			Expect(out).NotTo(ContainSubstring("waiting for the node agent"), "fleet %s: checked after installing the agent", name)
			leftNothing(ctx)
		}
	}, NodeTimeout(3*time.Minute))

	// The power hook is the user's: a command run on this machine that cuts
	// and restores a node's power. The loss is shown from the API, healed
	// by the hook's on command, and a hook that cannot reach the power
	// fails the run before any fault.
	It("cuts an opted-in node's power through the fleet file's power hook and restores it", Label("existing-power", "existing-long"), func(ctx SpecContext) {
		allowed := optIn(ctx)
		DeferCleanup(func(ctx SpecContext) {
			// The cluster's own Service CIDR guard does not survive a power
			// cycle, and a run on a foreign cluster does not restore it.
			n, err := cluster.Node(ctx, allowed)
			Expect(err).NotTo(HaveOccurred())
			cs, err := cluster.Client()
			Expect(err).NotTo(HaveOccurred())
			Expect(clusters.GuardNode(ctx, cs, n)).To(Succeed())
		})
		fleet := filepath.Join(repoRoot, "examples", "fleets", "kind-docker.yaml")
		start := time.Now()
		code, out := runNoDocker(ctx, "hooked-power", existingHookedPowerLoss, "--fleet", fleet)
		AddReportEntry("power loss through the hook, whole run", time.Since(start).Round(time.Second).String())
		Expect(out).To(MatchRegexp("fault cut-power in force: node " + allowed + ": (lease not renewed for|Ready Unknown since)"))
		Expect(code).To(Equal(0), "the run failed")
		leftNothing(ctx)

		By("failing before any fault when the hook cannot read the node's power")
		bad := filepath.Join(dir, "unreachable.fleet.yaml")
		Expect(os.WriteFile(bad, []byte(`apiVersion: edgeproof.dev/v1alpha1
kind: Fleet
metadata: {name: unreachable}
spec:
  power:
  - name: pdu
    nodeSelector: {kubernetes.io/os: linux}
    off: "false"
    on: "true"
    status: 'echo "pdu 192.0.2.7: no route to host" >&2; exit 2'
`), 0o644)).To(Succeed())
		code, out = runNoDocker(ctx, "hook-unreachable", existingHookedPowerLoss, "--fleet", bad)
		Expect(code).To(Equal(1))
		Expect(out).To(ContainSubstring("power hook pdu (" + bad + ") status for node " + allowed))
		Expect(out).To(ContainSubstring("no route to host"))
		Expect(out).NotTo(ContainSubstring("in force"))
		leftNothing(ctx)

		By("killing edgeproof while the node is off: the dead-man it left on this machine powers the node on")
		buf := gbytes.NewBuffer()
		run := noDocker(ctx, "run", scenarioFile("hooked-dead-man", existingHookedPowerLoss), "--kubeconfig", kubeconfig, "--fleet", fleet)
		run.Stdout, run.Stderr = buf, buf
		Expect(run.Start()).To(Succeed())
		Eventually(buf).WithContext(ctx).WithTimeout(3 * time.Minute).Should(gbytes.Say("fault cut-power in force"))
		killed := time.Now()
		Expect(run.Process.Kill()).To(Succeed())
		_ = run.Wait()
		GinkgoWriter.Write(buf.Contents())
		running := func() bool {
			out, _ := exec.CommandContext(ctx, "docker", "inspect", "--format", "{{.State.Running}}", allowed).Output()
			return strings.TrimSpace(string(out)) == "true"
		}
		Expect(running()).To(BeFalse(), "the node came back with edgeproof")
		Eventually(running).WithContext(ctx).WithTimeout(90 * time.Second).WithPolling(500 * time.Millisecond).Should(BeTrue())
		AddReportEntry("power dead-man: node on again after the kill", time.Since(killed).Round(100*time.Millisecond).String())
		// The 30 s fault was in force about 5 s after it began; the dead-man
		// fires at its planned end plus 15 s.
		Expect(time.Since(killed)).To(BeNumerically(">", 25*time.Second), "powered on before the planned end: not by the dead-man")
		rec, err := noDocker(ctx, "recover", "--kubeconfig", kubeconfig, "--fleet", fleet).CombinedOutput()
		GinkgoWriter.Write(rec)
		Expect(err).NotTo(HaveOccurred())
		cs, err := cluster.Client()
		Expect(err).NotTo(HaveOccurred())
		Expect(clusters.WaitReady(ctx, cs, 2*time.Minute)).To(Succeed())
		leftNothing(ctx)
	}, NodeTimeout(10*time.Minute))

	It("refuses a node fault on nodes their owner did not opt in, before any fault, and says so in a dry run", func(ctx SpecContext) {
		code, out := runNoDocker(ctx, "not-opted-in", existingNotOptedIn, "--dry-run")
		Expect(code).To(Equal(1), "the dry run must predict the refusal")
		Expect(out).To(ContainSubstring("REFUSED: nodeSelector edgeproof.dev/tier=edge: none of its"))
		Expect(out).To(ContainSubstring("nothing is created or changed"))
		Expect(out).NotTo(ContainSubstring("waiting for the node agent"), "a dry run installed the agent")
		leftNothing(ctx)

		code, out = runNoDocker(ctx, "not-opted-in", existingNotOptedIn)
		Expect(code).To(Equal(1), "a fault on a node nobody opted in must fail the run")
		Expect(out).To(ContainSubstring("not opted in to faults"))
		Expect(out).To(ContainSubstring(existing.LabelChaos + "=" + existing.ChaosAllowed))
		Expect(out).NotTo(ContainSubstring("in force"))
		leftNothing(ctx)

		By("opting one edge node in: the same fault now runs through the agent, on that node")
		allowed := optIn(ctx)
		code, out = runNoDocker(ctx, "opted-in", existingNotOptedIn)
		Expect(out).To(ContainSubstring("fault hot-node in force: node " + allowed + ":"))
		Expect(code).To(Equal(0), "the stress run failed")
		leftNothing(ctx)
	}, NodeTimeout(4*time.Minute))

	// Each cut leaves edgeproof no way to the node: the fault must be shown
	// in force from the API (the lease, the Ready condition), healed by the
	// node's own timer at the planned end, and that end reported.
	It("cuts an opted-in node off three ways and has the node heal itself at each fault's end", Label("existing-cut-off", "existing-long"), func(ctx SpecContext) {
		allowed := optIn(ctx)
		code, out := runNoDocker(ctx, "cut-off", existingCutOff)
		for _, f := range []string{"stop-kubelet", "isolate"} {
			Expect(out).To(ContainSubstring("fault "+f+" in force: node "+allowed+": lease not renewed for"), "fault %s not shown in force from the lease", f)
		}
		Expect(out).To(ContainSubstring("fault stop-runtime in force: node " + allowed + ": Ready False since"))
		Expect(code).To(Equal(0), "the run failed")
		raw, err := os.ReadFile(filepath.Join(dir, "art-cut-off", "report.json"))
		Expect(err).NotTo(HaveOccurred())
		var rep reports.Report
		Expect(json.Unmarshal(raw, &rep)).To(Succeed())
		Expect(rep.Scenarios).To(HaveLen(1))
		events := rep.Scenarios[0].FaultEvents
		Expect(events).To(HaveLen(3))
		for _, ev := range events {
			// Timed by the node's own stamps, from when its timer applied
			// the fault to when its dead-man healed it, not from when
			// edgeproof asked or heard: the planned length, give or take
			// the timers' accuracy and the time between arming the two.
			planned := map[string]time.Duration{"stop-kubelet": 25 * time.Second, "isolate": 25 * time.Second, "stop-runtime": 50 * time.Second}[ev.Name]
			lasted := ev.End.Sub(ev.Start)
			AddReportEntry("cut-off "+ev.Name+" lasted", lasted.Round(100*time.Millisecond).String())
			Expect(ev.Healed).To(BeTrue(), "fault %s not healed", ev.Name)
			Expect(lasted).To(And(BeNumerically(">", planned-time.Second), BeNumerically("<", planned+2*time.Second)), "fault %s", ev.Name)
		}
		leftNothing(ctx)
	}, NodeTimeout(7*time.Minute))

	// Nobody heals this fault but the node itself: edgeproof is killed while
	// it is in force, and the dead-man timer the agent armed on the node
	// ends it at the planned end plus the margin.
	It("heals a fault on the node by itself when edgeproof is killed mid-fault", Label("existing-dead-man", "existing-long"), func(ctx SpecContext) {
		optIn(ctx)
		out := gbytes.NewBuffer()
		run := noDocker(ctx, "run", scenarioFile("dead-man", existingDeadMan), "--kubeconfig", kubeconfig)
		run.Stdout, run.Stderr = out, out
		Expect(run.Start()).To(Succeed())
		inForce := regexp.MustCompile(`fault hot-node in force: node (\S+): unit (\S+) is active`)
		Eventually(func() []string { return inForce.FindStringSubmatch(string(out.Contents())) }).
			WithContext(ctx).WithTimeout(2 * time.Minute).WithPolling(200 * time.Millisecond).ShouldNot(BeNil())
		killed := time.Now()
		Expect(run.Process.Kill()).To(Succeed())
		_ = run.Wait()
		GinkgoWriter.Write(out.Contents())
		m := inForce.FindStringSubmatch(string(out.Contents()))
		node, err := cluster.Node(ctx, m[1])
		Expect(err).NotTo(HaveOccurred())
		active := func(unit string) bool {
			o, _ := node.Exec(ctx, "systemctl", "is-active", unit)
			return strings.TrimSpace(string(o)) == "active"
		}
		Expect(active(m[2])).To(BeTrue(), "the stress stopped with edgeproof")

		By("waiting for the node to heal itself: 20 s of fault plus the 15 s margin")
		Eventually(func() bool { return active(m[2]) }).WithContext(ctx).
			WithTimeout(60 * time.Second).WithPolling(time.Second).Should(BeFalse())
		healed := time.Since(killed)
		AddReportEntry("dead-man heal after the kill", healed.Round(100*time.Millisecond).String())
		Expect(healed).To(BeNumerically(">", 10*time.Second), "healed before the planned end: not by the timer")

		By("recovering the rest (the namespace, the journal) with edgeproof recover")
		rec, err := noDocker(ctx, "recover", "--kubeconfig", kubeconfig).CombinedOutput()
		GinkgoWriter.Write(rec)
		Expect(err).NotTo(HaveOccurred())
		leftNothing(ctx)
	}, NodeTimeout(5*time.Minute))

	It("faults a control-plane node only when the fault's target allows it", Label("existing-control-plane", "existing-long"), func(ctx SpecContext) {
		cs, err := cluster.Client()
		Expect(err).NotTo(HaveOccurred())
		cps, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: "node-role.kubernetes.io/control-plane"})
		Expect(err).NotTo(HaveOccurred())
		Expect(cps.Items).To(HaveLen(1))
		cp := cps.Items[0].Name
		optInNodes(ctx, cp)

		code, out := runNoDocker(ctx, "cp-refused", strings.ReplaceAll(existingControlPlane, "ALLOW", "false"), "--dry-run")
		Expect(code).To(Equal(1), "an opted-in control-plane node must still be refused")
		Expect(out).To(ContainSubstring("runs the control plane"))
		Expect(out).To(ContainSubstring("allowControlPlane: true"))

		code, out = runNoDocker(ctx, "cp-allowed", strings.ReplaceAll(existingControlPlane, "ALLOW", "true"))
		Expect(out).To(ContainSubstring("fault hot-server in force: node " + cp + ":"))
		Expect(code).To(Equal(0), "the stress run on the control plane failed")
		leftNothing(ctx)
	}, NodeTimeout(4*time.Minute))

	It("runs the default e2e set's catalog scenarios with every node fault done by the agent", Label("existing-catalog", "existing-long"), func(ctx SpecContext) {
		optInEdges(ctx, true)
		for _, c := range []struct {
			name string
			exit int // 2: skipped, with the reason
		}{{"smoke", 0}, {"kubelet-crash", 0}, {"uplink-cut", 0}, {"node-power-loss", 0}} {
			By("running catalog scenario " + c.name + " through the agent")
			start := time.Now()
			var flags []string
			if c.name == "node-power-loss" {
				// Through the example fleet file's power hook.
				flags = []string{"--fleet", filepath.Join(repoRoot, "examples", "fleets", "kind-docker.yaml")}
			}
			code, _ := runFileNoDocker(ctx, c.name, filepath.Join(repoRoot, "scenarios", "catalog", c.name+".yaml"), flags...)
			AddReportEntry("catalog "+c.name+" through the agent", time.Since(start).Round(time.Second).String())
			Expect(code).To(Equal(c.exit), "scenario %s", c.name)
			leftNothing(ctx)
		}
	}, NodeTimeout(30*time.Minute))

	// A cluster that does not carry edgeproof's tier and zone labels, as
	// most do not: the fleet file's topology maps its nodes for the run,
	// the reference pipeline schedules by that mapping, and the labels
	// come off again afterwards.
	It("maps an unlabelled cluster's nodes with the fleet file's topology and takes the labels off after", Label("existing-topology", "existing-long"), func(ctx SpecContext) {
		cs, err := cluster.Client()
		Expect(err).NotTo(HaveOccurred())
		nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		zones := map[string][]string{}
		keys := []string{clusters.LabelTier, clusters.LabelZone}
		By("taking edgeproof's tier and zone labels off every node, as on a cluster edgeproof never saw")
		for _, n := range nodes.Items {
			zone := n.Labels[clusters.LabelZone]
			if n.Labels[clusters.LabelTier] == clusters.TierCloud {
				zone = "CLOUD"
			}
			zones[zone] = append(zones[zone], n.Name)
			saved := map[string]any{}
			for _, k := range keys {
				saved[k] = n.Labels[k]
			}
			DeferCleanup(func(ctx SpecContext) { labelNode(ctx, n.Name, saved) })
			labelNode(ctx, n.Name, map[string]any{clusters.LabelTier: nil, clusters.LabelZone: nil})
		}
		Expect(zones).To(HaveKey("CLOUD"))
		Expect(len(zones)).To(BeNumerically(">=", 3), "a cloud node and two edge zones")

		var topo strings.Builder
		fmt.Fprintf(&topo, "apiVersion: edgeproof.dev/v1alpha1\nkind: Fleet\nmetadata: {name: site}\nspec:\n  topology:\n    cloud: {nodes: [%s]}\n    zones:\n",
			strings.Join(zones["CLOUD"], ", "))
		for _, z := range slices.Sorted(maps.Keys(zones)) {
			if z != "CLOUD" {
				fmt.Fprintf(&topo, "    - {name: %s, nodes: [%s]}\n", z, strings.Join(zones[z], ", "))
			}
		}
		fleet := filepath.Join(dir, "topology.fleet.yaml")
		Expect(os.WriteFile(fleet, []byte(topo.String()), 0o644)).To(Succeed())

		code, out := runNoDocker(ctx, "topology", existingTopology, "--fleet", fleet)
		Expect(out).To(ContainSubstring("labelled node " + zones["CLOUD"][0] + " " + clusters.LabelTier + "=" + clusters.TierCloud))
		Expect(out).To(ContainSubstring("removed the labels edgeproof added to node"))
		Expect(code).To(Equal(0), "the run on the mapped cluster failed")
		leftNothing(ctx)

		By("checking every node is as the run found it: no tier or zone label, no record")
		after, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		for _, n := range after.Items {
			for _, k := range keys {
				Expect(n.Labels).NotTo(HaveKey(k), "node %s", n.Name)
			}
			Expect(n.Annotations).NotTo(HaveKey(existing.AnnotationLabelsAdded), "node %s", n.Name)
		}
	}, NodeTimeout(6*time.Minute))
})
