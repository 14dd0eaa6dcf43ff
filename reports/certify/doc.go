// Package certify packs an edgeproof report into a certification bundle and
// verifies such bundles.
//
// A bundle is a gzip-compressed tar file holding:
//
//	report/...          every file of the report directory
//	scenarios/NAME      each scenario file the run used
//	fingerprint.json    the environment fingerprint (reports.Environment)
//	MANIFEST            "SHA256  PATH" lines for every file above, as sha256sum writes them
//	MANIFEST.sig        raw 64-byte ed25519 signature of MANIFEST, when signed
//
// Bundles are reproducible: the same inputs and key give the same bytes.
// After extraction, `sha256sum -c MANIFEST` checks the files, and
// `openssl pkeyutl -verify -pubin -inkey PUB.pem -rawin -in MANIFEST -sigfile MANIFEST.sig`
// checks the signature of a PEM public key written by this package.
package certify

import "github.com/edgeproof/edgeproof/reports"

// Names inside a bundle.
const (
	// ManifestName is the manifest of file hashes.
	ManifestName = "MANIFEST"
	// SignatureName is the ed25519 signature of the manifest.
	SignatureName = "MANIFEST.sig"
	// FingerprintName is the environment fingerprint as JSON.
	FingerprintName = "fingerprint.json"
	// ReportPrefix is the folder holding the report directory's files.
	ReportPrefix = "report/"
	// ScenarioPrefix is the folder holding the scenario files.
	ScenarioPrefix = "scenarios/"
	// ReportName is the run's report.json inside the bundle; verify reads
	// the certification verdict from it.
	ReportName = ReportPrefix + reports.JSONFile
)
