// Package cache locates edgeproof's build cache outside the repository and
// derives content keys, so that outputs (rootfs, binaries, images) are
// rebuilt only when their inputs change.
package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// EnvDir overrides the cache location.
const EnvDir = "EDGEPROOF_CACHE"

// Dir returns the cache root ($EDGEPROOF_CACHE, else ~/.cache/edgeproof),
// joined with elem, creating it when missing.
func Dir(elem ...string) (string, error) {
	root := os.Getenv(EnvDir)
	if root == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("locating user cache dir: %w", err)
		}
		root = filepath.Join(base, "edgeproof")
	}
	dir := filepath.Join(append([]string{root}, elem...)...)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating cache dir: %w", err)
	}
	return dir, nil
}

// Hasher accumulates the inputs of a build step into a key.
type Hasher struct{ h hash.Hash }

// NewHasher starts an empty key.
func NewHasher() *Hasher { return &Hasher{h: sha256.New()} }

// String adds labelled strings; the label keeps "a"+"bc" apart from "ab"+"c".
func (k *Hasher) String(label string, values ...string) *Hasher {
	for _, v := range values {
		fmt.Fprintf(k.h, "%s=%d:%s\n", label, len(v), v)
	}
	return k
}

// File adds a file's content.
func (k *Hasher) File(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("hashing %s: %w", path, err)
	}
	defer f.Close()
	fmt.Fprintf(k.h, "file:%s\n", filepath.Base(path))
	if _, err := io.Copy(k.h, f); err != nil {
		return fmt.Errorf("hashing %s: %w", path, err)
	}
	return nil
}

// Tree adds every regular file and symlink below root, in a stable order,
// with their relative paths and modes.
func (k *Hasher) Tree(root string) error {
	var paths []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("hashing tree %s: %w", root, err)
	}
	sort.Strings(paths)
	for _, p := range paths {
		rel, _ := filepath.Rel(root, p)
		st, err := os.Lstat(p)
		if err != nil {
			return fmt.Errorf("hashing %s: %w", p, err)
		}
		fmt.Fprintf(k.h, "entry:%s:%o\n", rel, st.Mode())
		if st.Mode()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			fmt.Fprintf(k.h, "link:%s\n", target)
			continue
		}
		if err := k.File(p); err != nil {
			return err
		}
	}
	return nil
}

// Sum returns the key as hex, shortened to n characters (n <= 64).
func (k *Hasher) Sum(n int) string {
	s := hex.EncodeToString(k.h.Sum(nil))
	if n > 0 && n < len(s) {
		return s[:n]
	}
	return s
}
