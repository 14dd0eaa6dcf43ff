package qemu

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/edgeproof/edgeproof/clusters/nodeimage"
)

// writeInRoot writes data to p inside the tree root (see inRoot), creating
// parent directories. It replaces the file (write and rename) instead of
// writing into it, so a file hard-linked from elsewhere stays unchanged.
func writeInRoot(root, p string, data []byte, mode os.FileMode) error {
	dst, err := nodeimage.InRoot(root, p)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	tmp := dst + ".edgeproof-new"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	if err := os.Chmod(tmp, mode); err != nil { // WriteFile's mode is cut by umask
		return fmt.Errorf("writing %s: %w", p, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	return nil
}

// symlinkInRoot makes p inside root a link to target, replacing whatever
// file or link was there.
func symlinkInRoot(root, p, target string) error {
	parent, err := nodeimage.InRoot(root, path.Dir(path.Clean("/"+p)))
	if err != nil {
		return err
	}
	dst := filepath.Join(parent, path.Base(p))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("linking %s: %w", p, err)
	}
	if err := os.Remove(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("linking %s: %w", p, err)
	}
	if err := os.Symlink(target, dst); err != nil {
		return fmt.Errorf("linking %s: %w", p, err)
	}
	return nil
}
