#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Installs the Hostvisor guest tools from this disc: run as root inside the guest,
#   sh /media/cdrom/install.sh            (install and start)
#   sh /media/cdrom/install.sh --uninstall
set -eu

here=$(cd "$(dirname "$0")" && pwd)
sbin=/usr/local/sbin
unit_dir=/etc/systemd/system

if [ "$(id -u)" != 0 ]; then
  echo "install.sh: run me as root (sudo sh $0)" >&2
  exit 1
fi

if [ "${1:-}" = "--uninstall" ]; then
  if command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now hostvisor-agent.service 2>/dev/null || true
  fi
  rm -f "$sbin/hostvisor-agent" "$unit_dir/hostvisor-agent.service" \
    /etc/xdg/autostart/hostvisor-agent.desktop
  if command -v systemctl >/dev/null 2>&1; then
    systemctl daemon-reload || true
  fi
  echo "Hostvisor guest tools removed."
  exit 0
fi

case $(uname -m) in
  x86_64) ;;
  *) echo "install.sh: this disc has an x86_64 agent; this guest is $(uname -m)" >&2; exit 1 ;;
esac

mkdir -p "$sbin"
# Copy then rename, so a running agent is never overwritten in place.
cp "$here/hostvisor-agent" "$sbin/.hostvisor-agent.new"
chmod 0755 "$sbin/.hostvisor-agent.new"
mv -f "$sbin/.hostvisor-agent.new" "$sbin/hostvisor-agent"

if [ -f "$here/hostvisor-agent.desktop" ]; then
  mkdir -p /etc/xdg/autostart
  cp "$here/hostvisor-agent.desktop" /etc/xdg/autostart/hostvisor-agent.desktop
  chmod 0644 /etc/xdg/autostart/hostvisor-agent.desktop
fi

if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  mkdir -p "$unit_dir"
  cp "$here/hostvisor-agent.service" "$unit_dir/hostvisor-agent.service"
  chmod 0644 "$unit_dir/hostvisor-agent.service"
  systemctl daemon-reload
  systemctl enable hostvisor-agent.service
  systemctl restart hostvisor-agent.service
  echo "Hostvisor guest agent installed and started (systemctl status hostvisor-agent)."
else
  echo "Hostvisor guest agent installed in $sbin."
  echo "This system does not run systemd: start '$sbin/hostvisor-agent' at boot"
  echo "(for example from /etc/rc.local); it detaches by itself."
fi
