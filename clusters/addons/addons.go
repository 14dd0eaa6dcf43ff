// Package addons installs the cluster add-ons edgeproof's scenarios rely
// on, beyond what kind sets up: metrics-server (for HPA objectives).
package addons

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"text/template"

	"sigs.k8s.io/e2e-framework/klient"
	"sigs.k8s.io/e2e-framework/klient/decoder"
)

//go:embed metrics-server.yaml
var metricsServer string

// MetricsServerImage is the default image; node images built by
// clusters/nodeimage preload it under this name.
const MetricsServerImage = "registry.k8s.io/metrics-server/metrics-server:v0.8.0"

// InstallMetricsServer applies metrics-server; objects that exist are left
// as they are, so it is safe on a reused cluster.
func InstallMetricsServer(ctx context.Context, c klient.Client, image string) error {
	if image == "" {
		image = MetricsServerImage
	}
	t, err := template.New("metrics-server").Option("missingkey=error").Parse(metricsServer)
	if err != nil {
		return fmt.Errorf("parsing metrics-server manifest: %w", err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, map[string]string{"Image": image}); err != nil {
		return fmt.Errorf("rendering metrics-server manifest: %w", err)
	}
	if err := decoder.DecodeEach(ctx, &buf, decoder.CreateIgnoreAlreadyExists(c.Resources())); err != nil {
		return fmt.Errorf("applying metrics-server: %w", err)
	}
	return nil
}
