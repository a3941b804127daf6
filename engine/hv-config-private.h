/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-config-private.h: shared between hv-config.c (data, validation) and
 * hv-config-xml.c (the XML form), so that a semantic error found after parsing
 * can point at the line of the element it is about. */
#pragma once

#include "hv-config.h"

G_BEGIN_DECLS

/* The part of a config a validation error is about. */
typedef enum {
  HV_CONFIG_FIELD_NONE,
  HV_CONFIG_FIELD_UUID,
  HV_CONFIG_FIELD_NAME,
  HV_CONFIG_FIELD_FOLDER,
  HV_CONFIG_FIELD_OS,
  HV_CONFIG_FIELD_DESCRIPTION,
  HV_CONFIG_FIELD_SYSTEM,       /* machine, firmware */
  HV_CONFIG_FIELD_MEMORY,
  HV_CONFIG_FIELD_CPUS,
  HV_CONFIG_FIELD_VIDEO,
  HV_CONFIG_FIELD_BOOT,
  HV_CONFIG_FIELD_ACCELERATION,
  HV_CONFIG_FIELD_KERNEL,
  HV_CONFIG_FIELD_STORAGE,
  HV_CONFIG_FIELD_DRIVE,        /* index: which drive */
  HV_CONFIG_FIELD_NETWORK,
  HV_CONFIG_FIELD_NIC,          /* index: which adapter */
  HV_CONFIG_FIELD_GUEST,
  HV_CONFIG_FIELD_CLIPBOARD,
  HV_CONFIG_FIELD_SHARES,
  HV_CONFIG_FIELD_SHARE,        /* index: which share */
  HV_CONFIG_N_FIELDS
} HvConfigField;

typedef struct {
  HvConfigField field;
  guint index;
} HvConfigLocation;

/* hv_vm_config_validate(), also saying where the first problem is (`where` may be NULL). */
gboolean hv_vm_config_validate_at (const HvVmConfig *config, HvConfigLocation *where,
                                   GError **error);

/* hv-config-hardware.c: the XML form of HvHardware. The attributes an element of it may have
 * (NULL-terminated; NULL for another element); setting one from its text (FALSE with what
 * was expected); writing the elements that differ from their defaults. */
const char * const *hv_hardware_xml_attributes (const char *element);
gboolean hv_hardware_xml_set    (HvHardware *hw, const char *element, const char *attribute,
                                 const char *value, const char **expected);
void     hv_hardware_xml_append (GString *out, const HvHardware *hw);

G_END_DECLS
