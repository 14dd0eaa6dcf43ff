package chaos

import (
	"errors"
	"fmt"

	"github.com/edgeproof/edgeproof/scenarios"
)

// WorkloadFaultError is returned for faults that are workload actions, not
// node or pod faults: device-storm, device-load, rolling-update, and uplink
// faults at layer proxy (toxiproxy beside the gateway). The engine routes
// them to the workload driver.
type WorkloadFaultError struct {
	// Kind is the fault's kind.
	Kind scenarios.FaultKind
}

// Error says the fault is the workload driver's.
func (e *WorkloadFaultError) Error() string {
	return fmt.Sprintf("%s is not a node fault: handled by the workload driver", e.Kind)
}

// UnsupportedError is returned when a backend cannot inject a fault here;
// Reason says why (the same words Preflight gives).
type UnsupportedError struct {
	// Kind is the fault's kind.
	Kind scenarios.FaultKind
	// Backend is the backend that refused it.
	Backend string
	// Reason says why, for the skip report.
	Reason string
}

// Error names the kind, the backend and the reason.
func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("%s unsupported by the %s backend: %s", e.Kind, e.Backend, e.Reason)
}

// IsWorkloadFault reports whether err says the fault belongs to the
// workload driver.
func IsWorkloadFault(err error) bool {
	var w *WorkloadFaultError
	return errors.As(err, &w)
}

// IsUnsupported reports whether err says the fault cannot run here, and
// returns the reason.
func IsUnsupported(err error) (string, bool) {
	var u *UnsupportedError
	if errors.As(err, &u) {
		return u.Reason, true
	}
	return "", false
}

// WorkloadKind reports whether the workload driver, not a chaos backend,
// injects f.
func WorkloadKind(f scenarios.Fault) bool {
	switch f.Kind {
	case scenarios.DeviceStorm, scenarios.DeviceLoad, scenarios.RollingUpdate:
		return true
	case scenarios.UplinkShape, scenarios.UplinkFlap:
		return f.Uplink != nil && f.Uplink.Layer == scenarios.LayerProxy
	}
	return false
}

// ErrNotInForce marks a fault's effect that was checked from outside and
// found absent.
var ErrNotInForce = errors.New("effect absent")

// NotInForce is how an injection's error says its effect was checked and
// found absent, as opposed to a check that could not be made.
const NotInForce = "is not in force"
