package scenarios

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad checks that LoadBytes never panics, that every error it reports
// carries the file name and a line and column, and that a scenario it
// accepts survives a JSON round trip unchanged.
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{"catalog/*.yaml", "testdata/valid/*.yaml", "testdata/invalid/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	for _, s := range []string{"", "~", "[]", "{}", "a: &a [*a]", "<<: {a: 1}", "\t", "--- \n--- \n", "? [a]\n: b", "apiVersion: !!binary aGk="} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := LoadBytes("fuzz.yaml", data)
		if err != nil {
			if s != nil {
				t.Fatal("error with a scenario")
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error is not a non-empty ErrorList: %T %v", err, err)
			}
			for _, e := range list {
				if e.File != "fuzz.yaml" || !e.Pos.IsValid() || e.Pos.Column < 1 || e.Kind == nil {
					t.Fatalf("error without file, position or kind: %#v", e)
				}
			}
			return
		}
		first, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("marshal accepted scenario: %v", err)
		}
		again, err := LoadBytes("roundtrip.json", first)
		if err != nil {
			t.Fatalf("accepted scenario does not reload from its JSON:\n%s\n%v", first, err)
		}
		second, err := json.Marshal(again)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("JSON round trip changed the scenario:\n%s\n%s", first, second)
		}
	})
}
