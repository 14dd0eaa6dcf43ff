package iptables

import (
	"fmt"
	"strconv"

	"github.com/edgeproof/edgeproof/scenarios"
)

// DropRules drops the node's traffic with peers (IPs or CIDRs), tagged
// with comment. Egress drops what the node sends to peers (OUTPUT) and
// what it routes to them from its pods (FORWARD); ingress drops what comes
// in from peers, for the node itself (INPUT) or its pods (FORWARD). An
// empty direction means both.
func DropRules(comment string, dir scenarios.Direction, peers []string) []Rule {
	var out []Rule
	egress := dir == scenarios.DirectionEgress || dir == scenarios.DirectionBoth || dir == ""
	ingress := dir == scenarios.DirectionIngress || dir == scenarios.DirectionBoth || dir == ""
	for _, p := range peers {
		if egress {
			out = append(out,
				drop("OUTPUT", comment, "-d", p),
				drop("FORWARD", comment, "-d", p))
		}
		if ingress {
			out = append(out,
				drop("INPUT", comment, "-s", p),
				drop("FORWARD", comment, "-s", p))
		}
	}
	return out
}

// LossRules drops a random share (probability, from 0 to 1) of what the
// node and its pods send to peers. iptables' statistic match draws each
// packet independently: it cannot correlate losses as netem does.
func LossRules(comment string, probability float64, peers []string) ([]Rule, error) {
	if !(probability > 0 && probability <= 1) {
		return nil, fmt.Errorf("loss probability %v must be above 0 and at most 1", probability)
	}
	prob := strconv.FormatFloat(probability, 'f', -1, 64)
	var out []Rule
	for _, p := range peers {
		for _, chain := range []string{"OUTPUT", "FORWARD"} {
			out = append(out, Rule{Table: "filter", Chain: chain, Args: []string{
				"-d", p, "-m", "statistic", "--mode", "random", "--probability", prob,
				"-m", "comment", "--comment", comment, "-j", "DROP",
			}})
		}
	}
	return out, nil
}

func drop(chain, comment, flag, peer string) Rule {
	return Rule{Table: "filter", Chain: chain, Args: []string{
		flag, peer, "-m", "comment", "--comment", comment, "-j", "DROP",
	}}
}
