package qemu

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/edgeproof/edgeproof/internal/cache"
)

// completeMark is written last into a stage directory; a directory
// without it is a leftover of an interrupted build and is never trusted.
const completeMark = ".complete"

// stageDir is where the stage name with key lives:
// ~/.cache/edgeproof/qemu/NAME-KEY.
func stageDir(name, key string) (string, error) {
	root, err := cache.Dir("qemu")
	if err != nil {
		return "", err
	}
	return filepath.Join(root, name+"-"+key), nil
}

// stageDone reports whether dir holds a complete stage.
func stageDone(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, completeMark))
	return err == nil
}

// buildStage runs build into a scratch directory beside dir and renames it
// to dir when build succeeds, so that dir either holds a complete output
// or does not exist. On failure (or a cancelled context) the scratch
// directory is removed. It returns true when dir was already complete.
func buildStage(dir string, build func(tmp string) error) (cached bool, err error) {
	if stageDone(dir) {
		return true, nil
	}
	tmp := fmt.Sprintf("%s.partial-%d", dir, os.Getpid())
	if err := os.RemoveAll(tmp); err != nil {
		return false, fmt.Errorf("clearing %s: %w", tmp, err)
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return false, fmt.Errorf("creating %s: %w", tmp, err)
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(tmp)
		}
	}()
	if err := build(tmp); err != nil {
		return false, err
	}
	if err := os.WriteFile(filepath.Join(tmp, completeMark), nil, 0o644); err != nil {
		return false, fmt.Errorf("marking %s complete: %w", filepath.Base(dir), err)
	}
	// A dir without the mark (made by hand, or by another layout) is
	// replaced.
	if err := os.RemoveAll(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("replacing %s: %w", dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return false, fmt.Errorf("moving %s into place: %w", filepath.Base(dir), err)
	}
	return false, nil
}

// pruneStages removes the complete stage directories called
// NAME-<key>, for each of names, except those in keep and the disks a VM
// still boots from (named by any vm.json in the VMs' state folder, running
// or not: its overlay is backed by that base image). Every input change
// leaves a stage behind, and a disk stage is about 750 MiB. It returns
// what it removed.
func pruneStages(keep []string, names ...string) ([]string, error) {
	root, err := cache.Dir("qemu")
	if err != nil {
		return nil, err
	}
	inUse, err := disksInUse()
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, name := range names {
		dirs, err := filepath.Glob(filepath.Join(root, name+"-*"))
		if err != nil {
			return removed, err
		}
		for _, d := range dirs {
			if slices.Contains(keep, d) || inUse[d] || !stageDone(d) {
				continue // a partial directory may be another build's
			}
			if err := os.RemoveAll(d); err != nil {
				return removed, fmt.Errorf("pruning %s: %w", d, err)
			}
			removed = append(removed, d)
		}
	}
	return removed, nil
}

// disksInUse are the disk directories named by the saved configs of VMs
// of every cluster.
func disksInUse() (map[string]bool, error) {
	vms, err := cache.Dir("vms")
	if err != nil {
		return nil, err
	}
	saved, err := filepath.Glob(filepath.Join(vms, "*", "*", "vm.json"))
	if err != nil {
		return nil, err
	}
	use := map[string]bool{}
	for _, f := range saved {
		var sc savedConfig
		if err := readJSON(f, &sc); err != nil {
			return nil, fmt.Errorf("cannot tell which disk a VM uses: %w", err)
		}
		use[sc.DiskDir] = true
	}
	return use, nil
}
