package existing

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/edgeproof/edgeproof/clusters"
)

func writeKubeconfig(t *testing.T) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["lab"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:1"}
	cfg.Clusters["prod"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:2"}
	cfg.AuthInfos["me"] = &clientcmdapi.AuthInfo{Token: "secret"}
	cfg.Contexts["Lab_Site"] = &clientcmdapi.Context{Cluster: "lab", AuthInfo: "me"}
	cfg.Contexts["prod"] = &clientcmdapi.Context{Cluster: "prod", AuthInfo: "me"}
	cfg.CurrentContext = "prod"
	path := filepath.Join(t.TempDir(), "config")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestNewDriverKeepsOnlyTheChosenContext(t *testing.T) {
	d, err := newDriver(Options{Kubeconfig: writeKubeconfig(t), Context: "Lab_Site"})
	if err != nil {
		t.Fatal(err)
	}
	if d.name != "existing-lab-site" {
		t.Errorf("name %q", d.name)
	}
	got, err := clientcmd.Load(d.kubecfg)
	if err != nil {
		t.Fatal(err)
	}
	if got.CurrentContext != "Lab_Site" || len(got.Contexts) != 1 || len(got.Clusters) != 1 || got.Clusters["lab"] == nil {
		t.Errorf("written kubeconfig holds more than the chosen context: %+v", got)
	}
	path := filepath.Join(t.TempDir(), "kc")
	if err := d.WriteKubeconfig(t.Context(), d.name, path); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("kubeconfig written with %v, %v; want owner-only", st.Mode(), err)
	}
}

func TestNewDriverCurrentContextByDefault(t *testing.T) {
	d, err := newDriver(Options{Kubeconfig: writeKubeconfig(t)})
	if err != nil {
		t.Fatal(err)
	}
	if d.name != "existing-prod" {
		t.Errorf("name %q", d.name)
	}
}

func TestNewDriverBadInput(t *testing.T) {
	path := writeKubeconfig(t)
	bad := filepath.Join(t.TempDir(), "broken")
	if err := os.WriteFile(bad, []byte("apiVersion: v1\nkind: Config\nclusters: [oops\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Kubeconfig: path, Context: "nope"}, `no context "nope"`},
		{Options{Kubeconfig: filepath.Join(t.TempDir(), "missing")}, "missing"},
		{Options{Kubeconfig: bad}, bad},
	} {
		_, err := newDriver(c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one naming %q", c.o, err, c.want)
		}
	}
}

func TestDriverRefusesToCreateOrDelete(t *testing.T) {
	d, err := newDriver(Options{Kubeconfig: writeKubeconfig(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Create(t.Context(), d.name, nil, clusters.CreateOptions{}, ""); err == nil {
		t.Error("Create accepted")
	}
	if err := d.Delete(t.Context(), d.name, ""); err == nil {
		t.Error("Delete accepted")
	}
}

func TestAgentDaemonSetReachesTheHost(t *testing.T) {
	ds := daemonSet("example.local/agent:1")
	ps := ds.Spec.Template.Spec
	c := ps.Containers[0]
	if !ps.HostPID || !ps.HostNetwork || c.SecurityContext == nil || !*c.SecurityContext.Privileged {
		t.Error("agent does not share the host's namespaces privileged")
	}
	if len(ps.Volumes) != 1 || ps.Volumes[0].HostPath == nil || ps.Volumes[0].HostPath.Path != "/" || c.VolumeMounts[0].MountPath != hostRoot {
		t.Error("agent does not mount the host root at " + hostRoot)
	}
	if len(ps.Tolerations) != 1 || ps.Tolerations[0].Operator != "Exists" {
		t.Error("agent does not tolerate every taint (a tainted node would have no agent)")
	}
	if *ps.AutomountServiceAccountToken {
		t.Error("agent gets an API token it does not need")
	}
}

func TestNodeLacksWhatTheAgentCannotHeal(t *testing.T) {
	n := &node{name: "n1"}
	for _, op := range []clusters.Op{clusters.OpPower, clusters.OpStop, clusters.OpPause, clusters.OpReboot} {
		if n.Lacks(op) == "" {
			t.Errorf("agent node claims it can do %s", op)
		}
	}
	// A cut is applied and healed by timers on the node itself.
	if why := n.Lacks(clusters.OpCutOff); why != "" {
		t.Errorf("agent node refuses a cut-off fault: %s", why)
	}
}

func TestFaultsOnlyOnOptedInWorkers(t *testing.T) {
	for _, c := range []struct {
		labels map[string]string
		want   string // substring of the refusal, "" for allowed
	}{
		{map[string]string{LabelChaos: ChaosAllowed}, ""},
		{nil, "not opted in"},
		{map[string]string{LabelChaos: "yes"}, "not opted in"},
		{map[string]string{LabelChaos: ChaosAllowed, labelControlPlane: ""}, "control plane"},
		// Opting in comes first, even on the control plane.
		{map[string]string{labelControlPlane: ""}, "not opted in"},
	} {
		n := &node{name: "n1", refuse: refusal("n1", c.labels)}
		err := n.Guard()
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("labels %v: Guard() = %v, want %q", c.labels, err, c.want)
		}
		// A target that allows the control plane lifts that refusal only.
		_, cp := errors.AsType[*clusters.ControlPlaneError](err)
		if lifted := clusters.Refusal(err, true); (lifted == nil) != (err == nil || cp) {
			t.Errorf("labels %v: allowControlPlane turned %v into %v", c.labels, err, lifted)
		}
	}
}

func TestCheckAccessNamesEveryMissingPermission(t *testing.T) {
	cs := fake.NewClientset()
	cs.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authv1.SelfSubjectAccessReview)
		attr := r.Spec.ResourceAttributes
		r.Status.Allowed = !(attr.Resource == "pods" && attr.Subresource == "exec") && !(attr.Resource == "namespaces" && attr.Verb == "delete")
		return true, r, nil
	})
	err := checkAccess(t.Context(), cs, RunnerRules)
	if err == nil {
		t.Fatal("missing permissions accepted")
	}
	for _, want := range []string{"2 permission(s)", "create pods/exec", "delete namespaces"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	cs = fake.NewClientset()
	cs.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authv1.SelfSubjectAccessReview)
		r.Status.Allowed = true
		return true, r, nil
	})
	if err := checkAccess(t.Context(), cs, RunnerRules); err != nil {
		t.Errorf("full access refused: %v", err)
	}
}

func TestManifestsAreWhatARunInstallsAndNeeds(t *testing.T) {
	out, err := Manifests("example.local/agent:1")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kind: ClusterRole", "pods/exec", "kind: Namespace", "name: " + Namespace, "kind: DaemonSet", "image: example.local/agent:1", "privileged: true"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("manifests lack %q", want)
		}
	}
}

// An agent that cannot stay up (an image of another architecture exits at
// once) fails the install at once, naming the node's architecture, instead
// of after AgentTimeout.
func TestAgentThatDoesNotRunFailsAtOnce(t *testing.T) {
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "pi-1", Labels: map[string]string{corev1.LabelArchStable: "arm64"}}}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "agent-x", Namespace: Namespace, Labels: map[string]string{"app.kubernetes.io/name": agentName}},
		Spec:       corev1.PodSpec{NodeName: "pi-1", Containers: []corev1.Container{{Name: agentName, Image: "agent:1"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{
			Name: agentName, Image: "agent:1",
			State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 255, Reason: "Error", Message: "exec format error"}},
		}}},
	}
	start := time.Now()
	err := waitAgents(t.Context(), fake.NewClientset(node, pod), "agent:1")
	if err == nil || !strings.Contains(err.Error(), "architecture arm64") || !strings.Contains(err.Error(), "exec format error") {
		t.Fatalf("got %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Error("waited instead of failing at once")
	}
}
