package scenarios

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SchemaID is the $id of the scenario JSON Schema.
const SchemaID = "https://edgeproof.dev/schemas/v1alpha1/scenario.schema.json"

// schemaFile is the committed schema; a test keeps it equal to
// GenerateSchema's output.
//
//go:embed scenario.schema.json
var schemaFile []byte

// FleetSchemaID is the $id of the fleet file JSON Schema.
const FleetSchemaID = "https://edgeproof.dev/schemas/v1alpha1/fleet.schema.json"

//go:embed fleet.schema.json
var fleetSchemaFile []byte

// Schema returns the committed JSON Schema of scenario files, for a CLI to
// print or serve to editors.
func Schema() []byte { return bytes.Clone(schemaFile) }

// FleetSchema returns the committed JSON Schema of fleet files.
func FleetSchema() []byte { return bytes.Clone(fleetSchemaFile) }

// GenerateSchema builds the JSON Schema (draft 2020-12) of scenario files
// from the Go types by reflection, with their doc comments as descriptions,
// the enumerations Validate uses, and per-kind rules from the same tables.
// It fails if an exported field lacks a doc comment.
func GenerateSchema() ([]byte, error) {
	return generateSchema(reflect.TypeFor[Scenario](), SchemaID, func(g *schemaGen) {
		g.addFaultRules()
		g.addObjectiveRules()
	})
}

// GenerateFleetSchema is GenerateSchema for fleet files.
func GenerateFleetSchema() ([]byte, error) {
	return generateSchema(reflect.TypeFor[Fleet](), FleetSchemaID, func(*schemaGen) {})
}

// generateSchema builds the schema of the document type t; rules adds
// what the types alone do not say.
func generateSchema(t reflect.Type, id string, rules func(*schemaGen)) ([]byte, error) {
	docs, err := loadDocs()
	if err != nil {
		return nil, fmt.Errorf("generate schema: %w", err)
	}
	g := &schemaGen{docs: docs, defs: map[string]*object{}}
	root := g.schemaFor(t)
	if len(g.errs) > 0 {
		return nil, fmt.Errorf("generate schema: %w", errors.Join(g.errs...))
	}
	rules(g)
	defs := newObject()
	names := make([]string, 0, len(g.defs))
	for n := range g.defs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		defs.set(n, g.defs[n])
	}
	out := newObject().
		set("$schema", "https://json-schema.org/draft/2020-12/schema").
		set("$id", id).
		set("title", "edgeproof "+t.Name()+" ("+APIVersion+")").
		set("description", docs[t.Name()]).
		set("$ref", root.get("$ref")).
		set("$defs", defs)
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("generate schema: %w", err)
	}
	return append(b, '\n'), nil
}

type schemaGen struct {
	docs docIndex
	defs map[string]*object
	errs []error
}

// enums maps each enumeration type to its allowed values.
var enums = map[reflect.Type][]string{
	reflect.TypeFor[Arch]():                         strs(arches),
	reflect.TypeFor[Provider]():                     strs(providers),
	reflect.TypeFor[Timers]():                       strs(timerSets),
	reflect.TypeFor[Fixture]():                      strs(fixtures),
	reflect.TypeFor[TrafficPattern]():               strs(trafficPatterns),
	reflect.TypeFor[MQTTProtocol]():                 strs(mqttProtocols),
	reflect.TypeFor[FaultKind]():                    strs(faultKindOrder),
	reflect.TypeFor[Direction]():                    strs(directions),
	reflect.TypeFor[Signal]():                       strs(signals),
	reflect.TypeFor[UplinkLayer]():                  strs(uplinkLayers),
	reflect.TypeFor[ObjectiveKind]():                strs(objectiveKinds),
	reflect.TypeFor[Metric]():                       strs(metricOrder),
	reflect.TypeFor[Comparison]():                   strs(comparisons),
	reflect.TypeFor[v1alpha1.SelectorMode]():        strs(selectorModes),
	reflect.TypeFor[metav1.LabelSelectorOperator](): labelSelectorOps,
}

// durationPattern matches what time.ParseDuration accepts.
const durationPattern = `^[-+]?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$`

// scalarSchemas describe the value types that decode themselves.
var scalarSchemas = map[reflect.Type]func() *object{
	reflect.TypeFor[Duration](): func() *object {
		return newObject().set("type", "string").set("pattern", durationPattern)
	},
	reflect.TypeFor[Percent](): func() *object {
		return newObject().set("anyOf", []any{
			newObject().set("type", "number").set("minimum", 0).set("maximum", 100),
			newObject().set("type", "string").set("pattern", `^\s*[0-9]+(\.[0-9]+)?%?\s*$`),
		})
	},
	reflect.TypeFor[Budget](): func() *object {
		return newObject().set("type", []string{"string", "number"})
	},
}

// fieldOverrides add constraints the Go types cannot express.
var fieldOverrides = map[string]func(*object){
	"Scenario.APIVersion": func(o *object) { o.set("const", APIVersion) },
	"Scenario.Kind":       func(o *object) { o.set("const", KindScenario) },
	"Spec.Objectives":     func(o *object) { o.set("minItems", 1) },
	"Fleet.APIVersion":    func(o *object) { o.set("const", APIVersion) },
	"Fleet.Kind":          func(o *object) { o.set("const", KindFleet) },
}

func (g *schemaGen) ref(name string) *object { return newObject().set("$ref", "#/$defs/"+name) }

// schemaFor returns the schema of t: a $ref for named structs, enums and
// value types (defined once under $defs), an inline schema otherwise.
func (g *schemaGen) schemaFor(t reflect.Type) *object {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if mk, ok := scalarSchemas[t]; ok {
		if _, done := g.defs[t.Name()]; !done {
			g.defs[t.Name()] = mk().set("description", g.docs[t.Name()])
		}
		return g.ref(t.Name())
	}
	if vals, ok := enums[t]; ok {
		if _, done := g.defs[t.Name()]; !done {
			g.defs[t.Name()] = g.enumSchema(t, vals)
		}
		return g.ref(t.Name())
	}
	switch t.Kind() {
	case reflect.Struct:
		if _, done := g.defs[t.Name()]; !done {
			g.defs[t.Name()] = newObject() // placeholder against recursion
			g.defs[t.Name()] = g.structSchema(t)
		}
		return g.ref(t.Name())
	case reflect.Map:
		return newObject().set("type", "object").set("additionalProperties", g.schemaFor(t.Elem()))
	case reflect.Slice:
		return newObject().set("type", "array").set("items", g.schemaFor(t.Elem()))
	case reflect.String:
		return newObject().set("type", "string")
	case reflect.Bool:
		return newObject().set("type", "boolean")
	case reflect.Float32, reflect.Float64:
		return newObject().set("type", "number")
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return newObject().set("type", "integer").set("minimum", 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return newObject().set("type", "integer")
	}
	g.errs = append(g.errs, fmt.Errorf("no schema for type %s", t))
	return newObject()
}

func (g *schemaGen) enumSchema(t reflect.Type, vals []string) *object {
	one := make([]any, len(vals))
	for i, v := range vals {
		doc := g.docs[t.Name()+"="+v]
		if doc == "" {
			g.errs = append(g.errs, fmt.Errorf("%s value %q has no doc comment", t.Name(), v))
		}
		one[i] = newObject().set("const", v).set("description", doc)
	}
	return newObject().set("type", "string").set("description", g.docs[t.Name()]).set("oneOf", one)
}

func (g *schemaGen) structSchema(t reflect.Type) *object {
	props := newObject()
	var required []string
	for _, f := range structFields(t) {
		key := f.owner.Name() + "." + f.goName
		doc := g.docs[key]
		if doc == "" {
			g.errs = append(g.errs, fmt.Errorf("field %s has no doc comment", key))
		}
		ft := t.FieldByIndex(f.index).Type
		s := g.schemaFor(ft)
		if s.get("$ref") != nil {
			s = g.ref(defName(ft)) // a fresh object: refs are shared
		}
		s.set("description", doc)
		if o, ok := fieldOverrides[key]; ok {
			o(s)
		}
		props.set(f.name, s)
		if !f.omitEmpty {
			required = append(required, f.name)
		}
	}
	if g.docs[t.Name()] == "" {
		g.errs = append(g.errs, fmt.Errorf("type %s has no doc comment", t.Name()))
	}
	o := newObject().set("type", "object").set("description", g.docs[t.Name()]).set("properties", props)
	if len(required) > 0 {
		o.set("required", required)
	}
	return o.set("additionalProperties", false)
}

func defName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// addFaultRules adds, per fault kind, which of duration, target and the
// parameter blocks are required or forbidden, from the kinds table.
func (g *schemaGen) addFaultRules() {
	var rules []any
	for _, k := range faultKindOrder {
		info := kinds[k]
		then := newObject()
		props := newObject()
		var req []string
		if info.instant {
			props.set("duration", false)
		} else {
			req = append(req, "duration")
		}
		if info.targets == 0 {
			props.set("target", false)
		} else {
			req = append(req, "target")
		}
		for _, pn := range paramNames {
			switch {
			case info.params&pn.opt == 0:
				props.set(pn.name, false)
			case info.required&pn.opt != 0:
				req = append(req, pn.name)
			}
		}
		if len(req) > 0 {
			then.set("required", req)
		}
		then.set("properties", props)
		rules = append(rules, newObject().
			set("if", newObject().set("properties", newObject().set("kind", newObject().set("const", string(k)))).set("required", []string{"kind"})).
			set("then", then))
	}
	g.defs["Fault"].set("allOf", rules)
}

// addObjectiveRules restricts metric to the metrics of the objective's kind.
func (g *schemaGen) addObjectiveRules() {
	var rules []any
	for _, k := range objectiveKinds {
		rules = append(rules, newObject().
			set("if", newObject().set("properties", newObject().set("kind", newObject().set("const", string(k)))).set("required", []string{"kind"})).
			set("then", newObject().set("properties", newObject().set("metric", newObject().set("enum", strs(k.Metrics()))))))
	}
	g.defs["Objective"].set("allOf", rules)
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
