package qemu

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// FwCfgName is the QEMU fw_cfg entry the guest reads its environment
// from (/sys/firmware/qemu_fw_cfg/by_name/opt/edgeproof/env/raw).
const FwCfgName = "opt/edgeproof/env"

// Keys of the guest environment understood by the disk's first-boot units.
const (
	// EnvNodeName becomes the hostname (and, later, the Kubernetes node name).
	EnvNodeName = "NODE_NAME"
	// EnvNodeAddress is a static eth0 address in CIDR form; empty means DHCP.
	EnvNodeAddress = "NODE_ADDRESS"
	// EnvNodeGateway is the default gateway with a static address.
	EnvNodeGateway = "NODE_GATEWAY"
	// EnvNodeDNS is the resolver with a static address.
	EnvNodeDNS = "NODE_DNS"
)

var envKeyRE = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)

// RenderEnv renders env as KEY='value' lines, sorted by key, that both
// the guest's /bin/sh (which sources the file) and systemd's
// EnvironmentFile= read the same way. Values are single-quoted with no
// escapes, so a value holding a quote, a backslash, a newline or a NUL is
// refused rather than mangled.
func RenderEnv(env map[string]string) ([]byte, error) {
	keys := make([]string, 0, len(env))
	for k := range env {
		if !envKeyRE.MatchString(k) {
			return nil, fmt.Errorf("guest env key %q: want upper-case letters, digits and _", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		v := env[k]
		if strings.ContainsAny(v, "'\\\n\r\x00") {
			return nil, fmt.Errorf("guest env %s=%q: quotes, backslashes, newlines and NULs are not allowed", k, v)
		}
		fmt.Fprintf(&b, "%s='%s'\n", k, v)
	}
	return []byte(b.String()), nil
}
