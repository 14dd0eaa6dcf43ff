// Command edgeproof-vmagent runs in edgeproof's arm64 QEMU nodes and
// executes the host's commands received on the virtio-serial port
// /dev/virtio-ports/edgeproof.agent (see clusters/qemu/vmagent).
package main

import (
	"context"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/edgeproof/edgeproof/clusters/qemu/vmagent"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	dev := "/dev/virtio-ports/" + vmagent.PortName
	for ctx.Err() == nil {
		f, err := os.OpenFile(dev, os.O_RDWR, 0)
		if err != nil {
			// The port appears once udev has run; a VM started without it
			// simply has no agent.
			time.Sleep(time.Second)
			continue
		}
		err = vmagent.Serve(ctx, f)
		f.Close()
		if err != nil && ctx.Err() == nil {
			log.Printf("agent: %v; reopening %s", err, dev)
			time.Sleep(time.Second)
		}
	}
}
