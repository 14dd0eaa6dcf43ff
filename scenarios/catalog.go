package scenarios

import (
	"embed"
	"errors"
	"io/fs"
	"path"
)

// catalogFS holds the certified scenarios shipped with edgeproof.
//
//go:embed catalog/*.yaml
var catalogFS embed.FS

// CatalogFS returns the embedded catalog; files are named catalog/NAME.yaml.
func CatalogFS() fs.FS { return catalogFS }

// Catalog loads every scenario of the embedded catalog, sorted by file
// name. It fails with all errors of all files if any file is invalid.
func Catalog() ([]*Scenario, error) {
	names, err := fs.Glob(catalogFS, "catalog/*.yaml")
	if err != nil {
		return nil, err
	}
	var out []*Scenario
	var errs []error
	for _, name := range names {
		s, err := LoadFS(catalogFS, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, s)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// CatalogScenario loads one catalog scenario by metadata name, which is
// also its file name.
func CatalogScenario(name string) (*Scenario, error) {
	return LoadFS(catalogFS, path.Join("catalog", name+".yaml"))
}
