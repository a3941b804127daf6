/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-appliance-tar.c: a small ustar reader for OVAs (see hv-appliance-tar.h). */
#include "hv-appliance-tar.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv-config.h"
#include "hv-error.h"

#define BLOCK 512

void
hv_tar_member_free (HvTarMember *member)
{
  if (member == NULL)
    return;
  g_free (member->name);
  g_free (member);
}

gboolean
hv_tar_name_is_safe (const char *name)
{
  gsize len = strlen (name);

  if (len == 0 || len > 255 || !g_utf8_validate (name, -1, NULL))
    return FALSE;
  if (g_str_equal (name, ".") || g_str_equal (name, "..") || strchr (name, '/') != NULL
      || strchr (name, '\\') != NULL)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      return FALSE;
  return TRUE;
}

/* A NUL-terminated copy of a header field of @len bytes (a full field has no NUL). */
static char *
field (const guchar *header,
       gsize         offset,
       gsize         len)
{
  return g_strndup ((const char *) header + offset, len);
}

/* A number field: octal (spaces or NULs around it), or GNU's base-256 form (the first byte's
 * high bit set), which tar writes for members of 8 GiB and more. FALSE when it is neither. */
static gboolean
octal_field (const guchar *header,
             gsize         offset,
             gsize         len,
             guint64      *out)
{
  guint64 value = 0;
  gsize i = 0;
  gboolean digits = FALSE;

  if (header[offset] & 0x80)
    {
      if (header[offset] != 0x80)
        return FALSE;   /* negative, or more than 64 bits */
      for (i = 1; i < len; i++)
        {
          if (value >> 56)
            return FALSE;
          value = (value << 8) | header[offset + i];
        }
      *out = value;
      return TRUE;
    }
  while (i < len && (header[offset + i] == ' ' || header[offset + i] == '\0'))
    i++;
  for (; i < len && header[offset + i] >= '0' && header[offset + i] <= '7'; i++)
    {
      value = value * 8 + (header[offset + i] - '0');
      digits = TRUE;
    }
  for (; i < len; i++)
    if (header[offset + i] != ' ' && header[offset + i] != '\0')
      return FALSE;
  *out = value;
  return digits;
}

static gboolean
all_zero (const guchar *block)
{
  for (guint i = 0; i < BLOCK; i++)
    if (block[i] != 0)
      return FALSE;
  return TRUE;
}

static gboolean
read_block (int           fd,
            guint64       offset,
            guchar       *block,
            const char   *shown,
            GError      **error)
{
  gsize done = 0;

  while (done < BLOCK)
    {
      ssize_t n = pread (fd, block + done, BLOCK - done, (off_t) (offset + done));

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot read %s: %s", shown,
                       g_strerror (saved));
          return FALSE;
        }
      if (n == 0)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "%s is not a valid OVA: the archive ends inside a header", shown);
          return FALSE;
        }
      done += n;
    }
  return TRUE;
}

HvTarMember *
hv_tar_find (GPtrArray  *members,
             const char *name)
{
  for (guint i = 0; i < members->len; i++)
    {
      HvTarMember *m = g_ptr_array_index (members, i);

      if (g_str_equal (m->name, name))
        return m;
    }
  return NULL;
}

/* One header at @pos → a member (or NULL with @error). */
static HvTarMember *
parse_header (const guchar *header,
              guint64       pos,
              guint64       archive_size,
              const char   *shown,
              GError      **error)
{
  g_autofree char *name = field (header, 0, 100);
  g_autofree char *prefix = NULL;
  g_autofree char *full = NULL;
  g_autofree char *name_shown = NULL;
  guint64 checksum, size, sum = 0;
  char type = (char) header[156];
  HvTarMember *member;

  if (memcmp (header + 257, "ustar", 5) != 0)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s is not an OVA: it is not a tar archive in the ustar format", shown);
      return NULL;
    }
  for (guint i = 0; i < BLOCK; i++)
    sum += (i >= 148 && i < 156) ? ' ' : header[i];
  if (!octal_field (header, 148, 8, &checksum) || checksum != sum)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s is not a valid OVA: the tar header at byte %" G_GUINT64_FORMAT
                   " is damaged (wrong checksum)", shown, pos);
      return NULL;
    }
  prefix = field (header, 345, 155);
  full = prefix[0] != '\0' ? g_strconcat (prefix, "/", name, NULL) : g_strdup (name);
  /* "./name", as some tar commands write it, is the name itself. */
  if (g_str_has_prefix (full, "./") && full[2] != '\0')
    memmove (full, full + 2, strlen (full + 2) + 1);
  name_shown = hv_config_escape_for_display (full);

  if (type == 'x' || type == 'g' || type == 'L' || type == 'K')
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s: the member \"%s\" has an extended (pax or GNU) header, which an OVA "
                   "does not use: refused", shown, name_shown);
      return NULL;
    }
  if (type == '1' || type == '2')
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s: the member \"%s\" is a link: an OVA holds regular files only", shown,
                   name_shown);
      return NULL;
    }
  if (type != '0' && type != '\0' && type != '7')
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s: the member \"%s\" is not a regular file (tar type '%c'): an OVA holds "
                   "regular files only", shown, name_shown, g_ascii_isprint (type) ? type : '?');
      return NULL;
    }
  if (full[0] == '/')
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s: the member \"%s\" has an absolute name: refused", shown, name_shown);
      return NULL;
    }
  if (g_str_equal (full, "..") || g_str_has_prefix (full, "../") || strstr (full, "/../") != NULL
      || g_str_has_suffix (full, "/.."))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s: the member \"%s\" climbs out of the archive (\"..\"): refused", shown,
                   name_shown);
      return NULL;
    }
  if (!hv_tar_name_is_safe (full))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s: the member name \"%s\" is not a plain file name: refused", shown,
                   name_shown);
      return NULL;
    }
  if (!octal_field (header, 124, 12, &size))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s: the member \"%s\" has no valid size", shown, name_shown);
      return NULL;
    }
  if (size > archive_size || pos + BLOCK > archive_size - size)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s: the member \"%s\" declares %" G_GUINT64_FORMAT " bytes, but the "
                   "archive (%" G_GUINT64_FORMAT " bytes) ends before: refused", shown,
                   name_shown, size, archive_size);
      return NULL;
    }
  member = g_new0 (HvTarMember, 1);
  member->name = g_steal_pointer (&full);
  member->offset = pos + BLOCK;
  member->size = size;
  return member;
}

GPtrArray *
hv_tar_list (int          fd,
             const char  *shown,
             GError     **error)
{
  g_autoptr(GPtrArray) members = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_tar_member_free);
  guchar header[BLOCK];
  struct stat st;
  guint64 pos = 0;

  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT, "%s is not a regular file", shown);
      return NULL;
    }
  while (TRUE)
    {
      HvTarMember *member;

      if (pos + BLOCK > (guint64) st.st_size)
        {
          /* No end-of-archive blocks: tolerated when the last member ended cleanly. */
          if (pos == (guint64) st.st_size && members->len > 0)
            break;
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "%s is not a valid OVA: the archive ends inside a member", shown);
          return NULL;
        }
      if (!read_block (fd, pos, header, shown, error))
        return NULL;
      if (all_zero (header))
        break;
      member = parse_header (header, pos, st.st_size, shown, error);
      if (member == NULL)
        return NULL;
      if (hv_tar_find (members, member->name) != NULL)
        {
          g_autofree char *name_shown = hv_config_escape_for_display (member->name);

          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "%s: the member \"%s\" is in the archive twice: refused", shown,
                       name_shown);
          hv_tar_member_free (member);
          return NULL;
        }
      pos = member->offset + ((member->size + BLOCK - 1) / BLOCK) * BLOCK;
      g_ptr_array_add (members, member);
      if (members->len > HV_TAR_MAX_MEMBERS)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "%s has more than %d members: not an OVA", shown, HV_TAR_MAX_MEMBERS);
          return NULL;
        }
    }
  if (members->len == 0)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT, "%s is an empty archive", shown);
      return NULL;
    }
  return g_steal_pointer (&members);
}
