package qemu

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// inRoot maps p, an absolute path inside the tree root, to a host path,
// following the tree's own symlinks as if root were "/". Debian's merged
// /usr makes /lib, /bin and /sbin links into /usr: writing through a
// plain filepath.Join(root, "/lib/...") would land in the right place,
// but creating a missing /lib there would replace the link with a
// directory. Components that do not exist yet are kept as they are.
func inRoot(root, p string) (string, error) {
	cur := "/"
	parts := strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/")
	for hops := 0; len(parts) > 0 && parts[0] != ""; {
		next := path.Join(cur, parts[0])
		parts = parts[1:]
		st, err := os.Lstat(filepath.Join(root, next))
		if errors.Is(err, fs.ErrNotExist) {
			return filepath.Join(append([]string{root, next}, parts...)...), nil
		}
		if err != nil {
			return "", fmt.Errorf("resolving %s in %s: %w", p, root, err)
		}
		if st.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if hops++; hops > 40 {
			return "", fmt.Errorf("resolving %s in %s: too many links", p, root)
		}
		target, err := os.Readlink(filepath.Join(root, next))
		if err != nil {
			return "", fmt.Errorf("resolving %s in %s: %w", p, root, err)
		}
		if !path.IsAbs(target) {
			target = path.Join(cur, target)
		}
		parts = append(strings.Split(strings.Trim(path.Clean(target), "/"), "/"), parts...)
		cur = "/"
	}
	return filepath.Join(root, cur), nil
}

// writeInRoot writes data to p inside the tree root (see inRoot), creating
// parent directories. It replaces the file (write and rename) instead of
// writing into it, so a file hard-linked from elsewhere stays unchanged.
func writeInRoot(root, p string, data []byte, mode os.FileMode) error {
	dst, err := inRoot(root, p)
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
	parent, err := inRoot(root, path.Dir(path.Clean("/"+p)))
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
