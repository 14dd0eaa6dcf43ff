package scenarios

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite scenario.schema.json from GenerateSchema")

func TestSchemaFileUpToDate(t *testing.T) {
	for file, c := range map[string]struct {
		generate func() ([]byte, error)
		embedded []byte
	}{
		"scenario.schema.json": {GenerateSchema, Schema()},
		"fleet.schema.json":    {GenerateFleetSchema, FleetSchema()},
	} {
		got, err := c.generate()
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			if err := os.WriteFile(file, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s is stale; run: go test ./scenarios -run TestSchemaFileUpToDate -update", file)
		}
		if !bytes.Equal(c.embedded, want) {
			t.Fatalf("embedded %s differs from the file; rebuild", file)
		}
	}
}

// compileSchema compiles the generated schema with a draft 2020-12
// validator, which also proves the schema itself is well-formed.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	return compileGenerated(t, GenerateSchema, SchemaID)
}

// compileGenerated compiles the schema generate returns, whose $id is id.
func compileGenerated(t *testing.T, generate func() ([]byte, error), id string) *jsonschema.Schema {
	t.Helper()
	raw, err := generate()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(id, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(id)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// yamlToJSONValue converts a YAML file into the JSON value model the
// validator expects.
func yamlToJSONValue(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSchemaAcceptsValidFiles(t *testing.T) {
	sch := compileSchema(t)
	files, _ := filepath.Glob("catalog/*.yaml")
	valid, _ := filepath.Glob("testdata/valid/*.yaml")
	for _, f := range append(files, valid...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(yamlToJSONValue(t, data)); err != nil {
			t.Errorf("%s: schema rejects a valid scenario: %v", f, err)
		}
	}
}

func TestFleetSchemaAcceptsTheExamples(t *testing.T) {
	sch := compileGenerated(t, GenerateFleetSchema, FleetSchemaID)
	files, _ := filepath.Glob("../examples/fleets/*.yaml")
	for _, f := range append(files, "testdata/fleets/good.yaml") {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(yamlToJSONValue(t, data)); err != nil {
			t.Errorf("%s: the fleet schema rejects it: %v", f, err)
		}
	}
	bad := "apiVersion: edgeproof.dev/v1alpha1\nkind: Fleet\nmetadata: {name: x}\nspec: {power: [{name: a, nodes: [n], off: x, onn: y}]}\n"
	if err := sch.Validate(yamlToJSONValue(t, []byte(bad))); err == nil {
		t.Error("the fleet schema accepts an unknown field")
	}
}

func TestSchemaRejects(t *testing.T) {
	sch := compileSchema(t)
	base := "apiVersion: edgeproof.dev/v1alpha1\nkind: Scenario\nmetadata: {name: x}\n"
	for name, doc := range map[string]string{
		"unknown field":         base + "spec: {objectives: [{name: a, kind: delivery, metric: lost, budget: 0}], colour: red}",
		"metric of other kind":  base + "spec: {objectives: [{name: a, kind: delivery, metric: catchUp, budget: 1s}]}",
		"instant with duration": base + "spec: {faults: [{name: f, kind: pod-kill, duration: 1s, target: {pods: {selector: {labelSelectors: {a: b}}, mode: one}}}], objectives: [{name: a, kind: delivery, metric: lost, budget: 0}]}",
		"missing params":        base + "spec: {faults: [{name: f, kind: device-load, duration: 1s}], objectives: [{name: a, kind: delivery, metric: lost, budget: 0}]}",
		"bad enum":              base + "spec: {cluster: {arch: sparc}, objectives: [{name: a, kind: delivery, metric: lost, budget: 0}]}",
		"bad duration":          base + "spec: {duration: 5 minutes, objectives: [{name: a, kind: delivery, metric: lost, budget: 0}]}",
		"wrong apiVersion":      strings.Replace(base, "v1alpha1", "v2", 1) + "spec: {objectives: [{name: a, kind: delivery, metric: lost, budget: 0}]}",
	} {
		if err := sch.Validate(yamlToJSONValue(t, []byte(doc))); err == nil {
			t.Errorf("%s: schema accepts an invalid scenario", name)
		}
	}
}
