package clusters

import (
	"context"
	"time"

	"k8s.io/client-go/kubernetes"
)

// metricsAPIPath is the aggregated group-version metrics-server serves.
const metricsAPIPath = "/apis/metrics.k8s.io/v1beta1"

// MetricsAPITimeout bounds the wait for the aggregated metrics API:
// metrics-server is Ready after its first scrape of every kubelet, about
// 20 s after it starts.
var MetricsAPITimeout = 90 * time.Second

// waitMetricsAPI waits until the API server serves the metrics API, so
// that HPAs have metrics and namespace deletion (which needs discovery of
// every API group) does not stall on it. Not served within timeout is a
// warning, not a failure: only HPA scenarios need it, and their objectives
// say so. (A metrics API that stayed unavailable on fresh clusters was a
// connection leaked past kube-proxy: see guardServiceCIDR.)
func waitMetricsAPI(ctx context.Context, cs kubernetes.Interface, timeout time.Duration, logf func(string, ...any)) error {
	err := poll(ctx, timeout, time.Second, func(ctx context.Context) (string, error) {
		_, err := cs.Discovery().RESTClient().Get().AbsPath(metricsAPIPath).DoRaw(ctx)
		return "", err
	})
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	logf("warning: metrics API not served after %s (GET %s: %v); HPA scenarios will fail on it", timeout, metricsAPIPath, err)
	return nil
}
