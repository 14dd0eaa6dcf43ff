package apps

import (
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Prepare checks every object against what the cluster serves and puts
// the namespaced ones in ns, before anything is created. It refuses a kind
// the cluster does not serve, a cluster-scoped object (it would outlive
// the run namespace whose deletion is the teardown) and an object that
// names another namespace.
func Prepare(mapper meta.RESTMapper, objs []Object, ns string) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	var errs []error
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		switch {
		case meta.IsNoMatchError(err):
			errs = append(errs, fmt.Errorf("%s: the cluster does not serve kind %s in apiVersion %s", o.Ref(), gvk.Kind, gvk.GroupVersion()))
			continue
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: looking up kind %s: %w", o.Ref(), gvk.Kind, err))
			continue
		case m.Scope.Name() != meta.RESTScopeNameNamespace:
			errs = append(errs, fmt.Errorf("%s: cluster-scoped objects are not supported: they would outlive the run namespace; create them before the run", o.Ref()))
			continue
		case o.GetNamespace() != "" && o.GetNamespace() != ns:
			errs = append(errs, fmt.Errorf("%s: names namespace %q; a scenario deploys into its own run namespace, so leave metadata.namespace out", o.Ref(), o.GetNamespace()))
			continue
		}
		u := o.DeepCopy()
		u.SetNamespace(ns)
		out = append(out, u)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}
