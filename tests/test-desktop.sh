#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Desktop integration and translations: the built desktop file and AppStream metainfo pass their
# validators and carry the German translation, the icons are well-formed, po/ is complete for the
# current sources, and the programs speak German from the build tree with LANGUAGE=de.
#
# Usage: test-desktop.sh SRCDIR BUILDDIR DESKTOP_FILE METAINFO_FILE HOSTVISORCTL
set -u

SRCDIR=$1
BUILDDIR=$2
DESKTOP=$3
METAINFO=$4
CTL=$5

n=0
failed=0
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () {
  n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
  # The output that made it fail, as TAP diagnostics.
  if [ -s "$WORK/out" ]; then sed 's/^/# /' "$WORK/out" | head -40; fi
}
# check DESCRIPTION COMMAND…: ok when COMMAND succeeds; its output is kept in $WORK/out.
check () {
  local what=$1; shift
  if "$@" >"$WORK/out" 2>&1; then ok "$what"; else not_ok "$what"; fi
}
# has_line FILE REGEX: FILE has a line matching the extended REGEX (else shows FILE).
has_line () { grep -qE -- "$2" "$1" || { head -30 "$1"; return 1; }; }

# The German of a few strings, as po/de.po translates them: the test asserts these, so that a
# catalog that is missing or not found (English shown) fails.
DE_COMMANDS='^Befehle:$'
DE_START='Eine VM starten'
DE_USAGE='^Aufruf: hostvisorctl BEFEHL'

# --- The desktop file -------------------------------------------------------------------------
check "desktop-file-validate accepts $(basename "$DESKTOP")" desktop-file-validate "$DESKTOP"
check "desktop file: Exec opens files (%F)" has_line "$DESKTOP" '^Exec=hostvisor %F$'
check "desktop file: Icon is the application id" has_line "$DESKTOP" '^Icon=io\.github\.hostvisor$'
check "desktop file: handles ISO images (x-cd-image, as shared-mime-info names them)" \
  has_line "$DESKTOP" '^MimeType=(.*;)?application/x-cd-image;'
check "desktop file: German comment merged from po/de.po" \
  has_line "$DESKTOP" '^Comment\[de\]=Andere Betriebssysteme in virtuellen Maschinen'
check "desktop file: German keywords merged" has_line "$DESKTOP" '^Keywords\[de\]=.*virtuelle Maschine;'

# The desktop file names a MIME type that the installed database knows as an ISO image.
if [ -r /usr/share/mime/packages/freedesktop.org.xml ]; then
  check "shared-mime-info knows application/x-cd-image (*.iso)" \
    grep -q '<mime-type type="application/x-cd-image">' /usr/share/mime/packages/freedesktop.org.xml
fi

# --- The AppStream metainfo -------------------------------------------------------------------
check "appstreamcli validate --no-net --pedantic accepts $(basename "$METAINFO")" \
  appstreamcli validate --no-net --pedantic --no-color "$METAINFO"
check "metainfo: launchable is the desktop file" \
  has_line "$METAINFO" '<launchable type="desktop-id">io\.github\.hostvisor\.desktop</launchable>'
for bin in hostvisor hostvisorctl hostvisor-sdl; do
  check "metainfo: provides the binary $bin" has_line "$METAINFO" "<binary>$bin</binary>"
done
check "metainfo: German summary merged from po/de.po" \
  has_line "$METAINFO" '<summary xml:lang="de">Andere Betriebssysteme in virtuellen Maschinen'
check "metainfo: the desktop file's id matches the file name" \
  test "$(basename "$DESKTOP")" = io.github.hostvisor.desktop

# --- The icons --------------------------------------------------------------------------------
ICONS=$SRCDIR/resources/icons/hicolor
for icon in scalable/apps/io.github.hostvisor.svg symbolic/apps/io.github.hostvisor-symbolic.svg; do
  check "icon $icon is well-formed SVG" xmllint --noout "$ICONS/$icon"
  check "icon $icon is square" bash -c \
    "grep -qE 'width=\"([0-9]+)\" height=\"\\1\"' '$ICONS/$icon'"
done

# --- po/: complete and in step with the sources -----------------------------------------------
check "msgfmt --check accepts po/de.po" msgfmt --check -o "$WORK/de.mo" "$SRCDIR/po/de.po"
msgfmt --statistics -o /dev/null "$SRCDIR/po/de.po" >"$WORK/stats" 2>&1
check "po/de.po has no untranslated or fuzzy messages" \
  bash -c "! grep -qE 'untranslated|fuzzy' '$WORK/stats' && grep -q 'translated message' '$WORK/stats'"

# Every source file that marks strings is in POTFILES.in, and the list is sorted.
grep -vE '^(#|$)' "$SRCDIR/po/POTFILES.in" >"$WORK/potfiles"
check "po/POTFILES.in is sorted" bash -c "LC_ALL=C sort -c '$WORK/potfiles'"
(cd "$SRCDIR" && grep -lE '(^|[^A-Za-z0-9_])(_|N_|C_|NC_)[[:space:]]*\(' \
   app/*.c ui/*.c engine/*.c 2>/dev/null; grep -l 'translatable="yes"' ui/*.ui 2>/dev/null) |
  LC_ALL=C sort -u >"$WORK/marked"
check "po/POTFILES.in lists every file that marks strings" \
  bash -c "LC_ALL=C comm -23 '$WORK/marked' <(LC_ALL=C sort '$WORK/potfiles') | tee /dev/stderr | (! grep -q .)"
check "every file in po/POTFILES.in exists" \
  bash -c "cd '$SRCDIR' && while read -r f; do test -f \"\$f\" || { echo \"missing \$f\"; exit 1; }; done <'$WORK/potfiles'"

# The strings as the sources have them now (xgettext as meson's glib preset runs it): de.po
# must translate every one of them.
if (cd "$SRCDIR" && xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ --keyword=C_:1c,2 \
      --keyword=NC_:1c,2 --keyword=g_dngettext:2,3 --files-from=po/POTFILES.in \
      -o "$WORK/current.pot") >"$WORK/xgettext.log" 2>&1; then
  check "po/de.po has every string the sources mark (msgcmp)" \
    msgcmp "$SRCDIR/po/de.po" "$WORK/current.pot"
  check "po/de.po: no translation is fuzzy or empty after merging the current strings" \
    bash -c "msgmerge --quiet --no-fuzzy-matching '$SRCDIR/po/de.po' '$WORK/current.pot' -o '$WORK/merged.po' &&
             msgfmt --statistics -o /dev/null '$WORK/merged.po' 2>&1 | tee /dev/stderr | (! grep -qE 'untranslated|fuzzy')"
else
  cp "$WORK/xgettext.log" "$WORK/out"
  not_ok "xgettext extracts the strings of po/POTFILES.in"
fi

# --- German from the build tree ---------------------------------------------------------------
# The catalog meson builds: BUILDDIR/po/de/LC_MESSAGES/hostvisor.mo, which is the layout
# bindtextdomain() wants, so the programs bind to BUILDDIR/po when they run from the build tree.
MO=$BUILDDIR/po/de/LC_MESSAGES/hostvisor.mo
check "the German catalog is built at po/de/LC_MESSAGES/hostvisor.mo" test -s "$MO"

# gettext ignores LANGUAGE in the C locale; C.UTF-8 (glibc >= 2.35) is enough to enable it.
LOC=C.UTF-8
if locale -a 2>/dev/null | grep -qix 'de_DE\.utf-\?8'; then LOC=de_DE.UTF-8; fi
# An XDG environment of its own: --help must not need (or start) an engine.
export XDG_RUNTIME_DIR=$WORK/run XDG_DATA_HOME=$WORK/data XDG_CONFIG_HOME=$WORK/config
mkdir -p -m 0700 "$XDG_RUNTIME_DIR"

env LANGUAGE=de LANG=$LOC LC_ALL= "$CTL" --help >"$WORK/help-de" 2>&1
check "LANGUAGE=de hostvisorctl --help: headings in German" has_line "$WORK/help-de" "$DE_COMMANDS"
check "LANGUAGE=de hostvisorctl --help: usage in German" has_line "$WORK/help-de" "$DE_USAGE"
check "LANGUAGE=de hostvisorctl --help: command summaries in German" \
  has_line "$WORK/help-de" "$DE_START"
env LANGUAGE=de LANG=$LOC LC_ALL= "$CTL" help start >"$WORK/help-start" 2>&1
check "LANGUAGE=de hostvisorctl help start: in German" has_line "$WORK/help-start" '^Aufruf: hostvisorctl start'

# And English stays English: the catalog is only used when asked for.
env LANGUAGE= LANG=C.UTF-8 LC_ALL= "$CTL" --help >"$WORK/help-en" 2>&1
check "LANG=C.UTF-8 hostvisorctl --help: English" has_line "$WORK/help-en" '^Commands:$'

echo "1..$n"
[ "$failed" -eq 0 ]
