/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-wizard-model.h"

#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "hv-config.h"

struct _HvWizardModel
{
  GStrv taken;
  char *medium_path;
  HvWizardMedium medium_kind;
  char *os_id;
  char *os_name;
  char *name;
  char *folder;
  guint64 memory_mib;
  guint cpus;
  guint64 disk_gib;
  gboolean touched[HV_WIZARD_N_FIELDS];
  char *errors[HV_WIZARD_N_FIELDS];
};

static void
validate (HvWizardModel *self)
{
  for (guint i = 0; i < HV_WIZARD_N_FIELDS; i++)
    g_clear_pointer (&self->errors[i], g_free);
  self->errors[HV_WIZARD_FIELD_NAME] =
    hv_wizard_check_name (self->name, (const char * const *) self->taken, NULL);
  self->errors[HV_WIZARD_FIELD_MEMORY] = hv_wizard_check_memory (self->memory_mib);
  self->errors[HV_WIZARD_FIELD_CPUS] = hv_wizard_check_cpus (self->cpus);
  self->errors[HV_WIZARD_FIELD_DISK] = hv_wizard_check_disk (self->disk_gib);
}

/* The name the model would pick itself: from the OS, else generic, made unique. */
static void
suggest_name (HvWizardModel *self,
              const char    *base)
{
  if (self->touched[HV_WIZARD_FIELD_NAME])
    return;
  g_free (self->name);
  self->name = hv_wizard_unique_name (base, (const char * const *) self->taken);
}

static const char *
suggestion_base (HvWizardModel *self)
{
  return self->os_name != NULL && self->os_name[0] != '\0' ? self->os_name : NULL;
}

HvWizardModel *
hv_wizard_model_new (void)
{
  HvWizardModel *self = g_new0 (HvWizardModel, 1);

  self->taken = g_new0 (char *, 1);
  self->folder = g_strdup ("");
  self->memory_mib = HV_WIZARD_DEFAULT_MEMORY_MIB;
  self->cpus = HV_WIZARD_DEFAULT_CPUS;
  self->disk_gib = HV_WIZARD_DEFAULT_DISK_GIB;
  suggest_name (self, NULL);
  validate (self);
  return self;
}

void
hv_wizard_model_free (HvWizardModel *self)
{
  if (self == NULL)
    return;
  g_strfreev (self->taken);
  g_free (self->medium_path);
  g_free (self->os_id);
  g_free (self->os_name);
  g_free (self->name);
  g_free (self->folder);
  for (guint i = 0; i < HV_WIZARD_N_FIELDS; i++)
    g_free (self->errors[i]);
  g_free (self);
}

void
hv_wizard_model_set_taken_names (HvWizardModel      *self,
                                 const char * const *names)
{
  g_strfreev (self->taken);
  self->taken = names != NULL ? g_strdupv ((char **) names) : g_new0 (char *, 1);
  /* A VM created meanwhile may have taken the suggestion: suggest again. */
  suggest_name (self, suggestion_base (self));
  validate (self);
}

void
hv_wizard_model_set_medium (HvWizardModel *self,
                            const char    *path,
                            HvWizardMedium kind)
{
  g_free (self->medium_path);
  self->medium_path = path != NULL && path[0] != '\0' ? g_strdup (path) : NULL;
  self->medium_kind = self->medium_path != NULL ? kind : HV_WIZARD_MEDIUM_NONE;
  validate (self);
}

const char *
hv_wizard_model_get_medium_path (HvWizardModel *self)
{
  return self->medium_path;
}

HvWizardMedium
hv_wizard_model_get_medium_kind (HvWizardModel *self)
{
  return self->medium_kind;
}

void
hv_wizard_model_set_os (HvWizardModel *self,
                        const char    *os_id,
                        const char    *os_name)
{
  gboolean none = os_id == NULL || os_id[0] == '\0';

  g_free (self->os_id);
  g_free (self->os_name);
  self->os_id = none ? NULL : g_strdup (os_id);
  self->os_name = none || os_name == NULL || os_name[0] == '\0' ? NULL : g_strdup (os_name);

  /* The previous OS's recommendations no longer hold; the new ones come with its defaults.
   * Meanwhile the untouched sizes are the generic ones, never a mix of two OSes. */
  if (!self->touched[HV_WIZARD_FIELD_MEMORY])
    self->memory_mib = HV_WIZARD_DEFAULT_MEMORY_MIB;
  if (!self->touched[HV_WIZARD_FIELD_CPUS])
    self->cpus = HV_WIZARD_DEFAULT_CPUS;
  if (!self->touched[HV_WIZARD_FIELD_DISK])
    self->disk_gib = HV_WIZARD_DEFAULT_DISK_GIB;
  suggest_name (self, suggestion_base (self));
  validate (self);
}

const char *
hv_wizard_model_get_os_id (HvWizardModel *self)
{
  return self->os_id;
}

const char *
hv_wizard_model_get_os_name (HvWizardModel *self)
{
  return self->os_name;
}

gboolean
hv_wizard_model_apply_defaults (HvWizardModel *self,
                                const char    *os_id,
                                GVariant      *defaults)
{
  const char *name;
  guint64 u64;
  guint32 u32;

  g_return_val_if_fail (defaults != NULL, FALSE);
  g_return_val_if_fail (g_variant_is_of_type (defaults, G_VARIANT_TYPE_VARDICT), FALSE);

  if (os_id == NULL || g_strcmp0 (os_id, self->os_id) != 0)
    return FALSE;

  if (!self->touched[HV_WIZARD_FIELD_MEMORY] && g_variant_lookup (defaults, "memory", "t", &u64))
    self->memory_mib = u64;
  if (!self->touched[HV_WIZARD_FIELD_CPUS] && g_variant_lookup (defaults, "cpus", "u", &u32))
    self->cpus = MAX (u32, 1);
  if (!self->touched[HV_WIZARD_FIELD_DISK] && g_variant_lookup (defaults, "disk-size", "t", &u64))
    self->disk_gib = MAX (u64, 1);
  if (g_variant_lookup (defaults, "name", "&s", &name) && name[0] != '\0')
    {
      if (self->os_name == NULL)
        self->os_name = g_strdup (name);
      suggest_name (self, name);
    }
  validate (self);
  return TRUE;
}

void
hv_wizard_model_set_name (HvWizardModel *self,
                          const char    *name)
{
  if (g_strcmp0 (self->name, name) == 0)
    return;
  g_free (self->name);
  self->name = g_strdup (name != NULL ? name : "");
  self->touched[HV_WIZARD_FIELD_NAME] = TRUE;
  validate (self);
}

void
hv_wizard_model_set_memory (HvWizardModel *self,
                            guint64        mib)
{
  if (self->memory_mib == mib)
    return;
  self->memory_mib = mib;
  self->touched[HV_WIZARD_FIELD_MEMORY] = TRUE;
  validate (self);
}

void
hv_wizard_model_set_cpus (HvWizardModel *self,
                          guint          cpus)
{
  if (self->cpus == cpus)
    return;
  self->cpus = cpus;
  self->touched[HV_WIZARD_FIELD_CPUS] = TRUE;
  validate (self);
}

void
hv_wizard_model_set_disk (HvWizardModel *self,
                          guint64        gib)
{
  if (self->disk_gib == gib)
    return;
  self->disk_gib = gib;
  self->touched[HV_WIZARD_FIELD_DISK] = TRUE;
  validate (self);
}

gboolean
hv_wizard_model_is_touched (HvWizardModel *self,
                            HvWizardField  field)
{
  g_return_val_if_fail (field < HV_WIZARD_N_FIELDS, FALSE);
  return self->touched[field];
}

const char *
hv_wizard_model_get_name (HvWizardModel *self)
{
  return self->name;
}

guint64
hv_wizard_model_get_memory (HvWizardModel *self)
{
  return self->memory_mib;
}

guint
hv_wizard_model_get_cpus (HvWizardModel *self)
{
  return self->cpus;
}

guint64
hv_wizard_model_get_disk (HvWizardModel *self)
{
  return self->disk_gib;
}

void
hv_wizard_model_set_folder (HvWizardModel *self,
                            const char    *folder)
{
  g_free (self->folder);
  self->folder = g_strdup (folder != NULL ? folder : "");
}

const char *
hv_wizard_model_get_folder (HvWizardModel *self)
{
  return self->folder;
}

const char *
hv_wizard_model_get_error (HvWizardModel *self,
                           HvWizardField  field)
{
  g_return_val_if_fail (field < HV_WIZARD_N_FIELDS, NULL);
  return self->errors[field];
}

gboolean
hv_wizard_model_is_valid (HvWizardModel *self)
{
  for (guint i = 0; i < HV_WIZARD_N_FIELDS; i++)
    if (self->errors[i] != NULL)
      return FALSE;
  return TRUE;
}

GVariant *
hv_wizard_model_build_options (HvWizardModel *self)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  if (self->os_id != NULL)
    g_variant_dict_insert (&dict, "os", "s", self->os_id);
  g_variant_dict_insert (&dict, "memory", "t", self->memory_mib);
  g_variant_dict_insert (&dict, "cpus", "u", (guint32) self->cpus);
  g_variant_dict_insert (&dict, "disk-size", "t", self->disk_gib);
  if (self->medium_kind == HV_WIZARD_MEDIUM_CDROM)
    g_variant_dict_insert (&dict, "iso", "s", self->medium_path);
  else if (self->medium_kind == HV_WIZARD_MEDIUM_FLOPPY)
    g_variant_dict_insert (&dict, "floppy", "s", self->medium_path);
  if (self->folder[0] != '\0')
    g_variant_dict_insert (&dict, "folder", "s", self->folder);
  return g_variant_dict_end (&dict);
}

/* ---- checks shared with the Settings dialog ---- */

static gboolean
is_taken (const char * const *taken,
          const char         *name,
          const char         *except)
{
  /* The engine compares names exactly (hv-library.c), so the wizard does too. */
  if (except != NULL && g_str_equal (name, except))
    return FALSE;
  return taken != NULL && g_strv_contains (taken, name);
}

/* Keep at most @max characters of @text (whole UTF-8 characters) and drop white space that
 * the cut left at the end. */
static char *
utf8_truncate (const char *text,
               glong       max)
{
  g_autofree char *cut = g_utf8_substring (text, 0, MIN (g_utf8_strlen (text, -1), max));

  return g_strdup (g_strchomp (cut));
}

char *
hv_wizard_unique_name (const char         *base,
                       const char * const *taken)
{
  g_autoptr(GString) clean = g_string_new (NULL);
  g_autofree char *stem = NULL;

  /* OS names can hold what a VM name cannot ("OS/2 Warp 4"). */
  if (base != NULL && g_utf8_validate (base, -1, NULL))
    for (const char *p = base; *p != '\0'; p = g_utf8_next_char (p))
      {
        gunichar c = g_utf8_get_char (p);

        if (c == '/')
          g_string_append_c (clean, '-');
        else if (g_unichar_iscntrl (c))
          g_string_append_c (clean, ' ');
        else
          g_string_append_unichar (clean, c);
      }
  g_strstrip (clean->str);
  if (clean->str[0] == '\0')
    {
      g_string_truncate (clean, 0);
      g_string_append (clean, _("New VM"));
    }

  stem = utf8_truncate (clean->str, HV_NAME_MAX_CHARS);
  if (!is_taken (taken, stem, NULL))
    return g_steal_pointer (&stem);

  for (guint n = 2; ; n++)
    {
      g_autofree char *suffix = g_strdup_printf (" (%u)", n);
      g_autofree char *head = utf8_truncate (stem, HV_NAME_MAX_CHARS - strlen (suffix));
      g_autofree char *candidate = g_strconcat (head, suffix, NULL);

      if (!is_taken (taken, candidate, NULL))
        return g_steal_pointer (&candidate);
    }
}

char *
hv_wizard_check_name (const char         *name,
                      const char * const *taken,
                      const char         *except)
{
  g_autoptr(GError) error = NULL;
  const char *last;

  if (name == NULL || name[0] == '\0')
    return g_strdup (_("Enter a name for the virtual machine."));
  if (!g_utf8_validate (name, -1, NULL))
    return g_strdup (_("The name is not valid text."));
  if (strchr (name, '/') != NULL)
    return g_strdup (_("The name cannot contain “/”."));
  if (g_utf8_strlen (name, -1) > HV_NAME_MAX_CHARS)
    /* Translators: %d is the longest name allowed, in characters */
    return g_strdup_printf (_("The name is too long: at most %d characters."), HV_NAME_MAX_CHARS);
  last = g_utf8_find_prev_char (name, name + strlen (name));
  if (g_unichar_isspace (g_utf8_get_char (name)) || g_unichar_isspace (g_utf8_get_char (last)))
    return g_strdup (_("The name cannot start or end with a space."));
  /* Whatever else the engine refuses (control characters): its own rule, our sentence. */
  if (!hv_config_check_name (name, &error))
    return g_strdup (_("The name cannot contain line breaks, tabs or other control characters."));
  if (is_taken (taken, name, except))
    /* Translators: %s is a VM name */
    return g_strdup_printf (_("There is already a virtual machine named “%s”."), name);
  return NULL;
}

guint64
hv_wizard_host_memory_mib (void)
{
  long pages = sysconf (_SC_PHYS_PAGES);
  long page_size = sysconf (_SC_PAGESIZE);

  if (pages <= 0 || page_size <= 0)
    return 0;
  return (guint64) pages * (guint64) page_size / (1024 * 1024);
}

char *
hv_wizard_memory_warning (guint64 mib,
                          guint64 host_mib)
{
  g_autofree char *host = NULL;

  /* Unknown host memory, or a value the check above refuses anyway: nothing to add. */
  if (host_mib == 0 || mib < HV_MEMORY_MIN_MIB || mib > HV_MEMORY_MAX_MIB)
    return NULL;
  host = g_strdup_printf ("%.1f", host_mib / 1024.0);
  if (mib > host_mib)
    /* Translators: %s is this computer's memory in GiB, e.g. "7.7" */
    return g_strdup_printf (_("More than this computer has (%s GiB): the virtual machine may "
                              "fail to start, or slow everything down."), host);
  /* QEMU, the desktop and its programs need their share too. */
  if (mib > host_mib / 4 * 3)
    /* Translators: %s is this computer's memory in GiB, e.g. "7.7" */
    return g_strdup_printf (_("More than three quarters of this computer's %s GiB: little is "
                              "left for the computer itself while the virtual machine "
                              "runs."), host);
  return NULL;
}

char *
hv_wizard_check_memory (guint64 mib)
{
  if (mib < HV_MEMORY_MIN_MIB || mib > HV_MEMORY_MAX_MIB)
    /* Translators: the smallest and largest memory size, in MiB */
    return g_strdup_printf (_("Memory must be between %d MiB and %d MiB."), HV_MEMORY_MIN_MIB,
                            HV_MEMORY_MAX_MIB);
  return NULL;
}

char *
hv_wizard_check_cpus (guint64 cpus)
{
  if (cpus < 1 || cpus > HV_CPUS_MAX)
    /* Translators: %d is the largest number of virtual CPUs */
    return g_strdup_printf (_("The number of CPUs must be between 1 and %d."), HV_CPUS_MAX);
  return NULL;
}

char *
hv_wizard_check_disk (guint64 gib)
{
  if (gib < 1 || gib > HV_WIZARD_DISK_MAX_GIB)
    /* Translators: %d is the largest disk size, in GiB */
    return g_strdup_printf (_("The disk size must be between 1 GiB and %d GiB."),
                            HV_WIZARD_DISK_MAX_GIB);
  return NULL;
}

HvWizardMedium
hv_wizard_medium_guess (const char *path,
                        guint64     size)
{
  g_autofree char *lower = NULL;

  if (path == NULL || path[0] == '\0')
    return HV_WIZARD_MEDIUM_NONE;
  lower = g_ascii_strdown (path, -1);
  if (g_str_has_suffix (lower, ".ima") || g_str_has_suffix (lower, ".flp") ||
      g_str_has_suffix (lower, ".vfd"))
    return HV_WIZARD_MEDIUM_FLOPPY;
  /* ".img" is used for floppies and for disk and USB images alike; only a floppy is that
   * small. */
  if (g_str_has_suffix (lower, ".img") && size > 0 && size <= HV_WIZARD_FLOPPY_MAX_BYTES)
    return HV_WIZARD_MEDIUM_FLOPPY;
  return HV_WIZARD_MEDIUM_CDROM;
}
