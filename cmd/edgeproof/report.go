package main

import (
	"crypto/ed25519"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/spf13/cobra"

	"github.com/edgeproof/edgeproof/internal/shard"
	"github.com/edgeproof/edgeproof/reports"
	"github.com/edgeproof/edgeproof/reports/certify"
)

func newReportCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "report", Short: "Work with run reports"}
	cmd.AddCommand(&cobra.Command{
		Use:   "render DIR",
		Short: "Rebuild summary.md and index.html in DIR from DIR/report.json",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := reports.Render(args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "rendered %s/%s and %s/%s\n", args[0], reports.SummaryFile, args[0], reports.HTMLFile)
			return nil
		},
	})
	cmd.AddCommand(newReportMergeCmd(), newReportDurationsCmd())
	return cmd
}

func newReportMergeCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "merge --out DIR SHARD_DIR...",
		Short: "Join the report directories of every shard of a run (SHARD=i/N) into one",
		Long: `Merge reads report.json from each shard's directory and writes one
report.json, junit.xml, summary.md and index.html for the whole run into
--out, with each shard's own files under shard-<i>/. It fails, writing
nothing, if a shard is missing or given twice, or if the shards ran other
edgeproof builds or scenario files. Bundle the result with
'edgeproof certify bundle --artifacts DIR'.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("--out is required")
			}
			m, err := reports.MergeDirs(out, args)
			if err != nil {
				return err
			}
			t := m.Totals()
			fmt.Fprintf(cmd.OutOrStdout(), "merged %d shards into %s: %d scenarios, %d passed, %d failed, %d skipped\n",
				len(m.Environment.Shards), out, t.Scenarios, t.Passed, t.Failed, t.Skipped)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "directory to write the merged report into (must not exist)")
	return cmd
}

func newReportDurationsCmd() *cobra.Command {
	var into string
	cmd := &cobra.Command{
		Use:   "durations --into FILE REPORT_DIR...",
		Short: "Record the measured spec durations that balance shards (e2e/durations.yaml)",
		Long: `Durations reads report.json from each directory and writes the wall time
of every spec that passed into FILE, keeping FILE's other entries; later
directories win. Skipped and failed specs can end early, so they are not
measurements and are left out.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if into == "" {
				return fmt.Errorf("--into is required")
			}
			d := shard.Durations{}
			if _, err := os.Stat(into); err == nil {
				if d, err = shard.LoadDurations(into); err != nil {
					return err
				}
			}
			n := 0
			for _, dir := range args {
				r, err := reports.Load(dir)
				if err != nil {
					return err
				}
				for _, s := range r.Scenarios {
					if s.State == reports.StatePassed { // a failure or skip may end early
						d[s.Name] = math.Round(s.Duration.Seconds()*10) / 10
						n++
					}
				}
			}
			if err := d.Write(into); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "recorded %d spec durations in %s (%d in all)\n", n, into, len(d))
			return nil
		},
	}
	cmd.Flags().StringVar(&into, "into", "", "durations file to update, e.g. e2e/durations.yaml")
	return cmd
}

func newCertifyCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "certify", Short: "Create and verify certification bundles"}
	var pubkey string
	verify := &cobra.Command{
		Use:   "verify BUNDLE",
		Short: "Check a bundle's manifest (and signature with --pubkey), then print the run's verdict",
		Long: `Check a certification bundle: every file against MANIFEST, the signature
with --pubkey, and that its report.json is valid; any changed byte fails.
Then print the certification verdict from the bundled report: scenario and
objective counts, and a line per scenario that failed or was skipped.

Exit status is non-zero when the bundle does not verify or when its run did
not pass, so a release gate can rely on it alone. Skipped scenarios are
listed but do not fail the verdict.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var pub ed25519.PublicKey
			if pubkey != "" {
				k, err := certify.ReadPublicKeyFile(pubkey)
				if err != nil {
					return err
				}
				pub = k
			}
			res, err := certify.Verify(args[0], pub)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, p := range res.Problems {
				fmt.Fprintln(out, "problem:", p)
			}
			if !res.OK() {
				return fmt.Errorf("bundle %s: NOT verified (%d problems)", args[0], len(res.Problems))
			}
			sig := "unsigned"
			if res.SignatureVerified {
				sig = "signature verified"
			}
			fmt.Fprintf(out, "bundle %s: verified, %d files, %s\n", args[0], len(res.Files), sig)
			if fp := res.Fingerprint; fp != nil && len(fp.Shards) > 0 {
				fmt.Fprintf(out, "run split over %d shards, each one's environment in %s\n", len(fp.Shards), certify.FingerprintName)
			}
			return printVerdict(out, args[0], res.Report)
		},
	}
	verify.Flags().StringVar(&pubkey, "pubkey", "", "ed25519 public key file (PEM or base64)")
	var prefix string
	keygen := &cobra.Command{
		Use:   "keygen",
		Short: "Write a new ed25519 key pair: PREFIX.key (private, 0600) and PREFIX.pub",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pub, priv, err := certify.GenerateKey()
			if err != nil {
				return err
			}
			if err := certify.WritePrivateKeyFile(prefix+".key", priv, certify.PEM); err != nil {
				return err
			}
			if err := certify.WritePublicKeyFile(prefix+".pub", pub, certify.PEM); err != nil {
				_ = os.Remove(prefix + ".key") // nothing half-written
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s.key and %s.pub\n", prefix, prefix)
			return nil
		},
	}
	keygen.Flags().StringVar(&prefix, "out", "edgeproof-certify", "path prefix of the key files")
	cmd.AddCommand(newCertifyBundleCmd(), verify, keygen)
	return cmd
}

// printVerdict prints the certification verdict of a verified bundle's run
// and returns an error when the run did not pass.
func printVerdict(w io.Writer, bundle string, r *reports.Report) error {
	if err := reports.WriteVerdict(w, r); err != nil {
		return err
	}
	if !r.Passed() {
		t := r.Totals()
		return fmt.Errorf("bundle %s is intact, but its run did not pass (%d failed scenarios, %d of %d objectives held)",
			bundle, t.Failed, t.VerdictsPassed, t.Verdicts)
	}
	return nil
}
