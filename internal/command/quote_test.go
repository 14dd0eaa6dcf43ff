package command

import "testing"

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"it's":        `'it'\''s'`,
		"pi-1":        "pi-1",
		"":            "''",
		"3; rm -rf /": "'3; rm -rf /'",
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}
