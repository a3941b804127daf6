#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# make-x11-guest.sh OUTDIR [--agent PATH]
#
# Builds (and caches in OUTDIR) a Debian 12 guest with a real X11 clipboard for the clipboard
# tests: debootstrap (minbase) with Xvfb and xclip, tests/guest-x11/hv-init as its init, the
# kernel modules it needs from the host's kernel, and the static hostvisor-agent. Outputs:
#
#   OUTDIR/image.raw   raw ext4 disk image (sparse) of the root file system; boot it with
#                      root=/dev/vda rw console=ttyS0 init=/hv-init
#   OUTDIR/vmlinuz     the host's kernel          OUTDIR/initrd.img   the host's initramfs
#
# Two cache levels, each with a hash stamp of its inputs, each built in a temporary folder and
# renamed into place: OUTDIR/rootfs (debootstrap: slow, network; its .debs are kept in
# OUTDIR/debs so that a rebuild downloads nothing) and the image (seconds: agent, init, modules).
# The image is the cache: users copy it before booting (the guest writes to its disk).
#
# Exit status 77 means "cannot be built here" (not root, no debootstrap, the Debian archive is
# unreachable), with the reason on stderr; tests report that as a skip.
#
# Environment: HOSTVISOR_DEBIAN_MIRROR overrides the mirror read from apt's sources;
# HOSTVISOR_GUEST_KVER picks a kernel other than the newest in /boot.

set -euo pipefail

prog=${0##*/}
die () { echo "$prog: error: $*" >&2; exit 1; }
cannot () { echo "$prog: cannot build the X11 guest here: $*" >&2; exit 77; }
usage () { echo "usage: $prog OUTDIR [--agent PATH]" >&2; exit 2; }

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
script_path="$script_dir/${BASH_SOURCE[0]##*/}"
init_src="$script_dir/hv-init"

suite=bookworm
# kmod: insmod for the modules below. The rest is what the clipboard tests run.
packages=xvfb,xclip,xauth,x11-xserver-utils,procps,iproute2,kmod
# Loaded by hv-init. The initramfs already loaded virtio, virtio_pci, virtio_blk and ext4
# for the root disk; virtio_console carries the agent's port, button + evdev the power button.
guest_modules=(virtio_console button evdev)
image_size=1536M

[ $# -ge 1 ] || usage
outdir=$1
shift
case $outdir in -*) usage ;; esac
agent=""
while [ $# -gt 0 ]; do
  case $1 in
    --agent) [ $# -ge 2 ] || usage; agent=$2; shift 2 ;;
    --agent=*) agent=${1#--agent=}; shift ;;
    -h|--help) usage ;;
    *) die "unknown argument '$1'" ;;
  esac
done
[ -n "$agent" ] || die "--agent PATH is required"
[ -x "$agent" ] || die "the agent '$agent' is not an executable file"
[ -r "$init_src" ] || die "$init_src is missing"

for tool in sha256sum mke2fs find sort mktemp awk cp; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is missing (coreutils, e2fsprogs, mawk)"
done

# --- the kernel -----------------------------------------------------------------------------------

if [ -n "${HOSTVISOR_GUEST_KVER:-}" ]; then
  kver=$HOSTVISOR_GUEST_KVER
else
  kver=$(for k in /boot/vmlinuz-*; do
           if [ -e "$k" ]; then echo "${k#/boot/vmlinuz-}"; fi
         done | sort -V | tail -n1)
fi
[ -n "$kver" ] || cannot "no /boot/vmlinuz-* (install the Debian package 'linux-image-amd64')"
kernel=/boot/vmlinuz-$kver
initrd=/boot/initrd.img-$kver
moddir=/lib/modules/$kver
[ -r "$kernel" ] || cannot "$kernel is not readable"
[ -r "$initrd" ] || cannot "$initrd is missing (Debian's initramfs-tools makes it)"
[ -r "$moddir/modules.dep" ] || cannot "$moddir/modules.dep is missing"

# Module name -> file, from modules.dep (names use '_', files may use '-').
module_files=()
for m in "${guest_modules[@]}"; do
  f=$(awk -v want="$m" '{
        p = $1; sub(/:$/, "", p); n = p; sub(/.*\//, "", n); sub(/\.ko.*$/, "", n)
        gsub(/-/, "_", n); if (n == want) { print p; exit }
      }' "$moddir/modules.dep")
  if [ -z "$f" ]; then
    # Built into this kernel: nothing to load.
    grep -q "/$m.ko" "$moddir/modules.builtin" 2>/dev/null || die "kernel module '$m' not found"
    continue
  fi
  module_files+=("$moddir/$f")
done

# --- the rootfs's inputs --------------------------------------------------------------------------

# What debootstrap makes depends on these alone (the image level below hashes this script):
# bump "rootfs format" when changing how the rootfs is made.
rootfs_stamp=$(printf 'rootfs format 1\nsuite %s\npackages %s\narch %s\n' \
                 "$suite" "$packages" "$(uname -m)" | sha256sum | cut -d' ' -f1)

hash_modules () {
  local f
  for f in "${module_files[@]+"${module_files[@]}"}"; do
    echo "module ${f##*/} $(sha256sum <"$f" | cut -d' ' -f1)"
  done
}
image_stamp=$(
  {
    echo "image format 1"
    echo "rootfs $rootfs_stamp"
    echo "script $(sha256sum <"$script_path")"
    echo "init $(sha256sum <"$init_src")"
    echo "agent $(sha256sum <"$agent")"
    echo "kver $kver"
    echo "kernel $(sha256sum <"$kernel")"
    echo "initrd $(sha256sum <"$initrd")"
    echo "size $image_size"
    hash_modules
  } | sha256sum | cut -d' ' -f1
)

mkdir -p "$outdir" || die "cannot create $outdir"
outdir=$(cd "$outdir" && pwd)

# One build at a time per OUTDIR.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$outdir/.lock"
  flock 9
fi

image_fresh () {
  [ -f "$outdir/image.stamp" ] && [ -f "$outdir/image.raw" ] && [ -f "$outdir/vmlinuz" ] &&
    [ -f "$outdir/initrd.img" ] && [ "$(cat "$outdir/image.stamp")" = "$image_stamp" ]
}
rootfs_fresh () {
  [ -f "$outdir/rootfs.stamp" ] && [ -d "$outdir/rootfs" ] &&
    [ "$(cat "$outdir/rootfs.stamp")" = "$rootfs_stamp" ]
}

if image_fresh; then
  echo "$prog: cached: $outdir/image.raw"
  exit 0
fi

# Left over by a build that was killed; we hold the lock, so none is in use.
rm -rf "$outdir"/.build.*
tmp=$(mktemp -d "$outdir/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT HUP TERM

# --- level 1: the rootfs (debootstrap) ------------------------------------------------------------

# The first http(s) or file URI of apt's sources that serves the suite: this machine reaches the
# archive through it (a local mirror or proxy), so it is the one debootstrap must use too.
apt_mirror () {
  local f
  {
    # One-line format: deb [options] URI SUITE COMPONENT...
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -r "$f" ] || continue
      awk -v suite="$suite" '
        $1 == "deb" {
          i = 2
          if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
          if ($(i + 1) == suite) print $i
        }' "$f"
    done
    # deb822 format: stanzas of "Field: value", separated by blank lines.
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -r "$f" ] || continue
      awk -v suite="$suite" '
        function flush() {
          if (types ~ /(^| )deb( |$)/ && enabled != "no") {
            n = split(suites, s, " ")
            for (j = 1; j <= n; j++) if (s[j] == suite) { split(uris, u, " "); print u[1]; break }
          }
          types = ""; uris = ""; suites = ""; enabled = ""
        }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { flush(); next }
        {
          key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
          if (key == "types") types = $0
          else if (key == "uris") uris = $0
          else if (key == "suites") suites = $0
          else if (key == "enabled") enabled = tolower($0)
        }
        END { flush() }' "$f"
    done
  } | grep -E '^(https?|file):' | head -n1
}

build_rootfs () {
  local mirror proxy keyring keyring_opt rc
  [ "$(id -u)" -eq 0 ] || cannot "debootstrap needs root (run the test as root, as CI does)"
  command -v debootstrap >/dev/null 2>&1 ||
    cannot "debootstrap is not installed (apt-get install debootstrap)"
  mirror=${HOSTVISOR_DEBIAN_MIRROR:-$(apt_mirror)}
  [ -n "$mirror" ] || cannot "no Debian mirror for '$suite' in /etc/apt/sources.list{,.d}"
  mirror=${mirror%/}
  # apt may reach the mirror through a proxy: debootstrap (wget) needs to know it too.
  if command -v apt-config >/dev/null 2>&1; then
    proxy=$(apt-config shell p Acquire::http::Proxy | sed -n "s/^p='\(.*\)'$/\1/p")
    if [ -n "$proxy" ] && [ "$proxy" != DIRECT ]; then export http_proxy=$proxy; fi
  fi
  echo "$prog: mirror $mirror"
  # A quick look first, so that "no network" is a clear skip and not a debootstrap failure.
  if [ -x /usr/lib/apt/apt-helper ]; then
    if ! timeout 60 /usr/lib/apt/apt-helper download-file "$mirror/dists/$suite/Release" \
           "$tmp/Release" >"$tmp/probe.log" 2>&1; then
      cannot "the Debian archive is unreachable ($mirror/dists/$suite/Release:" \
             "$(tail -n1 "$tmp/probe.log"))"
    fi
  fi
  keyring_opt=()
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [ -r "$keyring" ] && keyring_opt=(--keyring="$keyring")
  mkdir -p "$outdir/debs"
  echo "$prog: debootstrap $suite (this takes minutes; log: $tmp/debootstrap.log)"
  rc=0
  debootstrap --variant=minbase --include="$packages" --cache-dir="$outdir/debs" \
    "${keyring_opt[@]+"${keyring_opt[@]}"}" \
    "$suite" "$tmp/rootfs" "$mirror" >"$tmp/debootstrap.log" 2>&1 || rc=$?
  if [ $rc -ne 0 ]; then
    tail -n 30 "$tmp/debootstrap.log" >&2
    if grep -qiE "Failed getting release file|Couldn't download|unable to resolve|name resolution|Connection refused|Network is unreachable|Connection timed out" \
         "$tmp/debootstrap.log"; then
      cannot "debootstrap could not download from $mirror"
    fi
    die "debootstrap failed (exit $rc)"
  fi
  # The apt lists and caches are not needed in the guest: a smaller image boots the same.
  rm -rf "$tmp/rootfs/var/cache/apt/archives/"*.deb "$tmp/rootfs/var/lib/apt/lists/"*
  rm -rf "$outdir/rootfs" "$outdir/rootfs.stamp"
  mv "$tmp/rootfs" "$outdir/rootfs"
  echo "$rootfs_stamp" >"$outdir/rootfs.stamp"
}

if ! rootfs_fresh; then
  build_rootfs
fi

# --- level 2: the disk image ----------------------------------------------------------------------

# The image gets its own copy of the rootfs plus our files; mke2fs -d fills the file system
# from it without root, loop devices or mounts.
stage=$tmp/stage
mkdir -p "$stage"
cp -a "$outdir/rootfs/." "$stage/"
install -m 755 "$init_src" "$stage/hv-init"
install -m 755 "$agent" "$stage/usr/sbin/hostvisor-agent"
mkdir -p "$stage/lib/modules/hv"
for f in "${module_files[@]+"${module_files[@]}"}"; do
  name=${f##*/}
  case $f in
    *.ko) cp "$f" "$stage/lib/modules/hv/$name" ;;
    *.ko.xz) xz -dc "$f" >"$stage/lib/modules/hv/${name%.xz}" ;;
    *.ko.zst) zstd -qdc "$f" >"$stage/lib/modules/hv/${name%.zst}" ;;
    *.ko.gz) gzip -dc "$f" >"$stage/lib/modules/hv/${name%.gz}" ;;
    *) die "unknown module format: $f" ;;
  esac
done
echo hv-x11 >"$stage/etc/hostname"
printf '/dev/vda / ext4 rw 0 1\n' >"$stage/etc/fstab"

truncate -s "$image_size" "$tmp/image.raw"
mke2fs -q -F -t ext4 -L hv-x11 -d "$stage" "$tmp/image.raw" >"$tmp/mke2fs.log" 2>&1 ||
  { cat "$tmp/mke2fs.log" >&2; die "mke2fs failed"; }
rm -rf "$stage"
cp "$kernel" "$tmp/vmlinuz"
cp "$initrd" "$tmp/initrd.img"
echo "$image_stamp" >"$tmp/image.stamp"

# The stamp goes last: a build killed in between leaves no stamp, and the next run rebuilds.
rm -f "$outdir/image.stamp"
mv -f "$tmp/image.raw" "$outdir/image.raw"
mv -f "$tmp/vmlinuz" "$outdir/vmlinuz"
mv -f "$tmp/initrd.img" "$outdir/initrd.img"
mv -f "$tmp/image.stamp" "$outdir/image.stamp"
echo "$prog: built $outdir/image.raw"
