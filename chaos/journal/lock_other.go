//go:build !unix

package journal

import "os"

// lockFile is a no-op where flock is missing; the in-process mutex still
// serialises writers of one process.
func lockFile(*os.File) (func(), error) { return func() {}, nil }
