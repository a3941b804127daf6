/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostvisorctl.c: main(): parse the command line, run the command, turn its error into one
 * line on stderr and the exit status.
 *
 * hostvisorctl is a client of hostvisord, like the app: it never starts QEMU nor touches a
 * VM's files itself. docs/cli.md documents every command and the --json output. */
#include "hv-build-config.h"

#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "hostvisorctl.h"
#include "hv-error.h"
#include "hv-client.h"
#include "hv-paths.h"

/* Control characters, invalid UTF-8 and the invisible formatting characters (bidi overrides,
 * zero-width ones) as \xNN or \uXXXX, the rest as it is: for messages that are already meant
 * for people (the engine escapes the names it quotes, so escaping quotes and backslashes
 * again would double them). */
static char *
sanitize_line (const char *text)
{
  GString *out = g_string_sized_new (strlen (text));
  const char *end = text + strlen (text);

  for (const char *p = text; p < end; )
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02x", (guint8) *p);
          p++;
          continue;
        }
      if (g_unichar_iscntrl (c) || c == 0x2028 || c == 0x2029 ||
          g_unichar_type (c) == G_UNICODE_FORMAT)
        g_string_append_printf (out, c < 0x100 ? "\\x%02x" : "\\u%04x", c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }
  return g_string_free (out, FALSE);
}

/* One line for a person: no D-Bus names, no control characters, no line breaks. */
static char *
error_to_line (HvCtl  *ctl,
               GError *error)
{
  g_autoptr(GString) text = NULL;
  char *lost = hv_ctl_remote_lost_line (ctl);

  /* Over SSH, what ended the connection says more than the call that found it ended. */
  if (lost != NULL)
    return lost;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_DISCONNECTED))
    {
      g_autofree char *log = hv_paths_engine_log ();

      return g_strdup_printf (_("lost the connection to the engine (did hostvisord stop? see %s)"),
                              log);
    }
  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_INTERFACE) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY))
    return g_strdup (_("the engine does not know this operation "
                       "(is hostvisord the same version?)"));
  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT))
    return g_strdup (_("the VM no longer exists"));
  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_strdup (_("the engine did not answer in time"));

  hv_client_error_strip (error);
  g_dbus_error_strip_remote_error (error);

  /* QEMU's own message may span lines; keep it on one. */
  text = g_string_new (error->message);
  while (text->len > 0 && g_ascii_isspace (text->str[text->len - 1]))
    g_string_truncate (text, text->len - 1);
  g_string_replace (text, "\r\n", "; ", 0);
  g_string_replace (text, "\n", "; ", 0);
  return sanitize_line (text->str);
}

/* Whoever read our output has gone (`hostvisorctl log VM | head`): for a pipe whose
 * reader closed it, poll() reports POLLERR on the writing end. */
static gboolean
stdout_reader_gone (void)
{
  struct pollfd pfd = { STDOUT_FILENO, 0, 0 };

  return poll (&pfd, 1, 0) == 1 && (pfd.revents & POLLERR) != 0;
}

static int
report (HvCtl  *ctl,
        GError *error)
{
  g_autofree char *line = NULL;

  /* A failure without a message is a bug somewhere below us; still say something. */
  if (error == NULL)
    {
      fflush (stdout);
      fprintf (stderr, "hostvisorctl: %s\n", _("the operation failed (no reason given)"));
      return HV_CTL_EXIT_FAILURE;
    }

  /* The reader of our output has all it wanted: that is no failure, and nothing to say
   * (other tools die of SIGPIPE silently; we end with 0). */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE))
    return 0;

  line = error_to_line (ctl, error);

  fflush (stdout);
  fprintf (stderr, "hostvisorctl: %s\n", line);
  if (error->domain == HV_CTL_EXIT_ERROR)
    return error->code;
  return error->domain == HV_CTL_USAGE_ERROR ? HV_CTL_EXIT_USAGE : HV_CTL_EXIT_FAILURE;
}

static int
finish (int status)
{
  /* Output that could not be written (a full disk) is a failure too; output that nobody
   * reads any more (a closed pipe) is not. */
  gboolean flush_failed = fflush (stdout) != 0;
  int saved = errno;

  if (flush_failed || ferror (stdout))
    {
      if ((flush_failed && saved == EPIPE) || stdout_reader_gone ())
        return status;
      if (status == 0)
        fprintf (stderr, "hostvisorctl: %s\n", _("cannot write the output"));
      return status != 0 ? status : HV_CTL_EXIT_FAILURE;
    }
  return status;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  HvCtlCommandLine line = { 0 };
  HvCtl ctl = { 0 };
  int status;

  setlocale (LC_ALL, "");
  hv_client_init_i18n ();
  g_set_prgname ("hostvisorctl");
  /* A closed stdout is an EPIPE to handle (see report()), not a signal; GIO ignores
   * SIGPIPE anyway once it has a socket, so this makes it the same from the start. */
  signal (SIGPIPE, SIG_IGN);

  if (!hv_ctl_command_line_parse (argc, argv, &line, &error))
    return report (&ctl, error);
  if (line.connect != NULL)
    ctl.remote = hv_remote_parse (line.connect, NULL);   /* checked by the parser */

  switch (line.action)
    {
    case HV_CTL_ACTION_HELP:
      hv_ctl_print_help (&line);
      status = 0;
      break;

    case HV_CTL_ACTION_VERSION:
      g_print ("hostvisorctl %s\n", PACKAGE_VERSION);
      status = 0;
      break;

    case HV_CTL_ACTION_RUN:
    default:
      status = line.args->command->run (&ctl, line.args, &error) ? 0 : report (&ctl, error);
      break;
    }

  hv_ctl_command_line_clear (&line);
  g_clear_object (&ctl.engine);
  g_clear_object (&ctl.connection);
  g_clear_pointer (&ctl.remote, hv_remote_free);
  return finish (status);
}
