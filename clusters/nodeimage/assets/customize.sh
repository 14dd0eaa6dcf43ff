#!/bin/sh
# Runs inside the base image build: turns a Debian rootfs into a kind node
# base the way kind's own base image is laid out.
set -eu
chmod 755 /kind /kind/bin
# Debian installs containerd and CNI plugins where kind does not look.
ln -sf /usr/bin/containerd /usr/local/bin/containerd
ln -sf /usr/bin/ctr /usr/local/bin/ctr
rm -rf /opt/cni/bin && mkdir -p /opt/cni && ln -s /usr/lib/cni /opt/cni/bin
# No fuse-overlayfs snapshotter in this image.
rm -f /etc/systemd/system/containerd-fuse-overlayfs.service
# A container boots systemd without udev, getty or tmpfiles setup.
find /lib/systemd/system/sysinit.target.wants/ -name systemd-tmpfiles-setup.service -delete
rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* \
      /lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/sockets.target.wants/*udev* \
      /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/*
echo "ReadKMsg=no" >> /etc/systemd/journald.conf
[ -e /sbin/init ] || ln -s /usr/lib/systemd/systemd /sbin/init
systemctl enable kubelet.service containerd.service undo-mount-hacks.service
systemctl mask systemd-binfmt.service
mkdir -p /etc/kubernetes/manifests /kind/manifests
# The base runtime spec for pods: containerd's default plus kind's hook.
ctr oci spec | jq '.hooks.createContainer += [{"path": "/kind/bin/mount-product-files.sh"}] | del(.process.rlimits)' > /etc/containerd/cri-base.json
rm -rf /var/cache/apt/archives/*.deb /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/*
