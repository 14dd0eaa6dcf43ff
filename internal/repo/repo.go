// Package repo finds the edgeproof checkout, whose sources the node and
// fixture images are built from.
package repo

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Module is edgeproof's module path.
const Module = "github.com/edgeproof/edgeproof"

// EnvRoot overrides the checkout location.
const EnvRoot = "EDGEPROOF_REPO"

// Root returns the checkout holding the current directory, or
// $EDGEPROOF_REPO, or, from another module that requires edgeproof (a
// user's own suite), the edgeproof module's source folder as the go
// command resolves it.
func Root() (string, error) {
	if r := os.Getenv(EnvRoot); r != "" {
		return r, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if raw, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			bytes.HasPrefix(raw, []byte("module "+Module+"\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			if d := moduleDir(); d != "" {
				return d, nil
			}
			return "", errors.New("not inside the edgeproof checkout nor a module that requires it (run from one, or set " + EnvRoot + ")")
		}
		dir = parent
	}
}

// moduleDir is where the go command has edgeproof's source for the module
// in the current directory; "" when it has none.
func moduleDir() string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", Module).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
