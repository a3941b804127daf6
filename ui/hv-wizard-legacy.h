/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-wizard-legacy.h: the New VM wizard's old guests: which hardware profile a VM gets (the
 * engine's profiles, engine/hv-profiles.h) and the profile in plain words. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A floppy image of a standard size: 720 KB, 1.44 MB or 2.88 MB. */
gboolean  hv_wizard_legacy_is_floppy_size (guint64 size);
/* The profile a new VM gets: the one for @os_id, else "dos" for a standard floppy image that
 * no OS was recognised on (@floppy_size 0: none), else NULL. */
char     *hv_wizard_legacy_profile (const char *os_id,
                                    guint64     floppy_size);
/* The profile @name in plain words: "486, 16 MB, Sound Blaster 16, NE2000, floppy A:"; NULL
 * when it cannot be read. Fills @memory_mib, @cpus and @disk_gib (0: none) when not NULL. */
char     *hv_wizard_legacy_words   (const char *name,
                                    guint64    *memory_mib,
                                    guint      *cpus,
                                    guint64    *disk_gib);
/* The Windows 95/98/ME warnings that apply, in plain words with the known fixes, or NULL:
 * fast CPUs (the win95 profile runs on emulation because of them; 98 and ME under KVM on a
 * recent CPU), when @kvm (the engine can use KVM). */
char     *hv_wizard_legacy_cpu_warning    (const char *name,
                                           gboolean    kvm);
/* More than 512 MB for Windows 95/98/ME (VCACHE): what happens and the known fixes, or NULL. */
char     *hv_wizard_legacy_memory_warning (const char *name,
                                           guint64     memory_mib);

G_END_DECLS
