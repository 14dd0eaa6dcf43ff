//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/e2e-framework/klient"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/e2e/framework"
	"github.com/edgeproof/edgeproof/fixtures/echo"
)

// Steps shared by the specs that take a node down and bring it back
// (the kind smoke specs and the arm64 QEMU specs).

// specNamespace creates a namespace for an Ordered container's specs,
// deleted after them.
func specNamespace(ctx context.Context, cs kubernetes.Interface, prefix string) string {
	GinkgoHelper()
	ns, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: prefix}}, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func(ctx context.Context) {
		_ = cs.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{})
	})
	return ns.Name
}

// collectOnFailure, run in AfterEach, writes the cluster's and ns's state
// into the failed spec's artifact folder and names it in the report.
func collectOnFailure(ctx context.Context, ns string) {
	if !CurrentSpecReport().Failed() {
		return
	}
	dir, err := framework.SpecDir(artifacts, CurrentSpecReport().FullText())
	Expect(err).NotTo(HaveOccurred())
	if err := framework.CollectFailureArtifacts(context.WithoutCancel(ctx), cluster, dir, ns); err != nil {
		GinkgoWriter.Printf("collecting artifacts: %v\n", err)
	}
	AddReportEntry(framework.ArtifactEntry, dir)
}

// restartedAt is when powerLoss's cleanup started each node again; specs
// run one at a time (Serial), so a plain map does.
var restartedAt = map[string]time.Time{}

// powerLoss cuts victim's power and waits until `replicas` Ready echo
// servers of ns run elsewhere. It returns when the node turned NotReady
// and when the last replica was Ready, both from the cut, after judging
// the total against budget (objective names the verdict). The node is
// started again after the spec whatever happens, so later specs and the
// teardown find a whole cluster.
func powerLoss(ctx context.Context, cs kubernetes.Interface, victim, ns string, replicas int, objective string, budget time.Duration) {
	GinkgoHelper()
	poll, err := config.Interval("poll")
	Expect(err).NotTo(HaveOccurred())
	// The wait is longer than the budget on purpose: the time is measured
	// in full and then judged, so a miss reports by how much.
	wait, err := config.Interval("reschedule-wait")
	Expect(err).NotTo(HaveOccurred())
	node, err := cluster.Node(ctx, victim)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func(ctx context.Context) {
		if st, _ := node.State(ctx); st != "running" {
			// A VM's start lasts until its agent answers: restartAndProbe
			// times the restart from here, not from when it finds the
			// node already started.
			restartedAt[victim] = time.Now()
			_ = node.Start(ctx)
		}
	})
	start := time.Now()
	Expect(node.Kill(ctx)).To(Succeed())
	var notReadyAt time.Duration
	Expect(framework.Poll(ctx, poll, wait, func(ctx context.Context) (bool, error) {
		if notReadyAt == 0 {
			if st, err := framework.NodeCondition(ctx, cs, victim); err == nil && st != corev1.ConditionTrue {
				notReadyAt = time.Since(start)
			}
		}
		pods, err := framework.ReadyPods(ctx, cs, ns, echo.AppLabel+"="+echo.Name)
		if err != nil {
			return false, nil // the API may blink while a node dies
		}
		moved := 0
		for _, n := range pods {
			if n != victim {
				moved++
			}
		}
		return moved == replicas, nil
	})).To(Succeed(), "all %d replicas Ready off %s", replicas, victim)
	took := time.Since(start)
	AddReportEntry("node NotReady after power loss", notReadyAt.Round(100*time.Millisecond).String())
	AddReportEntry("replicas Ready elsewhere after power loss", took.Round(100*time.Millisecond).String())
	GinkgoWriter.Printf("power loss of %s: node NotReady at %s, %d replicas Ready elsewhere at %s (budget %s)\n",
		victim, notReadyAt.Round(100*time.Millisecond), replicas, took.Round(100*time.Millisecond), budget)
	v := framework.RecordDurationVerdict(objective, "total", took, budget)
	Expect(v.Pass).To(BeTrue(), "reschedule time %s within budget %s", took, budget)
}

// restartAndProbe starts victim if it has no power, waits (up to wait)
// until it is Ready, then runs an echo pod on it that must reach svcURL,
// and that the echo client must reach by pod IP: routes and CNI config
// came back by themselves.
func restartAndProbe(ctx context.Context, cs kubernetes.Interface, kc klient.Client, victim, ns, image, svcURL string, wait time.Duration) {
	GinkgoHelper()
	poll, err := config.Interval("poll")
	Expect(err).NotTo(HaveOccurred())
	node, err := cluster.Node(ctx, victim)
	Expect(err).NotTo(HaveOccurred())
	start := time.Now()
	if st, _ := node.State(ctx); st != "running" {
		Expect(node.Start(ctx)).To(Succeed())
	} else if at, ok := restartedAt[victim]; ok {
		start = at // started by powerLoss's cleanup
	}
	delete(restartedAt, victim)
	Expect(framework.Poll(ctx, poll, wait, func(ctx context.Context) (bool, error) {
		st, err := framework.NodeCondition(ctx, cs, victim)
		return err == nil && st == corev1.ConditionTrue, nil
	})).To(Succeed(), "node %s Ready again", victim)
	AddReportEntry("node Ready after restart", time.Since(start).Round(100*time.Millisecond).String())
	const probe = "probe"
	_, err = cs.CoreV1().Pods(ns).Create(ctx, echo.Pod(ns, probe, image, map[string]string{corev1.LabelHostname: victim}, "serve"), metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred())
	var ip string
	Expect(framework.Poll(ctx, poll, wait, func(ctx context.Context) (bool, error) {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, probe, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		ip = p.Status.PodIP
		return clusters.PodReady(p) || (p.Status.Phase == corev1.PodRunning && ip != ""), nil
	})).To(Succeed(), "probe pod running on %s", victim)
	Eventually(func() error {
		_, err := framework.ExecInPod(ctx, kc, ns, probe, "/edgeproof-echo", "get", svcURL)
		return err
	}).WithContext(ctx).WithTimeout(wait).WithPolling(poll).Should(Succeed(), "restarted node reaches the Service")
	Eventually(func() error {
		_, err := framework.ExecInPod(ctx, kc, ns, echo.ClientName, "/edgeproof-echo", "get", fmt.Sprintf("http://%s:%d/", ip, echo.Port))
		return err
	}).WithContext(ctx).WithTimeout(wait).WithPolling(poll).Should(Succeed(), "cloud node reaches a pod on the restarted node")
}
