//go:build unix

package journal

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock on f, serialising journal
// writers across processes (a test run and edgeproof recover).
func lockFile(f *os.File) (func(), error) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }, nil
	}
}
