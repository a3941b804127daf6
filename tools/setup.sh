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
# UI tests: a real window under Xvfb, driven and read through the accessibility tree.
packages+=(xvfb xauth xdotool imagemagick at-spi2-core dbus dbus-x11 python3-gi gir1.2-atspi-2.0
           gir1.2-gtk-4.0)
# Tests: the tiny guest (kernel + busybox), boot media, helpers.
packages+=(xorriso xclip debootstrap dbus-bin valgrind)
# Old-guest tests: boot sectors and the probe floppy (as, ld, objcopy), FAT floppies.
packages+=(binutils dosfstools)
packages+=(linux-image-amd64 busybox-static grub-rescue-pc cpio kmod gzip python3 procps psmisc file
           util-linux)
# The agent's Wayland clipboard test: a headless compositor with data-control and its clients.
packages+=(sway wl-clipboard)
# Networks: DHCP for host-only and internal networks, bridges and taps, test namespaces.
packages+=(dnsmasq-base iproute2 iputils-ping curl)
# Engines on other hosts: the client runs ssh; test-remote.sh runs its own sshd (in a network
# namespace, with its own config) as the second host. On a machine with systemd, installing
# openssh-server also enables the system's sshd: disable it (systemctl disable --now ssh) if
# that machine should not accept SSH logins.
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
fi

if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" "$here"
fi
ninja -C "$builddir"
