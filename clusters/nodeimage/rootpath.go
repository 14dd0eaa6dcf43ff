package nodeimage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// InRoot maps p, an absolute path inside the tree root, to a host path,
// following the tree's own symlinks as if root were "/". Debian's merged
// /usr makes /lib, /bin and /sbin links into /usr: writing through a
// plain filepath.Join(root, "/lib/...") would land in the right place,
// but creating a missing /lib there would replace the link with a
// directory. Components that do not exist yet are kept as they are. Both
// node builds use it: the kind node image and the arm64 QEMU disk.
func InRoot(root, p string) (string, error) {
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

// resolveIn is InRoot for a file that must exist: Debian's rootfs holds
// absolute links (the dynamic loader's) that would otherwise point into
// the host.
func resolveIn(root, p string) (string, error) {
	r, err := InRoot(root, p)
	if err != nil {
		return "", err
	}
	if _, err := os.Lstat(r); err != nil {
		return "", fmt.Errorf("resolving %s in %s: %w", p, root, err)
	}
	return r, nil
}
