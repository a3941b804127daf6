/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-appliance-open.c: an OVF/OVA opened and checked, and InspectAppliance's summary (see
 * hv-appliance-import.h and hv-appliance-private.h). */
#include "hv-appliance-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv-appliance-tar.h"
#include "hv-error.h"
#include "hv-qemu-img-output.h"
#include "hv-osinfo.h"
#include "hv-ovf-reader.h"
#include "hv-vm-machine.h"
#include "hv-vm-options.h"

/* The largest manifest that is read. */
#define MANIFEST_MAX (256 * 1024)


/* ----------------------------------------------------------------------------
 * The appliance: its files, where they lie
 */

void
hv_appliance_free (Appliance *app)
{
  if (app == NULL)
    return;
  if (app->fd >= 0)
    close (app->fd);
  g_free (app->path);
  g_free (app->shown);
  g_free (app->dir);
  g_free (app->descriptor);
  g_clear_pointer (&app->members, g_ptr_array_unref);
  g_clear_pointer (&app->ovf, hv_ovf_free);
  g_clear_pointer (&app->warnings, g_ptr_array_unref);
  g_clear_pointer (&app->virtual_sizes, g_ptr_array_unref);
  g_free (app);
}

/* The source of the file @name of the appliance; @path_out (a directory package): the
 * file's path, owned by the caller. */
gboolean
hv_appliance_source_of (Appliance   *app,
           const char  *name,
           Source      *out,
           char       **path_out,
           GError     **error)
{
  g_autofree char *shown = hv_config_escape_for_display (name);
  g_autofree char *path = NULL;
  struct stat st;

  if (!hv_tar_name_is_safe (name))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s names the file \"%s\", which is not a plain file name: refused",
                   app->shown, shown);
      return FALSE;
    }
  if (app->is_ova)
    {
      HvTarMember *member = hv_tar_find (app->members, name);

      if (member == NULL)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "%s lacks the file \"%s\" that its descriptor names", app->shown, shown);
          return FALSE;
        }
      out->file = app->path;
      out->offset = member->offset;
      out->size = member->size;
      return TRUE;
    }
  path = g_build_filename (app->dir, name, NULL);
  if (lstat (path, &st) != 0)
    {
      int saved = errno;
      g_set_error (error, HV_ERROR, saved == ENOENT ? HV_ERROR_INVALID_ARGUMENT : HV_ERROR_IO,
                   "%s: the file \"%s\" that it names %s", app->shown, shown,
                   saved == ENOENT ? "is missing" : g_strerror (saved));
      return FALSE;
    }
  if (S_ISLNK (st.st_mode))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s: the file \"%s\" is a symbolic link: refused", app->shown, shown);
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s: \"%s\" is not a regular file: refused", app->shown, shown);
      return FALSE;
    }
  out->file = NULL;   /* set by the caller from path_out */
  out->offset = 0;
  out->size = st.st_size;
  *path_out = g_steal_pointer (&path);
  return TRUE;
}

static int
open_source (const char  *file,
             GError     **error)
{
  int fd = open (file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);

  if (fd < 0)
    {
      int saved = errno;
      g_autofree char *shown = hv_config_escape_for_display (file);
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot open %s: %s", shown, g_strerror (saved));
    }
  return fd;
}

int
hv_appliance_open_checked (const Source  *src,
                           GError       **error)
{
  int fd = open_source (src->file, error);
  struct stat st;

  if (fd < 0)
    return -1;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)
      || (guint64) st.st_size < src->offset || (guint64) st.st_size - src->offset < src->size)
    {
      g_autofree char *shown = hv_config_escape_for_display (src->file);

      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s changed while it was being imported: refused", shown);
      close (fd);
      return -1;
    }
  return fd;
}

/* @len bytes at @offset of @src into @buffer; fewer at its end (*got). */
static gboolean
read_at (const Source  *src,
         guint64        offset,
         guchar        *buffer,
         gsize          len,
         gsize         *got,
         GError       **error)
{
  int fd;
  gsize done = 0;

  if (offset >= src->size)
    {
      *got = 0;
      return TRUE;
    }
  len = MIN (len, src->size - offset);
  if ((fd = open_source (src->file, error)) < 0)
    return FALSE;
  while (done < len)
    {
      ssize_t n = pread (fd, buffer + done, len - done, (off_t) (src->offset + offset + done));

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += n;
    }
  close (fd);
  *got = done;
  return TRUE;
}

static char *
hash_source (const Source  *src,
             GChecksumType  type,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(GChecksum) sum = g_checksum_new (type);
  g_autofree guchar *buffer = g_malloc (1 << 20);
  guint64 done = 0;
  int fd;

  if ((fd = open_source (src->file, error)) < 0)
    return NULL;
  while (done < src->size)
    {
      ssize_t n = pread (fd, buffer, MIN ((guint64) (1 << 20), src->size - done),
                         (off_t) (src->offset + done));

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0 || g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          if (n <= 0)
            g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot read the appliance: %s",
                         n < 0 ? g_strerror (errno) : "it ends early");
          close (fd);
          return NULL;
        }
      g_checksum_update (sum, buffer, n);
      done += n;
    }
  close (fd);
  return g_strdup (g_checksum_get_string (sum));
}

/* The whole small file @name (the descriptor, the manifest), at most @max bytes. */
static char *
read_small (Appliance   *app,
            const char  *name,
            gsize        max,
            gsize       *len,
            GError     **error)
{
  g_autofree char *path = NULL;
  g_autofree guchar *data = NULL;
  g_autofree char *shown = hv_config_escape_for_display (name);
  Source src;
  gsize got;

  if (!hv_appliance_source_of (app, name, &src, &path, error))
    return NULL;
  if (path != NULL)
    src.file = path;
  if (src.size > max)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s: \"%s\" is larger than %" G_GSIZE_FORMAT " bytes: refused", app->shown,
                   shown, max);
      return NULL;
    }
  data = g_malloc (src.size + 1);
  if (!read_at (&src, 0, data, src.size, &got, error))
    return NULL;
  if (got != src.size)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "%s: \"%s\" cannot be read whole", app->shown,
                   shown);
      return NULL;
    }
  data[got] = '\0';
  *len = got;
  return (char *) g_steal_pointer (&data);
}

/* ----------------------------------------------------------------------------
 * The manifest
 */

static gboolean
check_manifest (Appliance     *app,
                const char    *manifest,
                GCancellable  *cancellable,
                GError       **error)
{
  g_autoptr(GRegex) line_re = g_regex_new ("^\\s*(SHA1|SHA256|SHA512)\\s*\\((.+)\\)\\s*=\\s*"
                                           "([0-9a-fA-F]+)\\s*$", 0, 0, NULL);
  g_autofree char *mf_shown = hv_config_escape_for_display (manifest);
  g_autoptr(GHashTable) covered = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  gsize len;

  text = read_small (app, manifest, MANIFEST_MAX, &len, error);
  if (text == NULL)
    return FALSE;
  if (strlen (text) != len || !g_utf8_validate (text, len, NULL))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s: the manifest \"%s\" is not text", app->shown, mf_shown);
      return FALSE;
    }
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(GMatchInfo) match = NULL;
      g_autofree char *algo = NULL;
      g_autofree char *name = NULL;
      g_autofree char *want = NULL;
      g_autofree char *got = NULL;
      g_autofree char *path = NULL;
      g_autofree char *shown = NULL;
      GChecksumType type;
      Source src;

      g_strchomp (lines[i]);
      if (lines[i][0] == '\0')
        continue;
      if (!g_regex_match (line_re, lines[i], 0, &match))
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "%s: line %u of the manifest \"%s\" cannot be read", app->shown, i + 1,
                       mf_shown);
          return FALSE;
        }
      algo = g_match_info_fetch (match, 1);
      name = g_match_info_fetch (match, 2);
      want = g_match_info_fetch (match, 3);
      for (char *c = want; *c != '\0'; c++)
        *c = g_ascii_tolower (*c);
      shown = hv_config_escape_for_display (name);
      type = g_str_equal (algo, "SHA1") ? G_CHECKSUM_SHA1
             : g_str_equal (algo, "SHA256") ? G_CHECKSUM_SHA256 : G_CHECKSUM_SHA512;
      if (!g_str_equal (name, app->descriptor) && hv_ovf_find_file (app->ovf, name) == NULL)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "%s: the manifest lists \"%s\", which is not part of the appliance",
                       app->shown, shown);
          return FALSE;
        }
      if (!hv_appliance_source_of (app, name, &src, &path, error))
        return FALSE;
      if (path != NULL)
        src.file = path;
      got = hash_source (&src, type, cancellable, error);
      if (got == NULL)
        return FALSE;
      if (!g_str_equal (got, want))
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "%s: the %s checksum of \"%s\" does not match the manifest: the file is "
                       "damaged or was changed", app->shown, algo, shown);
          return FALSE;
        }
      g_hash_table_add (covered, g_steal_pointer (&name));
    }
  if (!g_hash_table_contains (covered, app->descriptor))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s: the manifest does not cover the descriptor", app->shown);
      return FALSE;
    }
  for (guint i = 0; i < app->ovf->files->len; i++)
    {
      HvOvfFile *f = g_ptr_array_index (app->ovf->files, i);

      if (!g_hash_table_contains (covered, f->href))
        {
          g_autofree char *shown = hv_config_escape_for_display (f->href);

          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "%s: the manifest does not cover \"%s\"", app->shown, shown);
          return FALSE;
        }
    }
  return TRUE;
}

/* ----------------------------------------------------------------------------
 * Disk headers
 */

static guint64
le64 (const guchar *p)
{
  guint64 v = 0;

  for (int i = 7; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

static guint64
be64 (const guchar *p)
{
  guint64 v = 0;

  for (int i = 0; i < 8; i++)
    v = (v << 8) | p[i];
  return v;
}

/* Hostvisor's own look at a disk's header before qemu-img opens it: what would make QEMU
 * open another file is refused. */
static gboolean
check_header (Appliance     *app,
              const Source  *src,
              const char    *format,
              const char    *shown,
              GError       **error)
{
  guchar header[512];
  gsize got;

  if (!read_at (src, 0, header, sizeof header, &got, error))
    return FALSE;
  if (g_str_equal (format, "vmdk"))
    {
      guint64 capacity, desc_offset, desc_size;

      if (got >= 21 && memcmp (header, "# Disk DescriptorFile", 21) == 0)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "%s: the disk \"%s\" is a VMDK descriptor that names its data in other "
                       "files (extents): refused, only single-file VMDKs (streamOptimized, "
                       "monolithicSparse) are imported", app->shown, shown);
          return FALSE;
        }
      if (got < 64 || memcmp (header, "KDMV", 4) != 0)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "%s: the disk \"%s\" is not a sparse VMDK image", app->shown, shown);
          return FALSE;
        }
      capacity = le64 (header + 12);
      desc_offset = le64 (header + 28);
      desc_size = le64 (header + 36);
      if (capacity == 0)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "%s: the disk \"%s\" is a VMDK whose embedded descriptor names its "
                       "extents: refused", app->shown, shown);
          return FALSE;
        }
      if (desc_offset > 0 && desc_size > 0 && desc_size <= 128)
        {
          g_autofree guchar *desc = g_malloc0 (desc_size * 512 + 1);
          g_autofree char *text = NULL;
          guint extents = 0;
          g_auto(GStrv) lines = NULL;

          if (desc_offset > G_MAXUINT64 / 512
              || !read_at (src, desc_offset * 512, desc, desc_size * 512, &got, error))
            return FALSE;
          text = g_strndup ((const char *) desc, got);
          lines = g_strsplit (text, "\n", -1);
          for (guint i = 0; lines[i] != NULL; i++)
            {
              char *l = g_strstrip (lines[i]);

              if (g_str_has_prefix (l, "parentFileNameHint"))
                {
                  g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                               "%s: the disk \"%s\" is a VMDK delta that names a parent image "
                               "(parentFileNameHint): refused", app->shown, shown);
                  return FALSE;
                }
              if (g_str_has_prefix (l, "RW ") || g_str_has_prefix (l, "RDONLY ")
                  || g_str_has_prefix (l, "NOACCESS "))
                extents++;
            }
          if (extents > 1)
            {
              g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                           "%s: the disk \"%s\" is a VMDK with %u extents: refused, only "
                           "single-file VMDKs are imported", app->shown, shown, extents);
              return FALSE;
            }
        }
    }
  else if (g_str_equal (format, "qcow2"))
    {
      if (got < 104 || memcmp (header, "QFI\xfb", 4) != 0)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "%s: the disk \"%s\" is not a qcow2 image", app->shown, shown);
          return FALSE;
        }
      if (be64 (header + 8) != 0)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "%s: the disk \"%s\" names a backing file: refused (an imported disk "
                       "must hold all its data)", app->shown, shown);
          return FALSE;
        }
      /* version 3: incompatible feature bit 2, an external data file */
      if (header[7] >= 3 && (be64 (header + 72) & 4) != 0)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "%s: the disk \"%s\" keeps its data in an external file: refused",
                       app->shown, shown);
          return FALSE;
        }
    }
  return TRUE;
}

/* The json: filename that opens the disk with driver @format from where it lies, without
 * any backing file whatever its header says. */
char *
hv_appliance_source_json (const Source *src,
             const char   *format)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "driver");
  json_builder_add_string_value (b, format);
  if (g_str_equal (format, "qcow2") || g_str_equal (format, "vmdk"))
    {
      json_builder_set_member_name (b, "backing");
      json_builder_add_null_value (b);
    }
  json_builder_set_member_name (b, "file");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "driver");
  json_builder_add_string_value (b, "raw");
  json_builder_set_member_name (b, "offset");
  json_builder_add_int_value (b, (gint64) src->offset);
  json_builder_set_member_name (b, "size");
  json_builder_add_int_value (b, (gint64) src->size);
  json_builder_set_member_name (b, "file");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "driver");
  json_builder_add_string_value (b, "file");
  json_builder_set_member_name (b, "filename");
  json_builder_add_string_value (b, HV_APPLIANCE_SOURCE_FD_PATH);
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  return g_strconcat ("json:", text, NULL);
}

/* qemu-img info on the disk: it must open as @format, name no backing file, and its
 * virtual size must be within HV_OVF_MAX_CAPACITY. */
static gboolean
check_with_qemu_img (Appliance     *app,
                     const Source  *src,
                     const char    *format,
                     const char    *shown,
                     guint64       *virtual_size,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_autofree char *qemu_img = g_find_program_in_path ("qemu-img");
  g_autofree char *json = hv_appliance_source_json (src, format);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  JsonObject *info, *specific = NULL;
  int fd;

  if (qemu_img == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                   "qemu-img is not installed: cannot read the appliance's disks");
      return FALSE;
    }
  fd = hv_appliance_open_checked (src, error);
  if (fd < 0)
    return FALSE;
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, hv_child_die_with_parent, NULL, NULL);
  g_subprocess_launcher_take_fd (launcher, fd, HV_APPLIANCE_SOURCE_FD);
  process = g_subprocess_launcher_spawn (launcher, error, qemu_img, "info", "--output=json",
                                         json, NULL);
  if (process == NULL
      || !g_subprocess_communicate_utf8 (process, NULL, cancellable, &out, &err, error))
    return FALSE;
  if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
    {
      g_autofree char *msg = hv_config_escape_for_display (err != NULL ? g_strstrip (err) : "");

      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s: the disk \"%s\" cannot be read as a %s image: %s", app->shown, shown,
                   format, msg);
      return FALSE;
    }
  if (!json_parser_load_from_data (parser, out, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_IO, "qemu-img info gave no answer for \"%s\"",
                   shown);
      return FALSE;
    }
  info = json_node_get_object (json_parser_get_root (parser));
  if (json_object_has_member (info, "backing-filename")
      || json_object_has_member (info, "full-backing-filename"))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s: the disk \"%s\" names a backing file: refused (an imported disk must "
                   "hold all its data)", app->shown, shown);
      return FALSE;
    }
  if (json_object_has_member (info, "format-specific"))
    specific = json_object_get_object_member (json_object_get_object_member (info,
                                                                             "format-specific"),
                                              "data");
  if (specific != NULL && json_object_has_member (specific, "data-file"))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s: the disk \"%s\" keeps its data in an external file: refused",
                   app->shown, shown);
      return FALSE;
    }
  if (specific != NULL && json_object_has_member (specific, "extents"))
    {
      JsonArray *extents = json_object_get_array_member (specific, "extents");

      if (extents != NULL && json_array_get_length (extents) > 1)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "%s: the disk \"%s\" has several extents: refused", app->shown, shown);
          return FALSE;
        }
    }
  *virtual_size = (guint64) json_object_get_int_member_with_default (info, "virtual-size", 0);
  if (*virtual_size == 0 || *virtual_size > HV_OVF_MAX_CAPACITY)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s: the disk \"%s\" has a size of %" G_GUINT64_FORMAT " bytes: it must be "
                   "more than 0 and at most 64 TiB", app->shown, shown, *virtual_size);
      return FALSE;
    }
  return TRUE;
}

/* ----------------------------------------------------------------------------
 * Opening: every check
 */

static gboolean
has_suffix_ci (const char *s,
               const char *suffix)
{
  gsize n = strlen (s), m = strlen (suffix);

  return n >= m && g_ascii_strcasecmp (s + n - m, suffix) == 0;
}

Appliance *
hv_appliance_open (const char    *path,
                GCancellable  *cancellable,
                GError       **error)
{
  g_autoptr(Appliance) app = g_new0 (Appliance, 1);
  g_autofree char *descriptor = NULL;
  g_autofree char *manifest = NULL;
  gsize len;
  struct stat st;

  app->fd = -1;
  app->path = g_strdup (path);
  app->shown = hv_config_escape_for_display (path);
  app->warnings = g_ptr_array_new_with_free_func (g_free);
  app->virtual_sizes = g_ptr_array_new_with_free_func (g_free);
  if (!g_path_is_absolute (path))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "The appliance's path must be absolute: %s", app->shown);
      return NULL;
    }
  if (stat (path, &st) != 0)
    {
      int saved = errno;
      g_set_error (error, HV_ERROR, saved == ENOENT ? HV_ERROR_NOT_FOUND : HV_ERROR_IO,
                   "Cannot open %s: %s", app->shown, g_strerror (saved));
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "%s is not a regular file (an .ova or an .ovf)", app->shown);
      return NULL;
    }
  /* The user may name the appliance through a link: it is followed here, once; the
   * appliance's own files are never followed (O_NOFOLLOW, lstat). */
  {
    char *real = realpath (path, NULL);

    if (real == NULL)
      {
        int saved = errno;
        g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot open %s: %s", app->shown,
                     g_strerror (saved));
        return NULL;
      }
    g_free (app->path);
    app->path = g_strdup (real);
    free (real);
  }
  app->dir = g_path_get_dirname (app->path);
  app->is_ova = !has_suffix_ci (path, ".ovf");
  if (app->is_ova)
    {
      if ((app->fd = open_source (app->path, error)) < 0)
        return NULL;
      app->members = hv_tar_list (app->fd, app->shown, error);
      if (app->members == NULL)
        return NULL;
      for (guint i = 0; i < app->members->len && app->descriptor == NULL; i++)
        {
          HvTarMember *m = g_ptr_array_index (app->members, i);

          if (has_suffix_ci (m->name, ".ovf"))
            app->descriptor = g_strdup (m->name);
        }
      if (app->descriptor == NULL)
        {
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "%s is not an OVA: it holds no .ovf descriptor", app->shown);
          return NULL;
        }
    }
  else
    {
      g_autofree char *base = g_path_get_basename (app->path);

      app->descriptor = g_steal_pointer (&base);
    }

  descriptor = read_small (app, app->descriptor, HV_CONFIG_MAX_SIZE, &len, error);
  if (descriptor == NULL)
    return NULL;
  app->ovf = hv_ovf_parse (descriptor, len, app->shown, error);
  if (app->ovf == NULL)
    return NULL;

  /* Each file as large as the descriptor says. */
  for (guint i = 0; i < app->ovf->files->len; i++)
    {
      HvOvfFile *f = g_ptr_array_index (app->ovf->files, i);
      g_autofree char *fpath = NULL;
      Source src;

      if (!hv_appliance_source_of (app, f->href, &src, &fpath, error))
        return NULL;
      if (f->has_size && f->size != src.size)
        {
          g_autofree char *shown = hv_config_escape_for_display (f->href);

          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "%s: the file \"%s\" is %" G_GUINT64_FORMAT " bytes, but the descriptor "
                       "says %" G_GUINT64_FORMAT ": refused", app->shown, shown, src.size,
                       f->size);
          return NULL;
        }
    }

  /* The manifest: NAME.mf beside NAME.ovf (in an OVA, any .mf). */
  {
    g_autofree char *stem = g_strndup (app->descriptor, strlen (app->descriptor) - 4);
    g_autofree char *mf = g_strconcat (stem, ".mf", NULL);
    g_autofree char *cert = g_strconcat (stem, ".cert", NULL);
    g_autofree char *mf_path = g_build_filename (app->dir, mf, NULL);
    g_autofree char *cert_path = g_build_filename (app->dir, cert, NULL);

    if (app->is_ova)
      {
        for (guint i = 0; i < app->members->len; i++)
          {
            HvTarMember *m = g_ptr_array_index (app->members, i);

            if (manifest == NULL && has_suffix_ci (m->name, ".mf"))
              manifest = g_strdup (m->name);
            if (has_suffix_ci (m->name, ".cert"))
              g_ptr_array_add (app->warnings, g_strdup ("The appliance's signature (.cert) is not "
                                                        "checked; the manifest is"));
          }
      }
    else
      {
        if (g_file_test (mf_path, G_FILE_TEST_EXISTS) || g_file_test (mf_path, G_FILE_TEST_IS_SYMLINK))
          manifest = g_strdup (mf);
        if (g_file_test (cert_path, G_FILE_TEST_EXISTS))
          g_ptr_array_add (app->warnings, g_strdup ("The appliance's signature (.cert) is not "
                                                    "checked; the manifest is"));
      }
    if (manifest == NULL)
      g_ptr_array_add (app->warnings, g_strdup ("The appliance has no manifest: its files' "
                                                "checksums cannot be checked"));
    else if (!check_manifest (app, manifest, cancellable, error))
      return NULL;
  }

  /* Each disk's header. */
  for (guint i = 0; i < app->ovf->disks->len; i++)
    {
      HvOvfDisk *disk = g_ptr_array_index (app->ovf->disks, i);
      g_autofree char *dpath = NULL;
      g_autofree char *shown = NULL;
      guint64 *vsize = g_new0 (guint64, 1);
      Source src;

      g_ptr_array_add (app->virtual_sizes, vsize);
      if (disk->href == NULL)
        {
          *vsize = disk->capacity;
          continue;
        }
      shown = hv_config_escape_for_display (disk->href);
      if (!hv_appliance_source_of (app, disk->href, &src, &dpath, error))
        return NULL;
      if (dpath != NULL)
        src.file = dpath;
      if (!check_header (app, &src, disk->format, shown, error)
          || !check_with_qemu_img (app, &src, disk->format, shown, vsize, cancellable, error))
        return NULL;
      if (*vsize != disk->capacity)
        g_ptr_array_add (app->warnings,
                         g_strdup_printf ("The disk \"%s\" holds %" G_GUINT64_FORMAT " bytes, "
                                          "its descriptor says %" G_GUINT64_FORMAT ": it keeps "
                                          "its own size", shown, *vsize, disk->capacity));
    }
  for (guint i = 0; i < app->ovf->warnings->len; i++)
    g_ptr_array_insert (app->warnings, i, g_strdup (g_ptr_array_index (app->ovf->warnings, i)));
  return g_steal_pointer (&app);
}

/* ----------------------------------------------------------------------------
 * The summary
 */

static GVariant *
strv_variant (GPtrArray *strings)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("as"));
  for (guint i = 0; i < strings->len; i++)
    g_variant_builder_add (&b, "s", (const char *) g_ptr_array_index (strings, i));
  return g_variant_builder_end (&b);
}

static GVariant *
appliance_summary (Appliance *app)
{
  HvOvf *ovf = app->ovf;
  GVariantDict dict;
  GVariantBuilder disks, media, nics;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "name", "s", ovf->name);
  g_variant_dict_insert (&dict, "os", "s", ovf->os_id);
  g_variant_dict_insert (&dict, "os-source", "s", ovf->os_source);
  g_variant_dict_insert (&dict, "memory-mib", "t", ovf->memory_mib);
  g_variant_dict_insert (&dict, "cpus", "u", ovf->cpus);
  g_variant_dict_insert (&dict, "firmware", "s",
                         ovf->firmware == HV_FIRMWARE_UEFI ? "uefi" : "bios");
  g_variant_dict_insert (&dict, "folder", "s", ovf->folder);
  g_variant_dict_insert (&dict, "ovf-version", "s", ovf->version == 1 ? "1.0" : "2.0");

  g_variant_builder_init (&disks, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < ovf->disks->len; i++)
    {
      HvOvfDisk *d = g_ptr_array_index (ovf->disks, i);
      guint64 *vsize = g_ptr_array_index (app->virtual_sizes, i);

      g_variant_builder_open (&disks, G_VARIANT_TYPE ("a{sv}"));
      g_variant_builder_add (&disks, "{sv}", "file", g_variant_new_string (d->href != NULL
                                                                           ? d->href : ""));
      g_variant_builder_add (&disks, "{sv}", "format", g_variant_new_string (d->format));
      g_variant_builder_add (&disks, "{sv}", "capacity",
                             g_variant_new_uint64 (*vsize));
      g_variant_builder_add (&disks, "{sv}", "bus", g_variant_new_string (d->bus_name));
      g_variant_builder_close (&disks);
    }
  g_variant_dict_insert_value (&dict, "disks", g_variant_builder_end (&disks));

  g_variant_builder_init (&media, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < ovf->media->len; i++)
    {
      HvOvfMedia *m = g_ptr_array_index (ovf->media, i);

      g_variant_builder_open (&media, G_VARIANT_TYPE ("a{sv}"));
      g_variant_builder_add (&media, "{sv}", "kind", g_variant_new_string (
                               m->kind == HV_DRIVE_FLOPPY ? "floppy" : "cdrom"));
      g_variant_builder_add (&media, "{sv}", "file", g_variant_new_string (m->href != NULL
                                                                           ? m->href : ""));
      g_variant_builder_close (&media);
    }
  g_variant_dict_insert_value (&dict, "media", g_variant_builder_end (&media));

  g_variant_builder_init (&nics, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < ovf->nics->len; i++)
    {
      HvOvfNic *n = g_ptr_array_index (ovf->nics, i);

      g_variant_builder_open (&nics, G_VARIANT_TYPE ("a{sv}"));
      g_variant_builder_add (&nics, "{sv}", "model", g_variant_new_string (n->model));
      g_variant_builder_add (&nics, "{sv}", "network", g_variant_new_string ("nat"));
      g_variant_builder_close (&nics);
    }
  g_variant_dict_insert_value (&dict, "nics", g_variant_builder_end (&nics));
  g_variant_dict_insert_value (&dict, "warnings", strv_variant (app->warnings));
  return g_variant_dict_end (&dict);
}

void
hv_appliance_open_in_thread (GTask        *task,
                gpointer      source,
                gpointer      task_data,
                GCancellable *cancellable)
{
  GError *error = NULL;
  Appliance *app = hv_appliance_open (task_data, cancellable, &error);

  if (app == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, app, (GDestroyNotify) hv_appliance_free);
}

void
hv_appliance_inspect_async (const char          *path,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, hv_appliance_inspect_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, hv_appliance_open_in_thread);
}

GVariant *
hv_appliance_inspect_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_autoptr(Appliance) app = g_task_propagate_pointer (G_TASK (result), error);

  return app != NULL ? g_variant_ref_sink (appliance_summary (app)) : NULL;
}

