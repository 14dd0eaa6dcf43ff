package certify

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// KeyFormat is how a key file is encoded.
type KeyFormat int

const (
	// PEM is PKCS#8 ("PRIVATE KEY") or PKIX ("PUBLIC KEY") in PEM, the form
	// OpenSSL reads and writes.
	PEM KeyFormat = iota
	// Base64 is standard base64 of the raw key: the 32-byte seed for a
	// private key, the 32-byte point for a public key. It fits in a CI secret.
	Base64
)

// PEM block types.
const (
	pemPrivate = "PRIVATE KEY"
	pemPublic  = "PUBLIC KEY"
)

// GenerateKey makes a new ed25519 key pair for signing bundles.
func GenerateKey() (ed25519.PublicKey, ed25519.PrivateKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate ed25519 key: %w", err)
	}
	return pub, priv, nil
}

// MarshalPrivateKey encodes key in format f.
func MarshalPrivateKey(key ed25519.PrivateKey, f KeyFormat) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("private key has %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	switch f {
	case PEM:
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, fmt.Errorf("encode private key: %w", err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: pemPrivate, Bytes: der}), nil
	case Base64:
		return []byte(base64.StdEncoding.EncodeToString(key.Seed()) + "\n"), nil
	}
	return nil, fmt.Errorf("unknown key format %d", f)
}

// MarshalPublicKey encodes key in format f.
func MarshalPublicKey(key ed25519.PublicKey, f KeyFormat) ([]byte, error) {
	if len(key) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("public key has %d bytes, want %d", len(key), ed25519.PublicKeySize)
	}
	switch f {
	case PEM:
		der, err := x509.MarshalPKIXPublicKey(key)
		if err != nil {
			return nil, fmt.Errorf("encode public key: %w", err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: pemPublic, Bytes: der}), nil
	case Base64:
		return []byte(base64.StdEncoding.EncodeToString(key) + "\n"), nil
	}
	return nil, fmt.Errorf("unknown key format %d", f)
}

// ParsePrivateKey reads a private key in either format: PEM PKCS#8, or
// base64 of the 32-byte seed or the 64-byte seed-and-public-key form.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	data = bytes.TrimSpace(data)
	if block, _ := pem.Decode(data); block != nil {
		if block.Type == pemPublic {
			return nil, errors.New("private key: this is a public key")
		}
		if block.Type != pemPrivate {
			return nil, fmt.Errorf("private key: PEM block %q, want %q", block.Type, pemPrivate)
		}
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("private key: %w", err)
		}
		priv, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("private key: %T, want ed25519", k)
		}
		return priv, nil
	}
	raw, err := base64.StdEncoding.DecodeString(string(data))
	if err != nil {
		return nil, fmt.Errorf("private key: neither PEM nor base64: %w", err)
	}
	switch len(raw) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(raw), nil
	case ed25519.PrivateKeySize:
		priv := ed25519.NewKeyFromSeed(raw[:ed25519.SeedSize])
		// The second half must be the seed's public key, or the file is corrupt.
		if !bytes.Equal(priv, raw) {
			return nil, errors.New("private key: public half does not match the seed")
		}
		return priv, nil
	}
	return nil, fmt.Errorf("private key: %d bytes after base64, want %d (seed) or %d", len(raw), ed25519.SeedSize, ed25519.PrivateKeySize)
}

// ParsePublicKey reads a public key in either format: PEM PKIX, or base64 of
// the 32-byte key.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	data = bytes.TrimSpace(data)
	if block, _ := pem.Decode(data); block != nil {
		if block.Type == pemPrivate {
			return nil, errors.New("public key: this is a private key; give the public key")
		}
		if block.Type != pemPublic {
			return nil, fmt.Errorf("public key: PEM block %q, want %q", block.Type, pemPublic)
		}
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("public key: %w", err)
		}
		pub, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("public key: %T, want ed25519", k)
		}
		return pub, nil
	}
	raw, err := base64.StdEncoding.DecodeString(string(data))
	if err != nil {
		return nil, fmt.Errorf("public key: neither PEM nor base64: %w", err)
	}
	if len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("public key: %d bytes after base64, want %d", len(raw), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(raw), nil
}

// WritePrivateKeyFile writes key to a new file at path, readable only by its
// owner. It refuses to overwrite an existing file, so a key is never lost by
// accident; remove the file first to replace it.
func WritePrivateKeyFile(path string, key ed25519.PrivateKey, f KeyFormat) error {
	b, err := MarshalPrivateKey(key, f)
	if err != nil {
		return err
	}
	return writeNew(path, b, 0o600)
}

// WritePublicKeyFile writes key to a new file at path; like
// WritePrivateKeyFile it refuses to overwrite.
func WritePublicKeyFile(path string, key ed25519.PublicKey, f KeyFormat) error {
	b, err := MarshalPublicKey(key, f)
	if err != nil {
		return err
	}
	return writeNew(path, b, 0o644)
}

// ReadPrivateKeyFile reads a private key file in either format.
func ReadPrivateKeyFile(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read private key: %w", err)
	}
	k, err := ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// ReadPublicKeyFile reads a public key file in either format.
func ReadPublicKeyFile(path string) (ed25519.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read public key: %w", err)
	}
	k, err := ParsePublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("write key: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("write key %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("write key %s: %w", path, err)
	}
	return nil
}
