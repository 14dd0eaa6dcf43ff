package certify

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/edgeproof/edgeproof/reports"
)

// ErrVerification is wrapped by every error Verify returns for a bundle that
// does not check out, as opposed to one it could not open.
var ErrVerification = errors.New("bundle verification failed")

// maxSmallFile bounds what Verify reads into memory (MANIFEST, MANIFEST.sig,
// fingerprint.json, report/report.json); every other file is only hashed as it streams past.
const maxSmallFile = 16 << 20

// File is one checked file of a bundle.
type File struct {
	// Path is the file's path inside the bundle.
	Path string
	// SHA256 is the lowercase hex digest of the file as found in the bundle.
	SHA256 string
	// Size is the file's length in bytes.
	Size int64
}

// Result is what Verify found.
type Result struct {
	// Files are the bundle's files other than MANIFEST and MANIFEST.sig, sorted by path.
	Files []File
	// Signed reports whether the bundle holds a MANIFEST.sig.
	Signed bool
	// SignatureVerified reports whether MANIFEST.sig verified against the given public key.
	SignatureVerified bool
	// Fingerprint is the bundled environment, when fingerprint.json parsed.
	Fingerprint *reports.Environment
	// Report is the bundled run report, when report/report.json decoded;
	// its Passed and Totals give the certification verdict.
	Report *reports.Report
	// Problems lists every check that failed, each naming the file concerned.
	Problems []string
}

// OK reports whether every check passed.
func (r Result) OK() bool { return len(r.Problems) == 0 }

// Verify checks the bundle at bundlePath: every file matches its MANIFEST
// hash, no file is missing or extra, fingerprint.json is present,
// report/report.json is a valid report, and, when
// pub is not nil, MANIFEST.sig is a valid signature of MANIFEST by pub. With a
// nil pub the signature is not checked (Result.Signed still says whether one
// is there). On failure the error wraps ErrVerification and lists every
// problem; the Result holds them too.
func Verify(bundlePath string, pub ed25519.PublicKey) (Result, error) {
	var res Result
	if pub != nil && len(pub) != ed25519.PublicKeySize {
		return res, fmt.Errorf("verify: public key has %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	f, err := os.Open(bundlePath)
	if err != nil {
		return res, fmt.Errorf("verify: %w", err)
	}
	defer f.Close()
	return verify(f, bundlePath, pub)
}

// verify checks the bundle read from r; name labels it in messages.
func verify(r io.Reader, name string, pub ed25519.PublicKey) (Result, error) {
	var res Result
	c, err := scan(r)
	if err != nil {
		return res, fmt.Errorf("%w: %s is not an intact tar.gz: %w", ErrVerification, name, err)
	}
	res.Problems = c.problems
	add := func(format string, a ...any) { res.Problems = append(res.Problems, fmt.Sprintf(format, a...)) }

	// Files against the manifest.
	var want manifest
	if c.manifest == nil {
		add("%s is missing, so no file can be checked", ManifestName)
	} else {
		var bad []string
		want, bad = parseManifest(c.manifest)
		res.Problems = append(res.Problems, bad...)
	}
	for _, file := range c.files {
		res.Files = append(res.Files, file)
		if want == nil {
			continue
		}
		sum, listed := want[file.Path]
		switch {
		case !listed:
			add("%s: extra file, not listed in %s", file.Path, ManifestName)
		case sum != file.SHA256:
			add("%s: content changed: sha256 is %s, %s says %s", file.Path, file.SHA256, ManifestName, sum)
		}
	}
	for _, p := range sortedKeys(want) {
		if _, ok := c.byPath[p]; !ok {
			add("%s: listed in %s but missing from the bundle", p, ManifestName)
		}
	}

	// Fingerprint.
	switch {
	case c.fingerprint == nil:
		if _, ok := c.byPath[FingerprintName]; !ok {
			add("%s is missing", FingerprintName)
		}
	default:
		var env reports.Environment
		if err := json.Unmarshal(c.fingerprint, &env); err != nil {
			add("%s: not an environment fingerprint: %v", FingerprintName, err)
		} else {
			res.Fingerprint = &env
		}
	}

	// Report: the verdict a reader is shown must come from a valid report.
	switch {
	case c.report == nil:
		if _, ok := c.byPath[ReportName]; !ok {
			add("%s is missing", ReportName)
		}
	default:
		rep, err := reports.Decode(c.report)
		if err != nil {
			add("%s: %v", ReportName, err)
		} else {
			res.Report = rep
			res.Problems = append(res.Problems, shardProblems(rep, res.Fingerprint)...)
		}
	}

	// Signature.
	res.Signed = c.signature != nil
	if pub != nil {
		switch {
		case !res.Signed:
			add("%s is missing: the bundle is unsigned but a public key was given", SignatureName)
		case c.manifest == nil:
			// already reported
		case len(c.signature) != ed25519.SignatureSize:
			add("%s: %d bytes, want a %d-byte ed25519 signature", SignatureName, len(c.signature), ed25519.SignatureSize)
		case !ed25519.Verify(pub, c.manifest, c.signature):
			add("%s does not verify with the given public key: %s was altered or signed by another key", SignatureName, ManifestName)
		default:
			res.SignatureVerified = true
		}
	}

	if !res.OK() {
		return res, fmt.Errorf("%w: %s: %s", ErrVerification, name, strings.Join(res.Problems, "; "))
	}
	return res, nil
}

// shardProblems refuses a bundle that certifies part of a sharded run: a
// lone shard's report, or a merged one whose shards or fingerprint do not
// cover every shard once.
func shardProblems(rep *reports.Report, fp *reports.Environment) []string {
	var out []string
	if s := rep.Shard; s != nil && s.Total > 1 {
		out = append(out, fmt.Sprintf("%s is shard %d/%d alone: merge every shard's report (edgeproof report merge) and bundle the result", ReportName, s.Index, s.Total))
	}
	if err := reports.ShardSet(rep.Environment.Shards); err != nil {
		out = append(out, fmt.Sprintf("%s: %v", ReportName, err))
	}
	if fp != nil {
		if err := reports.ShardSet(fp.Shards); err != nil {
			out = append(out, fmt.Sprintf("%s: %v", FingerprintName, err))
		}
		if !sameShards(fp.Shards, rep.Environment.Shards) {
			out = append(out, fmt.Sprintf("%s and %s name different shards", FingerprintName, ReportName))
		}
	}
	return out
}

func sameShards(a, b []reports.ShardEnvironment) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Index != b[i].Index || a[i].Total != b[i].Total || !a[i].Suite.Started.Equal(b[i].Suite.Started) {
			return false
		}
	}
	return true
}

func sortedKeys(m manifest) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
