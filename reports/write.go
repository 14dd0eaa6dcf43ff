package reports

import (
	"fmt"
	"os"
	"path/filepath"
)

// WriteAll writes report.json, junit.xml, summary.md and index.html into dir.
func WriteAll(r *Report, dir string) error {
	for _, w := range []func(*Report, string) error{WriteJSON, WriteJUnit, WriteSummary, WriteHTML} {
		if err := w(r, dir); err != nil {
			return err
		}
	}
	return nil
}

// Render rebuilds summary.md and index.html in dir from dir/report.json,
// e.g. after a newer edgeproof improved the layout.
func Render(dir string) error {
	r, err := Load(dir)
	if err != nil {
		return err
	}
	if err := WriteSummary(r, dir); err != nil {
		return err
	}
	return WriteHTML(r, dir)
}

// writeFile replaces dir/name atomically, so that a CI step reading the
// directory never sees half a file.
func writeFile(dir, name string, data []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create report directory: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+name+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
