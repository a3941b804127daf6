/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-profiles.h: hardware profiles for old guests, read from data files.
 *
 * A profile is resources/profiles/<name>.profile (installed in <datadir>/hostvisor/profiles),
 * a GKeyFile with a [Profile] group (Description, OsIds) and a [Hardware] group (Machine,
 * CpuModel, MemoryMib, MemoryMaxMib, Cpus, Video, VramMib, Sound, AdLib, PcSpeaker, NicModel,
 * DiskGib, DiskMaxGib, Rtc, Acpi, Hpet, Usb, Tablet, Vmport, Boot, CpuLimit, Acceleration).
 * Every key is checked; a file with an unknown key or a bad value is refused with a message
 * that names the file and the key. docs/legacy.md describes each profile.
 *
 * $HOSTVISOR_PROFILE_DIR replaces the directory (tests). */
#pragma once

#include <glib.h>

#include "hv-config.h"

G_BEGIN_DECLS

#define HV_PROFILE_MAX_SIZE (64 * 1024)

typedef struct {
  char *name;             /* the file's name without ".profile": [a-z0-9]{1,32} */
  char *description;      /* e.g. "Windows 98 and 98 SE" */
  char **os_ids;          /* libosinfo short ids it is picked for */

  HvMachine machine;
  char *cpu_model;        /* NULL: the engine's choice */
  guint64 memory_mib;
  guint64 memory_max_mib; /* the most memory the OS copes with (Windows 9x: 512) */
  guint cpus;
  HvVideo video;
  guint vram_mib;
  HvSoundDevice sound;
  gboolean adlib;
  gboolean pc_speaker;
  char *nic_model;        /* "none": no network card */
  guint64 disk_gib;
  guint64 disk_max_gib;
  HvRtcBase rtc;
  gboolean acpi, hpet, usb, tablet, vmport;
  char *boot_order;
  int cpu_limit_shift;    /* -1: no speed limit */
  HvAcceleration acceleration;
} HvProfile;

void        hv_profile_free       (HvProfile *profile);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvProfile, hv_profile_free)

/* The directory profiles are read from. */
char       *hv_profiles_dir       (void);
/* Parse one profile; @name is the profile's name (checked). */
HvProfile  *hv_profile_parse      (const char *name, const char *data, gsize len,
                                   GError **error);
/* Load the profile @name (HV_ERROR_NOT_FOUND with the known names when there is none). */
HvProfile  *hv_profile_load       (const char *name, GError **error);
/* Every profile, sorted by name (HvProfile*, owned). A broken file fails the whole list. */
GPtrArray  *hv_profiles_list      (GError **error);
/* The name of the profile whose OsIds has @os_id, NULL if none (or no profiles). */
char       *hv_profile_for_os     (const char *os_id);

/* Set @config's hardware to the profile's: machine (unpinned when it changes), CPU model,
 * memory, CPUs, video, sound, network card model (or adapters off for "none"), RTC,
 * switches, boot order, speed limit, acceleration, and hw.profile. Drives are not touched. */
void        hv_profile_apply      (const HvProfile *profile, HvVmConfig *config);
/* In plain words: "isapc, 486, 16 MB, std VGA 8 MB, Sound Blaster 16 + AdLib, NE2000 (ISA)". */
char       *hv_profile_summary    (const HvProfile *profile);

G_END_DECLS
