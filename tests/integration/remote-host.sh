#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The second "host" of the SSH tests (test-remote.sh, tests/ui/test-remote-ui.sh): a network
# namespace running Debian's sshd with its own config, host key and authorized keys (all made
# here), and users for whom this build is "installed": hvremote has Hostvisor; hvnoeng has
# not; hvoldver's engine says it speaks contract version 999; hvcut's bridge is cut off after
# 80 bytes. The client side: an ssh wrapper first in PATH with the test's key and
# known_hosts (StrictHostKeyChecking yes), never the person's own ~/.ssh.
#
# Sourced after tests/integration/lib.sh. remote_host_require skips the test (exit 0) without
# root or sshd; remote_host_setup makes it all, with TAP checks of lib.sh (exit 1 on a
# failure), and sets USERS, R, NS, HOST_IP, REMOTE_IP, PORT, SSHD_PID and an EXIT trap that
# undoes it, then calls $REMOTE_HOST_NEXT_CLEANUP (default: lib.sh's cleanup).

SSHD=/usr/sbin/sshd
# The users' names: hvremote, hvnoeng, hvoldver, hvcut; another prefix
# (REMOTE_HOST_PREFIX) for a test that may run beside test-remote.sh.
RH_REMOTE="${REMOTE_HOST_PREFIX:-hv}remote"
RH_NOENG="${REMOTE_HOST_PREFIX:-hv}noeng"
RH_OLDVER="${REMOTE_HOST_PREFIX:-hv}oldver"
RH_CUT="${REMOTE_HOST_PREFIX:-hv}cut"

skip_all () {
  echo "1..0 # SKIP $*"
  exit 0
}

remote_host_require () {
  SSHD=/usr/sbin/sshd

  skip_all () {
    echo "1..0 # SKIP $*"
    exit 0
  }
  [ "$(id -u)" -eq 0 ] || skip_all "needs root to add users and a network namespace"
  [ -x "$SSHD" ] || skip_all "sshd is not installed (openssh-server; tools/setup.sh installs it)"
  command -v ssh >/dev/null && command -v ssh-keygen >/dev/null ||
    skip_all "ssh is not installed (openssh-client; tools/setup.sh installs it)"
}

remote_host_setup () {
# --- The second host ---------------------------------------------------------------------
# Users: hvremote has Hostvisor; hvnoeng has not; hvoldver's engine says it speaks contract
# version 999; hvcut's bridge is cut off after 80 bytes (a connection lost during a call).
USERS=("$RH_REMOTE" "$RH_NOENG" "$RH_OLDVER" "$RH_CUT")
R="$HV_TMP/remote"              # everything of the remote side
NS="${RH_REMOTE}$$"
VETH_HOST="hvr$$h"
VETH_NS="hvr$$n"
NET=$((20 + $$ % 200))
HOST_IP="10.77.$NET.1"
REMOTE_IP="10.77.$NET.2"
PORT=2222
SSHD_PID=""

remote_cleanup () {
  local pid
  # The remote users' engines and VMs first (their own lib.sh is not there to do it).
  for u in "${USERS[@]}"; do
    id "$u" >/dev/null 2>&1 || continue
    for pid in $(pgrep -u "$u" -x hostvisord); do kill -TERM "$pid" 2>/dev/null; done
  done
  for _ in $(seq 1 40); do
    pgrep -u ${RH_REMOTE} -x hostvisord >/dev/null 2>&1 || break
    sleep 0.25
  done
  for u in "${USERS[@]}"; do
    id "$u" >/dev/null 2>&1 || continue
    for pid in $(pgrep -u "$u"); do kill -KILL "$pid" 2>/dev/null; done
  done
  [ -n "$SSHD_PID" ] && kill -TERM "$SSHD_PID" 2>/dev/null
  ip netns delete "$NS" 2>/dev/null
  ip link delete "$VETH_HOST" 2>/dev/null
  for u in "${USERS[@]}"; do
    id "$u" >/dev/null 2>&1 && userdel "$u" 2>/dev/null
  done
  "${REMOTE_HOST_NEXT_CLEANUP:-cleanup}"
}
trap remote_cleanup EXIT

# Users left by a run that was killed: start clean.
for u in "${USERS[@]}"; do
  if id "$u" >/dev/null 2>&1; then
    for pid in $(pgrep -u "$u"); do kill -KILL "$pid" 2>/dev/null; done
    userdel "$u" 2>/dev/null
  fi
done

mkdir -p "$R"
chmod 0755 "$HV_TMP" "$R"
for u in "${USERS[@]}"; do
  # "*": no password, yet not locked (sshd refuses a locked account even with a key).
  useradd --no-create-home --home-dir "$R/home-$u" --shell /bin/sh --password '*' "$u" ||
    { not_ok "add the user $u"; finish; exit 1; }
  # The runtime directory that logind would make (/run/user/UID), beside the home: short,
  # since the engine's sockets (RUNTIME/hostvisor/vms/UUID/serial.sock) must fit the 107
  # bytes of a UNIX socket's path whatever the length of the users' names.
  mkdir -p "$R/home-$u" "$R/run-$u"
  chown "$u:" "$R/home-$u" "$R/run-$u"
  chmod 0700 "$R/home-$u" "$R/run-$u"
done

# Hostvisor "installed" for hvremote: a bin directory in its PATH with this build's
# hostvisorctl (hostvisord is found beside the real program). The wrappers set what a real
# login would: the runtime directory that logind would make, and the test's settings.
wrapper () {   # wrapper USER [EXTRA]
  local u=$1 extra=${2:-} bin="$R/bin-$1"
  mkdir -p "$bin"
  cat >"$bin/hostvisorctl" <<EOF
#!/bin/sh
export XDG_RUNTIME_DIR="$R/run-$u"
mkdir -p "\$XDG_RUNTIME_DIR" && chmod 0700 "\$XDG_RUNTIME_DIR"
export HOSTVISOR_NO_KVM=1 HOSTVISOR_IDLE_EXIT=60 HOSTVISOR_SCHEMA_DIR="$HOSTVISOR_SCHEMA_DIR"
export HOSTVISORD="$HOSTVISORD"
$extra
exec "$HV_BUILDDIR/app/hostvisorctl" "\$@"
EOF
  chmod 0755 "$bin" "$bin/hostvisorctl"
}
wrapper ${RH_REMOTE}
wrapper ${RH_OLDVER} "export HOSTVISOR_TEST_CONTRACT_VERSION=999"
wrapper ${RH_CUT}
# hvcut: its bridge's output stops after 80 bytes, in the middle of the first reply, and the
# bridge is killed: the connection ends during a call (dd with 1-byte blocks passes each byte
# on at once; head would keep them in its buffer).
cat >"$R/bin-${RH_CUT}/hostvisorctl" <<EOF
#!/bin/sh
export XDG_RUNTIME_DIR="$R/run-${RH_CUT}" HOSTVISOR_NO_KVM=1 HOSTVISOR_IDLE_EXIT=60
export HOSTVISOR_SCHEMA_DIR="$HOSTVISOR_SCHEMA_DIR" HOSTVISORD="$HOSTVISORD"
mkdir -p "\$XDG_RUNTIME_DIR" && chmod 0700 "\$XDG_RUNTIME_DIR"
[ "\$1" = bridge ] || exit 2
fifo="$R/home-${RH_CUT}/cut.\$\$"
mkfifo "\$fifo" || exit 1
exec 3<&0   # an asynchronous command of sh reads /dev/null unless told otherwise
"$HV_BUILDDIR/app/hostvisorctl" bridge <&3 >"\$fifo" &
dd bs=1 count=80 status=none <"\$fifo"
kill -KILL \$! 2>/dev/null
rm -f "\$fifo"
EOF

if setpriv --reuid=${RH_REMOTE} --regid=${RH_REMOTE} --clear-groups \
     "$R/bin-${RH_REMOTE}/hostvisorctl" --version >/dev/null 2>&1 &&
   setpriv --reuid=${RH_REMOTE} --regid=${RH_REMOTE} --clear-groups test -r "$KERNEL" -a -r "$INITRD"; then
  ok "${RH_REMOTE} can run this build and read the tiny guest"
else
  not_ok "${RH_REMOTE} can run this build and read the tiny guest (are $HV_BUILDDIR and its parents world-readable?)"
  finish
  exit 1
fi

# The namespace and a cable to it.
ip netns add "$NS" &&
  ip link add "$VETH_HOST" type veth peer name "$VETH_NS" &&
  ip link set "$VETH_NS" netns "$NS" &&
  ip addr add "$HOST_IP/30" dev "$VETH_HOST" && ip link set "$VETH_HOST" up &&
  ip -n "$NS" addr add "$REMOTE_IP/30" dev "$VETH_NS" && ip -n "$NS" link set "$VETH_NS" up &&
  ip -n "$NS" link set lo up
check "a network namespace for the second host ($REMOTE_IP)" test $? -eq 0

# Keys, made here: the host's, and the client's (authorized for every remote user).
ssh-keygen -q -t ed25519 -N '' -C hv-test-host -f "$R/host_key" &&
  ssh-keygen -q -t ed25519 -N '' -C hv-test-client -f "$R/client_key" &&
  cp "$R/client_key.pub" "$R/authorized_keys" && chmod 0644 "$R/authorized_keys"
check "host and client keys" test $? -eq 0
echo "[$REMOTE_IP]:$PORT $(cut -d' ' -f1,2 "$R/host_key.pub")" >"$R/known_hosts"

cat >"$R/sshd_config" <<EOF
ListenAddress $REMOTE_IP:$PORT
HostKey $R/host_key
PidFile none
AuthorizedKeysFile $R/authorized_keys
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers ${USERS[*]}
X11Forwarding no
AllowAgentForwarding no
PermitTTY yes
PrintMotd no
LogLevel VERBOSE
Match User ${RH_REMOTE}
  SetEnv PATH=$R/bin-${RH_REMOTE}:/usr/bin:/bin
Match User ${RH_OLDVER}
  SetEnv PATH=$R/bin-${RH_OLDVER}:/usr/bin:/bin
Match User ${RH_CUT}
  SetEnv PATH=$R/bin-${RH_CUT}:/usr/bin:/bin
EOF
mkdir -p /run/sshd && chmod 0755 /run/sshd
if ! "$SSHD" -t -f "$R/sshd_config" 2>"$HV_TMP/sshd-t.err"; then
  not_ok "the test's sshd config is valid"
  diag "$(cat "$HV_TMP/sshd-t.err")"
  finish
  exit 1
fi
ip netns exec "$NS" "$SSHD" -D -e -f "$R/sshd_config" 2>"$HV_TMP/sshd.log" &
SSHD_PID=$!

# The client: ssh with the test's key and known hosts, strict about the host key, and never
# the person's own ~/.ssh (a wrapper first in PATH, as a person's ssh config would do it).
cat >"$R/ssh_config" <<EOF
Host *
  IdentityFile $R/client_key
  IdentitiesOnly yes
  UserKnownHostsFile $R/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  UpdateHostKeys no
EOF
mkdir -p "$R/client-bin"
printf '#!/bin/sh\nexec %q -F %q "$@"\n' "$(command -v ssh)" "$R/ssh_config" >"$R/client-bin/ssh"
chmod 0755 "$R/client-bin/ssh"
export PATH="$R/client-bin:$PATH"

sshd_listens () {
  ip netns exec "$NS" ss -ltn 2>/dev/null | grep -qF "$REMOTE_IP:$PORT"
}
check "sshd listens in the namespace" wait_until 20 sshd_listens
check "ssh reaches ${RH_REMOTE} there" \
  bash -c "ssh -o BatchMode=yes -p $PORT ${RH_REMOTE}@$REMOTE_IP true"
}
