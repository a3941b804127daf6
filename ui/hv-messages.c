/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-messages.h"

#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n.h>

#include "hv-error.h"

/* One message of the engine's: its text as the engine writes it (%s and %d/%u stand for the
 * parts it fills in), and the app's sentence for it, where %s takes those parts in order and
 * %N$s the N-th one (so a translation may reorder or leave out a part). */
typedef struct {
  const char *engine;
  const char *sentence;
} Message;

/* The reasons the engine gives with a VM's state (hv-vm-process.c, hv-vm.c; the QMP run
 * states for a paused VM). */
static const Message reasons[] = {
  { "powered off: the guest did not shut down within %u s",
    N_("the guest did not shut down within %s s, so it was powered off") },
  { "the guest powered off", N_("the guest shut itself down") },
  { "ACPI shutdown requested", N_("the guest was asked to shut down") },
  { "running without hardware acceleration (TCG)",
    N_("running without hardware acceleration (TCG)") },
  { "the configuration cannot be read", N_("its configuration cannot be read") },
  { "the configuration cannot be used", N_("its configuration cannot be used") },
  { "the engine cannot reach its monitor", N_("the engine cannot reach its QEMU monitor") },
  /* Translators: %1$s is a signal number; the engine's signal name is left out */
  { "QEMU was killed by signal %d (%s)", N_("QEMU was killed by signal %1$s") },
  { "QEMU was ended by a signal", N_("QEMU was ended by a signal") },
  /* Translators: %s: QEMU's exit status, %s: QEMU's last message (not translated) */
  { "QEMU exited with status %d: %s", N_("QEMU exited with status %s: %s") },
  { "QEMU exited with status %d", N_("QEMU exited with status %s") },
  { "QEMU exited", N_("QEMU exited") },
  { "QEMU ended unexpectedly", N_("QEMU ended unexpectedly") },
  { "QEMU refused to start: it ended before it could be set up",
    N_("QEMU ended before it could be set up") },
  /* Translators: %s is QEMU's own message (not translated) */
  { "QEMU refused to start: %s", N_("QEMU refused to start: %s") },
  { "io-error", N_("a disk could not be read or written") },
  { "guest-panicked", N_("the guest crashed") },
  { "internal-error", N_("QEMU hit an internal error") },
  { "suspended", N_("the guest is asleep") },
  { "watchdog", N_("the guest's watchdog fired") },
  { "debug", N_("stopped by a debugger") },
  { "prelaunch", N_("not started yet") },
  { "shutdown", N_("shutting down") },
};

/* The errors a person meets in the app (hv-vm-process.c, hv-library.c, hv-vm-options.c,
 * hv-engine.c, hv-vm-shares.c, hv-client.c). */
static const Message errors[] = {
  { "VM \"%s\" is already running", N_("“%s” is already running.") },
  { "VM \"%s\" is not running", N_("“%s” is not running.") },
  { "VM \"%s\" is inaccessible", N_("The configuration of “%s” cannot be read.") },
  { "VM \"%s\" went away while starting", N_("“%s” was removed while it started.") },
  /* Translators: %s: a VM's name, %s: the engine's reason */
  { "VM \"%s\" cannot be started: %s", N_("“%s” cannot be started: %s") },
  { "VM \"%s\" is not ready for a medium change",
    N_("“%s” is not ready to change its disc yet; try again in a moment.") },
  /* Translators: %1$s: a VM's name, %2$s: "cdrom" or "floppy" */
  { "VM \"%s\" has no %s drive; add one while it is powered off",
    N_("“%1$s” has no %2$s drive; add one in its settings while it is powered off.") },
  { "A VM named \"%s\" already exists", N_("A virtual machine named “%s” already exists.") },
  { "No VM named \"%s\"", N_("There is no virtual machine named “%s”.") },
  { "The VM was deleted", N_("The virtual machine was deleted.") },
  { "Folder \"%s\" already exists", N_("The folder “%s” already exists.") },
  { "No folder \"%s\"", N_("There is no folder “%s”.") },
  { "A folder needs a name", N_("A folder needs a name.") },
  { "Cannot move folder \"%s\" into itself", N_("The folder “%s” cannot go into itself.") },
  { "Too many folders", N_("There are too many folders.") },
  { "Folder path too long", N_("The folder path is too long.") },
  { "Memory must be between %d and %d MiB", N_("Memory must be between %s and %s MiB.") },
  { "CPUs must be between 1 and %d", N_("The number of CPUs must be between 1 and %s.") },
  { "Disk size must be between 1 and %d GiB", N_("The disk size must be between 1 and %s GiB.") },
  /* Translators: %s is the setting's option name, e.g. "memory" */
  { "Cannot change %s while the VM is running; power it off first",
    N_("The setting “%s” can only change while the virtual machine is powered off.") },
  { "Kernel not found: %s", N_("The kernel was not found: %s") },
  { "Initrd not found: %s", N_("The initrd was not found: %s") },
  { "ISO not found: %s", N_("The disc image was not found: %s") },
  { "Floppy image not found: %s", N_("The floppy image was not found: %s") },
  { "File not found: %s", N_("The file was not found: %s") },
  { "Folder not found: %s", N_("The folder was not found: %s") },
  { "QEMU (qemu-system-x86_64) is not installed",
    N_("QEMU (qemu-system-x86_64) is not installed on this computer.") },
  { "UEFI firmware (OVMF) is not installed on this host",
    N_("UEFI firmware (OVMF) is not installed on this computer.") },
  /* Translators: %s is a file path */
  { "The guest tools ISO is not installed (%s)",
    N_("The guest tools disc is not installed (%s).") },
  { "The demo guest's builder or the guest agent is not installed",
    N_("The demo needs the guest tools and their builder, which are not installed.") },
  { "Cannot build the demo guest: %s", N_("The demo guest could not be built: %s") },
  { "Cannot create the disk: %s", N_("The hard disk could not be created: %s") },
  { "qemu-img is not installed: cannot create a disk (use --no-disk or --disk)",
    N_("qemu-img is not installed, so no hard disk can be created.") },
  { "VM \"%s\" already has a share named \"%s\"",
    N_("“%s” already has a shared folder named “%s”.") },
  { "VM \"%s\" has no share named \"%s\"", N_("“%s” has no shared folder named “%s”.") },
  { "Sharing the host's root directory is not allowed",
    N_("The whole file system of this computer cannot be shared.") },
  { "The shared clipboard is off for VM \"%s\"", N_("The shared clipboard is off for “%s”.") },
  /* Translators: a live snapshot refused (the app then offers a disk-only one) */
  { "The shared folder \"%s\" is in use by the guest and blocks a snapshot with the running "
    "state (the guest tools are not running to unmount it): take a disk-only snapshot "
    "instead (--disk-only)",
    N_("The shared folder “%s” is in use by the guest, and the guest tools are not running to "
       "unmount it for the snapshot.") },
  { "The shared folder \"%s\" is still in use in the guest after the guest tools unmounted it "
    "(a program has a file or folder of it open): take a disk-only snapshot instead "
    "(--disk-only)",
    N_("The shared folder “%s” is still in use in the guest after the guest tools unmounted "
       "it: a program has a file or folder of it open.") },
  /* Translators: %s: the shared folders' names, then why (not translated) */
  { "The shared folders %s of VM \"%s\" could not be taken out of the guest for the "
    "snapshot (%s); they stay shared: take a disk-only snapshot instead (--disk-only)",
    N_("The guest tools could not unmount the shared folders %1$s of “%2$s” for the snapshot "
       "(%3$s); they stay shared.") },
  { "Another engine is already running for this user",
    N_("Another engine already runs for this user.") },
  /* Translators: %s: seconds */
  { "The engine did not start within %d seconds",
    N_("The engine did not start within %s seconds.") },
  /* Translators: %s: why (not translated) */
  { "Cannot reach the engine: %s", N_("The engine cannot be reached: %s") },
  { "The engine is not running (%s)", N_("The engine is not running (%s).") },
};

/* ---- matching ---- */

/* The engine's text as a regular expression with one group per part it filled in. */
static GRegex *
compile (const char *engine)
{
  g_autoptr(GString) re = g_string_new ("^");
  const char *p = engine;

  while (*p != '\0')
    {
      const char *next = strchr (p, '%');

      if (next == NULL)
        next = p + strlen (p);
      if (next > p)
        {
          g_autofree char *literal = g_regex_escape_string (p, next - p);
          g_string_append (re, literal);
        }
      if (*next == '\0')
        break;
      if (next[1] == 's')
        g_string_append (re, "(.+?)");
      else
        g_string_append (re, "(-?[0-9]+)");
      p = next + 2;
    }
  g_string_append (re, "$");
  return g_regex_new (re->str, G_REGEX_DOTALL, 0, NULL);
}

/* The sentence with %s and %N$s replaced by the parts. */
static char *
fill (const char  *sentence,
      GMatchInfo  *match)
{
  g_autoptr(GString) out = g_string_new (NULL);
  int next = 1;

  for (const char *p = sentence; *p != '\0'; p++)
    {
      int index = 0;

      if (p[0] != '%')
        {
          g_string_append_c (out, *p);
          continue;
        }
      if (p[1] == '%')
        {
          g_string_append_c (out, '%');
          p++;
          continue;
        }
      if (p[1] == 's')
        {
          index = next++;
          p++;
        }
      else if (g_ascii_isdigit (p[1]) && p[2] == '$' && p[3] == 's')
        {
          index = p[1] - '0';
          p += 3;
        }
      if (index > 0)
        {
          g_autofree char *part = g_match_info_fetch (match, index);
          g_string_append (out, part != NULL ? part : "");
        }
      else
        g_string_append_c (out, '%');
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
lookup (const Message *table,
        guint          n,
        GRegex       **compiled,
        const char    *text)
{
  if (text == NULL || text[0] == '\0')
    return NULL;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GMatchInfo) match = NULL;

      if (g_once_init_enter (&compiled[i]))
        g_once_init_leave (&compiled[i], compile (table[i].engine));
      if (compiled[i] != NULL && g_regex_match (compiled[i], text, 0, &match))
        return fill (_(table[i].sentence), match);
    }
  return NULL;
}

static GRegex *reason_res[G_N_ELEMENTS (reasons)];
static GRegex *error_res[G_N_ELEMENTS (errors)];

/* ---- the API ---- */

char *
hv_messages_state_reason (const char *state,
                          const char *reason)
{
  char *known;

  if (reason == NULL || reason[0] == '\0')
    return NULL;
  /* "poweroff" with "powered off", "paused" with "paused", "running" with "running": the state
   * already says it. */
  if (g_ascii_strcasecmp (reason, "powered off") == 0 ||
      g_ascii_strcasecmp (reason, state != NULL ? state : "") == 0)
    return NULL;
  known = lookup (reasons, G_N_ELEMENTS (reasons), reason_res, reason);
  return known != NULL ? known : g_strdup (reason);
}

char *
hv_messages_translate (const char *message)
{
  char *known = lookup (errors, G_N_ELEMENTS (errors), error_res, message);

  if (known == NULL)
    known = lookup (reasons, G_N_ELEMENTS (reasons), reason_res, message);
  return known;
}

static const char *
code_sentence (int code)
{
  switch (code)
    {
    /* Translators: each of these is followed by the engine's own (English) message */
    case HV_ERROR_INVALID_ARGUMENT:
      return _("The engine refused a value");
    case HV_ERROR_NOT_FOUND:
      return _("Something was not found");
    case HV_ERROR_EXISTS:
      return _("The name is taken");
    case HV_ERROR_INVALID_STATE:
      return _("Not possible in the virtual machine’s current state");
    case HV_ERROR_INACCESSIBLE:
      return _("The virtual machine’s configuration cannot be read");
    case HV_ERROR_INVALID_CONFIG:
      return _("The configuration is not valid");
    case HV_ERROR_QEMU_FAILED:
      return _("QEMU failed");
    case HV_ERROR_IO:
      return _("A file could not be read or written");
    case HV_ERROR_BUSY:
      return _("The engine is busy with another change; try again");
    case HV_ERROR_TIMEOUT:
      return _("The engine did not finish in time");
    case HV_ERROR_NOT_SUPPORTED:
      return _("Not supported on this computer");
    case HV_ERROR_ENGINE_RUNNING:
      return _("Another engine already runs for this user");
    default:
      return _("The engine could not do it");
    }
}

char *
hv_messages_error (const GError *error)
{
  char *known;

  if (error == NULL)
    return g_strdup (_("The engine could not do it"));

  known = hv_messages_translate (error->message);
  if (known != NULL)
    return known;

  /* The connection to the engine broke, or a call went unanswered. */
  if (error->domain == G_IO_ERROR &&
      (error->code == G_IO_ERROR_CLOSED || error->code == G_IO_ERROR_BROKEN_PIPE ||
       error->code == G_IO_ERROR_CONNECTION_CLOSED))
    return g_strdup (_("The connection to the engine was lost."));
  if (error->domain == G_IO_ERROR && error->code == G_IO_ERROR_TIMED_OUT)
    return g_strdup (_("The engine did not answer in time."));
  if (error->domain == G_DBUS_ERROR &&
      (error->code == G_DBUS_ERROR_UNKNOWN_OBJECT || error->code == G_DBUS_ERROR_UNKNOWN_METHOD))
    return g_strdup (_("The virtual machine no longer exists."));

  if (error->domain == HV_ERROR)
    /* Translators: a sentence for the kind of error, then the engine's (English) message */
    return g_strdup_printf (_("%s: %s"), code_sentence (error->code), error->message);
  return g_strdup (error->message);
}
