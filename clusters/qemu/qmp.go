package qemu

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/digitalocean/go-qemu/qmp"
)

// QMP sends one QMP command (e.g. {"execute":"stop"}) to the VM and
// returns its "return" value. The connection lives for this command
// only: QMP faults are rare, and a long-lived monitor would have to
// survive VM restarts.
func (vm *VM) QMP(ctx context.Context, command string) (json.RawMessage, error) {
	mon, err := qmp.NewSocketMonitor("unix", vm.Config.qmpPath(), 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("VM %s: connecting to QMP: %w", vm.Config.Name, err)
	}
	if err := mon.Connect(); err != nil {
		return nil, fmt.Errorf("VM %s: QMP handshake: %w", vm.Config.Name, err)
	}
	defer mon.Disconnect()
	type result struct {
		raw []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		raw, err := mon.Run([]byte(command))
		done <- result{raw, err}
	}()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("VM %s: QMP %s: %w", vm.Config.Name, command, r.err)
		}
		var resp struct {
			Return json.RawMessage `json:"return"`
		}
		if err := json.Unmarshal(r.raw, &resp); err != nil {
			return nil, fmt.Errorf("VM %s: QMP %s: parsing %q: %w", vm.Config.Name, command, r.raw, err)
		}
		return resp.Return, nil
	}
}

// qmpRun runs a command whose answer does not matter (quit may close the
// socket before QEMU's reply arrives).
func (vm *VM) qmpRun(ctx context.Context, command string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := vm.QMP(ctx, command)
	return err
}
