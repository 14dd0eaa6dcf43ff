package scenarios

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
)

// KindBudgetProfile is the kind every budget profile file declares.
const KindBudgetProfile = "BudgetProfile"

// Profile is a budget profile: stricter budgets for objectives of catalog
// scenarios, such as the certification profile in profiles/certify.yaml. A
// profile only tightens; it never adds, removes or loosens an objective.
type Profile struct {
	// APIVersion must be "edgeproof.dev/v1alpha1".
	APIVersion string `json:"apiVersion"`
	// Kind must be "BudgetProfile".
	Kind string `json:"kind"`
	// Metadata names and describes the profile; reports label runs with
	// its name.
	Metadata Metadata `json:"metadata"`
	// Spec holds the budgets.
	Spec ProfileSpec `json:"spec"`

	source    string
	positions map[string]Position // value positions, as for Scenario
	keys      map[string]Position // positions of scenario and objective names
}

// ProfileSpec is the body of a budget profile.
type ProfileSpec struct {
	// Scenarios maps a catalog scenario's name to budgets by objective
	// name, written as in the scenario ("12s", "99.95%", 0).
	Scenarios map[string]map[string]Budget `json:"scenarios"`
	// MustRun names the catalog scenarios that must run, not skip, on the
	// topology and host this profile certifies: a run under the profile in
	// which one of them is skipped fails, since a certificate must not
	// quietly cover less than it claims.
	MustRun []string `json:"mustRun,omitempty"`
}

// Requires reports whether the profile lists the scenario in MustRun.
func (p *Profile) Requires(scenario string) bool {
	return p != nil && slices.Contains(p.Spec.MustRun, scenario)
}

// Source returns the file name the profile was loaded from.
func (p *Profile) Source() string { return p.source }

// LoadProfile reads the budget profile at path, decodes it strictly and
// checks it against the embedded catalog: every scenario and objective it
// names must exist, and every budget must parse for the objective's metric
// and be no looser than the catalog's. On failure the error is an
// ErrorList naming path:line:column and the field path of every problem,
// except when the file cannot be read at all.
func LoadProfile(path string) (*Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load budget profile: %w", err)
	}
	return LoadProfileBytes(path, data)
}

// LoadProfileBytes is LoadProfile for a profile held in memory; name is
// used in error messages as the file name.
func LoadProfileBytes(name string, data []byte) (*Profile, error) {
	catalog, err := Catalog()
	if err != nil {
		return nil, fmt.Errorf("load budget profile: the catalog itself is invalid: %w", err)
	}
	byName := map[string]*Scenario{}
	for _, s := range catalog {
		byName[s.Metadata.Name] = s
	}
	p := &Profile{source: name}
	d, errs := decodeDocument(data, p, KindBudgetProfile, "a budget profile")
	if d != nil {
		p.positions, p.keys = d.positions, d.keys
		for _, e := range p.validate(byName) {
			if !e.Pos.IsValid() {
				e.Pos = position(p.positions, e.Path)
			}
			if !shadowed(fieldPath(e.Path), errs) {
				errs = append(errs, e)
			}
		}
	}
	for _, e := range errs {
		e.File = name
	}
	if len(errs) > 0 {
		errs.sortByPosition()
		return nil, errs
	}
	return p, nil
}

// validate checks the header and every budget against catalog.
func (p *Profile) validate(catalog map[string]*Scenario) ErrorList {
	var errs ErrorList
	validateHeader(&errs, p.APIVersion, p.Kind, KindBudgetProfile, &p.Metadata)
	sp := fieldPath("spec.scenarios")
	if len(p.Spec.Scenarios) == 0 {
		errs.required(sp, "a profile tightens at least one budget")
	}
	for _, name := range slices.Sorted(maps.Keys(p.Spec.Scenarios)) {
		np := sp.key(name)
		sc, ok := catalog[name]
		if !ok {
			msg := fmt.Sprintf("unknown scenario %q: not in the catalog", name)
			if s := suggest(name, slices.Collect(maps.Keys(catalog))); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			errs = append(errs, p.fieldError(np, &valueError{kind: ErrUnsupported, msg: msg}))
			continue
		}
		for _, obj := range slices.Sorted(maps.Keys(p.Spec.Scenarios[name])) {
			if _, err := tighten(sc, obj, p.Spec.Scenarios[name][obj]); err != nil {
				errs = append(errs, p.fieldError(np.key(obj), err))
			}
		}
	}
	seen := map[string]bool{}
	for i, name := range p.Spec.MustRun {
		mp := fieldPath("spec.mustRun").index(i)
		switch {
		case seen[name]:
			errs = append(errs, p.fieldError(mp, &valueError{kind: ErrDuplicate, msg: fmt.Sprintf("scenario %q listed twice", name)}))
		case catalog[name] == nil:
			msg := fmt.Sprintf("unknown scenario %q: not in the catalog", name)
			if s := suggest(name, slices.Collect(maps.Keys(catalog))); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			errs = append(errs, p.fieldError(mp, &valueError{kind: ErrUnsupported, msg: msg}))
		}
		seen[name] = true
	}
	return errs
}

// Apply replaces the budgets of sc's objectives with the profile's, in
// place; a scenario the profile does not name is left as it is. It refuses,
// leaving sc unchanged, a budget for an objective sc lacks, one that does
// not parse for the objective's metric, and one looser than sc's own; the
// error is an ErrorList located in the profile file.
func (p *Profile) Apply(sc *Scenario) error {
	budgets := p.Spec.Scenarios[sc.Metadata.Name]
	np := fieldPath("spec.scenarios").key(sc.Metadata.Name)
	var errs ErrorList
	at := map[int]Budget{}
	for _, obj := range slices.Sorted(maps.Keys(budgets)) {
		i, err := tighten(sc, obj, budgets[obj])
		if err != nil {
			e := p.fieldError(np.key(obj), err)
			e.File = p.source
			errs = append(errs, e)
			continue
		}
		at[i] = budgets[obj]
	}
	if len(errs) > 0 {
		errs.sortByPosition()
		return errs
	}
	for i, b := range at {
		sc.Spec.Objectives[i].Budget = b
	}
	return nil
}

// tighten returns the index of sc's objective named obj after checking
// that b is a valid budget for it and no looser than its own.
func tighten(sc *Scenario, obj string, b Budget) (int, error) {
	i := slices.IndexFunc(sc.Spec.Objectives, func(o Objective) bool { return o.Name == obj })
	if i < 0 {
		names := make([]string, len(sc.Spec.Objectives))
		for j, o := range sc.Spec.Objectives {
			names[j] = o.Name
		}
		msg := fmt.Sprintf("scenario %s has no objective %q; it has %s", sc.Metadata.Name, obj, strings.Join(names, ", "))
		if s := suggest(obj, names); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return -1, &valueError{kind: ErrUnsupported, msg: msg}
	}
	o := sc.Spec.Objectives[i]
	own, err := o.ParseBudget()
	if err != nil {
		return -1, invalidf("scenario %s: objective %s has an invalid budget %q: %v", sc.Metadata.Name, obj, string(o.Budget), err)
	}
	nb := Objective{Metric: o.Metric, Budget: b}
	strict, err := nb.ParseBudget()
	if err != nil {
		return -1, invalidf("invalid %s budget %q: %v", own.Type, string(b), err)
	}
	op := o.Op
	if op == "" {
		op = o.Metric.ImpliedOp()
	}
	// A budget is looser when a measurement it passes could fail the
	// scenario's own: the scenario's budget must hold against the new one.
	if !op.Holds(strict.Float(), own.Float()) {
		where := ""
		if pos := sc.Position(fmt.Sprintf("spec.objectives[%d].budget", i)); sc.Source() != "" && pos.IsValid() {
			where = fmt.Sprintf(" (%s:%s)", sc.Source(), pos)
		}
		return -1, invalidf("budget %s is looser than the scenario's own %s %s%s; a profile may only tighten",
			string(b), op, string(o.Budget), where)
	}
	return i, nil
}

// fieldError locates err at path p: names (scenario and objective keys
// that do not exist) at the key, budgets at the value.
func (p *Profile) fieldError(path fieldPath, err error) *FieldError {
	kind := error(ErrInvalid)
	if ve, ok := errors.AsType[*valueError](err); ok {
		kind = ve.kind
	}
	pos := position(p.positions, string(path))
	if kp, ok := p.keys[string(path)]; ok && kind == ErrUnsupported {
		pos = kp
	}
	return &FieldError{Pos: pos, Path: string(path), Kind: kind, Detail: err.Error()}
}
