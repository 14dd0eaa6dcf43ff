// Command edgeproof-cni runs the pod network agent of edgeproof's kind
// nodes (see package clusters/cni).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/edgeproof/edgeproof/clusters/cni"
)

func main() {
	dir := flag.String("cni-dir", "/etc/cni/net.d", "folder kubelet reads CNI configs from")
	interval := flag.Duration("interval", 5*time.Second, "time between reconciliations")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*dir, *interval, log); err != nil {
		log.Error("edgeproof-cni stopped", "err", err)
		os.Exit(1)
	}
}

func run(dir string, interval time.Duration, log *slog.Logger) error {
	node := os.Getenv("NODE_NAME")
	if node == "" {
		return fmt.Errorf("NODE_NAME is not set")
	}
	cfg, err := rest.InClusterConfig()
	if err != nil {
		return fmt.Errorf("in-cluster config: %w", err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	a := &cni.Agent{Client: client, NodeName: node, CNIDir: dir, Interval: interval, Log: log}
	return a.Run(ctx)
}
