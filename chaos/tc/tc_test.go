package tc

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseShow(t *testing.T) {
	out := `qdisc netem 1: root refcnt 2 limit 1000 delay 150ms  50ms loss 2% 25%
qdisc tbf 10: parent 1:1 rate 256Kbit burst 10000b lat 4.1s
qdisc ingress ffff: parent ffff:fff1 ----------------
`
	qs := ParseShow([]byte(out))
	if len(qs) != 3 {
		t.Fatalf("%d qdiscs: %+v", len(qs), qs)
	}
	if q := qs[0]; q.Kind != "netem" || !q.Root || q.Handle != "1:" || !q.Ours() {
		t.Fatalf("root = %+v", q)
	}
	if q := qs[1]; q.Kind != "tbf" || q.Root || q.Parent != "1:1" {
		t.Fatalf("child = %+v", q)
	}
	if qs[2].Ours() {
		t.Fatal("ingress counted as edgeproof's")
	}
}

func TestArgs(t *testing.T) {
	tbf := TBF{BitsPerSecond: 256000, Burst: 10000, Limit: 65536}
	if got := strings.Join(tbf.Args("eth0", ""), " "); got != "tc qdisc replace dev eth0 root handle 1: tbf rate 256000bit burst 10000 limit 65536" {
		t.Errorf("root tbf: %s", got)
	}
	if got := strings.Join(tbf.Args("eth0", "1:1"), " "); got != "tc qdisc add dev eth0 parent 1:1 handle 10: tbf rate 256000bit burst 10000 limit 65536" {
		t.Errorf("child tbf: %s", got)
	}
	n := Netem{Latency: 150 * time.Millisecond, Jitter: 50 * time.Millisecond, DelayCorrelation: 10, Loss: 2, LossCorrelation: 25}
	if got := strings.Join(n.Args("eth0"), " "); got != "tc qdisc replace dev eth0 root handle 1: netem delay 150000us 50000us 10% loss 2% 25%" {
		t.Errorf("netem: %s", got)
	}
	if got := strings.Join(Netem{Loss: 0.5}.Args("eth0"), " "); got != "tc qdisc replace dev eth0 root handle 1: netem loss 0.5%" {
		t.Errorf("netem loss only: %s", got)
	}
}

func TestParseProbe(t *testing.T) {
	for _, c := range []struct {
		out    string
		ok     bool
		hasErr bool
	}{
		{"ok\n", true, false},
		{"absent: Error: Specified qdisc kind is unknown.\n", false, false},
		{"unknown: cannot create a veth pair to probe with: RTNETLINK answers: Operation not permitted\n", false, true},
		{"", false, true},
	} {
		ok, err := ParseProbe([]byte(c.out))
		if ok != c.ok || (err != nil) != c.hasErr {
			t.Errorf("%q: %v, %v", c.out, ok, err)
		}
	}
}

type node struct {
	show  string
	calls [][]string
}

func (n *node) Exec(_ context.Context, args ...string) ([]byte, error) {
	n.calls = append(n.calls, args)
	if args[2] == "show" {
		return []byte(n.show), nil
	}
	return nil, nil
}

func TestDeleteRoot(t *testing.T) {
	for _, c := range []struct {
		show    string
		deleted bool
	}{
		{"qdisc tbf 1: root refcnt 2 rate 1Mbit burst 10000b lat 1s\n", true},
		{"qdisc netem 1: root refcnt 2\nqdisc tbf 10: parent 1:1 rate 1Mbit\n", true},
		{"qdisc noqueue 0: root refcnt 2\n", false},
		{"qdisc fq_codel 0: root refcnt 2 limit 10240p\n", false},
	} {
		n := &node{show: c.show}
		deleted, err := DeleteRoot(context.Background(), n, "eth0")
		if err != nil || deleted != c.deleted {
			t.Errorf("%q: deleted %v, %v", c.show, deleted, err)
		}
		last := n.calls[len(n.calls)-1]
		if c.deleted != slices.Equal(last, []string{"tc", "qdisc", "del", "dev", "eth0", "root"}) {
			t.Errorf("%q: calls %q", c.show, n.calls)
		}
	}
}
