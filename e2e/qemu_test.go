//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"runtime"
	"strings"
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
	"github.com/edgeproof/edgeproof/fixtures/images"
)

// The arm64 edge node: a QEMU VM that joined the kind control plane
// (topology clusters/configs/edge-arm64.yaml, `make e2e-qemu`). Its zone
// also has a kind worker, where its pods go when it loses power.
var _ = Describe("QEMU arm64 edge node", Label("qemu"), framework.WithArch("arm64"), framework.WithProvider("qemu"),
	framework.WithDisruptive(), framework.WithFault("node-power-loss"), Ordered, func() {
		const replicas = 2
		var (
			cs    kubernetes.Interface
			kc    klient.Client
			ns    string
			image string
			arm   *corev1.Node
			poll  time.Duration
		)
		svcURL := func() string { return fmt.Sprintf("http://%s.%s.svc.cluster.local/", echo.Name, ns) }

		BeforeAll(func(ctx SpecContext) {
			var err error
			cs, err = cluster.Client()
			Expect(err).NotTo(HaveOccurred())
			kc, err = cluster.Klient()
			Expect(err).NotTo(HaveOccurred())
			poll, err = config.Interval("poll")
			Expect(err).NotTo(HaveOccurred())
			nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: corev1.LabelArchStable + "=arm64"})
			Expect(err).NotTo(HaveOccurred())
			if len(nodes.Items) == 0 {
				why := framework.ARM64Missing(config)
				if why == "" {
					why = "the cluster has none (was it created from another topology, or reused?)"
				}
				Skip("no arm64 node: " + why)
			}
			arm = &nodes.Items[0]
			// One build per architecture under the same reference: each
			// node imports its own.
			built, err := images.BuildFor(ctx, repoRoot, []string{runtime.GOARCH, "arm64"}, "edgeproof-echo")
			Expect(err).NotTo(HaveOccurred(), "building the echo image for both architectures")
			Expect(cluster.LoadImageArchives(ctx, built.Archives)).To(Succeed())
			image = built.Refs["edgeproof-echo"]
			ns = specNamespace(ctx, cs, "qemu-")
		})

		AfterEach(func(ctx SpecContext) { collectOnFailure(ctx, ns) })

		It("is a Ready edge node with arch arm64, its zone, kube-proxy and the CNI agent", func(ctx SpecContext) {
			Expect(clusters.NodeReady(arm)).To(BeTrue(), "node %s Ready", arm.Name)
			Expect(arm.Labels).To(HaveKeyWithValue(clusters.LabelTier, clusters.TierEdge))
			Expect(arm.Labels).To(HaveKey(clusters.LabelEdgeRole))
			Expect(arm.Labels).To(HaveKey(clusters.LabelZone))
			Expect(arm.Status.NodeInfo.Architecture).To(Equal("arm64"))
			pods, err := cs.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + arm.Name})
			Expect(err).NotTo(HaveOccurred())
			ready := map[string]bool{}
			for _, p := range pods.Items {
				ready[p.Labels["k8s-app"]+p.Labels["app"]] = clusters.PodReady(&p)
			}
			Expect(ready).To(HaveKeyWithValue("kube-proxy", true), "kube-proxy Ready on %s", arm.Name)
			Expect(ready).To(HaveKeyWithValue("edgeproof-cni", true), "CNI agent Ready on %s", arm.Name)
			AddReportEntry("arm64 node", fmt.Sprintf("%s kernel %s kubelet %s", arm.Name, arm.Status.NodeInfo.KernelVersion, arm.Status.NodeInfo.KubeletVersion))
		})

		It("serves from an arm64 pod that amd64 pods reach through a Service", func(ctx SpecContext) {
			ready, err := config.Interval("workload-ready")
			Expect(err).NotTo(HaveOccurred())
			zone := arm.Labels[clusters.LabelZone]
			Expect(echo.Deploy(ctx, cs, echo.DeployInput{
				Namespace: ns, Image: image, Replicas: replicas,
				NodeSelector:       map[string]string{clusters.LabelZone: zone},
				ClientNodeSelector: map[string]string{clusters.LabelTier: clusters.TierCloud},
				TolerationSeconds:  1,
			})).To(Succeed())
			var placed map[string]string
			// Emulated: the arm64 replica starts several times slower.
			Expect(framework.Poll(ctx, poll, 3*ready, func(ctx context.Context) (bool, error) {
				placed, err = framework.ReadyPods(ctx, cs, ns, echo.AppLabel+"="+echo.Name)
				return len(placed) == replicas, err
			})).To(Succeed(), "echo replicas Ready in zone %s", zone)
			onARM := ""
			for pod, n := range placed {
				if n == arm.Name {
					onARM = pod
				}
			}
			Expect(onARM).NotTo(BeEmpty(), "one replica on the arm64 node: %v", placed)
			Expect(framework.Poll(ctx, poll, ready, func(ctx context.Context) (bool, error) {
				c, err := framework.ReadyPods(ctx, cs, ns, echo.AppLabel+"="+echo.ClientName)
				return len(c) == 1, err
			})).To(Succeed(), "client pod Ready")
			// The client runs on the amd64 cloud node; the answer names the
			// pod that served it.
			Eventually(func(g Gomega) {
				out, err := framework.ExecInPod(ctx, kc, ns, echo.ClientName, "/edgeproof-echo", "get", svcURL())
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(strings.TrimSpace(out)).To(ContainSubstring(onARM))
			}).WithContext(ctx).WithTimeout(ready).WithPolling(poll).Should(Succeed(), "an answer from the arm64 pod %s via %s", onARM, svcURL())
		})

		It("moves its pods to the other edge node of its zone within budget after a power loss", func(ctx SpecContext) {
			budget, err := config.Budget("qemu-reschedule")
			Expect(err).NotTo(HaveOccurred())
			powerLoss(ctx, cs, arm.Name, ns, replicas, "reschedule after arm64 power loss", budget)
		})

		It("comes back Ready from the same disk and runs pods again", func(ctx SpecContext) {
			wait, err := config.Interval("qemu-node-ready")
			Expect(err).NotTo(HaveOccurred())
			restartAndProbe(ctx, cs, kc, arm.Name, ns, image, svcURL(), wait)
		})
	})
