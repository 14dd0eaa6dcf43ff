package scenarios

import "github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

func podTarget() *v1alpha1.ContainerSelector {
	c := &v1alpha1.ContainerSelector{}
	c.Selector.LabelSelectors = map[string]string{FixtureLabel: string(FixtureSink)}
	c.Mode = v1alpha1.OneMode
	return c
}
