package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgeproof/edgeproof/internal/repo"
	"github.com/edgeproof/edgeproof/reports"
	"github.com/edgeproof/edgeproof/reports/certify"
)

func TestCertifyBundle(t *testing.T) {
	r, err := reports.Load(filepath.Join("..", "..", "reports", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := reports.WriteAll(r, dir); err != nil {
		t.Fatal(err)
	}
	pub, priv, err := certify.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(t.TempDir(), "k")
	if err := certify.WritePrivateKeyFile(key+".key", priv, certify.PEM); err != nil {
		t.Fatal(err)
	}
	t.Setenv(repo.EnvRoot, filepath.Join("..", ".."))

	var out bytes.Buffer
	cmd := newRoot()
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"certify", "bundle", "--artifacts", dir, "--key", key + ".key"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(dir, "certification.tar.gz")
	if !strings.Contains(out.String(), "bundle "+bundle+" (signed") || !strings.Contains(out.String(), "sha256 ") {
		t.Errorf("output:\n%s", out.String())
	}
	res, err := certify.Verify(bundle, pub)
	if err != nil || !res.OK() || !res.SignatureVerified {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
	var names []string
	for _, f := range res.Files {
		names = append(names, f.Path)
	}
	for _, want := range []string{"scenarios/node-power-loss.yaml", "scenarios/certify.yaml", "report/report.json", certify.FingerprintName} {
		if !strings.Contains(strings.Join(names, "\n"), want) {
			t.Errorf("bundle lacks %s; has %v", want, names)
		}
	}

	// verify prints the run's verdict; the fixed report has a failed run.
	out.Reset()
	cmd = newRoot()
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"certify", "verify", bundle})
	err = cmd.Execute()
	if err == nil || !strings.Contains(err.Error(), "intact, but its run did not pass") {
		t.Errorf("verify of a failed run: err = %v", err)
	}
	for _, want := range []string{
		"verified, ", "verdict: FAILED: 1 of 3 scenarios passed, 1 failed, 1 skipped; 5 of 6 objectives held",
		"  failed  gateway-partition: ", `gateway-partition: objective "no message loss": `,
		"  skipped qemu-arm64-power-cut: host has no /dev/kvm",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("verify output lacks %q:\n%s", want, out.String())
		}
	}

	cmd = newRoot()
	cmd.SetArgs([]string{"certify", "bundle", "--artifacts", dir, "--scenarios", "nope/*.yaml"})
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "matches no file") {
		t.Errorf("a glob matching nothing: err = %v", err)
	}
}
