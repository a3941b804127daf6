/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-crashpoint.c: see hv-crashpoint.h. */
#include "hv-crashpoint.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum {
  CRASH_UNREAD,
  CRASH_OFF,
  CRASH_LIST,
  CRASH_ARMED,
} CrashMode;

static CrashMode mode = CRASH_UNREAD;
static char *armed_name;
static guint64 armed_left;

static void
read_setting (void)
{
  const char *value = g_getenv ("HOSTVISOR_CRASH_AT");
  const char *colon;

  mode = CRASH_OFF;
  if (value == NULL || *value == '\0')
    return;
  if (g_str_equal (value, "list"))
    {
      mode = CRASH_LIST;
      return;
    }
  /* Names have colons of their own ("start:spawned"): only a number after the last one
   * is a count. */
  colon = strrchr (value, ':');
  armed_left = 1;
  if (colon != NULL && g_ascii_isdigit (colon[1]))
    {
      guint64 n = 0;

      /* Point names have colons of their own ("start:spawned"): only a number after the
       * last one is a count. */
      if (g_ascii_string_to_unsigned (colon + 1, 10, 1, G_MAXUINT64, &n, NULL))
        {
          armed_left = n;
          armed_name = g_strndup (value, (gsize) (colon - value));
        }
    }
  if (armed_name == NULL)
    armed_name = g_strdup (value);
  mode = CRASH_ARMED;
}

void
hv_crash_point (const char *name)
{
  if (G_LIKELY (mode == CRASH_OFF))
    return;
  if (mode == CRASH_UNREAD)
    {
      read_setting ();
      if (mode == CRASH_OFF)
        return;
    }
  if (mode == CRASH_LIST)
    {
      /* stdio is fine here: this is a test-only mode. */
      fprintf (stderr, "crashpoint %s\n", name);
      fflush (stderr);
      return;
    }
  if (strcmp (name, armed_name) != 0)
    return;
  if (--armed_left > 0)
    return;
  fprintf (stderr, "crashpoint %s: killing the engine\n", name);
  fflush (stderr);
  kill (getpid (), SIGKILL);
  _exit (137);
}
