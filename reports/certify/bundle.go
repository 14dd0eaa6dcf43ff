package certify

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/edgeproof/edgeproof/reports"
)

// Inputs are what a bundle certifies.
type Inputs struct {
	// ReportDir is a report directory as reports.WriteAll leaves it; it must
	// hold report.json. Every regular file in it is bundled under report/.
	ReportDir string
	// ScenarioFiles are the scenario definition files the run used, bundled
	// under scenarios/ by base name; base names must be unique.
	ScenarioFiles []string
	// Fingerprint is the environment to certify. When nil, the environment
	// recorded in ReportDir/report.json is used.
	Fingerprint *reports.Environment
}

// entryTime is the modification time of every bundle entry: a fixed instant
// keeps bundles reproducible; the report itself records when the run happened.
var entryTime = time.Unix(0, 0).UTC()

// source is one file to bundle: on disk, or in memory when data is set.
type source struct {
	name string // path inside the bundle
	disk string
	data []byte
}

// Bundle writes the certification bundle for in to out (a .tar.gz path),
// signing its manifest with key when key is not nil. out is replaced
// atomically, so a failed run leaves no partial bundle.
func Bundle(out string, in Inputs, key ed25519.PrivateKey) error {
	if key != nil && len(key) != ed25519.PrivateKeySize {
		return fmt.Errorf("bundle: signing key has %d bytes, want an ed25519 private key of %d", len(key), ed25519.PrivateKeySize)
	}
	srcs, err := collect(in, out)
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}

	dir := filepath.Dir(out)
	f, err := os.CreateTemp(dir, "."+filepath.Base(out)+".*")
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	if err := write(f, srcs, key); err != nil {
		f.Close()
		return fmt.Errorf("bundle %s: %w", out, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("bundle %s: %w", out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("bundle %s: %w", out, err)
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("bundle %s: %w", out, err)
	}
	return nil
}

// collect lists the files to bundle, sorted by bundle path. out is left
// out of the report directory, with its temporary files: `make certify`
// writes the bundle into the report directory, and a rerun must not bundle
// the previous bundle.
func collect(in Inputs, out string) ([]source, error) {
	if in.ReportDir == "" {
		return nil, errors.New("no report directory given")
	}
	var srcs []source
	seen := map[string]string{} // bundle path -> origin, to name both sides of a clash
	add := func(s source, origin string) error {
		if err := checkName(s.name); err != nil {
			return fmt.Errorf("%s: %w", origin, err)
		}
		if prev, dup := seen[s.name]; dup {
			return fmt.Errorf("%s and %s would both be stored as %s", prev, origin, s.name)
		}
		seen[s.name] = origin
		srcs = append(srcs, s)
		return nil
	}

	if _, err := os.Stat(filepath.Join(in.ReportDir, reports.JSONFile)); err != nil {
		return nil, fmt.Errorf("report directory %s: %w", in.ReportDir, err)
	}
	outAbs, err := filepath.Abs(out)
	if err != nil {
		return nil, err
	}
	isOutput := func(p string) bool {
		abs, err := filepath.Abs(p)
		return err == nil && (abs == outAbs || filepath.Dir(abs) == filepath.Dir(outAbs) &&
			strings.HasPrefix(filepath.Base(abs), "."+filepath.Base(outAbs)+"."))
	}
	err = filepath.WalkDir(in.ReportDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || isOutput(p) {
			return nil
		}
		fi, err := os.Stat(p) // follows symlinks: a linked artifact is bundled by content
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file (%s)", p, fi.Mode().Type())
		}
		rel, err := filepath.Rel(in.ReportDir, p)
		if err != nil {
			return err
		}
		return add(source{name: ReportPrefix + filepath.ToSlash(rel), disk: p}, p)
	})
	if err != nil {
		return nil, fmt.Errorf("read report directory: %w", err)
	}

	for _, p := range in.ScenarioFiles {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("scenario file: %w", err)
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("scenario file %s is not a regular file", p)
		}
		if err := add(source{name: ScenarioPrefix + filepath.Base(p), disk: p}, p); err != nil {
			return nil, fmt.Errorf("scenario file: %w", err)
		}
	}

	env := in.Fingerprint
	if env == nil {
		r, err := reports.Load(in.ReportDir)
		if err != nil {
			return nil, fmt.Errorf("no fingerprint given and none readable from the report: %w", err)
		}
		env = &r.Environment
	}
	fp, err := json.MarshalIndent(env, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode fingerprint: %w", err)
	}
	if err := add(source{name: FingerprintName, data: append(fp, '\n')}, "fingerprint"); err != nil {
		return nil, err
	}

	sort.Slice(srcs, func(i, j int) bool { return srcs[i].name < srcs[j].name })
	return srcs, nil
}

// write streams the files into w as tar.gz, hashing each as it is copied so
// the manifest describes exactly the bytes stored, then adds the manifest and
// its signature.
func write(w io.Writer, srcs []source, key ed25519.PrivateKey) error {
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	m := manifest{}
	for _, s := range srcs {
		sum, err := addSource(tw, s)
		if err != nil {
			return err
		}
		m[s.name] = sum
	}
	text := m.encode()
	if err := addBytes(tw, ManifestName, text); err != nil {
		return err
	}
	if key != nil {
		if err := addBytes(tw, SignatureName, ed25519.Sign(key, text)); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("finish tar: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("finish gzip: %w", err)
	}
	return nil
}

func addSource(tw *tar.Writer, s source) (string, error) {
	if s.data != nil {
		if err := addBytes(tw, s.name, s.data); err != nil {
			return "", err
		}
		sum := sha256.Sum256(s.data)
		return hex.EncodeToString(sum[:]), nil
	}
	f, err := os.Open(s.disk)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if err := tw.WriteHeader(header(s.name, fi.Size())); err != nil {
		return "", fmt.Errorf("add %s: %w", s.name, err)
	}
	h := sha256.New()
	n, err := io.Copy(tw, io.TeeReader(f, h))
	if err != nil {
		return "", fmt.Errorf("add %s: %w", s.name, err)
	}
	if n != fi.Size() {
		return "", fmt.Errorf("add %s: %s changed size while being bundled", s.name, s.disk)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func addBytes(tw *tar.Writer, name string, data []byte) error {
	if err := tw.WriteHeader(header(name, int64(len(data)))); err != nil {
		return fmt.Errorf("add %s: %w", name, err)
	}
	if _, err := io.Copy(tw, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("add %s: %w", name, err)
	}
	return nil
}

func header(name string, size int64) *tar.Header {
	return &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     path.Clean(name),
		Size:     size,
		Mode:     0o644,
		ModTime:  entryTime,
		Format:   tar.FormatPAX, // long artifact paths need PAX; one format keeps output stable
	}
}
