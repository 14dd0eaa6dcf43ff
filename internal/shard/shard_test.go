package shard

import (
	"math/rand"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	s, err := Parse("2/3")
	if err != nil || s != (Shard{Index: 2, Total: 3}) || s.String() != "2/3" {
		t.Fatalf("Parse(2/3) = %v, %v", s, err)
	}
	for _, bad := range []string{"", "3", "0/3", "4/3", "a/3", "1/0", "1/65", "-1/2", "1/2/3"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func units(keys ...string) []Unit {
	var out []Unit
	for _, k := range keys {
		out = append(out, Unit{Key: k, Specs: []string{k}})
	}
	return out
}

func TestAssignCoversEveryUnitOnceAndBalances(t *testing.T) {
	d := Durations{"a": 300, "b": 200, "c": 160, "d": 150, "e": 90, "f": 60, "g": 40}
	us := units("a", "b", "c", "d", "e", "f", "g", "h") // h unmeasured: DefaultSeconds
	for total := 1; total <= 5; total++ {
		parts := Assign(us, d, total)
		seen := map[string]int{}
		var loads []float64
		for _, p := range parts {
			var l float64
			for _, u := range p {
				seen[u.Key]++
				l += d.Weight(u)
			}
			loads = append(loads, l)
		}
		for _, u := range us {
			if seen[u.Key] != 1 {
				t.Fatalf("total %d: unit %s assigned %d times", total, u.Key, seen[u.Key])
			}
		}
		// Longest-first greedy is within 4/3 of the best split; the best
		// is at least the mean and the longest unit.
		var sum, max float64
		for _, l := range loads {
			sum += l
			if l > max {
				max = l
			}
		}
		bound := sum / float64(total)
		if 300 > bound {
			bound = 300
		}
		if max > bound*4/3 {
			t.Errorf("total %d: loads %v, largest %v over 4/3 of %v", total, loads, max, bound)
		}
	}
}

func TestAssignIgnoresInputOrder(t *testing.T) {
	d := Durations{"a": 100, "b": 100, "c": 50, "d": 50}
	us := units("a", "b", "c", "d", "e")
	want := Assign(us, d, 3)
	for i := 0; i < 20; i++ {
		shuffled := append([]Unit(nil), us...)
		rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := Assign(shuffled, d, 3); !reflect.DeepEqual(got, want) {
			t.Fatalf("order changed the split: %v vs %v", got, want)
		}
	}
}

func TestOutsideIsTheComplement(t *testing.T) {
	us := []Unit{{Key: "smoke", Specs: []string{"smoke 1", "smoke 2"}}, {Key: "x", Specs: []string{"x"}}, {Key: "y", Specs: []string{"y"}}}
	d := Durations{"smoke 1": 50, "smoke 2": 50, "x": 90, "y": 80}
	all := map[string]int{}
	for i := 1; i <= 2; i++ {
		out := Outside(us, d, Shard{Index: i, Total: 2})
		for _, s := range out {
			all[s]++
		}
		if strings.Contains(strings.Join(out, ","), "smoke 1") != strings.Contains(strings.Join(out, ","), "smoke 2") {
			t.Fatalf("shard %d split an ordered unit: %v", i, out)
		}
	}
	// Each spec is outside exactly N-1 = 1 shard, so inside exactly one.
	for _, s := range []string{"smoke 1", "smoke 2", "x", "y"} {
		if all[s] != 1 {
			t.Errorf("spec %s outside %d shards, want 1", s, all[s])
		}
	}
}

func TestDurationsRoundTripAndRejectBadFiles(t *testing.T) {
	dir := t.TempDir()
	p := dir + "/d.yaml"
	want := Durations{"Catalog scenario smoke": 78.2, "Smoke: an edge cluster x": 3}
	if err := want.Write(p); err != nil {
		t.Fatal(err)
	}
	got, err := LoadDurations(p)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("LoadDurations = %v, %v; want %v", got, err, want)
	}
	if err := os.WriteFile(p, []byte("# only a comment\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if d, err := LoadDurations(p); err != nil || d == nil || len(d) != 0 {
		t.Fatalf("a comment-only file: %v, %v; want an empty, writable map", d, err)
	}
	for name, body := range map[string]string{"negative": "a: -1\n", "not a number": "a: soon\n", "list": "- a\n"} {
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadDurations(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: LoadDurations = %v, want an error naming the file", name, err)
		}
	}
}
