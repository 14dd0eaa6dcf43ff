package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/edgeproof/edgeproof/fixtures/bench"
	"github.com/edgeproof/edgeproof/internal/progress"
)

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Measure the IoT fixtures on loopback"}
	var o bench.Options
	devices := &cobra.Command{
		Use:   "devices",
		Short: "Run devicesim -> gateway -> broker -> sink on loopback and print one JSON line of measurements",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Devices <= 0 {
				return fmt.Errorf("--devices must be > 0, got %d", o.Devices)
			}
			if o.Rate <= 0 {
				return fmt.Errorf("--rate must be > 0, got %g", o.Rate)
			}
			if o.Duration <= 0 {
				return fmt.Errorf("--duration must be > 0, got %s", o.Duration)
			}
			p := progress.New(cmd.ErrOrStderr())
			o.Logf = func(f string, a ...any) { p.Infof("  "+f, a...) }
			res, err := bench.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), res.JSON())
			return nil
		},
	}
	f := devices.Flags()
	f.IntVar(&o.Devices, "devices", 1000, "simulated devices, one MQTT connection each")
	f.Float64Var(&o.Rate, "rate", 1, "messages per second per device")
	f.DurationVar(&o.Duration, "duration", 30*time.Second, "measurement window after all devices connected")
	f.StringVar(&o.Mode, "mode", bench.ModePipeline, "pipeline (devicesim->gateway->broker->sink) or broker-sink (raw throughput)")
	f.IntVar(&o.PayloadSize, "payload", 0, "bytes per message (default 64)")
	cmd.AddCommand(devices)
	return cmd
}
