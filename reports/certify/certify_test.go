package certify

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgeproof/edgeproof/reports"
)

// testInputs builds a report directory (from the reports fixture) with an
// artifact, plus two scenario files.
func testInputs(t *testing.T) Inputs {
	t.Helper()
	r, err := reports.Load(filepath.Join("..", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	return inputsFor(t, r)
}

func inputsFor(t *testing.T, r *reports.Report) Inputs {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "report")
	if err := reports.WriteAll(r, dir); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(dir, "artifacts", "gateway-partition", "gateway.log"), "gateway up\ngateway down\n")
	a := filepath.Join(root, "node-reboot.yaml")
	b := filepath.Join(root, "gateway-partition.yaml")
	mustWrite(t, a, "name: node-reboot\n")
	mustWrite(t, b, "name: gateway-partition\n")
	return Inputs{ReportDir: dir, ScenarioFiles: []string{a, b}}
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func newKey(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func bundle(t *testing.T, in Inputs, key ed25519.PrivateKey) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bundle.tar.gz")
	if err := Bundle(out, in, key); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGoodSignedBundle(t *testing.T) {
	pub, priv := newKey(t)
	in := testInputs(t)
	res, err := Verify(bundle(t, in, priv), pub)
	if err != nil {
		t.Fatalf("good bundle failed: %v", err)
	}
	if !res.OK() || !res.Signed || !res.SignatureVerified {
		t.Errorf("result = %+v", res)
	}
	var names []string
	for _, f := range res.Files {
		names = append(names, f.Path)
	}
	want := []string{
		"fingerprint.json",
		"report/artifacts/gateway-partition/gateway.log",
		"report/index.html", "report/junit.xml", "report/report.json", "report/summary.md",
		"scenarios/gateway-partition.yaml", "scenarios/node-reboot.yaml",
	}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("files = %v\nwant    %v", names, want)
	}
	if res.Fingerprint == nil || res.Fingerprint.KubernetesVersion != "v1.33.1" || len(res.Fingerprint.Nodes) != 3 {
		t.Errorf("fingerprint = %+v", res.Fingerprint)
	}
}

func TestUnsignedBundle(t *testing.T) {
	path := bundle(t, testInputs(t), nil)
	res, err := Verify(path, nil)
	if err != nil {
		t.Fatalf("unsigned bundle without key: %v", err)
	}
	if res.Signed || res.SignatureVerified {
		t.Errorf("result = %+v", res)
	}
	pub, _ := newKey(t)
	expectProblem(t, path, pub, "MANIFEST.sig is missing")
}

func TestExplicitFingerprint(t *testing.T) {
	in := testInputs(t)
	in.Fingerprint = &reports.Environment{EdgeproofVersion: "v9", Provider: "qemu"}
	res, err := Verify(bundle(t, in, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Fingerprint.Provider != "qemu" {
		t.Errorf("fingerprint = %+v, want the one given", res.Fingerprint)
	}
}

func TestTamperedFile(t *testing.T) {
	pub, priv := newKey(t)
	path := bundle(t, testInputs(t), priv)
	repack(t, path, func(es []entry) []entry {
		for i := range es {
			if es[i].name == "report/summary.md" {
				es[i].data[10] ^= 0x01
			}
		}
		return es
	})
	err := expectProblem(t, path, pub, "report/summary.md: content changed: sha256 is ")
	if strings.Count(err.Error(), "content changed") != 1 {
		t.Errorf("one changed byte should give one problem: %v", err)
	}
	// Without a key the manifest still catches it.
	expectProblem(t, path, nil, "report/summary.md: content changed")
}

func TestAddedFile(t *testing.T) {
	pub, priv := newKey(t)
	path := bundle(t, testInputs(t), priv)
	repack(t, path, func(es []entry) []entry {
		return append(es, entry{name: "report/zz-extra.txt", data: []byte("not certified\n")})
	})
	expectProblem(t, path, pub, "report/zz-extra.txt: extra file, not listed in MANIFEST")
}

func TestMissingFile(t *testing.T) {
	path := bundle(t, testInputs(t), nil)
	repack(t, path, func(es []entry) []entry {
		var out []entry
		for _, e := range es {
			if e.name != "scenarios/node-reboot.yaml" {
				out = append(out, e)
			}
		}
		return out
	})
	expectProblem(t, path, nil, "scenarios/node-reboot.yaml: listed in MANIFEST but missing from the bundle")
}

func TestWrongKey(t *testing.T) {
	_, priv := newKey(t)
	other, _ := newKey(t)
	expectProblem(t, bundle(t, testInputs(t), priv), other, "MANIFEST.sig does not verify with the given public key")
}

// TestRewrittenManifest is the attack a signature exists for: change a file
// and its manifest line consistently.
func TestRewrittenManifest(t *testing.T) {
	pub, priv := newKey(t)
	path := bundle(t, testInputs(t), priv)
	repack(t, path, func(es []entry) []entry {
		m := manifest{}
		for i := range es {
			if es[i].name == "scenarios/node-reboot.yaml" {
				es[i].data = []byte("name: something-else\n")
			}
		}
		for _, e := range es {
			if e.name != ManifestName && e.name != SignatureName {
				m[e.name] = sha(e.data)
			}
		}
		for i := range es {
			if es[i].name == ManifestName {
				es[i].data = m.encode()
			}
		}
		return es
	})
	if _, err := Verify(path, nil); err != nil {
		t.Fatalf("without a key a consistent rewrite cannot be seen, yet: %v", err)
	}
	expectProblem(t, path, pub, "MANIFEST.sig does not verify")
}

func TestHeaderTampering(t *testing.T) {
	path := bundle(t, testInputs(t), nil)
	repack(t, path, func(es []entry) []entry {
		es[0].mode = 0o755
		return es
	})
	expectProblem(t, path, nil, "fingerprint.json: tar header altered: mode 0755")
}

// tinyBundle is a signed bundle small enough to try every byte of.
func tinyBundle(t *testing.T) ([]byte, ed25519.PublicKey) {
	t.Helper()
	pub, priv := newKey(t)
	r := &reports.Report{
		SchemaVersion: reports.SchemaVersion,
		Suite:         reports.Suite{Name: "tiny"},
		Environment:   reports.Environment{EdgeproofVersion: "dev"},
	}
	in := inputsFor(t, r)
	in.ReportDir = t.TempDir()
	if err := reports.WriteJSON(r, in.ReportDir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(bundle(t, in, priv))
	if err != nil {
		t.Fatal(err)
	}
	return b, pub
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// TestEveryArchiveByteMatters changes each byte of the uncompressed archive
// in turn (file contents, tar headers, padding, end blocks), recompresses,
// and expects every change to fail verification.
func TestEveryArchiveByteMatters(t *testing.T) {
	good, pub := tinyBundle(t)
	plain, err := gunzip(good)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	// Stored (level 0) blocks keep the canonical gzip header and cost little.
	zw, _ := gzip.NewWriterLevel(&buf, gzip.NoCompression)
	for i := range plain {
		bad := bytes.Clone(plain)
		bad[i] ^= 0x01
		buf.Reset()
		zw.Reset(&buf)
		zw.Write(bad)
		zw.Close()
		// In memory: thousands of runs through the file system would dominate.
		if _, err := verify(&buf, "changed", pub); !errors.Is(err, ErrVerification) {
			t.Fatalf("changing archive byte %d of %d went unnoticed (err = %v)", i, len(plain), err)
		}
	}
}

// TestCompressedByteFlips flips each byte of the .tar.gz file. Deflate has a
// few spare bits that decode to the same bytes; such a flip changes nothing
// that is certified. Every other flip must fail verification.
func TestCompressedByteFlips(t *testing.T) {
	good, pub := tinyBundle(t)
	plain, err := gunzip(good)
	if err != nil {
		t.Fatal(err)
	}
	silent := 0
	for i := range good {
		bad := bytes.Clone(good)
		bad[i] ^= 0x01
		if _, err := verify(bytes.NewReader(bad), "flipped", pub); errors.Is(err, ErrVerification) {
			continue
		} else if err != nil {
			t.Fatalf("byte %d: unexpected error kind: %v", i, err)
		}
		if same, _ := gunzip(bad); !bytes.Equal(same, plain) {
			t.Fatalf("flipping byte %d of %d changed the archive but verified", i, len(good))
		}
		silent++
	}
	t.Logf("%d of %d flips failed verification; %d only touched spare deflate bits", len(good)-silent, len(good), silent)
}

func TestTrailingData(t *testing.T) {
	path := bundle(t, testInputs(t), nil)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("junk"))
	f.Close()
	expectProblem(t, path, nil, "4 bytes of extra data after the compressed archive")
}

func TestReproducible(t *testing.T) {
	_, priv := newKey(t)
	in := testInputs(t)
	a, _ := os.ReadFile(bundle(t, in, priv))
	b, _ := os.ReadFile(bundle(t, in, priv))
	if !bytes.Equal(a, b) {
		t.Error("two bundles of the same inputs differ")
	}
}

func TestBundleErrors(t *testing.T) {
	in := testInputs(t)
	dup := in
	dup.ScenarioFiles = append(dup.ScenarioFiles, filepath.Join(t.TempDir(), "x", filepath.Base(in.ScenarioFiles[0])))
	mustWrite(t, dup.ScenarioFiles[2], "other\n")
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	for name, c := range map[string]struct {
		in   Inputs
		key  ed25519.PrivateKey
		want string
	}{
		"no report dir":      {Inputs{}, nil, "no report directory"},
		"no report.json":     {Inputs{ReportDir: t.TempDir()}, nil, "report.json"},
		"missing scenario":   {Inputs{ReportDir: in.ReportDir, ScenarioFiles: []string{"/nonexistent.yaml"}}, nil, "nonexistent.yaml"},
		"duplicate scenario": {dup, nil, "would both be stored as scenarios/node-reboot.yaml"},
		"short key":          {in, ed25519.PrivateKey{1, 2, 3}, "signing key has 3 bytes"},
	} {
		err := Bundle(out, c.in, c.key)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to mention %q", name, err, c.want)
		}
		if _, statErr := os.Stat(out); statErr == nil {
			t.Errorf("%s: a failed Bundle left %s behind", name, out)
		}
	}
}

func TestVerifyNotABundle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.tar.gz")
	mustWrite(t, path, "hello, not gzip")
	if _, err := Verify(path, nil); !errors.Is(err, ErrVerification) {
		t.Errorf("err = %v, want ErrVerification", err)
	}
	if _, err := Verify(filepath.Join(t.TempDir(), "absent"), nil); err == nil || errors.Is(err, ErrVerification) {
		t.Errorf("missing file: err = %v, want a plain open error", err)
	}
}

// TestStandardTools checks the documented promise that sha256sum and openssl
// can check an extracted bundle.
func TestStandardTools(t *testing.T) {
	pub, priv := newKey(t)
	path := bundle(t, testInputs(t), priv)
	dir := t.TempDir()
	for _, e := range readEntries(t, path) {
		mustWrite(t, filepath.Join(dir, filepath.FromSlash(e.name)), string(e.data))
	}
	if _, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command("sha256sum", "--strict", "--quiet", "-c", ManifestName)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("sha256sum -c MANIFEST: %v\n%s", err, out)
		}
	}
	if _, err := exec.LookPath("openssl"); err == nil {
		pubPath := filepath.Join(dir, "pub.pem")
		if err := WritePublicKeyFile(pubPath, pub, PEM); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pubPath, "-rawin", "-in", ManifestName, "-sigfile", SignatureName)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("openssl verify: %v\n%s", err, out)
		}
	}
}

func expectProblem(t *testing.T, path string, pub ed25519.PublicKey, want string) error {
	t.Helper()
	res, err := Verify(path, pub)
	if err == nil {
		t.Fatalf("Verify passed, want a failure mentioning %q", want)
	}
	if !errors.Is(err, ErrVerification) {
		t.Errorf("err does not wrap ErrVerification: %v", err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v\nwant it to mention %q", err, want)
	}
	if res.OK() {
		t.Error("Result.OK() is true on failure")
	}
	return err
}

// entry is one file of a bundle, for tests that repack bundles.
type entry struct {
	name string
	data []byte
	mode int64
}

func readEntries(t *testing.T, path string) []entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var es []entry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return es
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, entry{name: h.Name, data: data, mode: h.Mode})
	}
}

// repack rewrites the bundle at path after mutate, with canonical headers.
func repack(t *testing.T, path string, mutate func([]entry) []entry) {
	t.Helper()
	es := mutate(readEntries(t, path))
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range es {
		h := header(e.name, int64(len(e.data)))
		h.Mode = e.mode
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(e.data)
	}
	tw.Close()
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func sha(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestBundleIntoReportDir: `make certify` writes the bundle into the report
// directory; a rerun must not bundle the previous bundle or a leftover
// temporary file.
func TestBundleIntoReportDir(t *testing.T) {
	in := testInputs(t)
	out := filepath.Join(in.ReportDir, "certification.tar.gz")
	mustWrite(t, filepath.Join(in.ReportDir, ".certification.tar.gz.123"), "crashed run")
	for range 2 {
		if err := Bundle(out, in, nil); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Verify(out, nil)
	if err != nil || !res.OK() {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
	for _, f := range res.Files {
		if strings.Contains(f.Path, "certification.tar.gz") {
			t.Errorf("bundle holds %s", f.Path)
		}
	}
}

// A bundle of one shard's report, or of a merge with a shard missing from
// its fingerprint, certifies part of a run and must not verify.
func TestShardedBundles(t *testing.T) {
	load := func(i, n int) *reports.Report {
		r, err := reports.Load(filepath.Join("..", "testdata"))
		if err != nil {
			t.Fatal(err)
		}
		r.Shard = &reports.Shard{Index: i, Total: n}
		var mine []reports.Scenario
		for j, s := range r.Scenarios {
			if j%n == i-1 {
				mine = append(mine, s)
			}
		}
		r.Scenarios = mine
		return r
	}
	t.Run("lone shard", func(t *testing.T) {
		expectProblem(t, bundle(t, inputsFor(t, load(2, 2)), nil), nil, "is shard 2/2 alone")
	})
	merged, err := reports.Merge([]*reports.Report{load(1, 2), load(2, 2)}, func(i int) string { return "shard-x" })
	if err != nil {
		t.Fatal(err)
	}
	t.Run("merged", func(t *testing.T) {
		res, err := Verify(bundle(t, inputsFor(t, merged), nil), nil)
		if err != nil {
			t.Fatalf("merged bundle: %v", err)
		}
		if len(res.Fingerprint.Shards) != 2 {
			t.Errorf("fingerprint records %d shards, want 2", len(res.Fingerprint.Shards))
		}
	})
	t.Run("fingerprint missing a shard", func(t *testing.T) {
		in := inputsFor(t, merged)
		fp := merged.Environment
		fp.Shards = fp.Shards[:1]
		in.Fingerprint = &fp
		expectProblem(t, bundle(t, in, nil), nil, "shard 2/2 is missing")
	})
}
