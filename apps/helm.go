package apps

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/loader"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/cli/values"
	"helm.sh/helm/v4/pkg/getter"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
)

// renderChart renders a chart on the client, as `helm template` does:
// edgeproof creates the objects itself so that a chart deploys, is waited
// for and is torn down like every other source. Hooks and tests are
// rendered but not run; a chart that has any says so in its error.
func renderChart(ctx context.Context, field string, c Chart, o RenderOptions) ([]Object, error) {
	loaded, err := loader.Load(c.Path)
	if err != nil {
		return nil, fmt.Errorf("loading the chart: %w", err)
	}
	ch, ok := loaded.(*chartv2.Chart)
	if !ok {
		return nil, fmt.Errorf("chart API version %T is not supported; use apiVersion v2", loaded)
	}
	vals, err := (&values.Options{ValueFiles: c.Values, Values: c.Set}).MergeValues(getter.Getters())
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	inst := action.NewInstall(action.NewConfiguration())
	inst.DryRunStrategy = action.DryRunClient
	inst.ReleaseName = c.Release
	if inst.ReleaseName == "" {
		inst.ReleaseName = ch.Metadata.Name
	}
	inst.Namespace = o.Namespace
	inst.DisableHooks = true
	if o.KubeVersion != "" {
		kv, err := common.ParseKubeVersion(o.KubeVersion)
		if err != nil {
			return nil, fmt.Errorf("cluster version %q: %w", o.KubeVersion, err)
		}
		inst.KubeVersion = kv
	}
	rel, err := inst.RunWithContext(ctx, ch, vals)
	if err != nil {
		return nil, fmt.Errorf("rendering: %w", err)
	}
	r, ok := rel.(*releasev1.Release)
	if !ok {
		return nil, fmt.Errorf("rendering: unexpected release type %T", rel)
	}
	if names := lifecycleHooks(r.Hooks); len(names) > 0 {
		return nil, fmt.Errorf("the chart has hooks (%s), which edgeproof does not run; disable them through values", strings.Join(names, ", "))
	}
	return decodeDocuments([]byte(r.Manifest), func(d document) string {
		return field + ", chart " + ch.Metadata.Name + ", " + templateOf(d)
	})
}

// lifecycleHooks names the hooks that would run on install, upgrade or
// delete; test hooks run only under `helm test` and are left out.
func lifecycleHooks(hooks []*releasev1.Hook) []string {
	var out []string
	for _, h := range hooks {
		if !slices.ContainsFunc(h.Events, func(e releasev1.HookEvent) bool { return e != releasev1.HookTest }) {
			continue
		}
		var events []string
		for _, e := range h.Events {
			events = append(events, string(e))
		}
		out = append(out, h.Path+" on "+strings.Join(events, ","))
	}
	return out
}

// templateOf is the template a rendered document came from, from the
// "# Source:" comment Helm puts on its first line.
func templateOf(d document) string {
	first, _, _ := strings.Cut(string(d.data), "\n")
	if t, ok := strings.CutPrefix(strings.TrimSpace(first), "# Source: "); ok {
		return t
	}
	return fmt.Sprintf("line %d of the rendered manifest", d.line)
}
