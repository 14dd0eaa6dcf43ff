package apps

import (
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// renderKustomize builds the kustomization in dir as `kubectl kustomize`
// does: default options, files read from disk, no plugins.
func renderKustomize(field, dir string) ([]Object, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, err
	}
	data, err := m.AsYaml()
	if err != nil {
		return nil, err
	}
	return decodeDocuments(data, func(document) string { return field + ", kustomize build " + dir })
}
