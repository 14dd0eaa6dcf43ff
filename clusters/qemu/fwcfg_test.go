package qemu

import "testing"

func TestRenderEnv(t *testing.T) {
	got, err := RenderEnv(map[string]string{
		EnvNodeName:    "edge-arm64-1",
		EnvNodeAddress: "172.18.0.200/16",
		"JOIN_TOKEN":   "abcdef.0123456789abcdef",
		"EMPTY":        "",
		"SPACED":       "a b $c",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "EMPTY=''\nJOIN_TOKEN='abcdef.0123456789abcdef'\nNODE_ADDRESS='172.18.0.200/16'\nNODE_NAME='edge-arm64-1'\nSPACED='a b $c'\n"
	if string(got) != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if out, err := RenderEnv(nil); err != nil || len(out) != 0 {
		t.Fatalf("empty env: %q %v", out, err)
	}
	for _, bad := range []map[string]string{
		{"lower": "x"},
		{"1X": "x"},
		{"A-B": "x"},
		{"X": "it's"},
		{"X": "a\nB=c"},
		{"X": `back\slash`},
		{"X": "nul\x00"},
	} {
		if _, err := RenderEnv(bad); err == nil {
			t.Errorf("RenderEnv(%q): want an error", bad)
		}
	}
}
