// Package repo finds the edgeproof checkout, whose sources the node and
// fixture images are built from.
package repo

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
)

// Module is edgeproof's module path.
const Module = "github.com/edgeproof/edgeproof"

// EnvRoot overrides the checkout location.
const EnvRoot = "EDGEPROOF_REPO"

// Root returns the checkout holding the current directory, or $EDGEPROOF_REPO.
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
			return "", errors.New("not inside the edgeproof checkout (run from it, or set " + EnvRoot + ")")
		}
		dir = parent
	}
}
