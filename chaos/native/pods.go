package native

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/scenarios"
)

func podStrings(pods []types.NamespacedName) []string {
	out := make([]string, len(pods))
	for i, p := range pods {
		out[i] = p.String()
	}
	return out
}

// podKill deletes the target pods through the API with the fault's grace
// period (0 by default: killed at once). Nothing is left to heal: the
// pods' controllers replace them. The journal keeps the record anyway.
func (b *Backend) podKill(ctx context.Context, f scenarios.Fault) (chaos.Recover, error) {
	pods, err := chaos.PodNames(f)
	if err != nil {
		return nil, err
	}
	grace := int64(0)
	if f.Pod != nil {
		grace = f.Pod.GracePeriod
	}
	uids, err := b.podUIDs(ctx, pods)
	if err != nil {
		return nil, err
	}
	in, err := b.begin(ctx, f, "", podStrings(pods), nil)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, p := range pods {
		err := b.Kube.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &grace})
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("deleting pod %s: %w", p, err))
		}
	}
	if len(errs) == 0 {
		errs = append(errs, b.checkPodsKilled(ctx, f, uids))
	}
	return in.finish(ctx, errors.Join(errs...), true)
}

// CrictlPS is the command listing the running container called name in a
// pod; crictl's --name is a regular expression, so it is anchored.
func CrictlPS(namespace, pod, name string) []string {
	return []string{"crictl", "ps", "-q",
		"--name", "^" + regexp.QuoteMeta(name) + "$",
		"--label", "io.kubernetes.pod.name=" + pod,
		"--label", "io.kubernetes.pod.namespace=" + namespace}
}

// containerKill stops containers of the target pods at once (crictl stop
// -t 0 on the pod's node) and lets the kubelet restart them, as Chaos
// Mesh's container-kill does. Without containerNames it kills each pod's
// first container, as Chaos Mesh does.
func (b *Backend) containerKill(ctx context.Context, f scenarios.Fault) (chaos.Recover, error) {
	pods, err := chaos.PodNames(f)
	if err != nil {
		return nil, err
	}
	in, err := b.begin(ctx, f, "", podStrings(pods), nil)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, p := range pods {
		if err := b.killContainers(ctx, f, p, f.Target.Pods.ContainerNames); err != nil {
			errs = append(errs, fmt.Errorf("pod %s: %w", p, err))
		}
	}
	return in.finish(ctx, errors.Join(errs...), true)
}

func (b *Backend) killContainers(ctx context.Context, f scenarios.Fault, p types.NamespacedName, names []string) error {
	pod, err := b.Kube.CoreV1().Pods(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("getting pod: %w", err)
	}
	if pod.Spec.NodeName == "" {
		return errors.New("pod is not scheduled")
	}
	if len(names) == 0 {
		if len(pod.Spec.Containers) == 0 {
			return errors.New("pod has no containers")
		}
		names = []string{pod.Spec.Containers[0].Name}
	}
	nodes, err := b.nodes(ctx, []string{pod.Spec.NodeName})
	if err != nil {
		return err
	}
	node := nodes[0]
	for _, name := range names {
		out, err := node.Exec(ctx, CrictlPS(p.Namespace, p.Name, name)...)
		if err != nil {
			return fmt.Errorf("finding container %s: %w", name, err)
		}
		ids := strings.Fields(string(out))
		if len(ids) == 0 {
			return fmt.Errorf("no running container %s on node %s", name, node.Name())
		}
		if _, err := node.Exec(ctx, append([]string{"crictl", "stop", "-t", "0"}, ids...)...); err != nil {
			return fmt.Errorf("stopping container %s: %w", name, err)
		}
		if err := checkContainersStopped(ctx, f, node, p, name, ids); err != nil {
			return err
		}
	}
	return nil
}
