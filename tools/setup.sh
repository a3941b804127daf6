#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Install what Hostvisor needs (Debian 12 packages, only those missing), configure and build.
# Used by tools/run.sh and tools/test.sh; safe to run again.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir=${HOSTVISOR_BUILDDIR:-$here/build}

# Build tools and libraries.
packages=(meson ninja-build pkg-config gcc libglib2.0-dev libglib2.0-dev-bin libglib2.0-bin
          libjson-glib-dev libxml2-dev libxml2-utils libosinfo-1.0-dev osinfo-db)
# Running guests.
packages+=(qemu-system-x86 qemu-system-gui qemu-utils ovmf seabios ipxe-qemu)
# The desktop app and the SDL viewer.
packages+=(libgtk-4-dev libadwaita-1-dev libvncserver-dev libsdl2-dev gettext desktop-file-utils
           appstream)
# UI tests: a real window under Xvfb, driven and read through the accessibility tree
# (x11-utils: xwininfo, which finds the SDL viewer's window in test-remote).
packages+=(xvfb xauth xdotool imagemagick x11-utils at-spi2-core dbus dbus-x11 python3-gi
           gir1.2-atspi-2.0 gir1.2-gtk-4.0)
# Tests: the tiny guest (kernel + busybox), boot media, helpers.
packages+=(xorriso xclip debootstrap dbus-bin valgrind)
# Old-guest tests: boot sectors and the probe floppy (as, ld, objcopy), FAT floppies (mkfs.fat,
# mcopy); real old media: GRUB's rescue floppy (grub-rescue-pc), memtest86+.
packages+=(binutils dosfstools mtools)
packages+=(linux-image-amd64 busybox-static grub-rescue-pc memtest86+ cpio kmod gzip python3 procps psmisc file
           util-linux)
# The agent's Wayland clipboard test: a headless compositor with data-control and its clients.
packages+=(sway wl-clipboard)
# Networks: DHCP for host-only and internal networks, bridges and taps, test namespaces.
packages+=(dnsmasq-base iproute2 iputils-ping curl)
# Export to libvirt: the test validates the domain and boots it on a real libvirt session.
packages+=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients)
# Engines on other hosts: the client runs ssh; test-remote.sh runs its own sshd (in a network
# namespace, with its own config) as the second host. Debian's package would also start and
# enable the system's sshd: when this script installs it, it turns that service off again
# (below), so that setting up Hostvisor never opens this machine to SSH logins.
packages+=(openssh-client openssh-server)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
  if [[ " ${missing[*]} " == *" openssh-server "* ]] && [ -d /run/systemd/system ]; then
    echo "Turning off the system's sshd that openssh-server enabled (the tests run their own)"
    "${sudo[@]}" systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true
  fi
fi

if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" "$here"
fi
ninja -C "$builddir"
