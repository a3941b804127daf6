/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The New VM wizard's old guests (ui/hv-wizard-legacy.c), on the real profiles in
 * resources/profiles: the profile in plain words, and the Windows 9x warnings only where they
 * apply (95 always: it runs on emulation; 98/ME under KVM; more than 512 MB). */
#include <string.h>
#include <glib.h>

#include "hv-wizard-legacy.h"

static void
test_words (void)
{
  g_autofree char *dos = hv_wizard_legacy_words ("dos", NULL, NULL, NULL);
  g_autofree char *profile = hv_wizard_legacy_profile (NULL, 1474560);
  guint64 memory = 0;
  g_autofree char *win98 = hv_wizard_legacy_words ("win98", &memory, NULL, NULL);

  g_assert_cmpstr (dos, ==, "486, 16 MB, Sound Blaster 16, NE2000, floppy A:");
  g_assert_cmpstr (profile, ==, "dos");
  g_assert_nonnull (win98);
  g_assert_true (g_str_has_prefix (win98, "Pentium II, 256 MB, Sound Blaster 16"));
  g_assert_cmpuint (memory, ==, 256);
  g_assert_null (hv_wizard_legacy_words ("nosuchprofile", NULL, NULL, NULL));
}

static void
test_cpu_warning (void)
{
  g_autofree char *w95 = hv_wizard_legacy_cpu_warning ("win95", FALSE);
  g_autofree char *w98 = hv_wizard_legacy_cpu_warning ("win98", TRUE);
  g_autofree char *wme = hv_wizard_legacy_cpu_warning ("winme", TRUE);
  g_autofree char *w98_tcg = hv_wizard_legacy_cpu_warning ("win98", FALSE);
  g_autofree char *dos = hv_wizard_legacy_cpu_warning ("dos", TRUE);
  g_autofree char *xp = hv_wizard_legacy_cpu_warning ("winxp", TRUE);

  g_assert_nonnull (w95);
  g_assert_nonnull (strstr (w95, "FIX95CPU"));
  g_assert_nonnull (strstr (w95, "Windows protection error"));
  g_assert_nonnull (w98);
  g_assert_nonnull (strstr (w98, "patcher9x"));
  g_assert_nonnull (wme);
  g_assert_null (w98_tcg);
  g_assert_null (dos);
  g_assert_null (xp);
}

static void
test_memory_warning (void)
{
  g_autofree char *over = hv_wizard_legacy_memory_warning ("win98", 768);
  g_autofree char *w95 = hv_wizard_legacy_memory_warning ("win95", 513);

  g_assert_nonnull (over);
  g_assert_nonnull (strstr (over, "MaxPhysPage=30000"));
  g_assert_nonnull (strstr (over, "KB253912"));
  g_assert_nonnull (w95);
  g_assert_null (hv_wizard_legacy_memory_warning ("win98", 512));
  g_assert_null (hv_wizard_legacy_memory_warning ("winxp", 2048));
  g_assert_null (hv_wizard_legacy_memory_warning (NULL, 2048));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/wizard-legacy/words", test_words);
  g_test_add_func ("/wizard-legacy/cpu-warning", test_cpu_warning);
  g_test_add_func ("/wizard-legacy/memory-warning", test_memory_warning);
  return g_test_run ();
}
