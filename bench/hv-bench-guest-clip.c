/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-bench-guest-clip.c: the clipboard's round trip through the engine (SetClipboard, then
 * GetClipboard over D-Bus), beside the cheapest call the engine answers. */
#include <string.h>

#include "hv-bench-guest.h"

#define TEXT_MIME "text/plain;charset=utf-8"
/* The host reads GetClipboard this often while it waits for the guest's answer. */
#define X11_POLL_MS 5
#define X11_ROUNDS 10
#define X11_GUEST_SLEEP_MS 20

/* UTF-8 text of exactly `size` bytes (the engine checks that text is UTF-8): a line with a
 * non-ASCII character, repeated, padded with ASCII. */
static GBytes *
make_text (gsize size,
           guint round)
{
  g_autofree char *line = g_strdup_printf ("hostvisor clipboard round %u ✓\n", round);
  GString *s = g_string_sized_new (size);
  gsize len = strlen (line);

  while (s->len + len <= size)
    g_string_append_len (s, line, len);
  while (s->len < size)
    g_string_append_c (s, 'x');
  return g_string_free_to_bytes (s);
}

static gboolean
property_get (GError **error)
{
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_sync (gb.bus, NULL, gb.vm_path,
                                       "org.freedesktop.DBus.Properties", "Get",
                                       g_variant_new ("(ss)", VM_IFACE, "State"),
                                       G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, 30000,
                                       NULL, error);
  return reply != NULL;
}

/* Sets the text and reads it back; what comes back must be what was set (else the figure
 * would time something else). */
static gboolean
clipboard_round (GBytes  *text,
                 GError **error)
{
  g_autoptr(GVariant) set = NULL;
  g_autoptr(GVariant) got = NULL;
  g_autoptr(GVariant) data = NULL;
  const char *mime;
  gsize len;
  const void *bytes;

  set = g_dbus_connection_call_sync (gb.bus, NULL, gb.vm_path, VM_IFACE, "SetClipboard",
                                     g_variant_new ("(s@ay)", TEXT_MIME,
                                                    g_variant_new_from_bytes (
                                                      G_VARIANT_TYPE_BYTESTRING, text, TRUE)),
                                     G_VARIANT_TYPE_UNIT, G_DBUS_CALL_FLAGS_NONE, 30000, NULL,
                                     error);
  if (set == NULL)
    return FALSE;
  got = g_dbus_connection_call_sync (gb.bus, NULL, gb.vm_path, VM_IFACE, "GetClipboard", NULL,
                                     G_VARIANT_TYPE ("(say)"), G_DBUS_CALL_FLAGS_NONE, 30000,
                                     NULL, error);
  if (got == NULL)
    return FALSE;
  g_variant_get (got, "(&s@ay)", &mime, &data);
  bytes = g_variant_get_fixed_array (data, &len, 1);
  if (g_strcmp0 (mime, TEXT_MIME) != 0 || len != g_bytes_get_size (text) ||
      memcmp (bytes, g_bytes_get_data (text, NULL), len) != 0)
    return fail (error, "GetClipboard returned %" G_GSIZE_FORMAT " bytes of \"%s\", not the "
                 "%" G_GSIZE_FORMAT " bytes just set", len, mime, g_bytes_get_size (text));
  return TRUE;
}

gboolean
bench_clipboard (GError **error)
{
  const gsize sizes[N_CLIP_SIZES] = { 32, 64 * 1024, 1024 * 1024, 8 * 1024 * 1024 };

  g_printerr ("hv-bench-guest: clipboard round trips (%d of each size)\n", gb.clip_rounds);
  memcpy (gb.clip_sizes, sizes, sizeof sizes);
  /* One of each, not counted. */
  for (guint i = 0; i < N_CLIP_SIZES; i++)
    {
      g_autoptr(GBytes) text = make_text (sizes[i], 0);

      if (!clipboard_round (text, error) || !property_get (error))
        return FALSE;
    }

  /* Interleaved, so that noise falls on every size and on the baseline alike. Each round sets
   * new text, as a user copying would. */
  for (int r = 1; r <= gb.clip_rounds; r++)
    {
      gint64 t0 = g_get_monotonic_time ();
      double ms;

      if (!property_get (error))
        return FALSE;
      ms = (g_get_monotonic_time () - t0) / 1e3;
      g_array_append_val (gb.prop_ms, ms);

      for (guint i = 0; i < N_CLIP_SIZES; i++)
        {
          g_autoptr(GBytes) text = make_text (sizes[i], r);

          t0 = g_get_monotonic_time ();
          if (!clipboard_round (text, error))
            return FALSE;
          ms = (g_get_monotonic_time () - t0) / 1e3;
          g_array_append_val (gb.clip_ms[i], ms);
        }
      if (interrupted)
        return fail (error, "Interrupted");
    }
  return TRUE;
}

/* Reads GetClipboard until it holds `want`; FALSE with an error on timeout. */
static gboolean
wait_clipboard (const char *want,
                guint       timeout_ms,
                GError    **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gsize want_len = strlen (want);

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(GVariant) got = NULL;
      g_autoptr(GVariant) data = NULL;
      const char *mime;
      const void *bytes;
      gsize len;

      got = g_dbus_connection_call_sync (gb.bus, NULL, gb.vm_path, VM_IFACE, "GetClipboard",
                                         NULL, G_VARIANT_TYPE ("(say)"), G_DBUS_CALL_FLAGS_NONE,
                                         30000, NULL, error);
      if (got == NULL)
        return FALSE;
      g_variant_get (got, "(&s@ay)", &mime, &data);
      bytes = g_variant_get_fixed_array (data, &len, 1);
      if (len == want_len && memcmp (bytes, want, len) == 0)
        return TRUE;
      if (interrupted)
        return fail (error, "Interrupted");
      g_usleep (X11_POLL_MS * 1000);
    }
  return fail (error, "The guest never copied back \"%s\" within %u s", want, timeout_ms / 1000);
}

static gboolean
x11_agent_connected (gboolean *connected,
                     GError  **error)
{
  g_autoptr(JsonObject) vm = ctl_show (X11_VM_NAME, error);
  JsonObject *agent;

  if (vm == NULL)
    return FALSE;
  if (g_strcmp0 (json_string (vm, "state"), "running") != 0)
    return fail (error, "The X11 guest is not running");
  agent = json_object_get_object_member (vm, "agent");
  *connected = agent != NULL && json_object_get_boolean_member_with_default (agent, "connected",
                                                                             FALSE);
  return TRUE;
}

static gboolean
x11_start (const char *dir,
           GError    **error)
{
  g_autofree char *image = g_build_filename (dir, "image.raw", NULL);
  g_autofree char *kernel = g_build_filename (dir, "vmlinuz", NULL);
  g_autofree char *initrd = g_build_filename (dir, "initrd.img", NULL);
  g_autofree char *disk = g_build_filename (bench.tmp, "x11-disk.raw", NULL);
  const char *cp[] = { "cp", "--sparse=always", image, disk, NULL };
  g_autoptr(Child) c = NULL;
  g_autofree char *out = NULL;
  gint64 t0;

  /* The guest writes to its disk: it boots a copy, the cached image stays pristine. */
  c = child_spawn (cp, error);
  if (c == NULL || !child_wait (c, 5 * 60 * 1000, error) || !child_check (c, cp, error))
    return FALSE;
  out = ctl_run (NULL, error, "create", X11_VM_NAME, "--os", "debian12", "--machine", "q35",
                 "--memory", "512", "--disk", disk, "--disk-format", "raw", "--kernel", kernel,
                 "--initrd", initrd, "--cmdline", "root=/dev/vda rw console=ttyS0 init=/hv-init",
                 "--clipboard", "both", NULL);
  if (out == NULL)
    return FALSE;
  g_free (out);
  g_printerr ("hv-bench-guest: starting the X11 guest of %s\n", dir);
  t0 = g_get_monotonic_time ();
  out = ctl_run (NULL, error, "start", X11_VM_NAME, NULL);
  if (out == NULL)
    return FALSE;
  for (;;)
    {
      gboolean connected = FALSE;

      if (!x11_agent_connected (&connected, error))
        return FALSE;
      if (connected)
        break;
      if (g_get_monotonic_time () - t0 > (gint64) READY_TIMEOUT_MS * 1000)
        return fail (error, "The X11 guest's agent did not connect within %d s",
                     READY_TIMEOUT_MS / 1000);
      if (!sleep_ms (500))
        return fail (error, "Interrupted");
    }
  g_printerr ("hv-bench-guest: the X11 guest's agent connected %.1f s after start\n",
              (g_get_monotonic_time () - t0) / 1e6);
  return find_vm (X11_VM_NAME, error) && serial_open (error) && guest_probe (error);
}

/* The guest's own clipboard: only a guest with X11 (tests/guest-x11/) has one. A shell loop in
 * the guest answers "ping-N" in its X11 clipboard with "pong-N", copied with xclip; the host
 * sets ping-N through the engine and reads GetClipboard until pong-N is there. */
gboolean
bench_clipboard_x11 (GError **error)
{
  g_autofree char *dir = gb.x11_dir != NULL ? g_strdup (gb.x11_dir) : g_strdup (HV_BENCH_X11_DIR);
  g_autofree char *image = g_build_filename (dir, "image.raw", NULL);
  g_autofree char *loop = NULL;
  g_autofree char *out = NULL;
  int rounds = MIN (gb.clip_rounds, X11_ROUNDS);

  if (!g_file_test (image, G_FILE_TEST_IS_REGULAR))
    {
      gb.x11_note = g_strdup_printf ("not measured: no X11 guest in %s (build it with "
                                     "tests/guest-x11/make-x11-guest.sh, or pass --x11-guest)",
                                     dir);
      return TRUE;
    }

  /* The tiny guest is done with: its CPU time would only add noise. */
  out = ctl_run (NULL, error, "poweroff", VM_NAME, NULL);
  if (out == NULL || !x11_start (dir, error))
    return FALSE;
  g_clear_pointer (&out, g_free);

  loop = g_strdup_printf ("(export DISPLAY=:0; while :; do t=$(xclip -o -selection clipboard "
                          "2>/dev/null); case \"$t\" in ping-*) printf 'pong-%%s' \"${t#ping-}\" "
                          "| xclip -i -selection clipboard;; esac; sleep 0.%03d; done) "
                          ">/dev/null 2>&1 </dev/null & :", X11_GUEST_SLEEP_MS);
  out = guest_run (loop, 30000, error);
  if (out == NULL)
    return FALSE;

  gb.x11_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_printerr ("hv-bench-guest: host -> guest X11 -> host round trips (%d)\n", rounds);
  for (int r = 0; r <= rounds; r++)
    {
      g_autofree char *ping = g_strdup_printf ("ping-%d", r);
      g_autofree char *pong = g_strdup_printf ("pong-%d", r);
      g_autoptr(GBytes) text = g_bytes_new (ping, strlen (ping));
      g_autoptr(GVariant) set = NULL;
      gint64 t0 = g_get_monotonic_time ();
      double ms;

      set = g_dbus_connection_call_sync (gb.bus, NULL, gb.vm_path, VM_IFACE, "SetClipboard",
                                         g_variant_new ("(s@ay)", TEXT_MIME,
                                                        g_variant_new_from_bytes (
                                                          G_VARIANT_TYPE_BYTESTRING, text,
                                                          TRUE)),
                                         G_VARIANT_TYPE_UNIT, G_DBUS_CALL_FLAGS_NONE, 30000,
                                         NULL, error);
      /* The first round waits for Xvfb and the loop to be up, and is not counted. */
      if (set == NULL || !wait_clipboard (pong, r == 0 ? 120000 : 30000, error))
        return FALSE;
      ms = (g_get_monotonic_time () - t0) / 1e3;
      if (r > 0)
        g_array_append_val (gb.x11_ms, ms);
      g_printerr ("hv-bench-guest:   round %d: %.0f ms%s\n", r, ms, r == 0 ? " (warm-up)" : "");
    }
  /* What the guest's side of the loop costs by itself: one xclip -o and one xclip -i, timed
   * in the guest (Debian's date has %N). */
  g_clear_pointer (&out, g_free);
  out = guest_run ("export DISPLAY=:0; s=$(date +%s%N); xclip -o -selection clipboard "
                   ">/dev/null; printf done | xclip -i -selection clipboard; e=$(date +%s%N); "
                   "echo xclip-us=$(( (e - s) / 1000 ))", 60000, error);
  if (out == NULL)
    return FALSE;
  if (strstr (out, "xclip-us=") != NULL)
    gb.x11_xclip_ms = g_ascii_strtod (strstr (out, "xclip-us=") + 9, NULL) / 1e3;
  gb.x11_note = g_strdup_printf ("median of %u rounds with the X11 guest of %s. It includes the "
                                 "guest's\nloop: xclip -o every %d ms and xclip -i, new "
                                 "processes on TCG; one xclip -o plus one xclip -i\ntake %.0f ms "
                                 "in that guest by themselves",
                                 gb.x11_ms->len, dir, X11_GUEST_SLEEP_MS, gb.x11_xclip_ms);
  return TRUE;
}
