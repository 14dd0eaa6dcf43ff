package reports

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaFromDisk compiles reports/report.schema.json as a consumer would,
// independently of the embedded copy; compiling checks it against the 2020-12
// meta-schema.
func schemaFromDisk(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	s, err := c.Compile("report.schema.json")
	if err != nil {
		t.Fatalf("compile report.schema.json: %v", err)
	}
	return s
}

func validateFile(t *testing.T, s *jsonschema.Schema, path string) error {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	inst, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(inst)
}

// sampleReports covers the shapes a writer can produce: the fixture, the
// least a report can hold, and every optional field set.
func sampleReports(t *testing.T) map[string]*Report {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.UTC)
	minimal := &Report{
		SchemaVersion: SchemaVersion,
		Suite:         Suite{Name: "min", Started: t0, Finished: t0},
		Environment:   Environment{EdgeproofVersion: "dev"},
	}
	full := &Report{
		SchemaVersion: SchemaVersion,
		Suite:         Suite{Name: "full", Started: t0, Finished: t0.Add(time.Minute), Duration: Duration(time.Minute)},
		Environment: Environment{
			EdgeproofVersion: "v1", EdgeproofCommit: "abc", KubernetesVersion: "v1.33.0", Provider: "qemu",
			Nodes:            []Node{{Name: "n", Arch: "arm64", Kernel: "6.1", ContainerRuntime: "containerd://2", Roles: []string{"edge"}, Zone: "z"}},
			HostCapabilities: []Capability{{Name: "kvm", Value: "yes", Meaning: "fast"}},
			ScenarioFiles:    []FileHash{{Path: "s.yaml", SHA256: strings.Repeat("ab", 32)}},
		},
		Scenarios: []Scenario{{
			Name: "s", File: "s.yaml", FileSHA256: strings.Repeat("ab", 32), Labels: []string{"l"},
			State: StateFailed, Failure: "boom", Started: t0, Duration: Duration(1500 * time.Millisecond),
			FaultEvents: []FaultEvent{
				{Name: "f", Kind: "k", Target: "t", Start: t0, End: t0.Add(time.Second), Healed: true},
				{Name: "g", Kind: "k", Skipped: true, SkipReason: "no"},
			},
			Series:    []Series{{Name: "a", Unit: "%", Points: []Point{{T: t0, V: 1.5}}}, {Name: "empty"}},
			Verdicts:  []Verdict{{Objective: "o", Kind: "k", Metric: "m", Value: 1, Budget: 2, Unit: "%", Margin: 1, Pass: true, Detail: "why"}},
			Artifacts: []Artifact{{Name: "a", Path: "a/b.log"}},
			Output:    "out",
		}, {Name: "skip", State: StateSkipped, SkipReason: "why"}},
	}
	return map[string]*Report{"fixture": fixture(t), "minimal": minimal, "full": full}
}

func TestWrittenReportsValidateAgainstSchema(t *testing.T) {
	s := schemaFromDisk(t)
	for name, r := range sampleReports(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := WriteJSON(r, dir); err != nil {
				t.Fatal(err)
			}
			if err := validateFile(t, s, filepath.Join(dir, JSONFile)); err != nil {
				t.Fatalf("written report.json fails the schema: %v", err)
			}
			back, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			again, err := MarshalJSON(back)
			if err != nil {
				t.Fatal(err)
			}
			first, _ := os.ReadFile(filepath.Join(dir, JSONFile))
			if string(first) != string(again) {
				t.Error("report.json does not survive a load/write round trip unchanged")
			}
		})
	}
}

func TestFixtureIsCanonical(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("testdata", JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	got, err := MarshalJSON(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("testdata/report.json is not in the form WriteJSON writes:\n%s", firstDiff(string(want), string(got)))
	}
}

func TestSchemaRejectsBadReports(t *testing.T) {
	s := schemaFromDisk(t)
	base, err := MarshalJSON(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(m map[string]any){
		"unknown state":     func(m map[string]any) { scenario(m, 0)["state"] = "flaky" },
		"missing suite":     func(m map[string]any) { delete(m, "suite") },
		"future version":    func(m map[string]any) { m["schemaVersion"] = "2.0.0" },
		"bad sha256":        func(m map[string]any) { scenario(m, 0)["fileSha256"] = "XYZ" },
		"unknown field":     func(m map[string]any) { scenario(m, 0)["colour"] = "red" },
		"negative duration": func(m map[string]any) { scenario(m, 0)["durationSeconds"] = -1 },
		"bad time":          func(m map[string]any) { scenario(m, 0)["started"] = "yesterday" },
		"url artifact": func(m map[string]any) {
			scenario(m, 1)["artifacts"] = []any{map[string]any{"name": "x", "path": "https://example.invalid/x"}}
		},
		"verdict without pass": func(m map[string]any) {
			delete(scenario(m, 0)["verdicts"].([]any)[0].(map[string]any), "pass")
		},
	} {
		t.Run(name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(base, &m); err != nil {
				t.Fatal(err)
			}
			mutate(m)
			b, _ := json.Marshal(m)
			if err := ValidateJSON(b); err == nil {
				t.Error("embedded schema accepted it")
			}
			inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
			if err := s.Validate(inst); err == nil {
				t.Error("report.schema.json accepted it")
			}
		})
	}
}

func scenario(m map[string]any, i int) map[string]any {
	return m["scenarios"].([]any)[i].(map[string]any)
}

// TestSchemaDocumentsEveryField keeps the Go model and the schema in step:
// each JSON field of each model type must be a property of the matching
// schema object, and vice versa.
func TestSchemaDocumentsEveryField(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(SchemaJSON, &doc); err != nil {
		t.Fatal(err)
	}
	defs := doc["$defs"].(map[string]any)
	def := func(name string) map[string]any { return defs[name].(map[string]any) }
	points := def("series")["properties"].(map[string]any)["points"].(map[string]any)["items"].(map[string]any)
	for typ, obj := range map[reflect.Type]map[string]any{
		reflect.TypeFor[Report]():           doc,
		reflect.TypeFor[Suite]():            def("suite"),
		reflect.TypeFor[Environment]():      def("environment"),
		reflect.TypeFor[Node]():             def("node"),
		reflect.TypeFor[Capability]():       def("capability"),
		reflect.TypeFor[FileHash]():         def("fileHash"),
		reflect.TypeFor[Scenario]():         def("scenario"),
		reflect.TypeFor[FaultEvent]():       def("faultEvent"),
		reflect.TypeFor[Series]():           def("series"),
		reflect.TypeFor[Point]():            points,
		reflect.TypeFor[Verdict]():          def("verdict"),
		reflect.TypeFor[Artifact]():         def("artifact"),
		reflect.TypeFor[Shard]():            def("shard"),
		reflect.TypeFor[ShardEnvironment](): def("shardEnvironment"),
	} {
		var goFields, schemaFields []string
		for f := range typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			goFields = append(goFields, name)
		}
		for name := range obj["properties"].(map[string]any) {
			schemaFields = append(schemaFields, name)
		}
		sort.Strings(goFields)
		sort.Strings(schemaFields)
		if !reflect.DeepEqual(goFields, schemaFields) {
			t.Errorf("%s: Go JSON fields %v, schema properties %v", typ.Name(), goFields, schemaFields)
		}
		if obj["additionalProperties"] != false {
			t.Errorf("%s: schema object should set additionalProperties false", typ.Name())
		}
	}
}

func TestValidateRejects(t *testing.T) {
	for name, mutate := range map[string]func(r *Report){
		"nan point":      func(r *Report) { r.Scenarios[0].Series[0].Points[0].V = math.NaN() },
		"inf verdict":    func(r *Report) { r.Scenarios[0].Verdicts[0].Margin = math.Inf(1) },
		"duplicate name": func(r *Report) { r.Scenarios[1].Name = r.Scenarios[0].Name },
		"bad state":      func(r *Report) { r.Scenarios[0].State = "flaky" },
		"no version":     func(r *Report) { r.SchemaVersion = "" },
		"escaping path":  func(r *Report) { r.Scenarios[0].Artifacts[0].Path = "../../etc/passwd" },
		"absolute path":  func(r *Report) { r.Scenarios[0].Artifacts[0].Path = "/etc/passwd" },
		"url path":       func(r *Report) { r.Scenarios[0].Artifacts[0].Path = "https://example.invalid/a" },
		"fault order": func(r *Report) {
			f := &r.Scenarios[0].FaultEvents[0]
			f.End = f.Start.Add(-time.Second)
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := fixture(t)
			mutate(r)
			if err := r.Validate(); err == nil {
				t.Fatal("Validate accepted it")
			}
			if err := WriteAll(r, t.TempDir()); err == nil {
				t.Fatal("WriteAll accepted it")
			}
		})
	}
	var nilReport *Report
	if err := nilReport.Validate(); err == nil {
		t.Error("nil report validated")
	}
}
