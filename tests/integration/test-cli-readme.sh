#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The README's command-line example, run as a reader would paste it: from a directory where
# build/ is the build tree, with a home that has the ISO it names (GRUB's rescue CD stands in
# for the Debian ISO). Each command must work; stop may end with status 3 (documented: the
# example's guest does not react to the power button).
source "$(dirname "$0")/lib.sh"

export G_DEBUG=fatal-criticals
ISO=/usr/lib/grub-rescue/grub-rescue-cdrom.iso

WORK=$HV_TMP/readme
export HOME=$HV_TMP/home
mkdir -p "$WORK" "$HOME/Downloads" "$HOME/Documents"
ln -s "$HV_BUILDDIR" "$WORK/build"
ln -s "$ISO" "$HOME/Downloads/debian-12.iso"

# The first sh block of "Using the command line", the lines of the second that need no guest
# tools, and the third (snapshots, a clone, profiles), as logical commands (continuation lines
# joined), one per line.
python3 - "$HV_SRCDIR/README.md" >"$HV_TMP/commands" <<'EOF'
import re, sys
text = open(sys.argv[1], encoding='utf-8').read()
section = text.split('## Using the command line', 1)[1]
blocks = re.findall(r'```sh\n(.*?)```', section, re.S)
lines = []
for i, block in enumerate(blocks[:3]):
    block = block.replace('\\\n', ' ')
    for line in block.splitlines():
        command = re.sub(r'\s+#.*$', '', line).strip()
        if not command:
            continue
        # The second block's guest-side commands need the guest tools in a running guest.
        if i == 1 and not re.search(r'share \S+ add|modify', command):
            continue
        lines.append(command)
print('\n'.join(lines))
EOF
check "the README has the example" grep -q 'create demo' "$HV_TMP/commands"

cd "$WORK" || exit 1
# Variables the example sets (ctl=, kver=) carry over from one command to the next.
PRELUDE=""
while IFS= read -r command; do
  if [[ "$command" =~ ^[a-z_]+= ]]; then
    PRELUDE+="$command; "
    check "README: $command" bash -c "$PRELUDE"
    continue
  fi
  bash -c "$PRELUDE $command" </dev/null >"$HV_TMP/cmd.out" 2>&1
  status=$?
  if [ "$status" = 0 ] || { [[ "$command" == *" stop "* ]] && [ "$status" = 3 ]; }; then
    ok "README: $command"
  else
    not_ok "README: $command"
    diag "exit $status: $(tail -n 5 "$HV_TMP/cmd.out")"
  fi
done <"$HV_TMP/commands"

check "the screenshot the example takes is a PNG" \
  bash -c "head -c 8 '$WORK/shot.png' | od -An -c | grep -q 'P   N   G'"
run_ctl list --json
check "what the example leaves: deb and its clone deb2, not demo" python3 -c '
import json, sys
sys.exit(0 if sorted(v["name"] for v in json.loads(sys.argv[1])) == ["deb", "deb2"] else 1)' "$OUT"
run_ctl snapshot deb list --json
check "the README snapshot is the current one of deb" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
names = [s["name"] for s in d["snapshots"] if s["id"] == d["current"]]
sys.exit(0 if names == ["clean install"] else 1)' "$OUT"

finish
