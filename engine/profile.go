package engine

import (
	"fmt"
	"slices"

	"github.com/edgeproof/edgeproof/scenarios"
)

// withProfile returns sc with the budgets of profile p, or sc itself when
// p is nil. The objectives are copied so that the caller's scenario, which
// a suite may run again without the profile, keeps its own budgets.
func withProfile(sc *scenarios.Scenario, p *scenarios.Profile) (*scenarios.Scenario, error) {
	if p == nil {
		return sc, nil
	}
	c := *sc
	c.Spec.Objectives = slices.Clone(sc.Spec.Objectives)
	if err := p.Apply(&c); err != nil {
		return nil, fmt.Errorf("budget profile %s: %w", p.Metadata.Name, err)
	}
	return &c, nil
}
