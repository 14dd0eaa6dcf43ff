package scenarios

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// ValidateFiles loads every scenario file in paths, printing each error on
// its own line as "file:line:col: path: message" and a summary, and reports
// whether all files are valid. A directory stands for the *.yaml and *.yml
// files directly in it. It backs `edgeproof scenario validate FILE...`,
// which exits 1 when it returns false.
func ValidateFiles(w io.Writer, paths []string) (ok bool) {
	files, ok := expandPaths(w, paths)
	if len(files) == 0 {
		if ok {
			fmt.Fprintln(w, "no scenario files given")
		}
		return false
	}
	var bad, problems int
	for _, f := range files {
		_, err := Load(f)
		if err == nil {
			continue
		}
		bad++
		if list, isList := errors.AsType[ErrorList](err); isList {
			problems += len(list)
		} else {
			problems++
		}
		fmt.Fprintln(w, err)
	}
	if bad == 0 && ok {
		fmt.Fprintf(w, "%d %s valid\n", len(files), plural(len(files), "scenario", "scenarios"))
		return true
	}
	fmt.Fprintf(w, "%d of %d %s invalid, %d %s\n", bad, len(files), plural(len(files), "scenario", "scenarios"),
		problems, plural(problems, "problem", "problems"))
	return false
}

// expandPaths replaces directories with the scenario files in them.
func expandPaths(w io.Writer, paths []string) (files []string, ok bool) {
	ok = true
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil || !info.IsDir() {
			files = append(files, p) // Load reports a missing file
			continue
		}
		var found []string
		for _, pat := range []string{"*.yaml", "*.yml"} {
			m, _ := filepath.Glob(filepath.Join(p, pat))
			found = append(found, m...)
		}
		if len(found) == 0 {
			fmt.Fprintf(w, "%s: no *.yaml or *.yml files\n", p)
			ok = false
		}
		slices.Sort(found)
		files = append(files, found...)
	}
	return files, ok
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
