/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-caps-cache.c: QEMU's probe answers kept between engine starts (hv-qemu-caps-cache.h):
 * kept for the same binary, forgotten when it changes, off with $HOSTVISOR_NO_CAPS_CACHE=1,
 * and a damaged file is a miss. */
#include <glib.h>
#include <glib/gstdio.h>
#include <utime.h>

#include "hv-qemu-caps-cache.h"

static char *tmp;
static char *binary;

static void
write_binary (const char *contents)
{
  g_assert_true (g_file_set_contents (binary, contents, -1, NULL));
}

static gboolean
lookup (const char *probe, char **out, int *status)
{
  HvQemuCapsCache *cache = hv_qemu_caps_cache_open (binary);
  gboolean found = hv_qemu_caps_cache_lookup (cache, probe, out, status);

  hv_qemu_caps_cache_close (cache);
  return found;
}

static void
test_kept (void)
{
  HvQemuCapsCache *cache;
  g_autofree char *out = NULL;
  int status = -1;

  write_binary ("one");
  cache = hv_qemu_caps_cache_open (binary);
  g_assert_false (hv_qemu_caps_cache_lookup (cache, "machines", &out, &status));
  hv_qemu_caps_cache_store (cache, "machines", "Supported machines are:\npc-q35-7.2 x\n", 0);
  hv_qemu_caps_cache_store (cache, "sandbox", "", 1);
  hv_qemu_caps_cache_close (cache);

  g_assert_true (lookup ("machines", &out, &status));
  g_assert_cmpstr (out, ==, "Supported machines are:\npc-q35-7.2 x\n");
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_true (lookup ("sandbox", &out, &status));
  g_assert_cmpstr (out, ==, "");
  g_assert_cmpint (status, ==, 1);
  g_clear_pointer (&out, g_free);
  g_assert_false (lookup ("audio", &out, &status));
}

static void
test_changed_binary (void)
{
  HvQemuCapsCache *cache;
  g_autofree char *out = NULL;
  int status;

  write_binary ("one");
  cache = hv_qemu_caps_cache_open (binary);
  hv_qemu_caps_cache_store (cache, "version", "QEMU emulator version 7.2.0", 0);
  hv_qemu_caps_cache_close (cache);
  g_assert_true (lookup ("version", &out, &status));
  g_clear_pointer (&out, g_free);

  /* Another binary at the same path (an upgrade): probed afresh. */
  write_binary ("two, longer");
  g_assert_false (lookup ("version", &out, &status));
  /* The same size, only the time changed. */
  cache = hv_qemu_caps_cache_open (binary);
  hv_qemu_caps_cache_store (cache, "version", "QEMU emulator version 7.2.0", 0);
  hv_qemu_caps_cache_close (cache);
  {
    struct utimbuf times = { 1000000000, 1000000000 };

    g_assert_cmpint (utime (binary, &times), ==, 0);
  }
  g_assert_false (lookup ("version", &out, &status));
}

static void
test_off_and_damaged (void)
{
  g_autofree char *path = g_build_filename (tmp, "hostvisor", "qemu-caps.cache", NULL);
  HvQemuCapsCache *cache;
  g_autofree char *out = NULL;
  int status;

  write_binary ("three");
  cache = hv_qemu_caps_cache_open (binary);
  hv_qemu_caps_cache_store (cache, "audio", "Available audio drivers:\nnone\n", 0);
  hv_qemu_caps_cache_close (cache);
  g_assert_true (lookup ("audio", &out, &status));
  g_clear_pointer (&out, g_free);

  g_setenv ("HOSTVISOR_NO_CAPS_CACHE", "1", TRUE);
  g_assert_false (lookup ("audio", &out, &status));
  g_unsetenv ("HOSTVISOR_NO_CAPS_CACHE");
  g_assert_true (lookup ("audio", &out, &status));
  g_clear_pointer (&out, g_free);

  g_assert_true (g_file_set_contents (path, "\x01not a key file[[", -1, NULL));
  g_assert_false (lookup ("audio", &out, &status));
}

int
main (int argc, char **argv)
{
  int ret;

  tmp = g_dir_make_tmp ("hv-caps-cache-XXXXXX", NULL);
  g_assert_nonnull (tmp);
  /* Before GLib reads it first. */
  g_setenv ("XDG_RUNTIME_DIR", tmp, TRUE);
  g_unsetenv ("HOSTVISOR_NO_CAPS_CACHE");
  binary = g_build_filename (tmp, "qemu-system-x86_64", NULL);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/caps-cache/kept", test_kept);
  g_test_add_func ("/caps-cache/changed-binary", test_changed_binary);
  g_test_add_func ("/caps-cache/off-and-damaged", test_off_and_damaged);
  ret = g_test_run ();

  {
    g_autofree char *cache = g_build_filename (tmp, "hostvisor", "qemu-caps.cache", NULL);
    g_autofree char *dir = g_build_filename (tmp, "hostvisor", NULL);

    g_unlink (cache);
    g_rmdir (dir);
    g_unlink (binary);
    g_rmdir (tmp);
  }
  g_free (binary);
  g_free (tmp);
  return ret;
}
