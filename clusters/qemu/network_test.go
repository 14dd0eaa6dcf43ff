package qemu

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"
)

const inspectOut = `[{"Name":"edgeproof-edge","Id":"0123456789abcdef0123","Options":{"com.docker.network.bridge.enable_ip_masquerade":"true"},
"IPAM":{"Config":[{"Subnet":"172.19.0.0/16","Gateway":"172.19.0.1"}]},
"Containers":{"x":{"IPv4Address":"172.19.0.2/16"},"y":{"IPv4Address":"172.19.255.253/16"}}}]`

func TestParseBridgeAndVMAddress(t *testing.T) {
	b, err := parseBridge("edgeproof-edge", []byte(inspectOut))
	if err != nil {
		t.Fatal(err)
	}
	if b.Bridge != "br-0123456789ab" || b.Subnet.String() != "172.19.0.0/16" || b.Gateway.String() != "172.19.0.1" {
		t.Fatalf("parsed %+v", b)
	}
	if a, err := b.vmAddress(0); err != nil || a.String() != "172.19.255.254" {
		t.Fatalf("slot 0: %v %v", a, err)
	}
	// A container holds slot 1's address: an error, not a clash.
	if _, err := b.vmAddress(1); err == nil || !strings.Contains(err.Error(), "held by a container") {
		t.Fatalf("slot 1: %v", err)
	}
	if a, err := b.vmAddress(2); err != nil || a.String() != "172.19.255.252" {
		t.Fatalf("slot 2: %v %v", a, err)
	}
	small, _ := parseBridge("n", []byte(strings.Replace(inspectOut, "172.19.0.0/16", "172.19.0.0/30", 1)))
	if _, err := small.vmAddress(1); err == nil {
		t.Fatal("a /30 has room for one VM only")
	}
	if _, err := parseBridge("n", []byte(`[{"Id":"abc","IPAM":{"Config":[{"Subnet":"fc00::/64"}]}}]`)); err == nil {
		t.Fatal("an IPv6-only network must be refused")
	}
}

func TestTapName(t *testing.T) {
	a, b := tapName("edge/edge-arm64-1"), tapName("edge/edge-arm64-2")
	if a == b || len(a) > 15 || tapName("edge/edge-arm64-1") != a {
		t.Fatalf("tap names %q %q", a, b)
	}
}

func TestNodeLabels(t *testing.T) {
	got := nodeLabels(EdgeNodeSpec{Zone: "edge-c", Labels: map[string]string{"edgeproof.dev/board": "rpi4"}})
	if got != "edgeproof.dev/board=rpi4,edgeproof.dev/provider=qemu,edgeproof.dev/tier=edge,topology.kubernetes.io/zone=edge-c" {
		t.Fatal(got)
	}
}

func TestCACertHash(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kubernetes"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	spki, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	sum := sha256.Sum256(spki)
	got, err := caCertHash(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	if err != nil || got != "sha256:"+hex.EncodeToString(sum[:]) {
		t.Fatalf("hash %q %v", got, err)
	}
	if _, err := caCertHash([]byte("not pem")); err == nil {
		t.Fatal("garbage must fail")
	}
}
