package clusters

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
)

// NodeFiles is what ReadFiles found on one node.
type NodeFiles struct {
	// Node is the node's name.
	Node string
	// Files maps each file's absolute path on the node to its contents.
	Files map[string][]byte
	// Err is why the node could not be read; Files is then empty.
	Err error
}

// fileMarker starts each file in readFilesScript's output. Files read this
// way are text (ledgers); a line starting with the marker inside one would
// split it, which ParseLedger-style readers then reject.
const fileMarker = "==> edgeproof-file "

// readFilesScript prints every regular file under $1 whose name ends in $2,
// each after a marker line; a missing directory prints nothing.
const readFilesScript = `[ -d "$1" ] || exit 0
find "$1" -type f -name "*$2" | sort | while IFS= read -r f; do printf '%s%s\n' "` + fileMarker + `" "$f"; cat "$f"; done`

// ReadFiles reads, on every node, the regular files under the absolute
// directory dir whose names end in suffix (state that workloads keep on
// hostPath volumes). A node that cannot be read is returned with Err set,
// not dropped, so callers know whose data is missing; the error is only for
// listing the nodes.
func (c *Cluster) ReadFiles(ctx context.Context, dir, suffix string) ([]NodeFiles, error) {
	if !filepath.IsAbs(dir) || filepath.Clean(dir) == "/" {
		return nil, fmt.Errorf("refusing to read %q on the nodes of %q", dir, c.Name)
	}
	nodes, err := c.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]NodeFiles, 0, len(nodes))
	for _, n := range nodes {
		raw, err := n.Exec(ctx, "sh", "-c", readFilesScript, "sh", filepath.Clean(dir), suffix)
		nf := NodeFiles{Node: n.Name(), Err: err}
		if err == nil {
			nf.Files = splitFiles(raw)
		}
		out = append(out, nf)
	}
	return out, nil
}

// splitFiles parses readFilesScript's output.
func splitFiles(raw []byte) map[string][]byte {
	files := map[string][]byte{}
	var cur string
	for _, line := range bytes.SplitAfter(raw, []byte("\n")) {
		if name, ok := strings.CutPrefix(string(line), fileMarker); ok {
			cur = strings.TrimSuffix(name, "\n")
			files[cur] = []byte{}
			continue
		}
		if cur != "" {
			files[cur] = append(files[cur], line...)
		}
	}
	return files
}
