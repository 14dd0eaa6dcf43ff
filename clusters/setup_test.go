package clusters

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestWaitRegisteredWaitsForLateNode(t *testing.T) {
	node := func(name string) *corev1.Node { return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}} }
	cs := fake.NewClientset(node("cp"), node("w1"))
	go func() {
		time.Sleep(700 * time.Millisecond)
		_, _ = cs.CoreV1().Nodes().Create(context.Background(), node("w2"), metav1.CreateOptions{})
	}()
	if err := waitRegistered(context.Background(), cs, 3, 10*time.Second); err != nil {
		t.Fatalf("late node not waited for: %v", err)
	}
	err := waitRegistered(context.Background(), cs, 4, time.Second)
	if err == nil || !strings.Contains(err.Error(), "only 3 of 4 nodes registered") {
		t.Fatalf("missing node not reported: %v", err)
	}
}

func TestPullFailure(t *testing.T) {
	waiting := func(reason string) corev1.ContainerStatus {
		return corev1.ContainerStatus{Name: "app", Image: "example.local/app:1",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: "not found"}}}
	}
	for _, c := range []struct {
		init, main []corev1.ContainerStatus
		want       string
	}{
		{main: []corev1.ContainerStatus{waiting("ImagePullBackOff")}, want: "container app, image example.local/app:1: ImagePullBackOff: not found"},
		{init: []corev1.ContainerStatus{waiting("ErrImageNeverPull")}, want: "ErrImageNeverPull"},
		{main: []corev1.ContainerStatus{waiting("InvalidImageName")}, want: "InvalidImageName"},
		// A first failed pull is retried; a container starting is fine.
		{main: []corev1.ContainerStatus{waiting("ErrImagePull")}},
		{main: []corev1.ContainerStatus{waiting("ContainerCreating")}},
		{},
	} {
		p := &corev1.Pod{Status: corev1.PodStatus{InitContainerStatuses: c.init, ContainerStatuses: c.main}}
		got := PullFailure(p)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%+v: got %q, want %q", c, got, c.want)
		}
	}
}

func TestStartFailure(t *testing.T) {
	status := func(reason string, last *corev1.ContainerStateTerminated) corev1.ContainerStatus {
		return corev1.ContainerStatus{Name: "agent", Image: "agent:1", LastTerminationState: corev1.ContainerState{Terminated: last},
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: "failed to create"}}}
	}
	for _, c := range []struct {
		s    corev1.ContainerStatus
		want string
	}{
		{status("CrashLoopBackOff", &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error"}), "CrashLoopBackOff, last exit code 1 (Error)"},
		{status("CreateContainerError", nil), "CreateContainerError: failed to create"},
		{status("ContainerCreating", nil), ""},
		{corev1.ContainerStatus{Name: "agent", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}, ""},
	} {
		got := StartFailure(&corev1.Pod{Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{c.s}}})
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%+v: got %q, want %q", c.s.State, got, c.want)
		}
	}
}
