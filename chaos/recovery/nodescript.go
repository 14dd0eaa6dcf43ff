package recovery

import (
	"regexp"
	"strings"

	"github.com/edgeproof/edgeproof/chaos/journal"
)

// safeWord is what may appear unquoted in a node script: journal ids,
// iptables comments, device and unit names are all of this form.
var safeWord = regexp.MustCompile(`^[A-Za-z0-9@._:-]+$`)

// NodeScript is the shell equivalent of the recovery actions for one
// node, which the node can run by itself (chaos/native's dead-man timer),
// or false when an action has none (a node start needs the provider or a
// power switch). Each line is idempotent, as the actions are.
func NodeScript(actions []journal.Action) (string, bool) {
	var lines []string
	for _, a := range actions {
		for _, w := range []string{a.Comment, a.Dev, a.Unit} {
			if w != "" && !safeWord.MatchString(w) {
				return "", false
			}
		}
		switch a.Op {
		case journal.OpIptablesFlushComment:
			// Delete every rule carrying the comment, in whichever table.
			lines = append(lines, `iptables-save | awk -v c='`+a.Comment+`' '/^\*/{t=substr($0,2)} /^-A / && index($0,c){sub(/^-A /,"-D "); print "-t " t " " $0}' | while read -r r; do eval "iptables -w $r"; done`)
		case journal.OpTCDelRoot:
			lines = append(lines, "tc qdisc del dev "+a.Dev+" root 2>/dev/null || true")
		case journal.OpSystemctlStart:
			lines = append(lines, "systemctl start "+a.Unit)
		case journal.OpSystemctlStop:
			lines = append(lines, "systemctl stop "+a.Unit+" 2>/dev/null || true")
		default:
			return "", false
		}
	}
	return strings.Join(lines, "\n"), len(lines) > 0
}
