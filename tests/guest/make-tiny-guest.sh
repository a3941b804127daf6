#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# make-tiny-guest.sh OUTDIR [--extra-file SRC:DEST ...]
#
# Builds (and caches in OUTDIR) a tiny Linux guest for tests from Debian 12 packages installed on
# this machine: OUTDIR/vmlinuz (the newest /boot/vmlinuz-*) and OUTDIR/initrd.img (a gzip'd newc
# cpio with a static busybox, tests/guest/init as /init and the kernel modules the guest needs).
# OUTDIR/stamp holds a hash of every input; when it matches, nothing is rebuilt.
#
# Environment: HOSTVISOR_GUEST_KVER picks a kernel version other than the newest installed one.
# Needs no root: only coreutils, cpio, gzip (and xz/zstd if the kernel's modules are compressed).

set -euo pipefail

prog=${0##*/}
die () { echo "$prog: error: $*" >&2; exit 1; }
usage () { echo "usage: $prog OUTDIR [--extra-file SRC:DEST ...]" >&2; exit 2; }

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
script_path="$script_dir/${BASH_SOURCE[0]##*/}"
init_src="$script_dir/init"

# Modules /init loads, in this order after their dependencies.  button + evdev give the ACPI
# power button as /dev/input/event*, which /init watches so that QMP system_powerdown works.
wanted_modules=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
                virtio_console netfs fscache 9pnet 9pnet_virtio 9p virtio_blk virtio_net
                failover net_failover fuse virtiofs button evdev)
# Network card drivers for every adapter model, loaded when this kernel has them (Debian's
# amd64 kernel has no ISA "ne" driver: an ne2k_isa card stays without one).
optional_modules=(mii e1000 e1000e 8139cp 8139too pcnet32 8390 ne2k_pci ne)

[ $# -ge 1 ] || usage
outdir=$1
shift
case $outdir in -*) usage ;; esac

extra_specs=()
while [ $# -gt 0 ]; do
  case $1 in
    --extra-file)
      [ $# -ge 2 ] || usage
      extra_specs+=("$2")
      shift 2
      ;;
    --extra-file=*)
      extra_specs+=("${1#--extra-file=}")
      shift
      ;;
    -h|--help) usage ;;
    *) die "unknown argument '$1'" ;;
  esac
done

for tool in cpio gzip awk sha256sum find sort stat touch mktemp; do
  command -v "$tool" >/dev/null 2>&1 || \
    die "'$tool' is missing (install the cpio, gzip, mawk and coreutils packages)"
done
[ -r "$init_src" ] || die "$init_src is missing"

# --- inputs ---------------------------------------------------------------------------------------

busybox=/bin/busybox
[ -x "$busybox" ] || die "$busybox not found: install the Debian package 'busybox-static'"
# A dynamically linked busybox (package 'busybox') would not run in the initramfs.
if command -v ldd >/dev/null 2>&1 && LC_ALL=C ldd "$busybox" 2>&1 | grep -q '=>'; then
  die "$busybox is dynamically linked: install the Debian package 'busybox-static'"
fi

if [ -n "${HOSTVISOR_GUEST_KVER:-}" ]; then
  kver=$HOSTVISOR_GUEST_KVER
else
  kver=$(for k in /boot/vmlinuz-*; do
           if [ -e "$k" ]; then echo "${k#/boot/vmlinuz-}"; fi
         done | sort -V | tail -n1)
fi
[ -n "$kver" ] || die "no /boot/vmlinuz-* found: install the Debian package 'linux-image-amd64'"
kernel=/boot/vmlinuz-$kver
moddir=/lib/modules/$kver
[ -r "$kernel" ] || die "$kernel is missing or unreadable: install 'linux-image-amd64'"
[ -r "$moddir/modules.dep" ] || \
  die "$moddir/modules.dep is missing: the modules of kernel $kver are not installed" \
      "('linux-image-amd64')"

# Module name -> path (relative to $moddir) and names of its dependencies, from modules.dep.
# awk does the parsing: a shell loop over the ~4000 lines with a subshell each is far too slow.
declare -A mod_path mod_deps builtin
modname_awk='function modname(p) {
  sub(/.*\//, "", p); sub(/\.ko.*$/, "", p); gsub(/-/, "_", p); return p
}'
while read -r name path deps; do
  mod_path[$name]=$path
  mod_deps[$name]=$deps
done < <(awk "$modname_awk"' {
           sub(/:$/, "", $1)
           line = modname($1) " " $1
           for (i = 2; i <= NF; i++) line = line " " modname($i)
           print line
         }' "$moddir/modules.dep")
if [ -r "$moddir/modules.builtin" ]; then
  while read -r name; do
    builtin[$name]=1
  done < <(awk "$modname_awk"' { print modname($1) }' "$moddir/modules.builtin")
fi

# Depth-first walk: a module comes after everything it depends on.
declare -A visited
load_order=()
visit () {
  local m=$1 d
  [ -z "${visited[$m]:-}" ] || return 0
  visited[$m]=1
  if [ -n "${builtin[$m]:-}" ]; then
    return 0
  fi
  [ -n "${mod_path[$m]:-}" ] || \
    die "kernel module '$m' is neither in $moddir/modules.dep nor built in"
  for d in ${mod_deps[$m]}; do visit "$d"; done
  load_order+=("$m")
}
for m in "${wanted_modules[@]}"; do visit "$m"; done
for m in "${optional_modules[@]}"; do
  if [ -n "${mod_path[$m]:-}" ] || [ -n "${builtin[$m]:-}" ]; then visit "$m"; fi
done

# Parse --extra-file specs now so that a bad one fails before any work.
extra_src=()
extra_dest=()
for spec in "${extra_specs[@]+"${extra_specs[@]}"}"; do
  case $spec in *:*) ;; *) die "--extra-file wants SRC:DEST, got '$spec'" ;; esac
  src=${spec%:*}
  dest=${spec##*:}
  if [ -z "$src" ] || [ -z "$dest" ]; then
    die "--extra-file wants SRC:DEST, got '$spec'"
  fi
  case $dest in /*) ;; *) dest=/$dest ;; esac
  case "/$dest/" in
    */../*|*/./*) die "--extra-file destination '$dest' must be a plain path" ;;
  esac
  [ -e "$src" ] || die "--extra-file source '$src' does not exist"
  extra_src+=("$src")
  extra_dest+=("$dest")
done

# --- cache check ----------------------------------------------------------------------------------

hash_tree () {
  # Content, mode and relative name of every file under $1 (or of $1 itself).
  if [ -d "$1" ]; then
    (cd "$1" && find -L . -type f -print0 | LC_ALL=C sort -z | \
       while IFS= read -r -d '' f; do
         printf '%s %s %s\n' "$f" "$(stat -L -c %a "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)"
       done)
  else
    printf '%s %s\n' "$(stat -L -c %a "$1")" "$(sha256sum < "$1" | cut -d' ' -f1)"
  fi
}

stamp=$(
  {
    echo "format 1"
    echo "kver $kver"
    echo "kernel $(sha256sum < "$kernel")"
    echo "busybox $(sha256sum < "$busybox")"
    echo "script $(sha256sum < "$script_path")"
    echo "init $(sha256sum < "$init_src")"
    for m in "${load_order[@]}"; do echo "module $m $(sha256sum < "$moddir/${mod_path[$m]}")"; done
    for i in "${!extra_src[@]}"; do
      echo "extra ${extra_dest[$i]}"
      hash_tree "${extra_src[$i]}"
    done
  } | sha256sum | cut -d' ' -f1
)

mkdir -p "$outdir" || die "cannot create $outdir"
outdir=$(cd "$outdir" && pwd)

is_fresh () {
  [ -f "$outdir/stamp" ] && [ -f "$outdir/vmlinuz" ] && [ -f "$outdir/initrd.img" ] && \
    [ "$(cat "$outdir/stamp")" = "$stamp" ]
}

# Serialise concurrent builds into the same OUTDIR (tests may run in parallel).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$outdir/.lock"
  flock 9
fi

if is_fresh; then
  exit 0
fi

# --- build ----------------------------------------------------------------------------------------

# Left over by a build killed with SIGKILL; we hold the lock, so none is in use.
rm -rf "$outdir"/.build.*
tmp=$(mktemp -d "$outdir/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT HUP TERM
root=$tmp/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,mnt,run,etc,lib/modules}
chmod 1777 "$root/tmp"

cp "$busybox" "$root/bin/busybox"
chmod 755 "$root/bin/busybox"
# Applet symlinks are made at build time so that /init can use plain command names at once.
for applet in $("$busybox" --list-full); do
  case $applet in busybox|bin/busybox) continue ;; esac
  [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
[ -e "$root/bin/sh" ] || ln -s busybox "$root/bin/sh"

install -m 755 "$init_src" "$root/init"

# Modules go in flat as NAME.ko, decompressed: busybox insmod cannot read .ko.xz/.ko.zst.
: > "$root/lib/modules/load-order"
for m in "${load_order[@]}"; do
  src=$moddir/${mod_path[$m]}
  dst=$root/lib/modules/$m.ko
  case $src in
    *.ko) cp "$src" "$dst" ;;
    *.ko.xz)
      command -v xz >/dev/null 2>&1 || die "$src is xz-compressed: install 'xz-utils'"
      xz -dc "$src" > "$dst" ;;
    *.ko.zst)
      command -v zstd >/dev/null 2>&1 || die "$src is zstd-compressed: install 'zstd'"
      zstd -qdc "$src" > "$dst" ;;
    *.ko.gz) gzip -dc "$src" > "$dst" ;;
    *) die "unknown module format: $src" ;;
  esac
  echo "$m" >> "$root/lib/modules/load-order"
done
echo "$kver" > "$root/lib/modules/kernel-version"

cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
PASSWD
cat > "$root/etc/group" <<'GROUP'
root:x:0:
GROUP
echo hv-guest > "$root/etc/hostname"

# busybox udhcpc runs this with $1 = deconfig, bound, renew or leasefail.
mkdir -p "$root/usr/share/udhcpc" "$root/www"
cat > "$root/usr/share/udhcpc/default.script" <<'DHCP'
#!/bin/sh
case $1 in
  deconfig)
    ip -4 addr flush dev "$interface"
    ip link set "$interface" up
    ;;
  bound|renew)
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    for r in $router; do ip route replace default via "$r" dev "$interface"; break; done
    : > /etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done
    echo "HOSTVISOR-GUEST: lease $interface $ip/${mask:-24}" > /dev/console
    ;;
  leasefail)
    echo "HOSTVISOR-GUEST: lease failed $interface" > /dev/console
    ;;
esac
exit 0
DHCP
chmod 755 "$root/usr/share/udhcpc/default.script"
echo "hostvisor tiny guest page" > "$root/www/index.html"

for i in "${!extra_src[@]}"; do
  dest=$root${extra_dest[$i]}
  mkdir -p "$(dirname "$dest")"
  if [ -d "${extra_src[$i]}" ]; then
    mkdir -p "$dest"
    cp -RL "${extra_src[$i]}/." "$dest/"
  else
    rm -f "$dest"
    cp -L "${extra_src[$i]}" "$dest"
  fi
done

# No device nodes are needed in the archive: the kernel's built-in initramfs provides
# /dev/console, and /init mounts devtmpfs.
# Fixed times and order: the same inputs give the same bytes.
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | \
   cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -9n > "$tmp/initrd.img"
cp "$kernel" "$tmp/vmlinuz"
echo "$stamp" > "$tmp/stamp"

# Replace the outputs one by one, the stamp last: a build killed in between leaves no stamp,
# so the next run rebuilds instead of trusting a mixed guest.
rm -f "$outdir/stamp"
mv -f "$tmp/vmlinuz" "$outdir/vmlinuz"
mv -f "$tmp/initrd.img" "$outdir/initrd.img"
mv -f "$tmp/stamp" "$outdir/stamp"
