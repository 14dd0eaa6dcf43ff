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
