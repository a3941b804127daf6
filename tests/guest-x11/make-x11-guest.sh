#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# make-x11-guest.sh OUTDIR --agent PATH     the X11 clipboard guest (init=/hv-init)
# make-x11-guest.sh OUTDIR --systemd        the guest tools installer guest (systemd as init)
#
# Builds (and caches in OUTDIR) a Debian 12 guest from one debootstrap (minbase) root file system
# with Xvfb, xclip, systemd and udev, in two flavours:
#
#   --agent PATH   for the clipboard tests: tests/guest-x11/hv-init as its init (no systemd runs),
#                  the kernel modules it needs from the host's kernel, the static hostvisor-agent.
#                  OUTDIR/image.raw: boot it with root=/dev/vda rw console=ttyS0 init=/hv-init
#   --systemd      for the guest tools installer test: systemd boots it (no init=), udev loads
#                  the modules (a subset of the host kernel's, with depmod's indexes), and there
#                  is no agent: hv-tools-test.service (tests/guest-x11/hv-tools-test) installs it
#                  from the guest tools CD the way a user would, see that script.
#                  OUTDIR/systemd/image.raw: boot it with root=/dev/vda rw console=ttyS0
#
# Both: OUTDIR/vmlinuz, OUTDIR/initrd.img (the host's kernel and initramfs; the systemd flavour's
# are in OUTDIR/systemd/), a raw ext4 disk image (sparse) of the root file system.
#
# Two cache levels, each with a hash stamp of its inputs, each built in a temporary folder and
# renamed into place: OUTDIR/rootfs (debootstrap: slow, network; its .debs are kept in
# OUTDIR/debs so that a rebuild downloads nothing), shared by both flavours, and the image
# (seconds: agent or test unit, init, modules), one per flavour.
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
usage () { echo "usage: $prog OUTDIR --agent PATH | --systemd" >&2; exit 2; }

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
script_path="$script_dir/${BASH_SOURCE[0]##*/}"
init_src="$script_dir/hv-init"
tools_test_src="$script_dir/hv-tools-test"

suite=bookworm
# kmod: insmod and modprobe for the modules below. systemd-sysv and udev: the systemd flavour
# boots like an installed Debian (the x11 flavour has them on its disk but never runs them).
# The rest is what the clipboard tests run.
packages=xvfb,xclip,xauth,x11-xserver-utils,procps,iproute2,kmod,systemd-sysv,udev
# x11 flavour: loaded by hv-init. The initramfs already loaded virtio, virtio_pci, virtio_blk and
# ext4 for the root disk; virtio_console carries the agent's port, button + evdev the power
# button.
guest_modules=(virtio_console button evdev)
# systemd flavour: installed with what they need under /lib/modules/KVER, for udev and the
# kernel (mount -t 9p, iso9660) to load on demand, as on an installed guest. The CD-ROM is on
# AHCI (q35) or PIIX IDE (pc); shares are 9p or virtiofs.
systemd_modules=(virtio_console virtio_net virtio_scsi virtio_blk virtio_pci 9p 9pnet_virtio
                 virtiofs isofs sr_mod cdrom ahci ata_piix ata_generic sd_mod button evdev ext4
                 crc32c_generic autofs4 loop efivarfs)
image_size=1536M

[ $# -ge 1 ] || usage
outdir=$1
shift
case $outdir in -*) usage ;; esac
agent=""
flavour=x11
while [ $# -gt 0 ]; do
  case $1 in
    --agent) [ $# -ge 2 ] || usage; agent=$2; shift 2 ;;
    --agent=*) agent=${1#--agent=}; shift ;;
    --systemd) flavour=systemd; shift ;;
    -h|--help) usage ;;
    *) die "unknown argument '$1'" ;;
  esac
done
if [ $flavour = x11 ]; then
  [ -n "$agent" ] || die "--agent PATH is required"
  [ -x "$agent" ] || die "the agent '$agent' is not an executable file"
  [ -r "$init_src" ] || die "$init_src is missing"
else
  # No agent in this flavour: the test installs it from the CD.
  [ -z "$agent" ] || die "--systemd takes no --agent"
  [ -r "$tools_test_src" ] || die "$tools_test_src is missing"
  [ -r "$tools_test_src.service" ] || die "$tools_test_src.service is missing"
fi

for tool in sha256sum mke2fs find sort mktemp awk cp; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is missing (coreutils, e2fsprogs, mawk)"
done
if [ $flavour = systemd ]; then
  command -v depmod >/dev/null 2>&1 || die "'depmod' is missing (kmod)"
fi

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

# Module name -> its file relative to $moddir, from modules.dep (names use '_', files may use
# '-'); nothing for a module built into this kernel.
module_file () {
  local f
  f=$(awk -v want="$1" '{
        p = $1; sub(/:$/, "", p); n = p; sub(/.*\//, "", n); sub(/\.ko.*$/, "", n)
        gsub(/-/, "_", n); if (n == want) { print p; exit }
      }' "$moddir/modules.dep")
  if [ -z "$f" ]; then
    grep -q "/$1.ko" "$moddir/modules.builtin" 2>/dev/null || die "kernel module '$1' not found"
  fi
  echo "$f"
}

# module_files: the files to put in the image. x11: the modules alone (hv-init loads them in
# order, and none of them needs another); systemd: the modules and all they depend on.
module_files=()
if [ $flavour = x11 ]; then
  for m in "${guest_modules[@]}"; do
    f=$(module_file "$m")
    [ -z "$f" ] || module_files+=("$moddir/$f")
  done
else
  for m in "${systemd_modules[@]}"; do
    f=$(module_file "$m")
    [ -z "$f" ] || module_files+=("$f")
  done
  # The closure over modules.dep ("file: dep dep ..."), relative paths.
  mapfile -t module_files < <(
    printf '%s\n' "${module_files[@]+"${module_files[@]}"}" |
      awk -v depfile="$moddir/modules.dep" '
        BEGIN {
          while ((getline line < depfile) > 0) {
            n = split(line, w, /[: ]+/)
            deps[w[1]] = ""
            for (i = 2; i <= n; i++) if (w[i] != "") deps[w[1]] = deps[w[1]] " " w[i]
          }
        }
        { todo[++t] = $0 }
        END {
          while (t > 0) {
            f = todo[t--]
            if (f == "" || (f in seen)) continue
            seen[f] = 1
            print f
            n = split(deps[f], d, " ")
            for (i = 1; i <= n; i++) todo[++t] = d[i]
          }
        }' | sort)
  module_files=("${module_files[@]/#/$moddir/}")
fi

# --- the rootfs's inputs --------------------------------------------------------------------------

# What debootstrap makes depends on these alone (the image level below hashes this script):
# bump "rootfs format" when changing how the rootfs is made.
rootfs_stamp=$(printf 'rootfs format 1\nsuite %s\npackages %s\narch %s\n' \
                 "$suite" "$packages" "$(uname -m)" | sha256sum | cut -d' ' -f1)

hash_modules () {
  local f
  for f in "${module_files[@]+"${module_files[@]}"}"; do
    echo "module ${f#"$moddir/"} $(sha256sum <"$f" | cut -d' ' -f1)"
  done
}
image_stamp=$(
  {
    echo "image format 2"
    echo "flavour $flavour"
    echo "rootfs $rootfs_stamp"
    echo "script $(sha256sum <"$script_path")"
    if [ $flavour = x11 ]; then
      echo "init $(sha256sum <"$init_src")"
      echo "agent $(sha256sum <"$agent")"
    else
      echo "tools-test $(sha256sum <"$tools_test_src")"
      echo "tools-test-unit $(sha256sum <"$tools_test_src.service")"
    fi
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

# Where this flavour's image, kernel and stamp go.
if [ $flavour = x11 ]; then imgdir=$outdir; else imgdir=$outdir/systemd; fi
mkdir -p "$imgdir"
image_fresh () {
  [ -f "$imgdir/image.stamp" ] && [ -f "$imgdir/image.raw" ] && [ -f "$imgdir/vmlinuz" ] &&
    [ -f "$imgdir/initrd.img" ] && [ "$(cat "$imgdir/image.stamp")" = "$image_stamp" ]
}
rootfs_fresh () {
  [ -f "$outdir/rootfs.stamp" ] && [ -d "$outdir/rootfs" ] &&
    [ "$(cat "$outdir/rootfs.stamp")" = "$rootfs_stamp" ]
}

if image_fresh; then
  echo "$prog: cached: $imgdir/image.raw"
  exit 0
fi

# remove_tree DIR: debootstrap mounts proc and sys (and may bind the host's /dev) inside its
# target; a build killed half-way leaves them mounted, and rm -rf must never walk into them.
remove_tree () {
  local mounts
  mounts=$(awk -v top="$1/" 'index($2, top) == 1 { print $2 }' /proc/mounts | sort -r)
  for m in $mounts; do
    umount -l "$m" 2>/dev/null || true
  done
  rm -rf --one-file-system "$1"
}

# Left over by a build that was killed; we hold the lock, so none is in use.
for old in "$outdir"/.build.*; do
  [ -e "$old" ] && remove_tree "$old"
done
tmp=$(mktemp -d "$outdir/.build.XXXXXX")
trap 'remove_tree "$tmp"' EXIT
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
copy_module () { # FILE DEST-WITHOUT-COMPRESSION-SUFFIX
  case $1 in
    *.ko) cp "$1" "$2" ;;
    *.ko.xz) xz -dc "$1" >"$2" ;;
    *.ko.zst) zstd -qdc "$1" >"$2" ;;
    *.ko.gz) gzip -dc "$1" >"$2" ;;
    *) die "unknown module format: $1" ;;
  esac
}
if [ $flavour = x11 ]; then
  install -m 755 "$init_src" "$stage/hv-init"
  install -m 755 "$agent" "$stage/usr/sbin/hostvisor-agent"
  mkdir -p "$stage/lib/modules/hv"
  for f in "${module_files[@]+"${module_files[@]}"}"; do
    name=${f##*/}
    copy_module "$f" "$stage/lib/modules/hv/${name%.ko*}.ko"
  done
  echo hv-x11 >"$stage/etc/hostname"
else
  # The modules where modprobe looks, and depmod's indexes (modules.dep, modules.alias) for them.
  kdir=$stage/lib/modules/$kver
  for f in "${module_files[@]}"; do
    rel=${f#"$moddir/"}
    mkdir -p "$kdir/${rel%/*}"
    copy_module "$f" "$kdir/${rel%.ko*}.ko"
  done
  for f in modules.order modules.builtin modules.builtin.modinfo; do
    [ ! -e "$moddir/$f" ] || cp "$moddir/$f" "$kdir/$f"
  done
  depmod -b "$stage" "$kver" || die "depmod failed"
  install -D -m 755 "$tools_test_src" "$stage/usr/local/libexec/hv-tools-test"
  install -D -m 644 "$tools_test_src.service" "$stage/etc/systemd/system/hv-tools-test.service"
  mkdir -p "$stage/etc/systemd/system/multi-user.target.wants"
  ln -sf ../hv-tools-test.service \
    "$stage/etc/systemd/system/multi-user.target.wants/hv-tools-test.service"
  [ ! -e "$stage/usr/local/sbin/hostvisor-agent" ] && [ ! -e "$stage/usr/sbin/hostvisor-agent" ] ||
    die "the systemd flavour must not have the agent"
  echo hv-tools >"$stage/etc/hostname"
fi
printf '/dev/vda / ext4 rw 0 1\n' >"$stage/etc/fstab"

truncate -s "$image_size" "$tmp/image.raw"
mke2fs -q -F -t ext4 -L hv-x11 -d "$stage" "$tmp/image.raw" >"$tmp/mke2fs.log" 2>&1 ||
  { cat "$tmp/mke2fs.log" >&2; die "mke2fs failed"; }
rm -rf "$stage"
cp "$kernel" "$tmp/vmlinuz"
cp "$initrd" "$tmp/initrd.img"
echo "$image_stamp" >"$tmp/image.stamp"

# The stamp goes last: a build killed in between leaves no stamp, and the next run rebuilds.
rm -f "$imgdir/image.stamp"
mv -f "$tmp/image.raw" "$imgdir/image.raw"
mv -f "$tmp/vmlinuz" "$imgdir/vmlinuz"
mv -f "$tmp/initrd.img" "$imgdir/initrd.img"
mv -f "$tmp/image.stamp" "$imgdir/image.stamp"
echo "$prog: built $imgdir/image.raw"
