/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-collate.h"

#include <locale.h>
#include <string.h>

/* The C and POSIX locales collate by bytes: "É" (0xC3 0x89) after "Z". */
static gboolean
collation_is_bytes (void)
{
  const char *collate = setlocale (LC_COLLATE, NULL);

  return collate == NULL || strcmp (collate, "C") == 0 || strcmp (collate, "POSIX") == 0 ||
         g_str_has_prefix (collate, "C.");
}

/* "Émile" → "Emile": the base letters, without their combining marks. */
static char *
strip_marks (const char *text)
{
  g_autofree char *decomposed = g_utf8_normalize (text, -1, G_NORMALIZE_NFKD);
  GString *out = g_string_new (NULL);

  if (decomposed == NULL)
    return g_strdup (text);
  for (const char *p = decomposed; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      GUnicodeType type = g_unichar_type (c);

      if (type != G_UNICODE_NON_SPACING_MARK && type != G_UNICODE_SPACING_MARK &&
          type != G_UNICODE_ENCLOSING_MARK)
        g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

char *
hv_collate_key (const char *name)
{
  g_autofree char *folded = NULL;

  g_return_val_if_fail (name != NULL, NULL);

  folded = g_utf8_casefold (name, -1);
  if (collation_is_bytes ())
    {
      g_autofree char *plain = strip_marks (folded);
      return g_utf8_collate_key_for_filename (plain, -1);
    }
  /* "for filename": the locale's collation, with numbers compared by value. */
  return g_utf8_collate_key_for_filename (folded, -1);
}

int
hv_collate_compare (const char *a,
                    const char *b)
{
  g_autofree char *ka = NULL;
  g_autofree char *kb = NULL;
  int r;

  if (g_strcmp0 (a, b) == 0)
    return 0;
  if (a == NULL || b == NULL)
    return a == NULL ? -1 : 1;
  ka = hv_collate_key (a);
  kb = hv_collate_key (b);
  r = strcmp (ka, kb);
  /* Names that read the same ("bravo", "Bravo"; "Emile", "Émile") still get a fixed order. */
  return r != 0 ? r : strcmp (a, b);
}
