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
// for and is torn down like every other source. Install hooks come back
// as objects that keep their helm.sh/hook annotations (the deploy runs
// them in their phase); test hooks are left out; a chart with delete
// hooks, which a torn-down namespace cannot honour, is refused.
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
	if names := deleteHooks(r.Hooks); len(names) > 0 {
		return nil, fmt.Errorf("the chart has delete hooks (%s), which edgeproof cannot run: teardown deletes the run namespace; disable them through values", strings.Join(names, ", "))
	}
	where := func(d document) string { return field + ", chart " + ch.Metadata.Name + ", " + templateOf(d) }
	objs, err := decodeDocuments([]byte(r.Manifest), where)
	if err != nil {
		return nil, err
	}
	for _, h := range r.Hooks {
		if !slices.ContainsFunc(h.Events, isInstallEvent) {
			continue // tests, and hooks of upgrades and rollbacks
		}
		hooked, err := decodeDocuments([]byte(h.Manifest), func(d document) string { return where(d) + " (hook)" })
		if err != nil {
			return nil, err
		}
		objs = append(objs, hooked...)
	}
	return objs, nil
}

func isInstallEvent(e releasev1.HookEvent) bool {
	return e == releasev1.HookPreInstall || e == releasev1.HookPostInstall
}

// deleteHooks names the hooks that would run when the release is deleted.
func deleteHooks(hooks []*releasev1.Hook) []string {
	var out []string
	for _, h := range hooks {
		if slices.ContainsFunc(h.Events, func(e releasev1.HookEvent) bool {
			return e == releasev1.HookPreDelete || e == releasev1.HookPostDelete
		}) {
			out = append(out, h.Path)
		}
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
