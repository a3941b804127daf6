#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# UI test: the app over SSH (docs/remote.md, "In the app"). The second host of test-remote.sh
# (tests/integration/remote-host.sh: sshd in a network namespace, a user with this build)
# holds the tiny guest, made there with hostvisorctl --connect; the local library holds
# another VM. `hostvisor --connect ssh://hu<pid>remote@IP:PORT` shows the remote library only,
# starts the guest, shows its screen (Vm.ReadScreenshot) and its console (VNC through a second
# ssh), powers it off; the remote engine killed, the banner says the connection was lost and
# the app reconnects; an unreachable address (typed in the switcher's dialog) is said in the
# banner; This Computer shows the local library again. TAP output; screenshots land in
# $HV_ARTIFACTS. Needs root and sshd (skips without them), and the packages of ui-lib.sh.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Users of this run's own (hu<pid>remote…): test-remote.sh's (hvremote…) or another run of
# this test (another build directory) may be in use beside us.
export REMOTE_HOST_PREFIX="hu$$"
# shellcheck source=ui-lib.sh
source "$here/ui-lib.sh"
# shellcheck source=../integration/remote-host.sh
source "$HV_SRCDIR/tests/integration/remote-host.sh"
remote_host_require
export HOSTVISOR_IDLE_EXIT=120
export HOSTVISOR_NO_KVM=1

tiny_guest || { echo "Bail out! the tiny guest could not be built"; exit 1; }
REMOTE_HOST_NEXT_CLEANUP=ui_cleanup
# Its checks go to a log: the TAP lines are the Python side's.
remote_host_setup >"$HV_TMP/remote-host.tap" 2>&1
if grep -q "^not ok" "$HV_TMP/remote-host.tap"; then
  echo "Bail out! the second host could not be set up"
  sed 's/^/# /' "$HV_TMP/remote-host.tap"
  exit 1
fi

# Files of the second host for its file chooser in the app (Engine.ListDirectory): a folder
# in the remote user's home with an ISO and a text file, owned by that user.
export HV_REMOTE_HOME="$R/home-$RH_REMOTE"
mkdir -p "$HV_REMOTE_HOME/isos" &&
  cp /usr/lib/grub-rescue/grub-rescue-cdrom.iso "$HV_REMOTE_HOME/isos/remote-disc.iso" &&
  echo notes >"$HV_REMOTE_HOME/isos/notes.txt" &&
  chown -R "$RH_REMOTE:" "$HV_REMOTE_HOME/isos" ||
  { echo "Bail out! could not make the remote host's files"; exit 1; }

export HV_REMOTE="ssh://$RH_REMOTE@$REMOTE_IP:$PORT"
export HV_REMOTE_USER="$RH_REMOTE" HV_REMOTE_IP="$REMOTE_IP" HV_REMOTE_PORT="$PORT"
export HV_SSHD_PID="$SSHD_PID"
if ! "$CTL" --connect "$HV_REMOTE" create tinyr --disk-size 1 --memory 128 --kernel "$KERNEL" \
     --initrd "$INITRD" --cmdline "console=ttyS0 quiet hv.heartbeat=1" >/dev/null; then
  echo "Bail out! could not create the remote VM with hostvisorctl --connect"
  exit 1
fi
if ! "$CTL" create localvm --no-disk --memory 64 >/dev/null; then
  echo "Bail out! could not create the local VM with hostvisorctl"
  exit 1
fi
run_session "$here/test-remote-ui.py"
