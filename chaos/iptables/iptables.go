// Package iptables builds, lists and removes the iptables rules edgeproof
// puts on nodes. Every rule carries a comment "edgeproof:<journal id>", so
// that recovery deletes exactly the rules of one injection and a leak check
// finds any left over.
//
// Rules are applied and deleted with iptables-restore --noflush: one exec
// per node, and all-or-nothing.
package iptables

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// CommentPrefix starts the comment of every edgeproof rule.
const CommentPrefix = "edgeproof:"

// Comment is the comment of the rules made by journal entry id.
func Comment(id string) string { return CommentPrefix + id }

// Execer runs commands on a node; *clusters.Node implements it.
type Execer interface {
	Exec(ctx context.Context, args ...string) ([]byte, error)
	ExecInput(ctx context.Context, stdin []byte, args ...string) ([]byte, error)
}

// Rule is one rule of an iptables-save listing, or one to insert.
type Rule struct {
	// Table is filter, nat, mangle, raw or security.
	Table string
	// Chain is the chain the rule is in.
	Chain string
	// Args is the rule specification after "-A CHAIN", one word each.
	Args []string
}

// Comment returns the rule's --comment value, or "".
func (r Rule) Comment() string {
	for i := 0; i+1 < len(r.Args); i++ {
		if r.Args[i] == "--comment" {
			return r.Args[i+1]
		}
	}
	return ""
}

// String renders the rule as iptables-save does, quoting where needed.
func (r Rule) String() string { return r.line("-A") }

func (r Rule) line(flag string) string {
	words := make([]string, 0, len(r.Args)+2)
	words = append(words, flag, r.Chain)
	for _, a := range r.Args {
		words = append(words, quote(a))
	}
	return strings.Join(words, " ")
}

// quote quotes a word for iptables-restore when it has blanks or quotes.
func quote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"\\'") {
		return s
	}
	return strconv.Quote(s)
}

// ParseSave parses iptables-save output into rules. Chain declarations,
// counters and comments are skipped.
func ParseSave(out []byte) ([]Rule, error) {
	var rules []Rule
	table := ""
	for n, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || line[0] == '#' || line[0] == ':' || line == "COMMIT":
		case line[0] == '*':
			table = line[1:]
		case strings.HasPrefix(line, "-A "):
			words, err := split(line)
			if err != nil {
				return nil, fmt.Errorf("iptables-save line %d: %w", n+1, err)
			}
			if len(words) < 2 {
				return nil, fmt.Errorf("iptables-save line %d: no chain in %q", n+1, line)
			}
			if table == "" {
				return nil, fmt.Errorf("iptables-save line %d: rule outside a table", n+1)
			}
			rules = append(rules, Rule{Table: table, Chain: words[1], Args: words[2:]})
		}
	}
	return rules, nil
}

// split breaks a line into words as iptables-restore does: blanks
// separate words, double quotes group them, a backslash escapes the next
// character inside quotes.
func split(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quoted && c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
		case c == '"':
			quoted = !quoted
			inWord = true
		case !quoted && (c == ' ' || c == '\t'):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quoted {
		return nil, errors.New("unterminated quote")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// WithComment returns the rules whose comment is exactly comment.
func WithComment(rules []Rule, comment string) []Rule {
	var out []Rule
	for _, r := range rules {
		if r.Comment() == comment {
			out = append(out, r)
		}
	}
	return out
}

// Leftovers returns the rules carrying any edgeproof comment.
func Leftovers(rules []Rule) []Rule {
	var out []Rule
	for _, r := range rules {
		if strings.HasPrefix(r.Comment(), CommentPrefix) {
			out = append(out, r)
		}
	}
	return out
}

// RestoreInput renders rules for iptables-restore --noflush, grouped by
// table in first-seen order; flag is "-I" to insert at the top of each
// chain or "-D" to delete.
func RestoreInput(flag string, rules []Rule) []byte {
	var tables []string
	byTable := map[string][]Rule{}
	for _, r := range rules {
		t := r.Table
		if t == "" {
			t = "filter"
		}
		if _, ok := byTable[t]; !ok {
			tables = append(tables, t)
		}
		byTable[t] = append(byTable[t], r)
	}
	var b strings.Builder
	for _, t := range tables {
		b.WriteString("*" + t + "\n")
		for _, r := range byTable[t] {
			b.WriteString(r.line(flag) + "\n")
		}
		b.WriteString("COMMIT\n")
	}
	return []byte(b.String())
}

// Insert adds rules at the top of their chains, all or none.
func Insert(ctx context.Context, node Execer, rules []Rule) error {
	if len(rules) == 0 {
		return nil
	}
	if _, err := node.ExecInput(ctx, RestoreInput("-I", rules), "iptables-restore", "-w", "--noflush"); err != nil {
		return fmt.Errorf("inserting %d iptables rules: %w", len(rules), err)
	}
	return nil
}

// List returns every rule of the node (all tables).
func List(ctx context.Context, node Execer) ([]Rule, error) {
	out, err := node.Exec(ctx, "iptables-save")
	if err != nil {
		return nil, fmt.Errorf("listing iptables rules: %w", err)
	}
	return ParseSave(out)
}

// DeleteComment deletes every rule whose comment is exactly comment and
// returns how many it deleted. Deleting when none is left does nothing,
// so recovery may run twice. It retries when the rules change under it.
func DeleteComment(ctx context.Context, node Execer, comment string) (int, error) {
	deleted := 0
	var lastErr error
	for range 3 {
		rules, err := List(ctx, node)
		if err != nil {
			return deleted, err
		}
		tagged := WithComment(rules, comment)
		if len(tagged) == 0 {
			return deleted, nil
		}
		if _, err := node.ExecInput(ctx, RestoreInput("-D", tagged), "iptables-restore", "-w", "--noflush"); err != nil {
			lastErr = err
			continue
		}
		deleted += len(tagged)
	}
	if lastErr != nil {
		return deleted, fmt.Errorf("deleting iptables rules %q: %w", comment, lastErr)
	}
	return deleted, fmt.Errorf("deleting iptables rules %q: rules keep reappearing", comment)
}
