# kind's base image, rebuilt offline: Debian's systemd, containerd, runc and CNI plugins on the
# debootstrap rootfs (local/debian), plus the files of the kind module's images/base/files (copied
# into the build context as files/). Mirrors sigs.k8s.io/kind images/base/Dockerfile minus downloads.
FROM local/debian:bookworm
RUN export DEBIAN_FRONTEND=noninteractive && apt-get update \
    && apt-get install -y --no-install-recommends systemd systemd-sysv dbus conntrack iptables nftables iproute2 \
       ethtool util-linux mount kmod libseccomp2 pigz fuse-overlayfs e2fsprogs bash ca-certificates jq procps \
       containerd runc containernetworking-plugins \
    && rm -rf /var/lib/apt/lists/*
COPY files/usr/local/bin/ /usr/local/bin/
COPY files/kind/ /kind/
COPY files/etc/ /etc/
# The CNI plugins where kubelet/containerd look for them; containerd and runc where kind's units expect them.
RUN chmod 755 /usr/local/bin/* /kind /kind/bin /kind/bin/* && chmod 644 /etc/containerd/config.toml /etc/crictl.yaml \
    && mkdir -p /opt/cni/bin /etc/cni/net.d /etc/kubernetes/manifests /kind/manifests \
    && for p in host-local loopback ptp portmap bridge; do ln -sf /usr/lib/cni/$p /opt/cni/bin/$p; done \
    && ln -sf /usr/bin/containerd /usr/local/bin/containerd && ln -sf /usr/sbin/runc /usr/local/sbin/runc \
    && find /lib/systemd/system/sysinit.target.wants/ -name "systemd-tmpfiles-setup.service" -delete \
    && rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* \
             /lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/sockets.target.wants/*udev* \
             /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/* \
    && echo "ReadKMsg=no" >> /etc/systemd/journald.conf \
    && ln -sf /usr/lib/systemd/systemd /sbin/init \
    && ctr oci spec | jq '.hooks.createContainer[.hooks.createContainer| length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' \
       | jq 'del(.process.rlimits)' > /etc/containerd/cri-base.json \
    && systemctl enable kubelet.service containerd.service undo-mount-hacks.service && systemctl mask systemd-binfmt.service
# Same cause as runc-capfix: containerd may not raise oom_score_adj without CAP_SYS_RESOURCE.
RUN sed -i "s/restrict_oom_score_adj = false/restrict_oom_score_adj = true/" /etc/containerd/config.toml \
    && grep -q "restrict_oom_score_adj = true" /etc/containerd/config.toml
ENV container=docker
STOPSIGNAL SIGRTMIN+3
ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]
