/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-qemu-img-output.c: qemu-img's progress and error text, for clones, exports and imports. */
#include "hv-qemu-img-output.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

gboolean
hv_qemu_img_parse_progress (const char *text,
                            double     *out)
{
  const char *p = NULL;

  for (const char *q = strstr (text, "/100%)"); q != NULL; q = strstr (q + 1, "/100%)"))
    p = q;
  if (p == NULL)
    return FALSE;
  while (p > text && (g_ascii_isdigit (p[-1]) || p[-1] == '.'))
    p--;
  if (p == text || p[-1] != '(')
    return FALSE;
  *out = g_ascii_strtod (p, NULL) / 100.0;
  return TRUE;
}

char *
hv_qemu_img_message (const char *output)
{
  g_auto(GStrv) lines = g_regex_split_simple ("[\r\n]+", output, 0, 0);
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_strstrip (lines[i]);
      if (lines[i][0] == '\0' || (lines[i][0] == '(' && g_str_has_suffix (lines[i], "%)")))
        continue;
      if (out->len > 0)
        g_string_append (out, "; ");
      g_string_append (out, lines[i]);
    }
  if (out->len > 400)
    g_string_truncate (out, 400);
  return out->len > 0 ? g_string_free (g_steal_pointer (&out), FALSE)
                      : g_strdup ("qemu-img failed");
}

void
hv_child_die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}
