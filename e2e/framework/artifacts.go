package framework

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/edgeproof/edgeproof/clusters"
)

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// SpecDir returns a folder for one spec's artifacts.
func SpecDir(artifacts, spec string) (string, error) {
	dir := filepath.Join(artifacts, unsafeChars.ReplaceAllString(spec, "_"))
	return dir, os.MkdirAll(dir, 0o755)
}

// DumpInput configures DumpResources.
type DumpInput struct {
	Client     kubernetes.Interface
	Namespaces []string
	Dir        string
}

// DumpResources writes nodes, and pods and events of the namespaces, as
// YAML: what a reader needs first when a spec failed.
func DumpResources(ctx context.Context, in DumpInput) error {
	write := func(name string, obj any) error {
		b, err := yaml.Marshal(obj)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(in.Dir, name), b, 0o644)
	}
	nodes, err := in.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing nodes: %w", err)
	}
	if err := write("nodes.yaml", nodes); err != nil {
		return err
	}
	for _, ns := range in.Namespaces {
		pods, err := in.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return fmt.Errorf("listing pods of %s: %w", ns, err)
		}
		if err := write(ns+"-pods.yaml", pods); err != nil {
			return err
		}
		events, err := in.Client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return fmt.Errorf("listing events of %s: %w", ns, err)
		}
		if err := write(ns+"-events.yaml", events); err != nil {
			return err
		}
	}
	return nil
}

// CollectFailureArtifacts dumps resources and node logs into dir.
func CollectFailureArtifacts(ctx context.Context, c *clusters.Cluster, dir string, namespaces ...string) error {
	cs, err := c.Client()
	if err != nil {
		return err
	}
	errRes := DumpResources(ctx, DumpInput{Client: cs, Namespaces: append([]string{"kube-system"}, namespaces...), Dir: dir})
	errLogs := c.CollectLogs(ctx, filepath.Join(dir, "nodes"))
	if errRes != nil {
		return errRes
	}
	return errLogs
}
