package existing

import (
	"context"
	"fmt"
	"strings"

	authv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"
)

// RunnerRules are the permissions a run needs on a cluster it was handed:
// its own namespaces, the node agent, the fixtures, the application's
// usual kinds, pod faults and exec into the agent. Access is checked
// against them before anything is created, and `edgeproof agent
// manifest` writes them out as a ClusterRole for an admin to review.
var RunnerRules = []rbacv1.PolicyRule{
	{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "list", "watch"}},
	{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "list", "create", "delete"}},
	{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list", "watch", "delete"}},
	{APIGroups: []string{""}, Resources: []string{"pods/exec"}, Verbs: []string{"create"}},
	// The last log lines of a crashed pod or a failed hook, for the error.
	{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}},
	{APIGroups: []string{""}, Resources: []string{"services", "configmaps", "secrets", "serviceaccounts", "endpoints"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
	{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"get", "list", "watch"}},
	{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets", "daemonsets"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
	{APIGroups: []string{"autoscaling"}, Resources: []string{"horizontalpodautoscalers"}, Verbs: []string{"get", "list", "watch", "create", "delete"}},
	// Charts' hook Jobs.
	{APIGroups: []string{"batch"}, Resources: []string{"jobs"}, Verbs: []string{"get", "list", "watch", "create", "delete"}},
	{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"get", "list", "watch"}},
	// Cut-off faults are shown in force by the node lease no longer renewing.
	{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get"}},
}

// TopologyRules are what a run needs beyond RunnerRules when its fleet
// file maps the nodes to tiers and zones (spec.topology): labelling them
// for the run.
var TopologyRules = []rbacv1.PolicyRule{
	{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"patch"}},
}

// checkAccess asks the API server, for every verb of rules, whether the
// kubeconfig's user may do it, and names everything missing at once.
func checkAccess(ctx context.Context, cs kubernetes.Interface, rules []rbacv1.PolicyRule) error {
	var missing []string
	for _, r := range rules {
		for _, res := range r.Resources {
			resource, sub, _ := strings.Cut(res, "/")
			for _, verb := range r.Verbs {
				review := &authv1.SelfSubjectAccessReview{Spec: authv1.SelfSubjectAccessReviewSpec{
					ResourceAttributes: &authv1.ResourceAttributes{Group: r.APIGroups[0], Resource: resource, Subresource: sub, Verb: verb}}}
				got, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
				if err != nil {
					return fmt.Errorf("checking access (%s %s): %w", verb, res, err)
				}
				if !got.Status.Allowed {
					missing = append(missing, verb+" "+qualified(r.APIGroups[0], res))
				}
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the kubeconfig's user lacks %d permission(s) a run needs: %s (edgeproof agent manifest prints a ClusterRole with them all)", len(missing), strings.Join(missing, ", "))
	}
	return nil
}

func qualified(group, res string) string {
	if group == "" {
		return res
	}
	return res + "." + group
}

// Manifests renders, as multi-document YAML, what a run installs and
// needs: the runner's ClusterRole, the one a fleet file's topology adds,
// and the node agent's namespace and DaemonSet for image.
func Manifests(image string) ([]byte, error) {
	clusterRole := func(name string, rules []rbacv1.PolicyRule) *rbacv1.ClusterRole {
		return &rbacv1.ClusterRole{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{LabelManagedBy: managedBy}}, Rules: rules}
	}
	role, topo := clusterRole("edgeproof-runner", RunnerRules), clusterRole("edgeproof-topology", TopologyRules)
	ns := &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: Namespace, Labels: map[string]string{LabelManagedBy: managedBy}}}
	ds := daemonSet(image)
	ds.TypeMeta = metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"}
	var out []byte
	for _, o := range []runtime.Object{role, topo, ns, ds} {
		b, err := yaml.Marshal(o)
		if err != nil {
			return nil, err
		}
		out = append(append(out, "---\n"...), b...)
	}
	return out, nil
}
