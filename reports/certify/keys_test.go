package certify

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyFilesRoundTrip(t *testing.T) {
	pub, priv := newKey(t)
	for _, f := range []KeyFormat{PEM, Base64} {
		dir := t.TempDir()
		privPath, pubPath := filepath.Join(dir, "key"), filepath.Join(dir, "key.pub")
		if err := WritePrivateKeyFile(privPath, priv, f); err != nil {
			t.Fatal(err)
		}
		if err := WritePublicKeyFile(pubPath, pub, f); err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(privPath); fi.Mode().Perm() != 0o600 {
			t.Errorf("format %d: private key mode %v, want 0600", f, fi.Mode().Perm())
		}
		gotPriv, err := ReadPrivateKeyFile(privPath)
		if err != nil {
			t.Fatal(err)
		}
		gotPub, err := ReadPublicKeyFile(pubPath)
		if err != nil {
			t.Fatal(err)
		}
		if !priv.Equal(gotPriv) || !pub.Equal(gotPub) {
			t.Errorf("format %d: keys changed in a write/read round trip", f)
		}
		if err := WritePrivateKeyFile(privPath, priv, f); err == nil {
			t.Errorf("format %d: overwrote an existing private key", f)
		}
	}
}

func TestKeyFormats(t *testing.T) {
	pub, priv := newKey(t)
	pemPriv, _ := MarshalPrivateKey(priv, PEM)
	pemPub, _ := MarshalPublicKey(pub, PEM)
	if !bytes.HasPrefix(pemPriv, []byte("-----BEGIN PRIVATE KEY-----")) || !bytes.HasPrefix(pemPub, []byte("-----BEGIN PUBLIC KEY-----")) {
		t.Errorf("PEM headers:\n%s%s", pemPriv, pemPub)
	}
	b64, _ := MarshalPrivateKey(priv, Base64)
	if got, err := ParsePrivateKey(b64); err != nil || !got.Equal(priv) {
		t.Errorf("base64 seed: %v", err)
	}
	full := []byte(strings.TrimSpace(string(mustB64(priv))))
	if got, err := ParsePrivateKey(full); err != nil || !got.Equal(priv) {
		t.Errorf("base64 64-byte key: %v", err)
	}
	for name, c := range map[string]struct {
		parse func([]byte) error
		in    []byte
		want  string
	}{
		"public as private": {parsePriv, pemPub, "this is a public key"},
		"private as public": {parsePub, pemPriv, "this is a private key"},
		"garbage private":   {parsePriv, []byte("not a key!"), "neither PEM nor base64"},
		"short public":      {parsePub, []byte("AAAA"), "3 bytes after base64"},
		"mismatched halves": {parsePriv, mustB64(append(priv.Seed(), make([]byte, 32)...)), "public half does not match"},
		"other PEM block":   {parsePub, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), `PEM block "CERTIFICATE"`},
	} {
		err := c.parse(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to mention %q", name, err, c.want)
		}
	}
	if _, err := MarshalPublicKey(ed25519.PublicKey{1}, PEM); err == nil {
		t.Error("marshalled a 1-byte public key")
	}
}

func parsePriv(b []byte) error { _, err := ParsePrivateKey(b); return err }
func parsePub(b []byte) error  { _, err := ParsePublicKey(b); return err }

func mustB64(b []byte) []byte { return []byte(b64(b)) }

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
