/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The New VM wizard's recommendations (ui/hv-wizard-model.c): defaults from the engine's
 * GetOsDefaults, the user's edits surviving an OS change, name suggestions, validation. */
#include <string.h>

#include "hv-collate.h"
#include "hv-config.h"
#include "hv-osinfo.h"
#include "hv-wizard-model.h"

/* Replies shaped like the engine's GetOsDefaults (hv-engine.c builds the same a{sv} from
 * hv_osinfo_get_defaults()). The figures are chosen to differ from the generic defaults and
 * from each other; /wizard-model/defaults/osinfo takes the real ones from libosinfo. */
static GVariant *
defaults_dict (const char *name,
               guint64     memory,
               guint32     cpus,
               guint64     disk,
               const char *machine)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "name", "s", name);
  g_variant_dict_insert (&dict, "memory", "t", memory);
  g_variant_dict_insert (&dict, "cpus", "u", cpus);
  g_variant_dict_insert (&dict, "disk-size", "t", disk);
  g_variant_dict_insert (&dict, "machine", "s", machine);
  g_variant_dict_insert (&dict, "firmware", "s", "bios");
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

static GVariant *
debian11_defaults (void)
{
  return defaults_dict ("Debian 11", 2048, 2, 20, "q35");
}

static GVariant *
win98_defaults (void)
{
  return defaults_dict ("Microsoft Windows 98", 64, 1, 2, "pc");
}

static void
test_initial_state (void)
{
  g_autoptr(HvWizardModel) m = hv_wizard_model_new ();
  g_autoptr(GVariant) options = NULL;

  g_assert_cmpstr (hv_wizard_model_get_name (m), ==, "New VM");
  g_assert_cmpuint (hv_wizard_model_get_memory (m), ==, HV_WIZARD_DEFAULT_MEMORY_MIB);
  g_assert_cmpuint (hv_wizard_model_get_cpus (m), ==, HV_WIZARD_DEFAULT_CPUS);
  g_assert_cmpuint (hv_wizard_model_get_disk (m), ==, HV_WIZARD_DEFAULT_DISK_GIB);
  g_assert_null (hv_wizard_model_get_os_id (m));
  g_assert_true (hv_wizard_model_is_valid (m));

  /* No OS, no medium, top level: only the sizes go to CreateVm. */
  options = g_variant_ref_sink (hv_wizard_model_build_options (m));
  g_assert_false (g_variant_lookup (options, "os", "&s", NULL));
  g_assert_false (g_variant_lookup (options, "iso", "&s", NULL));
  g_assert_false (g_variant_lookup (options, "floppy", "&s", NULL));
  g_assert_false (g_variant_lookup (options, "folder", "&s", NULL));
  g_assert_cmpuint (g_variant_n_children (options), ==, 3);
}

static void
test_defaults_debian11 (void)
{
  g_autoptr(HvWizardModel) m = hv_wizard_model_new ();
  g_autoptr(GVariant) defaults = debian11_defaults ();
  g_autoptr(GVariant) options = NULL;
  const char *s;
  guint64 t;
  guint32 u;

  hv_wizard_model_set_medium (m, "/srv/debian-11.iso", HV_WIZARD_MEDIUM_CDROM);
  hv_wizard_model_set_os (m, "debian11", "Debian 11");
  /* The name follows the OS at once, before its defaults arrive. */
  g_assert_cmpstr (hv_wizard_model_get_name (m), ==, "Debian 11");
  g_assert_true (hv_wizard_model_apply_defaults (m, "debian11", defaults));
  g_assert_cmpuint (hv_wizard_model_get_memory (m), ==, 2048);
  g_assert_cmpuint (hv_wizard_model_get_cpus (m), ==, 2);
  g_assert_cmpuint (hv_wizard_model_get_disk (m), ==, 20);
  g_assert_true (hv_wizard_model_is_valid (m));
  for (guint f = 0; f < HV_WIZARD_N_FIELDS; f++)
    g_assert_false (hv_wizard_model_is_touched (m, f));

  hv_wizard_model_set_folder (m, "Lab/Linux");
  options = g_variant_ref_sink (hv_wizard_model_build_options (m));
  g_assert_true (g_variant_lookup (options, "os", "&s", &s));
  g_assert_cmpstr (s, ==, "debian11");
  g_assert_true (g_variant_lookup (options, "memory", "t", &t));
  g_assert_cmpuint (t, ==, 2048);
  g_assert_true (g_variant_lookup (options, "cpus", "u", &u));
  g_assert_cmpuint (u, ==, 2);
  g_assert_true (g_variant_lookup (options, "disk-size", "t", &t));
  g_assert_cmpuint (t, ==, 20);
  g_assert_true (g_variant_lookup (options, "iso", "&s", &s));
  g_assert_cmpstr (s, ==, "/srv/debian-11.iso");
  g_assert_false (g_variant_lookup (options, "floppy", "&s", NULL));
  g_assert_true (g_variant_lookup (options, "folder", "&s", &s));
  g_assert_cmpstr (s, ==, "Lab/Linux");
}

static void
test_defaults_win98 (void)
{
  g_autoptr(HvWizardModel) m = hv_wizard_model_new ();
  g_autoptr(GVariant) defaults = win98_defaults ();
  g_autoptr(GVariant) options = NULL;
  const char *s;

  hv_wizard_model_set_medium (m, "/srv/win98-boot.img", HV_WIZARD_MEDIUM_FLOPPY);
  /* The name may come only with the defaults (an OS chosen by id alone). */
  hv_wizard_model_set_os (m, "win98", NULL);
  g_assert_cmpstr (hv_wizard_model_get_name (m), ==, "New VM");
  g_assert_true (hv_wizard_model_apply_defaults (m, "win98", defaults));
  g_assert_cmpstr (hv_wizard_model_get_name (m), ==, "Microsoft Windows 98");
  g_assert_cmpstr (hv_wizard_model_get_os_name (m), ==, "Microsoft Windows 98");
  g_assert_cmpuint (hv_wizard_model_get_memory (m), ==, 64);
  g_assert_cmpuint (hv_wizard_model_get_cpus (m), ==, 1);
  g_assert_cmpuint (hv_wizard_model_get_disk (m), ==, 2);
  g_assert_true (hv_wizard_model_is_valid (m));

  options = g_variant_ref_sink (hv_wizard_model_build_options (m));
  g_assert_true (g_variant_lookup (options, "floppy", "&s", &s));
  g_assert_cmpstr (s, ==, "/srv/win98-boot.img");
  g_assert_false (g_variant_lookup (options, "iso", "&s", NULL));
}

/* The same through libosinfo itself, as the engine does it: whatever the database says,
 * the model takes it, and Windows 98 gets less than Debian 11. */
static GVariant *
real_defaults (const char *os_id)
{
  g_autoptr(HvOsDefaults) d = hv_osinfo_get_defaults (os_id, NULL);

  if (d == NULL)
    return NULL;
  return defaults_dict (d->name, d->memory_mib, d->cpus, d->disk_gib,
                        hv_machine_to_string (d->machine));
}

static void
test_defaults_from_osinfo (void)
{
  g_autoptr(GVariant) debian = real_defaults ("debian11");
  g_autoptr(GVariant) win98 = real_defaults ("win98");
  g_autoptr(HvWizardModel) m = hv_wizard_model_new ();
  guint64 debian_memory, win98_memory, win98_disk;

  if (debian == NULL || win98 == NULL)
    {
      g_test_skip ("libosinfo's database does not know debian11 and win98 here");
      return;
    }
  g_assert_true (g_variant_lookup (debian, "memory", "t", &debian_memory));
  g_assert_true (g_variant_lookup (win98, "memory", "t", &win98_memory));
  g_assert_true (g_variant_lookup (win98, "disk-size", "t", &win98_disk));

  hv_wizard_model_set_os (m, "debian11", "Debian 11");
  g_assert_true (hv_wizard_model_apply_defaults (m, "debian11", debian));
  g_assert_cmpuint (hv_wizard_model_get_memory (m), ==, debian_memory);
  g_assert_true (hv_wizard_model_is_valid (m));

  hv_wizard_model_set_os (m, "win98", "Microsoft Windows 98");
  g_assert_true (hv_wizard_model_apply_defaults (m, "win98", win98));
  g_assert_cmpuint (hv_wizard_model_get_memory (m), ==, win98_memory);
  g_assert_cmpuint (hv_wizard_model_get_disk (m), ==, win98_disk);
  g_assert_cmpuint (win98_memory, <, debian_memory);
  g_assert_true (hv_wizard_model_is_valid (m));
}

static void
test_edits_survive_os_change (void)
{
  g_autoptr(HvWizardModel) m = hv_wizard_model_new ();
  g_autoptr(GVariant) debian = debian11_defaults ();
  g_autoptr(GVariant) win98 = win98_defaults ();

  hv_wizard_model_set_os (m, "debian11", "Debian 11");
  hv_wizard_model_apply_defaults (m, "debian11", debian);
  /* The user sets memory and the name, leaves CPUs and disk alone. */
  hv_wizard_model_set_memory (m, 3000);
  hv_wizard_model_set_name (m, "Build box");
  g_assert_true (hv_wizard_model_is_touched (m, HV_WIZARD_FIELD_MEMORY));
  g_assert_true (hv_wizard_model_is_touched (m, HV_WIZARD_FIELD_NAME));
  g_assert_false (hv_wizard_model_is_touched (m, HV_WIZARD_FIELD_CPUS));

  hv_wizard_model_set_os (m, "win98", "Microsoft Windows 98");
  /* Between the change and the new defaults: untouched fields are generic, never
   * Debian's, and the edits stay. */
  g_assert_cmpuint (hv_wizard_model_get_cpus (m), ==, HV_WIZARD_DEFAULT_CPUS);
  g_assert_cmpuint (hv_wizard_model_get_disk (m), ==, HV_WIZARD_DEFAULT_DISK_GIB);
  g_assert_cmpuint (hv_wizard_model_get_memory (m), ==, 3000);
  g_assert_true (hv_wizard_model_apply_defaults (m, "win98", win98));
  g_assert_cmpuint (hv_wizard_model_get_memory (m), ==, 3000);
  g_assert_cmpstr (hv_wizard_model_get_name (m), ==, "Build box");
  g_assert_cmpuint (hv_wizard_model_get_cpus (m), ==, 1);
  g_assert_cmpuint (hv_wizard_model_get_disk (m), ==, 2);

  /* A late reply for the OS no longer chosen changes nothing. */
  g_assert_false (hv_wizard_model_apply_defaults (m, "debian11", debian));
  g_assert_cmpuint (hv_wizard_model_get_disk (m), ==, 2);
  g_assert_cmpuint (hv_wizard_model_get_cpus (m), ==, 1);

  /* Back to Debian: the untouched ones follow again. */
  hv_wizard_model_set_os (m, "debian11", "Debian 11");
  hv_wizard_model_apply_defaults (m, "debian11", debian);
  g_assert_cmpuint (hv_wizard_model_get_disk (m), ==, 20);
  g_assert_cmpuint (hv_wizard_model_get_memory (m), ==, 3000);
  g_assert_cmpstr (hv_wizard_model_get_name (m), ==, "Build box");

  /* "Other": no "os" option, the generic defaults for what is untouched. */
  hv_wizard_model_set_os (m, "", NULL);
  g_assert_null (hv_wizard_model_get_os_id (m));
  g_assert_cmpuint (hv_wizard_model_get_disk (m), ==, HV_WIZARD_DEFAULT_DISK_GIB);
  g_assert_cmpuint (hv_wizard_model_get_memory (m), ==, 3000);
}

static void
test_unique_name (void)
{
  const char *taken[] = { "Debian 11", "Debian 11 (2)", "Windows", NULL };
  g_autoptr(HvWizardModel) m = hv_wizard_model_new ();
  g_autofree char *long_base = g_strnfill (70, 'x');
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *c = NULL;
  g_autofree char *d = NULL;
  g_autofree char *e = NULL;
  g_autofree char *f = NULL;
  g_autofree char *g = NULL;
  const char *taken_long[3] = { NULL, NULL, NULL };

  a = hv_wizard_unique_name ("Debian 12", taken);
  g_assert_cmpstr (a, ==, "Debian 12");
  b = hv_wizard_unique_name ("Debian 11", taken);
  g_assert_cmpstr (b, ==, "Debian 11 (3)");
  c = hv_wizard_unique_name ("Windows", taken);
  g_assert_cmpstr (c, ==, "Windows (2)");
  /* What a name cannot hold is replaced; an empty base is generic. */
  d = hv_wizard_unique_name ("IBM OS/2 Warp 4", NULL);
  g_assert_cmpstr (d, ==, "IBM OS-2 Warp 4");
  g_assert_null (hv_wizard_check_name (d, NULL, NULL));
  e = hv_wizard_unique_name ("  ", NULL);
  g_assert_cmpstr (e, ==, "New VM");
  /* Long names are cut to fit, suffix included. */
  f = hv_wizard_unique_name (long_base, NULL);
  g_assert_cmpint (g_utf8_strlen (f, -1), ==, HV_NAME_MAX_CHARS);
  taken_long[0] = f;
  g = hv_wizard_unique_name (long_base, taken_long);
  g_assert_cmpint (g_utf8_strlen (g, -1), ==, HV_NAME_MAX_CHARS);
  g_assert_true (g_str_has_suffix (g, " (2)"));
  g_assert_null (hv_wizard_check_name (g, taken_long, NULL));

  /* The model suggests from the OS against the library, and again when the library
   * changes under an untouched suggestion. */
  hv_wizard_model_set_taken_names (m, taken);
  hv_wizard_model_set_os (m, "debian11", "Debian 11");
  g_assert_cmpstr (hv_wizard_model_get_name (m), ==, "Debian 11 (3)");
  {
    const char *more[] = { "Debian 11", "Debian 11 (2)", "Debian 11 (3)", NULL };
    hv_wizard_model_set_taken_names (m, more);
  }
  g_assert_cmpstr (hv_wizard_model_get_name (m), ==, "Debian 11 (4)");
  g_assert_true (hv_wizard_model_is_valid (m));
}

static void
assert_name_error (const char *name,
                   const char *expected_part)
{
  const char *taken[] = { "Debian 11", NULL };
  g_autofree char *problem = hv_wizard_check_name (name, taken, NULL);

  g_assert_nonnull (problem);
  if (strstr (problem, expected_part) == NULL)
    g_error ("name \"%s\": \"%s\" does not say \"%s\"", name, problem, expected_part);
}

static void
test_validation_messages (void)
{
  g_autoptr(HvWizardModel) m = hv_wizard_model_new ();
  g_autofree char *too_long = g_strnfill (HV_NAME_MAX_CHARS + 1, 'a');
  g_autofree char *just_right = g_strnfill (HV_NAME_MAX_CHARS, 'a');
  /* 64 characters of two bytes each: the limit counts characters, not bytes. */
  g_autoptr(GString) umlauts = g_string_new (NULL);
  const char *taken[] = { "Debian 11", NULL };
  char *problem;

  for (guint i = 0; i < HV_NAME_MAX_CHARS; i++)
    g_string_append (umlauts, "ä");

  assert_name_error ("", "Enter a name");
  assert_name_error ("a/b", "“/”");
  assert_name_error (too_long, "too long");
  assert_name_error (too_long, "64");
  assert_name_error ("Debian 11", "already a virtual machine named “Debian 11”");
  assert_name_error (" lead", "start or end with a space");
  assert_name_error ("trail ", "start or end with a space");
  assert_name_error ("line\nbreak", "control characters");
  g_assert_null (hv_wizard_check_name (just_right, taken, NULL));
  g_assert_null (hv_wizard_check_name (umlauts->str, taken, NULL));
  g_assert_null (hv_wizard_check_name ("Debian 11 (2)", taken, NULL));
  /* A VM keeping its own name is no duplicate (the Settings dialog). */
  g_assert_null (hv_wizard_check_name ("Debian 11", taken, "Debian 11"));
  /* Whatever the wizard accepts, the engine accepts. */
  g_assert_true (hv_config_check_name (just_right, NULL));

  problem = hv_wizard_check_memory (HV_MEMORY_MIN_MIB - 1);
  g_assert_nonnull (strstr (problem, "Memory must be between 4 MiB and 1048576 MiB"));
  g_free (problem);
  problem = hv_wizard_check_memory ((guint64) HV_MEMORY_MAX_MIB + 1);
  g_assert_nonnull (problem);
  g_free (problem);
  g_assert_null (hv_wizard_check_memory (HV_MEMORY_MIN_MIB));
  g_assert_null (hv_wizard_check_memory (HV_MEMORY_MAX_MIB));

  problem = hv_wizard_check_cpus (0);
  g_assert_nonnull (strstr (problem, "CPUs must be between 1 and 255"));
  g_free (problem);
  problem = hv_wizard_check_cpus (HV_CPUS_MAX + 1);
  g_assert_nonnull (problem);
  g_free (problem);
  g_assert_null (hv_wizard_check_cpus (HV_CPUS_MAX));

  problem = hv_wizard_check_disk (0);
  g_assert_nonnull (strstr (problem, "disk size must be between 1 GiB and 65536 GiB"));
  g_free (problem);
  g_assert_null (hv_wizard_check_disk (HV_WIZARD_DISK_MAX_GIB));

  /* The model reports each field's problem and is invalid until all are fixed. */
  hv_wizard_model_set_taken_names (m, taken);
  hv_wizard_model_set_name (m, "Debian 11");
  hv_wizard_model_set_memory (m, 0);
  hv_wizard_model_set_cpus (m, 0);
  hv_wizard_model_set_disk (m, 0);
  g_assert_false (hv_wizard_model_is_valid (m));
  g_assert_nonnull (strstr (hv_wizard_model_get_error (m, HV_WIZARD_FIELD_NAME), "already"));
  g_assert_nonnull (hv_wizard_model_get_error (m, HV_WIZARD_FIELD_MEMORY));
  g_assert_nonnull (hv_wizard_model_get_error (m, HV_WIZARD_FIELD_CPUS));
  g_assert_nonnull (hv_wizard_model_get_error (m, HV_WIZARD_FIELD_DISK));
  hv_wizard_model_set_name (m, "Debian 11 test");
  hv_wizard_model_set_memory (m, 512);
  hv_wizard_model_set_cpus (m, 2);
  g_assert_null (hv_wizard_model_get_error (m, HV_WIZARD_FIELD_NAME));
  g_assert_false (hv_wizard_model_is_valid (m));
  hv_wizard_model_set_disk (m, 8);
  g_assert_true (hv_wizard_model_is_valid (m));
  /* A touched name is never replaced by suggestions, even when it becomes taken. */
  {
    const char *now[] = { "Debian 11", "Debian 11 test", NULL };
    hv_wizard_model_set_taken_names (m, now);
  }
  g_assert_cmpstr (hv_wizard_model_get_name (m), ==, "Debian 11 test");
  g_assert_nonnull (hv_wizard_model_get_error (m, HV_WIZARD_FIELD_NAME));
}

static void
test_medium_guess (void)
{
  g_assert_cmpint (hv_wizard_medium_guess (NULL, 0), ==, HV_WIZARD_MEDIUM_NONE);
  g_assert_cmpint (hv_wizard_medium_guess ("/x/debian.iso", 400 << 20), ==,
                   HV_WIZARD_MEDIUM_CDROM);
  g_assert_cmpint (hv_wizard_medium_guess ("/x/DOS.IMA", 1474560), ==, HV_WIZARD_MEDIUM_FLOPPY);
  g_assert_cmpint (hv_wizard_medium_guess ("/x/boot.flp", 1474560), ==, HV_WIZARD_MEDIUM_FLOPPY);
  g_assert_cmpint (hv_wizard_medium_guess ("/x/grub-rescue-floppy.img", 1474560), ==,
                   HV_WIZARD_MEDIUM_FLOPPY);
  /* A big .img (a USB or disk image) is no floppy. */
  g_assert_cmpint (hv_wizard_medium_guess ("/x/grub-rescue-usb.img", 5 << 20), ==,
                   HV_WIZARD_MEDIUM_CDROM);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return hv_collate_compare (*(const char * const *) a, *(const char * const *) b);
}

/* The OS list reads as a version list: Debian 6.0 < 9 < 10 < 11 < 12, not by bytes. */
static void
test_os_order (void)
{
  const char *names[] = { "Debian 12", "Debian 6.0", "Debian 10", "Debian 11", "Debian 9",
                          "debian 7", "Fedora 38", "Alpine Linux 3.18", "Alpine Linux 3.9" };
  const char *expected[] = { "Alpine Linux 3.9", "Alpine Linux 3.18", "Debian 6.0",
                             "debian 7", "Debian 9", "Debian 10", "Debian 11", "Debian 12",
                             "Fedora 38" };
  g_autoptr(GPtrArray) list = g_ptr_array_new ();

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_ptr_array_add (list, (gpointer) names[i]);
  g_ptr_array_sort (list, compare_names);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpstr (list->pdata[i], ==, expected[i]);
}

/* The engine's limits stay errors; the host's memory only warns. */
static void
test_memory_warning (void)
{
  g_autofree char *fine = hv_wizard_memory_warning (2048, 8192);
  g_autofree char *most = hv_wizard_memory_warning (7000, 8192);
  g_autofree char *over = hv_wizard_memory_warning (16384, 8192);
  g_autofree char *invalid = hv_wizard_memory_warning (HV_MEMORY_MAX_MIB + 1, 8192);
  g_autofree char *unknown = hv_wizard_memory_warning (16384, 0);
  g_autofree char *too_much = hv_wizard_check_memory (HV_MEMORY_MAX_MIB + 1);
  g_autofree char *max = hv_wizard_check_memory (HV_MEMORY_MAX_MIB);

  g_assert_null (fine);
  g_assert_nonnull (most);
  g_assert_nonnull (strstr (most, "three quarters"));
  g_assert_nonnull (strstr (most, "8.0 GiB"));
  g_assert_nonnull (over);
  g_assert_nonnull (strstr (over, "More than this computer has (8.0 GiB)"));
  g_assert_null (invalid);
  g_assert_null (unknown);
  g_assert_nonnull (too_much);
  g_assert_null (max);
  /* This host's own memory is known (Linux reports it). */
  g_assert_cmpuint (hv_wizard_host_memory_mib (), >, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/wizard-model/os-order", test_os_order);
  g_test_add_func ("/wizard-model/memory-warning", test_memory_warning);

  g_test_add_func ("/wizard-model/initial", test_initial_state);
  g_test_add_func ("/wizard-model/defaults/debian11", test_defaults_debian11);
  g_test_add_func ("/wizard-model/defaults/win98", test_defaults_win98);
  g_test_add_func ("/wizard-model/defaults/osinfo", test_defaults_from_osinfo);
  g_test_add_func ("/wizard-model/edits-survive-os-change", test_edits_survive_os_change);
  g_test_add_func ("/wizard-model/unique-name", test_unique_name);
  g_test_add_func ("/wizard-model/validation", test_validation_messages);
  g_test_add_func ("/wizard-model/medium-guess", test_medium_guess);

  return g_test_run ();
}
