//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/e2e-framework/klient"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/e2e/framework"
	"github.com/edgeproof/edgeproof/fixtures/echo"
	"github.com/edgeproof/edgeproof/fixtures/images"
)

var _ = Describe("Smoke: an edge cluster", framework.WithSmoke(), framework.WithDisruptive(),
	framework.WithFault("node-power-loss"), framework.WithProvider("kind"), Ordered, func() {
		const replicas = 3
		var (
			cs     kubernetes.Interface
			kc     klient.Client
			ns     string
			image  string
			victim string
			poll   time.Duration
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
			built, err := images.Build(ctx, repoRoot, "edgeproof-echo")
			Expect(err).NotTo(HaveOccurred(), "building the echo image")
			Expect(cluster.LoadImageArchive(ctx, built.Archive)).To(Succeed())
			image = built.Refs["edgeproof-echo"]
			ns = specNamespace(ctx, cs, "smoke-")
		})

		AfterEach(func(ctx SpecContext) { collectOnFailure(ctx, ns) })

		It("has every node Ready with its zone and tier labels", func(ctx SpecContext) {
			topo, err := framework.Topology(config)
			Expect(err).NotTo(HaveOccurred())
			nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
			Expect(err).NotTo(HaveOccurred())
			Expect(nodes.Items).To(HaveLen(1+len(topo.WorkerZones())+len(topo.ARM64Workers())), "one cloud node plus the topology's edge nodes")
			edgeZones := map[string]int{}
			for _, n := range nodes.Items {
				Expect(clusters.NodeReady(&n)).To(BeTrue(), "node %s Ready", n.Name)
				switch n.Labels[clusters.LabelTier] {
				case clusters.TierCloud:
					Expect(n.Labels).To(HaveKeyWithValue(clusters.LabelZone, topo.Spec.Cloud.Zone))
				case clusters.TierEdge:
					Expect(n.Labels).To(HaveKey(clusters.LabelEdgeRole), "node %s has the edge role label", n.Name)
					edgeZones[n.Labels[clusters.LabelZone]]++
				default:
					Fail(fmt.Sprintf("node %s has no %s label", n.Name, clusters.LabelTier))
				}
			}
			for _, z := range topo.Spec.EdgeZones {
				Expect(edgeZones).To(HaveKeyWithValue(z.Name, z.Nodes+z.ARM64Nodes), "edge nodes in zone %s", z.Name)
			}
		})

		It("serves a workload spread over edge nodes through a Service DNS name", func(ctx SpecContext) {
			ready, err := config.Interval("workload-ready")
			Expect(err).NotTo(HaveOccurred())
			Expect(echo.Deploy(ctx, cs, echo.DeployInput{
				Namespace: ns, Image: image, Replicas: replicas,
				NodeSelector:       map[string]string{clusters.LabelTier: clusters.TierEdge},
				ClientNodeSelector: map[string]string{clusters.LabelTier: clusters.TierCloud},
				TolerationSeconds:  1,
			})).To(Succeed())
			var placed map[string]string
			Expect(framework.Poll(ctx, poll, ready, func(ctx context.Context) (bool, error) {
				placed, err = framework.ReadyPods(ctx, cs, ns, echo.AppLabel+"="+echo.Name)
				return len(placed) == replicas, err
			})).To(Succeed(), "echo replicas Ready")
			nodesUsed := map[string]bool{}
			for _, n := range placed {
				nodesUsed[n] = true
			}
			Expect(len(nodesUsed)).To(BeNumerically(">=", 2), "replicas spread over edge nodes: %v", placed)
			Expect(framework.Poll(ctx, poll, ready, func(ctx context.Context) (bool, error) {
				c, err := framework.ReadyPods(ctx, cs, ns, echo.AppLabel+"="+echo.ClientName)
				return len(c) == 1, err
			})).To(Succeed(), "client pod Ready")
			// Several requests through the Service: answers must come from
			// more than one edge node, so cross-node pod routing works.
			seen := map[string]bool{}
			Eventually(func(g Gomega) {
				out, err := framework.ExecInPod(ctx, kc, ns, echo.ClientName, "/edgeproof-echo", "get", svcURL())
				g.Expect(err).NotTo(HaveOccurred())
				seen[strings.TrimSpace(out)] = true
				g.Expect(len(seen)).To(BeNumerically(">=", 2))
			}).WithContext(ctx).WithTimeout(ready).WithPolling(poll).Should(Succeed(), "answers from several edge pods via %s", svcURL())
			AddReportEntry("service answers", fmt.Sprint(seen))
			for _, n := range placed {
				victim = n
				break
			}
		})

		It("moves the pods of a powered-off edge node to the other edge nodes within budget", func(ctx SpecContext) {
			Expect(victim).NotTo(BeEmpty(), "a node hosting a replica was chosen")
			budget, err := config.Budget("smoke-reschedule")
			Expect(err).NotTo(HaveOccurred())
			powerLoss(ctx, cs, victim, ns, replicas, "reschedule after power loss", budget)
			// Right after the move, kube-proxy may still route a request to
			// the dead pod; the Service must answer again within a bound.
			converge, err := config.Interval("service-converge")
			Expect(err).NotTo(HaveOccurred())
			Eventually(func() error {
				_, err := framework.ExecInPod(ctx, kc, ns, echo.ClientName, "/edgeproof-echo", "get", svcURL())
				return err
			}).WithContext(ctx).WithTimeout(converge).WithPolling(poll).Should(Succeed(), "Service answers after the move")
		})

		It("brings the node back Ready with working pod networking", func(ctx SpecContext) {
			Expect(victim).NotTo(BeEmpty())
			wait, err := config.Interval("node-ready")
			Expect(err).NotTo(HaveOccurred())
			restartAndProbe(ctx, cs, kc, victim, ns, image, svcURL(), wait)
		})
	})
