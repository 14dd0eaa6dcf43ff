package framework

import "github.com/onsi/ginkgo/v2"

// Label helpers: suites state what a spec is through these, never through
// words typed into its name, so `E2E_LABELS` filters stay reliable.

// WithSmoke marks the quick end-to-end check of a cluster.
func WithSmoke() ginkgo.Labels { return ginkgo.Label("smoke") }

// WithDisruptive marks a spec that breaks nodes or networks; such specs run
// one at a time.
func WithDisruptive() []any { return []any{ginkgo.Label("disruptive"), ginkgo.Serial} }

// WithSlow marks specs left out of the default `make e2e` set.
func WithSlow() ginkgo.Labels { return ginkgo.Label("slow") }

// WithFault labels a spec with the fault kinds it injects.
func WithFault(kinds ...string) ginkgo.Labels {
	out := make(ginkgo.Labels, 0, len(kinds))
	for _, k := range kinds {
		out = append(out, "fault:"+k)
	}
	return out
}

// WithProvider labels the cluster provider a spec needs.
func WithProvider(p string) ginkgo.Labels { return ginkgo.Label("provider:" + p) }

// WithArch labels the node architecture a spec needs.
func WithArch(a string) ginkgo.Labels { return ginkgo.Label("arch:" + a) }

// WithProfile labels a spec judged with a budget profile's stricter
// budgets, so that its report says so.
func WithProfile(name string) ginkgo.Labels { return ginkgo.Label("profile:" + name) }
