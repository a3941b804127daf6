/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-ovf-os.c: the OS table of OVF import and export (see hv-ovf-os.h).
 *
 * CIM numbers are DMTF's CIM_OperatingSystem OSType values (as VirtualBox and VMware write
 * them); VirtualBox ids are its guest OS type ids. Where a family has many releases and the
 * OVF cannot say which, the entry names a generic or recent release that libosinfo knows:
 * its defaults (memory, devices) suit the family. The first entry for a libosinfo id is the
 * one the export writes. */
#include "hv-ovf-os.h"

#include <string.h>

static const HvOvfOs table[] = {
  /* Linux */
  { "Debian12_64", 96, "debian12" },
  { "Debian_64", 96, "debian12" },
  { "Debian", 95, "debian12" },
  { "Debian12", 95, "debian12" },
  { "Debian11_64", 0, "debian11" },
  { "Debian11", 0, "debian11" },
  { "Debian10_64", 0, "debian10" },
  { "Debian10", 0, "debian10" },
  { "Debian9_64", 0, "debian9" },
  { "Ubuntu22_LTS_64", 0, "ubuntu22.04" },
  { "Ubuntu_64", 94, "ubuntu22.04" },
  { "Ubuntu", 93, "ubuntu22.04" },
  { "Ubuntu20_LTS_64", 0, "ubuntu20.04" },
  { "Ubuntu18_LTS_64", 0, "ubuntu18.04" },
  { "Fedora_64", 0, "fedora-unknown" },
  { "Fedora", 0, "fedora-unknown" },
  { "RedHat9_64", 0, "rhel9.0" },
  { "RedHat_64", 80, "rhel9.0" },
  { "RedHat", 79, "rhel9.0" },
  { "RedHat8_64", 0, "rhel8.0" },
  { "RedHat7_64", 0, "rhel7.0" },
  { "OracleLinux_64", 109, "ol8.5" },
  { "Oracle_64", 109, "ol8.5" },
  { "Oracle", 108, "ol8.5" },
  { "OpenSUSE_64", 83, "opensuse15.4" },
  { "OpenSUSE", 82, "opensuse15.4" },
  { "openSUSE_Leap_64", 0, "opensuse15.4" },
  { "ArchLinux_64", 0, "archlinux" },
  { "ArchLinux", 0, "archlinux" },
  { "Mandriva_64", 90, "mandriva2011" },
  { "Mandriva", 89, "mandriva2011" },
  { "Linux26_64", 100, "linux2022" },
  { "Linux_64", 101, "linux2022" },
  { "Linux26", 99, "linux2022" },
  { "Linux", 36, "linux2022" },
  { "Linux24_64", 98, "linux2016" },
  { "Linux24", 97, "linux2016" },
  /* BSD */
  { "FreeBSD_64", 78, "freebsd13.1" },
  { "FreeBSD", 42, "freebsd13.1" },
  { "OpenBSD_64", 0, "openbsd7.0" },
  { "OpenBSD", 65, "openbsd7.0" },
  { "NetBSD_64", 0, "netbsd9.0" },
  { "NetBSD", 43, "netbsd9.0" },
  /* Windows */
  { "Windows11_64", 0, "win11" },
  { "Windows10_64", 120, "win10" },
  { "Windows10", 119, "win10" },
  { "Windows81_64", 117, "win8.1" },
  { "Windows81", 116, "win8.1" },
  { "Windows8_64", 114, "win8" },
  { "Windows8", 113, "win8" },
  { "Windows7_64", 105, "win7" },
  { "Windows7", 105, "win7" },
  { "WindowsVista_64", 74, "winvista" },
  { "WindowsVista", 73, "winvista" },
  { "WindowsXP_64", 71, "winxp" },
  { "WindowsXP", 67, "winxp" },
  { "Windows2000", 58, "win2k" },
  { "WindowsNT4", 18, "winnt4.0" },
  { "WindowsMe", 63, "winme" },
  { "Windows98", 0, "win98" },
  { "Windows95", 0, "win95" },
  { "Windows31", 0, "win3.1" },
  { "Windows2022_64", 0, "win2k22" },
  { "Windows2019_64", 0, "win2k19" },
  { "Windows2016_64", 118, "win2k16" },
  { "Windows2012_64", 112, "win2k12" },
  { "Windows2008_64", 77, "win2k8r2" },
  { "Windows2008", 76, "win2k8" },
  { "Windows2003_64", 70, "win2k3" },
  { "Windows2003", 69, "win2k3" },
  { NULL, 103, "win2k8r2" },
  { NULL, 115, "win2k12r2" },
  /* DOS */
  { "DOS", 0, "msdos6.22" },
  /* Solaris */
  { "Solaris11_64", 81, "solaris11" },
};

const char *
hv_ovf_os_from_vbox (const char *vbox_type)
{
  if (vbox_type == NULL)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    if (table[i].vbox != NULL && g_ascii_strcasecmp (table[i].vbox, vbox_type) == 0)
      return table[i].osinfo;
  return NULL;
}

const char *
hv_ovf_os_from_cim (guint cim)
{
  if (cim == 0)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    if (table[i].cim == cim)
      return table[i].osinfo;
  return NULL;
}

const HvOvfOs *
hv_ovf_os_for_osinfo (const char *osinfo_id)
{
  if (osinfo_id == NULL)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    if (strcmp (table[i].osinfo, osinfo_id) == 0)
      return &table[i];
  return NULL;
}

const HvOvfOs *
hv_ovf_os_table (guint *n_entries)
{
  *n_entries = G_N_ELEMENTS (table);
  return table;
}
