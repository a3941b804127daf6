/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-wizard-model.h: what the New VM wizard recommends and checks, without GTK.
 *
 * The wizard's widgets only mirror this model: the OS's defaults (from the engine's
 * GetOsDefaults) become memory, CPUs and disk size unless the user has edited them, the
 * name is suggested from the OS and kept unique against the library, and every field has
 * a validation message (translated, NULL when the field is fine). The same name, memory
 * and CPU checks serve the Settings dialog. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The generic defaults, used before an OS is known: the engine's own (hv_vm_config_new). */
#define HV_WIZARD_DEFAULT_MEMORY_MIB 1024
#define HV_WIZARD_DEFAULT_CPUS 1
#define HV_WIZARD_DEFAULT_DISK_GIB 16
#define HV_WIZARD_DISK_MAX_GIB (64 * 1024)
/* The largest floppy image (2.88 MB): a larger .img is not a floppy. */
#define HV_WIZARD_FLOPPY_MAX_BYTES (2880 * 1024)

typedef enum {
  HV_WIZARD_FIELD_NAME,
  HV_WIZARD_FIELD_MEMORY,
  HV_WIZARD_FIELD_CPUS,
  HV_WIZARD_FIELD_DISK,
  HV_WIZARD_N_FIELDS
} HvWizardField;

typedef enum {
  HV_WIZARD_MEDIUM_NONE,
  HV_WIZARD_MEDIUM_CDROM,
  HV_WIZARD_MEDIUM_FLOPPY,
} HvWizardMedium;

typedef struct _HvWizardModel HvWizardModel;

HvWizardModel  *hv_wizard_model_new             (void);
void            hv_wizard_model_free            (HvWizardModel *self);

/* The names of the VMs in the library (a suggested name avoids them; a chosen one must). */
void            hv_wizard_model_set_taken_names (HvWizardModel      *self,
                                                 const char * const *names);

/* The install medium: @path NULL for none. */
void            hv_wizard_model_set_medium      (HvWizardModel *self,
                                                 const char    *path,
                                                 HvWizardMedium kind);
const char     *hv_wizard_model_get_medium_path (HvWizardModel *self);
HvWizardMedium  hv_wizard_model_get_medium_kind (HvWizardModel *self);

/* The OS (libosinfo short id and name; NULL or "" id: none). An untouched name follows it
 * at once; untouched sizes go back to the generic defaults until its defaults arrive. */
void            hv_wizard_model_set_os          (HvWizardModel *self,
                                                 const char    *os_id,
                                                 const char    *os_name);
const char     *hv_wizard_model_get_os_id       (HvWizardModel *self);
const char     *hv_wizard_model_get_os_name     (HvWizardModel *self);
/* Apply a GetOsDefaults reply (a{sv}: "name" s, "memory" t, "cpus" u, "disk-size" t) to the
 * fields the user has not touched. Ignored, returning FALSE, when @os_id is no longer the
 * chosen OS (a late reply). */
gboolean        hv_wizard_model_apply_defaults  (HvWizardModel *self,
                                                 const char    *os_id,
                                                 GVariant      *defaults);

/* The user's edits: each marks its field as touched, so later defaults leave it alone. */
void            hv_wizard_model_set_name        (HvWizardModel *self,
                                                 const char    *name);
void            hv_wizard_model_set_memory      (HvWizardModel *self,
                                                 guint64        mib);
void            hv_wizard_model_set_cpus        (HvWizardModel *self,
                                                 guint          cpus);
void            hv_wizard_model_set_disk        (HvWizardModel *self,
                                                 guint64        gib);
gboolean        hv_wizard_model_is_touched      (HvWizardModel *self,
                                                 HvWizardField  field);

const char     *hv_wizard_model_get_name        (HvWizardModel *self);
guint64         hv_wizard_model_get_memory      (HvWizardModel *self);
guint           hv_wizard_model_get_cpus        (HvWizardModel *self);
guint64         hv_wizard_model_get_disk        (HvWizardModel *self);

/* "" for the top level, else "A/B". */
void            hv_wizard_model_set_folder      (HvWizardModel *self,
                                                 const char    *folder);
const char     *hv_wizard_model_get_folder      (HvWizardModel *self);

/* The field's problem as a sentence for the user, or NULL. Owned by the model, valid until
 * the next change. */
const char     *hv_wizard_model_get_error       (HvWizardModel *self,
                                                 HvWizardField  field);
gboolean        hv_wizard_model_is_valid        (HvWizardModel *self);

/* CreateVm's options (a floating a{sv}): "os", "memory", "cpus", "disk-size", "iso" or
 * "floppy", "folder"; keys without a value are left out. */
GVariant       *hv_wizard_model_build_options   (HvWizardModel *self);

/* @base (or "New VM"), made a valid name ('/' and control characters replaced, at most
 * HV_NAME_MAX_CHARS) and unique against @taken: "Debian 11", "Debian 11 (2)", … */
char           *hv_wizard_unique_name           (const char         *base,
                                                 const char * const *taken);
/* The problem with a name as a sentence, or NULL. @except: the VM's own current name (the
 * Settings dialog), not counted as taken. */
char           *hv_wizard_check_name            (const char         *name,
                                                 const char * const *taken,
                                                 const char         *except);
char           *hv_wizard_check_memory          (guint64 mib);
char           *hv_wizard_check_cpus            (guint64 cpus);
/* This computer's memory in MiB (0 when unknown). */
guint64         hv_wizard_host_memory_mib       (void);
/* A warning for @mib of guest memory on a host with @host_mib (NULL when fine): above the
 * host's memory, or above three quarters of it. Valid values only; not an error. */
char           *hv_wizard_memory_warning        (guint64 mib,
                                                 guint64 host_mib);
char           *hv_wizard_check_disk            (guint64 gib);
/* Where an image goes: floppy for .ima/.flp/.vfd and for a small .img, else the CD drive. */
HvWizardMedium  hv_wizard_medium_guess          (const char *path,
                                                 guint64     size);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvWizardModel, hv_wizard_model_free)

G_END_DECLS
