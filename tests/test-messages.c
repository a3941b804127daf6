/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The engine's words as the app shows them (ui/hv-messages.c): known errors and state reasons
 * become the app's sentences with their names and numbers, in English and in German from the
 * build tree's catalog; unknown ones keep the engine's text after a sentence for their code; a
 * reason that repeats the state is dropped. */
#include <locale.h>

#include <gio/gio.h>
#include <glib/gi18n.h>

#include "hv-build-config.h"
#include "hv-error.h"
#include "hv-messages.h"

static char *
error_text (int         code,
            const char *message)
{
  g_autoptr(GError) error = g_error_new_literal (HV_ERROR, code, message);

  return hv_messages_error (error);
}

static void
assert_reason (const char *state,
               const char *reason,
               const char *expected)
{
  g_autofree char *text = hv_messages_state_reason (state, reason);

  g_assert_cmpstr (text, ==, expected);
}

static void
assert_error (int         code,
              const char *message,
              const char *expected)
{
  g_autofree char *text = error_text (code, message);

  g_assert_cmpstr (text, ==, expected);
}

static void
test_reasons (void)
{
  /* "Powered off — powered off": the reason that only repeats the state goes. */
  assert_reason ("poweroff", "powered off", NULL);
  assert_reason ("poweroff", "", NULL);
  assert_reason ("poweroff", NULL, NULL);
  assert_reason ("paused", "paused", NULL);
  assert_reason ("poweroff", "the guest powered off", "the guest shut itself down");
  assert_reason ("poweroff", "powered off: the guest did not shut down within 30 s",
                 "the guest did not shut down within 30 s, so it was powered off");
  assert_reason ("aborted", "QEMU was killed by signal 9 (Killed)",
                 "QEMU was killed by signal 9");
  assert_reason ("aborted", "QEMU exited with status 1: qemu: could not open disk",
                 "QEMU exited with status 1: qemu: could not open disk");
  assert_reason ("paused", "io-error", "a disk could not be read or written");
  /* One the app does not know: shown as the engine says it. */
  assert_reason ("aborted", "something new happened", "something new happened");
}

static void
test_errors (void)
{
  g_autoptr(GError) closed = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED, "closed");
  g_autofree char *closed_text = hv_messages_error (closed);

  assert_error (HV_ERROR_INVALID_STATE, "VM \"web\" is already running",
                "“web” is already running.");
  assert_error (HV_ERROR_EXISTS, "A VM named \"Lab VM\" already exists",
                "A virtual machine named “Lab VM” already exists.");
  assert_error (HV_ERROR_INVALID_STATE,
                "VM \"old\" has no floppy drive; add one while it is powered off",
                "“old” has no floppy drive; add one in its settings while it is powered off.");
  assert_error (HV_ERROR_INVALID_ARGUMENT, "Memory must be between 4 and 1048576 MiB",
                "Memory must be between 4 and 1048576 MiB.");
  /* Unknown: a sentence for the code, then the engine's words. */
  assert_error (HV_ERROR_IO, "Cannot write /x: No space left on device",
                "A file could not be read or written: Cannot write /x: No space left on device");
  assert_error (HV_ERROR_FAILED, "odd", "The engine could not do it: odd");
  g_assert_cmpstr (closed_text, ==, "The connection to the engine was lost.");
  g_assert_null (hv_messages_translate ("nothing like the engine's"));
}

/* With LANGUAGE=de and the build tree's catalog, the same in German. */
static void
test_german (void)
{
  g_autofree char *po = g_test_build_filename (G_TEST_BUILT, "..", "po", NULL);
  g_autofree char *mo = g_build_filename (po, "de", "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);

  if (!g_file_test (mo, G_FILE_TEST_IS_REGULAR))
    {
      g_test_skip ("the German catalog is not built");
      return;
    }
  g_setenv ("LANGUAGE", "de", TRUE);
  bindtextdomain (GETTEXT_PACKAGE, po);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  assert_error (HV_ERROR_INVALID_STATE, "VM \"web\" is already running",
                "„web“ läuft bereits.");
  assert_error (HV_ERROR_IO, "Cannot write /x: No space left on device",
                "Eine Datei konnte nicht gelesen oder geschrieben werden: Cannot write /x: No "
                "space left on device");
  assert_reason ("poweroff", "the guest powered off", "der Gast hat sich selbst heruntergefahren");
  assert_reason ("aborted", "QEMU was killed by signal 9 (Killed)",
                 "QEMU wurde durch Signal 9 beendet");
  assert_reason ("poweroff", "powered off", NULL);

  g_unsetenv ("LANGUAGE");
  textdomain ("messages");
}

int
main (int   argc,
      char *argv[])
{
  /* gettext ignores LANGUAGE in the C locale; C.UTF-8 is enough to enable it. */
  setlocale (LC_ALL, "C.UTF-8");
  g_unsetenv ("LANGUAGE");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/messages/reasons", test_reasons);
  g_test_add_func ("/messages/errors", test_errors);
  g_test_add_func ("/messages/german", test_german);

  return g_test_run ();
}
