package chaosmesh

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/scenarios"
)

// Resources are the Chaos Mesh resources edgeproof creates; their CRDs
// (podchaos.chaos-mesh.org, ...) must be installed.
var Resources = []string{"podchaos", "stresschaos", "networkchaos"}

// Status is what of Chaos Mesh a cluster runs.
type Status struct {
	// CRDs is true when every resource in Resources is served.
	CRDs bool
	// Controller is true when a chaos-controller-manager pod is Ready; it
	// runs pod-kill and pod-failure.
	Controller bool
	// Daemon is true when a chaos-daemon pod is Ready; container-kill,
	// stress and network faults need it on the target's node.
	Daemon bool
	// Missing says what is missing, for reports.
	Missing []string
}

// Installed reports whether experiments can run at all (CRDs and
// controller), which is what --chaos-backend auto asks.
func (s Status) Installed() bool { return s.CRDs && s.Controller }

// Pod labels of Chaos Mesh's Helm chart.
const (
	labelName      = "app.kubernetes.io/name=chaos-mesh"
	labelComponent = "app.kubernetes.io/component="
)

// Detect finds out whether Chaos Mesh is installed: its CRDs through API
// discovery, its controller and daemon through their pods in any
// namespace.
func Detect(ctx context.Context, kube kubernetes.Interface) (Status, error) {
	var s Status
	list, err := kube.Discovery().ServerResourcesForGroupVersion(v1alpha1.SchemeGroupVersion.String())
	switch {
	case apierrors.IsNotFound(err):
		s.Missing = append(s.Missing, "CRD podchaos.chaos-mesh.org (Chaos Mesh is not installed)")
		return s, nil
	case err != nil:
		return s, fmt.Errorf("discovering %s: %w", v1alpha1.SchemeGroupVersion, err)
	}
	served := map[string]bool{}
	for _, r := range list.APIResources {
		served[r.Name] = true
	}
	s.CRDs = true
	for _, r := range Resources {
		if !served[r] {
			s.CRDs = false
			s.Missing = append(s.Missing, "CRD "+r+".chaos-mesh.org")
		}
	}
	if s.Controller, err = readyPod(ctx, kube, "controller-manager"); err != nil {
		return s, err
	}
	if !s.Controller {
		s.Missing = append(s.Missing, "a Ready chaos-controller-manager pod")
	}
	if s.Daemon, err = readyPod(ctx, kube, "chaos-daemon"); err != nil {
		return s, err
	}
	if !s.Daemon {
		s.Missing = append(s.Missing, "a Ready chaos-daemon pod")
	}
	return s, nil
}

func readyPod(ctx context.Context, kube kubernetes.Interface, component string) (bool, error) {
	pods, err := kube.CoreV1().Pods("").List(ctx, metav1.ListOptions{LabelSelector: labelName + "," + labelComponent + component})
	if err != nil {
		return false, fmt.Errorf("listing Chaos Mesh %s pods: %w", component, err)
	}
	for i := range pods.Items {
		if clusters.PodReady(&pods.Items[i]) {
			return true, nil
		}
	}
	return false, nil
}

// needsDaemon reports whether Chaos Mesh runs f through chaos-daemon
// rather than the controller alone.
func needsDaemon(k scenarios.FaultKind) bool {
	return k != scenarios.PodKill && k != scenarios.PodFailure
}

// errNotDetected is returned when there is no way to detect Chaos Mesh.
var errNotDetected = errors.New("cannot detect Chaos Mesh: no Kubernetes client and no Status")

// status detects Chaos Mesh once per backend; a failed detection is
// retried next time rather than remembered.
func (b *Backend) status(ctx context.Context) (Status, error) {
	if b.Status != nil {
		return *b.Status, nil
	}
	if b.Kube == nil {
		return Status{}, errNotDetected
	}
	b.detectMu.Lock()
	defer b.detectMu.Unlock()
	if b.detected == nil {
		s, err := Detect(ctx, b.Kube)
		if err != nil {
			return Status{}, err
		}
		b.detected = &s
	}
	return *b.detected, nil
}

// Preflight implements chaos.Preflighter: the kind must be one Chaos Mesh
// does, and Chaos Mesh must be installed with what the kind needs. It
// cannot see whether the nodes' kernel has sch_netem, which chaos-daemon
// needs for delay and loss; the route package checks that natively.
func (b *Backend) Preflight(ctx context.Context, f scenarios.Fault) (bool, string, error) {
	if reason, ok := supported(f); !ok {
		return false, reason, nil
	}
	s, err := b.status(ctx)
	if err != nil {
		return false, "", err
	}
	if !s.Installed() {
		return false, "Chaos Mesh is not ready: missing " + strings.Join(s.Missing, ", "), nil
	}
	if needsDaemon(f.Kind) && !s.Daemon {
		return false, fmt.Sprintf("%s needs chaos-daemon, and no chaos-daemon pod is Ready", f.Kind), nil
	}
	return true, "", nil
}
