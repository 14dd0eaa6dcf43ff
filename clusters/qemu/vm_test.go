package qemu

import (
	"regexp"
	"strings"
	"testing"
)

func argPairs(args []string) map[string][]string {
	m := map[string][]string{}
	for i := 0; i+1 < len(args); i++ {
		if strings.HasPrefix(args[i], "-") && !strings.HasPrefix(args[i+1], "-") {
			m[args[i]] = append(m[args[i]], args[i+1])
		}
	}
	return m
}

func TestVMArgs(t *testing.T) {
	d := &Disk{Image: "/c/disk/base.img", Kernel: "/c/disk/vmlinuz", Initrd: "/c/disk/initrd.img"}
	c := VMConfig{Name: "edge-1", Disk: d, RunDir: "/run/e/edge-1", Env: map[string]string{EnvNodeName: "edge-1"}}
	args := c.Args()
	p := argPairs(args)
	for flag, want := range map[string]string{
		"-M": "virt", "-cpu": "cortex-a72", "-smp": "2", "-m": "1536", "-accel": "tcg,tb-size=256",
		"-kernel": d.Kernel, "-initrd": d.Initrd, "-netdev": "user,id=net0",
		"-fw_cfg": "name=opt/edgeproof/env,file=/run/e/edge-1/env",
		"-qmp":    "unix:/run/e/edge-1/qmp.sock,server=on,wait=off",
		"-serial": "chardev:console0",
	} {
		if got := p[flag]; len(got) != 1 || got[0] != want {
			t.Errorf("%s = %v, want %s", flag, got, want)
		}
	}
	if !strings.Contains(strings.Join(p["-drive"], ""), "file=/run/e/edge-1/disk.qcow2,") {
		t.Errorf("VM must boot from its overlay, not the base image: %v", p["-drive"])
	}
	if !strings.Contains(strings.Join(p["-chardev"], ""), "logfile=/run/e/edge-1/serial.log") {
		t.Errorf("serial log: %v", p["-chardev"])
	}
	app := strings.Join(p["-append"], "")
	for _, w := range []string{"console=ttyAMA0", "root=/dev/vda", "net.ifnames=0", "systemd.machine_id=" + machineID("edge-1")} {
		if !strings.Contains(app, w) {
			t.Errorf("kernel command line %q lacks %s", app, w)
		}
	}
	if !contains(args, "-no-reboot") {
		t.Error("-no-reboot: a guest reboot or panic must end QEMU")
	}

	c.Tap, c.CPUs, c.MemoryMiB, c.SerialLog = "eptap0", 1, 1024, "/art/edge-1.log"
	p = argPairs(c.Args())
	if p["-netdev"][0] != "tap,id=net0,ifname=eptap0,script=no,downscript=no" || p["-smp"][0] != "1" || p["-m"][0] != "1024" {
		t.Errorf("tap/size overrides: %v %v %v", p["-netdev"], p["-smp"], p["-m"])
	}
	if !strings.Contains(p["-chardev"][0], "logfile=/art/edge-1.log") {
		t.Errorf("serial log override: %v", p["-chardev"])
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestVMIdentity(t *testing.T) {
	if machineID("a") != machineID("a") || machineID("a") == machineID("b") {
		t.Fatal("machine IDs must be stable per name and differ between VMs")
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(machineID("a")) {
		t.Fatalf("machine ID %q", machineID("a"))
	}
	if !regexp.MustCompile(`^52:54:00(:[0-9a-f]{2}){3}$`).MatchString(macFor("a")) || macFor("a") == macFor("b") {
		t.Fatalf("MAC %q", macFor("a"))
	}
}

func TestBootState(t *testing.T) {
	log := "[    0.000000] Booting Linux on physical CPU 0x0\n[    2.1] Run /init as init process\n[  6.0] systemd[1]: Hostname set\nEDGEPROOF-ENV from=fw_cfg node=edge-1 address=dhcp\n"
	if step, ready, fail := bootState(log, MarkerReady); step != "fw_cfg env read" || ready || fail != "" {
		t.Fatalf("mid-boot: %q %v %q", step, ready, fail)
	}
	ok := log + "EDGEPROOF-CHECK uptime=20.1 kubelet\nEDGEPROOF-READY uptime=31.2 kubelet=v1.34.4 containerd=1.6.20 pause=registry.k8s.io/pause:3.10.1\n"
	if step, ready, fail := bootState(ok, MarkerReady); step != "self-test passed" || !ready || fail != "" {
		t.Fatalf("ready: %q %v %q", step, ready, fail)
	}
	if l := markerLine(ok, MarkerReady); !strings.HasPrefix(l, "EDGEPROOF-READY uptime=31.2") || strings.Contains(l, "\n") {
		t.Fatalf("ready line %q", l)
	}
	bad := log + "EDGEPROOF-FAILED step=pause-image uptime=30: registry.k8s.io/pause:3.10.1 is not in containerd\n"
	if _, ready, fail := bootState(bad, MarkerReady); ready || !strings.Contains(fail, "step=pause-image") {
		t.Fatalf("failed: %v %q", ready, fail)
	}
	panicLog := "Booting Linux on physical CPU\nKernel panic - not syncing: VFS: Unable to mount root fs\n"
	if step, _, fail := bootState(panicLog, MarkerReady); step != "kernel started" || !strings.HasPrefix(fail, "Kernel panic - not syncing") {
		t.Fatalf("panic: %q %q", step, fail)
	}
	if step, _, _ := bootState("", MarkerReady); step != "nothing on the console" {
		t.Fatalf("empty: %q", step)
	}
}

func TestParseUsage(t *testing.T) {
	status := "Name:\tqemu-system-aar\nVmRSS:\t  870400 kB\n"
	stat := "4242 (qemu-system (aa)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 566 0 0 39 19 9 0 100 0 0"
	u, err := parseUsage(status, stat)
	if err != nil {
		t.Fatal(err)
	}
	if u.RSSBytes != 870400*1024 || u.CPUSeconds != 18.0 {
		t.Fatalf("usage %+v", u)
	}
	if _, err := parseUsage("nothing", stat); err == nil {
		t.Fatal("no VmRSS: want an error")
	}
}
