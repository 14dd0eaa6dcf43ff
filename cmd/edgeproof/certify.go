package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/edgeproof/edgeproof/internal/repo"
	"github.com/edgeproof/edgeproof/reports/certify"
)

// newCertifyBundleCmd is `certify bundle`, the last step of `make certify`.
func newCertifyBundleCmd() *cobra.Command {
	var artifacts, out, key string
	var globs []string
	cmd := &cobra.Command{
		Use:   "bundle --artifacts DIR [--out FILE] [--key K] [--scenarios GLOB]...",
		Short: "Pack a run's reports, scenario files and fingerprint into a tar.gz with a sha256 manifest, signed with --key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if artifacts == "" {
				return errors.New("--artifacts is required (or set $ARTIFACTS)")
			}
			if out == "" {
				out = filepath.Join(artifacts, "certification.tar.gz")
			}
			if len(globs) == 0 {
				root, err := repo.Root()
				if err != nil {
					return fmt.Errorf("default --scenarios: %w", err)
				}
				globs = []string{
					filepath.Join(root, "scenarios", "catalog", "*.yaml"),
					filepath.Join(root, "scenarios", "profiles", "certify.yaml"),
				}
			}
			files, err := expandGlobs(globs)
			if err != nil {
				return err
			}
			var priv ed25519.PrivateKey
			if key != "" {
				if priv, err = certify.ReadPrivateKeyFile(key); err != nil {
					return err
				}
			}
			if err := certify.Bundle(out, certify.Inputs{ReportDir: artifacts, ScenarioFiles: files}, priv); err != nil {
				return err
			}
			sum, err := fileSHA256(out)
			if err != nil {
				return err
			}
			signed := "unsigned"
			if priv != nil {
				signed = "signed"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "bundle %s (%s, %d scenario files)\nsha256 %s\n", out, signed, len(files), sum)
			return nil
		},
	}
	cmd.Flags().StringVar(&artifacts, "artifacts", os.Getenv("ARTIFACTS"), "report directory of the run (report.json and the rest); defaults to $ARTIFACTS")
	cmd.Flags().StringVar(&out, "out", "", "bundle to write (default DIR/certification.tar.gz)")
	cmd.Flags().StringVar(&key, "key", "", "ed25519 private key file to sign the manifest with (see certify keygen)")
	cmd.Flags().StringArrayVar(&globs, "scenarios", nil, "scenario and profile files to bundle, as globs; repeatable (default: the catalog and scenarios/profiles/certify.yaml)")
	return cmd
}

// expandGlobs returns the files the patterns match, in order and without
// repeats; a pattern that matches nothing is an error, so a typo cannot
// silently leave a scenario out of a certificate.
func expandGlobs(globs []string) ([]string, error) {
	var files []string
	for _, g := range globs {
		m, err := filepath.Glob(g)
		if err != nil {
			return nil, fmt.Errorf("--scenarios %q: %w", g, err)
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("--scenarios %q matches no file", g)
		}
		for _, f := range m {
			if !slices.Contains(files, f) {
				files = append(files, f)
			}
		}
	}
	return files, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
