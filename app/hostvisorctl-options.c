/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostvisorctl-options.c: a small, strict option parser, and the options of create/modify.
 *
 * Everything here runs before the engine is reached, so a badly written command line fails
 * at once with exit status 2 and never starts an engine. Nothing here prints or exits:
 * errors come back as GErrors (see hv_ctl_command_line_parse()). */
#include "hv-build-config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <inttypes.h>

#include "hostvisorctl.h"
#include "hv-config.h"
#include "hv-error.h"
#include "hv-image-check.h"

/* Large enough for any real disk, small enough to catch a typo such as a size in MiB. */
#define HV_CTL_DISK_MAX_GIB 65536

#define VM_OPTIONS_COMMON \
  { "os", HV_CTL_OPT_STRING, 0, 0, "ID", \
    N_("Guest OS (libosinfo short id, e.g. debian12, win10); sets the defaults") }, \
  { "memory", HV_CTL_OPT_UINT, HV_MEMORY_MIN_MIB, HV_MEMORY_MAX_MIB, "MIB", \
    N_("Memory in MiB") }, \
  { "cpus", HV_CTL_OPT_UINT, 1, HV_CPUS_MAX, "N", N_("Number of virtual CPUs") }, \
  { "disk-size", HV_CTL_OPT_UINT, 1, HV_CTL_DISK_MAX_GIB, "GIB", \
    N_("Create a new qcow2 disk of this size in the VM's directory") }, \
  { "disk", HV_CTL_OPT_PATH, 0, 0, "PATH", \
    N_("Use an existing disk image (needs --disk-format)") }, \
  { "disk-format", HV_CTL_OPT_STRING, 0, 0, "FMT", N_("Format of --disk: raw or qcow2") }, \
  { "no-disk", HV_CTL_OPT_FLAG, 0, 0, NULL, N_("No hard disk") }, \
  { "iso", HV_CTL_OPT_PATH, 0, 0, "PATH", N_("Insert an ISO image into the CD-ROM drive") }, \
  { "floppy", HV_CTL_OPT_PATH, 0, 0, "PATH", N_("Insert a floppy image") }, \
  { "folder", HV_CTL_OPT_STRING, 0, 0, "A/B", \
    N_("Put the VM into this folder (\"\" or / for the top level)") }, \
  { "firmware", HV_CTL_OPT_STRING, 0, 0, "FW", N_("bios or uefi") }, \
  { "machine", HV_CTL_OPT_STRING, 0, 0, "TYPE", N_("pc (i440FX), q35 or isapc (ISA only)") }, \
  { "kernel", HV_CTL_OPT_PATH, 0, 0, "PATH", N_("Boot this Linux kernel directly") }, \
  { "initrd", HV_CTL_OPT_PATH, 0, 0, "PATH", N_("Initial ramdisk for --kernel") }, \
  { "cmdline", HV_CTL_OPT_STRING, 0, 0, "TEXT", N_("Kernel command line for --kernel") }, \
  { "nic-model", HV_CTL_OPT_STRING, 0, 0, "MODEL", \
    N_("virtio-net, e1000, e1000e, rtl8139, pcnet, ne2k_pci or ne2k_isa") }, \
  { "video", HV_CTL_OPT_STRING, 0, 0, "VIDEO", N_("std, cirrus, virtio or none") }, \
  { "boot", HV_CTL_OPT_STRING, 0, 0, "LETTERS", \
    N_("Boot order: c disk, d CD-ROM, a floppy, n network (e.g. dc)") }, \
  { "clipboard", HV_CTL_OPT_STRING, 0, 0, "MODE", \
    N_("Shared clipboard: off, host-to-guest, guest-to-host or both") }, \
  { "share-transport", HV_CTL_OPT_STRING, 0, 0, "TRANSPORT", \
    N_("Shared folders over auto, 9p or virtiofs (virtiofs: they can change while the VM runs)") \
  }, \
  { "accel", HV_CTL_OPT_STRING, 0, 0, "ACCEL", \
    N_("auto (KVM where it works), kvm (KVM or no start) or tcg (always emulated)") }, \
  { "profile", HV_CTL_OPT_STRING, 0, 0, "NAME", \
    N_("Hardware profile for an old OS (\"hostvisorctl profile list\"), e.g. dos, win98") }, \
  { "cpu-model", HV_CTL_OPT_STRING, 0, 0, "MODEL", \
    N_("486, pentium, pentium2, pentium3, qemu32, qemu64, max, host, or default") }, \
  { "sound", HV_CTL_OPT_STRING, 0, 0, "CARD", N_("sb16, es1370, ac97, hda or none") }, \
  { "sound-enabled", HV_CTL_OPT_STRING, 0, 0, "on|off", \
    N_("The sound card fitted (off keeps its settings)") }, \
  { "mute", HV_CTL_OPT_STRING, 0, 0, "on|off", \
    N_("Nothing the guest plays reaches the host") }, \
  { "adlib", HV_CTL_OPT_STRING, 0, 0, "on|off", N_("The AdLib (OPL2) beside an sb16") }, \
  { "pc-speaker", HV_CTL_OPT_STRING, 0, 0, "on|off", N_("The PC speaker played on the host") }, \
  { "vram", HV_CTL_OPT_UINT, 0, 256, "MIB", N_("Video memory (std, cirrus); 0 for the default") }, \
  { "floppy-b", HV_CTL_OPT_PATH, 0, 0, "PATH", N_("Insert a floppy image into drive B:") }, \
  { "rtc", HV_CTL_OPT_STRING, 0, 0, "BASE", N_("The clock in localtime (DOS, Windows) or utc") }, \
  { "acpi", HV_CTL_OPT_STRING, 0, 0, "on|off", N_("ACPI (fix it before installing Windows)") }, \
  { "hpet", HV_CTL_OPT_STRING, 0, 0, "on|off", N_("The HPET timer") }, \
  { "usb", HV_CTL_OPT_STRING, 0, 0, "on|off", N_("A USB controller (off also takes the tablet)") }, \
  { "tablet", HV_CTL_OPT_STRING, 0, 0, "on|off", \
    N_("A USB tablet for the pointer; off: the PS/2 mouse only") }, \
  { "vmport", HV_CTL_OPT_STRING, 0, 0, "on|off", \
    N_("QEMU's VMware mouse port (seamless pointing with VBMOUSE or vmwmouse)") }, \
  { "cpu-limit", HV_CTL_OPT_STRING, 0, 0, "PRESET", \
    N_("Slow the CPU: 386, 486, pentium, pentium2, or off; means no KVM, for good") }

const HvCtlOption hv_ctl_create_options[] = {
  VM_OPTIONS_COMMON,
  { "json", HV_CTL_OPT_FLAG, 0, 0, NULL, N_("Print the new VM as JSON (as \"show --json\")") },
  { NULL }
};

/* Adapter N (1..4), VirtualBox's "Adapter N" tab. */
/* The option names say which adapter (--nic1 … --nic4); the help texts are the same for
 * every adapter, so that xgettext sees whole strings. */
#define NIC_OPTIONS(N) \
  { "nic" #N, HV_CTL_OPT_STRING, 0, 0, "MODE", \
    N_("The adapter attached to nat, bridged, host-only, internal or none") }, \
  { "nic" #N "-model", HV_CTL_OPT_STRING, 0, 0, "MODEL", \
    N_("The adapter's model (as --nic-model)") }, \
  { "nic" #N "-target", HV_CTL_OPT_STRING, 0, 0, "NAME", \
    N_("The adapter's bridge or interface, host-only or internal network") }, \
  { "nic" #N "-mac", HV_CTL_OPT_STRING, 0, 0, "MAC", \
    N_("The adapter's MAC address, or auto for a new one") }, \
  { "nic" #N "-cable", HV_CTL_OPT_STRING, 0, 0, "on|off", \
    N_("The adapter's cable connected (also while the VM runs)") }, \
  { "nic" #N "-enabled", HV_CTL_OPT_STRING, 0, 0, "on|off", \
    N_("The adapter present in the VM") }

const HvCtlOption hv_ctl_modify_options[] = {
  { "name", HV_CTL_OPT_STRING, 0, 0, "NEW", N_("Rename the VM") },
  VM_OPTIONS_COMMON,
  { "remove-iso", HV_CTL_OPT_FLAG, 0, 0, NULL, N_("Eject the ISO image") },
  { "remove-floppy", HV_CTL_OPT_FLAG, 0, 0, NULL, N_("Eject the floppy image") },
  { "remove-floppy-b", HV_CTL_OPT_FLAG, 0, 0, NULL, N_("Remove floppy drive B:") },
  NIC_OPTIONS (1),
  NIC_OPTIONS (2),
  NIC_OPTIONS (3),
  NIC_OPTIONS (4),
  { "json", HV_CTL_OPT_FLAG, 0, 0, NULL, N_("Print the VM afterwards as JSON (as \"show --json\")") },
  { NULL }
};

G_DEFINE_QUARK (hv-ctl-usage-error-quark, hv_ctl_usage_error)
G_DEFINE_QUARK (hv-ctl-exit-error-quark, hv_ctl_exit_error)

static gboolean
usage_error (GError **error, const HvCtlCommand *command, const char *format, ...)
  G_GNUC_PRINTF (3, 4);

static gboolean
usage_error (GError      **error,
             const HvCtlCommand *command,
             const char   *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list ap;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);

  g_set_error (error, HV_CTL_USAGE_ERROR, 0,
               _("%s: %s (see \"hostvisorctl %s --help\")"),
               command->name, message, command->name);
  return FALSE;
}

void
hv_ctl_args_free (HvCtlArgs *args)
{
  if (args == NULL)
    return;
  g_clear_pointer (&args->values, g_hash_table_unref);
  g_clear_pointer (&args->positionals, g_ptr_array_unref);
  g_free (args);
}

gboolean
hv_ctl_args_wants_help (int    argc,
                        char **argv)
{
  for (int i = 0; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--"))
        return FALSE;
      if (g_str_equal (argv[i], "--help") || g_str_equal (argv[i], "-h"))
        return TRUE;
    }
  return FALSE;
}

static const HvCtlOption *
find_option (const HvCtlCommand *command,
             const char         *name)
{
  if (command->options == NULL)
    return NULL;
  for (const HvCtlOption *o = command->options; o->name != NULL; o++)
    if (g_str_equal (o->name, name))
      return o;
  return NULL;
}

/* The name of the i-th positional argument, taken from the synopsis ("NAME FILE [OPTIONS]"). */
static char *
positional_name (const HvCtlCommand *command,
                 guint               i)
{
  g_auto(GStrv) words = g_strsplit (command->synopsis, " ", -1);
  guint n = 0;

  for (guint w = 0; words[w] != NULL; w++)
    {
      if (words[w][0] == '[' || words[w][0] == '\0' || words[w][0] == '|')
        continue;
      if (n++ == i)
        return g_strdup (words[w]);
    }
  return g_strdup ("ARGUMENT");
}

static gboolean
check_value (const HvCtlCommand  *command,
             const HvCtlOption   *option,
             const char          *value,
             gboolean             remote,
             char               **out_value,
             GError             **error)
{
  g_autofree char *shown = hv_ctl_display_short (value);

  /* D-Bus carries only UTF-8: a string that is not cannot even be sent (GLib would put
   * "[Invalid UTF-8]" in its place). */
  if (!g_utf8_validate (value, -1, NULL))
    {
      if (option->kind == HV_CTL_OPT_PATH)
        return usage_error (error, command,
                            _("the file name of --%s is not valid UTF-8 (\"%s\"); Hostvisor "
                              "stores paths as UTF-8, so rename the file or link it under a "
                              "UTF-8 name"), option->name, shown);
      return usage_error (error, command, _("--%s is not valid UTF-8 (\"%s\")"), option->name,
                          shown);
    }

  switch (option->kind)
    {
    case HV_CTL_OPT_UINT:
      {
        guint64 n = 0;
        char *end = NULL;

        /* g_ascii_strtoull accepts leading blanks and signs; a number here is digits only. */
        if (value[0] < '0' || value[0] > '9')
          return usage_error (error, command, _("--%s needs a number, not \"%s\""),
                              option->name, shown);
        errno = 0;
        n = g_ascii_strtoull (value, &end, 10);
        if (*end != '\0')
          return usage_error (error, command, _("--%s needs a number, not \"%s\""),
                              option->name, shown);
        if (errno == ERANGE || n < option->min || n > option->max)
          return usage_error (error, command,
                              /* PRIu64: xgettext does not understand G_GUINT64_FORMAT */
                              _("--%s must be between %" PRIu64 " and %" PRIu64 ", not %s"),
                              option->name, (uint64_t) option->min, (uint64_t) option->max,
                              shown);
        *out_value = g_strdup_printf ("%" G_GUINT64_FORMAT, n);
        return TRUE;
      }

    case HV_CTL_OPT_PATH:
      if (value[0] == '\0')
        return usage_error (error, command, _("--%s needs a file name"), option->name);
      /* With --connect the file is the remote host's: our working directory means nothing
       * there. */
      if (remote && !g_path_is_absolute (value))
        return usage_error (error, command,
                            _("with --connect, --%s names a file on the remote host: give "
                              "its absolute path (not \"%s\")"), option->name, shown);
      /* The engine runs elsewhere and takes absolute paths only. */
      *out_value = g_canonicalize_filename (value, NULL);
      return TRUE;

    case HV_CTL_OPT_STRING:
    case HV_CTL_OPT_FLAG:
    default:
      *out_value = g_strdup (value);
      return TRUE;
    }
}

/* A positional argument that goes to the engine must be UTF-8, like every D-Bus string. */
static gboolean
check_positional (const HvCtlCommand  *command,
                  guint                index,
                  const char          *arg,
                  gboolean             remote,
                  GError             **error)
{
  g_autofree char *what = NULL;
  g_autofree char *shown = NULL;
  guint bit = index < 32 ? 1u << index : 0;

  if (remote && (command->path_args & bit) != 0 && !g_path_is_absolute (arg))
    {
      what = positional_name (command, index);
      shown = hv_ctl_display_short (arg);
      return usage_error (error, command,
                          _("with --connect, %s names a file on the remote host: give its "
                            "absolute path (not \"%s\")"), what, shown);
    }

  if ((command->local_args & bit) != 0 || g_utf8_validate (arg, -1, NULL))
    return TRUE;

  what = positional_name (command, index);
  shown = hv_ctl_display_short (arg);
  if ((command->path_args & bit) != 0)
    return usage_error (error, command,
                        _("the file name %s is not valid UTF-8 (\"%s\"); Hostvisor stores "
                          "paths as UTF-8, so rename the file or link it under a UTF-8 name"),
                        what, shown);
  return usage_error (error, command, _("%s is not valid UTF-8 (\"%s\")"), what, shown);
}

HvCtlArgs *
hv_ctl_args_parse (const HvCtlCommand  *command,
                   int                  argc,
                   char               **argv,
                   GError             **error)
{
  return hv_ctl_args_parse_full (command, argc, argv, FALSE, error);
}

HvCtlArgs *
hv_ctl_args_parse_full (const HvCtlCommand  *command,
                        int                  argc,
                        char               **argv,
                        gboolean             remote,
                        GError             **error)
{
  g_autoptr(HvCtlArgs) args = g_new0 (HvCtlArgs, 1);
  gboolean options_ended = FALSE;

  args->command = command;
  args->values = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  args->positionals = g_ptr_array_new_with_free_func (g_free);

  for (int i = 0; i < argc; i++)
    {
      const char *arg = argv[i];

      if (!options_ended && g_str_equal (arg, "--"))
        {
          options_ended = TRUE;
        }
      else if (!options_ended && g_str_has_prefix (arg, "--"))
        {
          g_autofree char *name = g_strdup (arg + 2);
          char *eq = strchr (name, '=');
          const char *value = NULL;
          const HvCtlOption *option;
          char *checked = NULL;

          if (eq != NULL)
            {
              *eq = '\0';
              value = eq + 1;
            }

          option = find_option (command, name);
          if (option == NULL)
            {
              g_autofree char *shown = hv_ctl_display_short (name);

              usage_error (error, command, _("unknown option \"--%s\""), shown);
              return NULL;
            }

          if (g_hash_table_contains (args->values, option->name))
            {
              usage_error (error, command, _("--%s is given twice"), option->name);
              return NULL;
            }

          if (option->kind == HV_CTL_OPT_FLAG)
            {
              if (value != NULL)
                {
                  usage_error (error, command, _("--%s takes no value"), option->name);
                  return NULL;
                }
              value = "";
            }
          else if (value == NULL)
            {
              /* "--iso --memory 512" is a forgotten value, not an ISO named "--memory";
               * a value that really starts with "--" can be written "--iso=--x". */
              if (i + 1 >= argc || (g_str_has_prefix (argv[i + 1], "--") && argv[i + 1][2] != '\0'))
                {
                  usage_error (error, command, _("--%s needs a value (%s)"),
                               option->name, option->value);
                  return NULL;
                }
              value = argv[++i];
            }

          if (!check_value (command, option, value, remote, &checked, error))
            return NULL;
          g_hash_table_insert (args->values, (gpointer) option->name, checked);
        }
      else if (!options_ended && arg[0] == '-' && arg[1] != '\0')
        {
          g_autofree char *shown = hv_ctl_display_short (arg);

          usage_error (error, command, _("unknown option \"%s\""), shown);
          return NULL;
        }
      else
        {
          guint index = args->positionals->len;

          if (index >= command->max_args)
            {
              g_autofree char *shown = hv_ctl_display_short (arg);

              usage_error (error, command, _("unexpected argument \"%s\""), shown);
              return NULL;
            }
          if (!check_positional (command, index, arg, remote, error))
            return NULL;
          g_ptr_array_add (args->positionals, g_strdup (arg));
        }
    }

  if (args->positionals->len < command->min_args)
    {
      g_autofree char *missing = positional_name (command, args->positionals->len);

      usage_error (error, command, _("missing %s"), missing);
      return NULL;
    }

  return g_steal_pointer (&args);
}

gboolean
hv_ctl_args_has (HvCtlArgs  *args,
                 const char *name)
{
  return g_hash_table_contains (args->values, name);
}

const char *
hv_ctl_args_get (HvCtlArgs  *args,
                 const char *name)
{
  return g_hash_table_lookup (args->values, name);
}

/* Only for HV_CTL_OPT_UINT options, whose values the parser has already checked. */
guint64
hv_ctl_args_get_uint (HvCtlArgs  *args,
                      const char *name)
{
  const char *value = g_hash_table_lookup (args->values, name);

  return value != NULL ? g_ascii_strtoull (value, NULL, 10) : 0;
}

const char *
hv_ctl_args_positional (HvCtlArgs *args,
                        guint      i)
{
  return i < args->positionals->len ? g_ptr_array_index (args->positionals, i) : NULL;
}

/* "/Lab/Web/" → "Lab/Web", "/" → "": a leading or trailing slash is forgiven, the engine
 * checks the rest (hv_config_check_folder()). */
char *
hv_ctl_normalize_folder (const char *folder)
{
  gsize len;

  if (folder[0] == '/')
    folder++;
  len = strlen (folder);
  if (len > 0 && folder[len - 1] == '/')
    len--;
  return g_strndup (folder, len);
}

static gboolean
check_choice (HvCtlArgs   *args,
              const char  *name,
              gboolean   (*is_valid) (const char *value),
              const char  *choices,
              GError     **error)
{
  const char *value = hv_ctl_args_get (args, name);
  g_autofree char *shown = NULL;

  if (value == NULL || is_valid (value))
    return TRUE;

  shown = hv_ctl_display_short (value);
  return usage_error (error, args->command, _("--%s must be %s, not \"%s\""), name, choices, shown);
}

static gboolean
firmware_is_valid (const char *value)
{
  HvFirmware v;
  return hv_firmware_from_string (value, &v);
}

static gboolean
machine_is_valid (const char *value)
{
  HvMachine v;
  return hv_machine_from_string (value, &v);
}

static gboolean
sound_is_valid (const char *value)
{
  return hv_sound_device_from_string (value, NULL);
}

static gboolean
rtc_is_valid (const char *value)
{
  return hv_rtc_base_from_string (value, NULL);
}

static gboolean
cpu_model_option_is_valid (const char *value)
{
  return g_str_equal (value, "default") || hv_cpu_model_is_valid (value);
}

static gboolean
cpu_limit_is_valid (const char *value)
{
  return g_str_equal (value, "off") || hv_cpu_limit_preset_shift (value) >= 0;
}

static gboolean
disk_format_is_valid (const char *value)
{
  HvDiskFormat v;
  return hv_disk_format_from_string (value, &v);
}

static gboolean
acceleration_is_valid (const char *value)
{
  HvAcceleration v;
  return hv_acceleration_from_string (value, &v);
}

static gboolean
video_is_valid (const char *value)
{
  HvVideo v;
  return hv_video_from_string (value, &v);
}

/* QEMU's legacy boot letters: a (floppy), c (first disk), d (CD-ROM), n (network);
 * each at most once. */
static gboolean
boot_is_valid (const char *value)
{
  if (value[0] == '\0' || strlen (value) > 4)
    return FALSE;
  for (const char *p = value; *p != '\0'; p++)
    if (strchr ("acdn", *p) == NULL || strchr (p + 1, *p) != NULL)
      return FALSE;
  return TRUE;
}

/* The image is checked before the engine is asked, as the engine checks it again
 * (hv_image_check()): a FIFO, a device, a file in /proc or a file that is no ISO is refused
 * before an engine is even started. */
static gboolean
check_file (HvCtlArgs    *args,
            const char   *name,
            HvImageKind   kind,
            GError      **error)
{
  const char *path = hv_ctl_args_get (args, name);

  return path == NULL || hv_image_check (kind, path, error);
}

static gboolean
exclusive (HvCtlArgs   *args,
           const char  *a,
           const char  *b,
           GError     **error)
{
  if (hv_ctl_args_has (args, a) && hv_ctl_args_has (args, b))
    return usage_error (error, args->command, _("--%s and --%s cannot be used together"), a, b);
  return TRUE;
}

static gboolean
net_mode_is_valid (const char *value)
{
  HvNetMode v;
  return hv_net_mode_from_string (value, &v);
}

static gboolean
on_off_is_valid (const char *value)
{
  return g_str_equal (value, "on") || g_str_equal (value, "off");
}

static gboolean
mac_option_is_valid (const char *value)
{
  return g_ascii_strcasecmp (value, "auto") == 0 || hv_mac_is_valid (value);
}

/* --nicN… → Modify's "nicN…" keys. */
static gboolean
add_nic_options (HvCtlArgs        *args,
                 GVariantBuilder  *builder,
                 GError          **error)
{
  for (guint n = 1; n <= HV_MAX_NICS; n++)
    {
      g_autofree char *mode = g_strdup_printf ("nic%u", n);
      g_autofree char *model = g_strdup_printf ("nic%u-model", n);
      g_autofree char *target = g_strdup_printf ("nic%u-target", n);
      g_autofree char *mac = g_strdup_printf ("nic%u-mac", n);
      const char *booleans[] = { "cable", "enabled" };

      if (!check_choice (args, mode, net_mode_is_valid,
                         "nat, bridged, host-only, internal or none", error) ||
          !check_choice (args, model, hv_nic_model_is_valid,
                         "virtio-net, e1000, e1000e, rtl8139, pcnet, ne2k_pci or ne2k_isa",
                         error) ||
          !check_choice (args, mac, mac_option_is_valid,
                         _("auto or a MAC address like 52:54:00:12:34:56"), error))
        return FALSE;
      if (hv_ctl_args_has (args, mode))
        g_variant_builder_add (builder, "{sv}", mode,
                               g_variant_new_string (hv_ctl_args_get (args, mode)));
      if (hv_ctl_args_has (args, model))
        g_variant_builder_add (builder, "{sv}", model,
                               g_variant_new_string (hv_ctl_args_get (args, model)));
      if (hv_ctl_args_has (args, target))
        g_variant_builder_add (builder, "{sv}", target,
                               g_variant_new_string (hv_ctl_args_get (args, target)));
      if (hv_ctl_args_has (args, mac))
        {
          g_autofree char *lower = g_ascii_strdown (hv_ctl_args_get (args, mac), -1);
          g_variant_builder_add (builder, "{sv}", mac, g_variant_new_string (lower));
        }
      for (guint b = 0; b < G_N_ELEMENTS (booleans); b++)
        {
          g_autofree char *key = g_strdup_printf ("nic%u-%s", n, booleans[b]);

          if (!check_choice (args, key, on_off_is_valid, "on or off", error))
            return FALSE;
          if (hv_ctl_args_has (args, key))
            g_variant_builder_add (builder, "{sv}", key,
                                   g_variant_new_boolean (g_str_equal (hv_ctl_args_get (args, key),
                                                                       "on")));
        }
    }
  return TRUE;
}

/* Checks the combination of create/modify options and builds CreateVm's or Modify's a{sv}
 * (see engine/dbus/io.github.hostvisor.Engine.xml). Returns a floating variant. */
GVariant *
hv_ctl_vm_options_build (HvCtlArgs  *args,
                         gboolean    for_modify,
                         GError    **error)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  static const char * const string_keys[] = {
    "name", "os", "disk", "disk-format", "iso", "floppy", "firmware", "machine",
    "kernel", "initrd", "cmdline", "nic-model", "video", "boot", "clipboard", "share-transport",
    "profile", "sound", "floppy-b", "rtc", "cpu-limit",
  };
  static const char * const flag_keys[] = { "no-disk", "remove-iso", "remove-floppy",
                                            "remove-floppy-b" };
  /* on|off options → the engine's booleans */
  static const struct {
    const char *option;
    const char *key;
  } on_off_keys[] = {
    { "sound-enabled", "sound-enabled" }, { "mute", "sound-muted" }, { "adlib", "adlib" },
    { "pc-speaker", "pc-speaker" }, { "acpi", "acpi" }, { "hpet", "hpet" }, { "usb", "usb" },
    { "tablet", "tablet" }, { "vmport", "vmport" },
  };

  if (!exclusive (args, "disk-size", "disk", error) ||
      !exclusive (args, "disk-size", "no-disk", error) ||
      !exclusive (args, "disk", "no-disk", error) ||
      !exclusive (args, "iso", "remove-iso", error) ||
      !exclusive (args, "floppy", "remove-floppy", error))
    return NULL;

  /* The engine never guesses an image's format (a guest could write a qcow2 header into
   * a raw disk), so an existing disk always comes with its format. */
  if (hv_ctl_args_has (args, "disk") && !hv_ctl_args_has (args, "disk-format"))
    {
      usage_error (error, args->command, _("--disk needs --disk-format raw or qcow2"));
      return NULL;
    }
  if (hv_ctl_args_has (args, "disk-format") && !hv_ctl_args_has (args, "disk"))
    {
      usage_error (error, args->command, _("--disk-format goes with --disk"));
      return NULL;
    }

  if (!for_modify)
    {
      if (hv_ctl_args_has (args, "initrd") && !hv_ctl_args_has (args, "kernel"))
        {
          usage_error (error, args->command, _("--initrd goes with --kernel"));
          return NULL;
        }
      if (hv_ctl_args_has (args, "cmdline") && !hv_ctl_args_has (args, "kernel"))
        {
          usage_error (error, args->command, _("--cmdline goes with --kernel"));
          return NULL;
        }
    }

  if (!check_choice (args, "firmware", firmware_is_valid, "bios or uefi", error) ||
      !check_choice (args, "machine", machine_is_valid, "pc, q35 or isapc", error) ||
      !check_choice (args, "sound", sound_is_valid, "sb16, es1370, ac97, hda or none", error) ||
      !check_choice (args, "rtc", rtc_is_valid, "localtime or utc", error) ||
      !check_choice (args, "cpu-model", cpu_model_option_is_valid,
                     "486, pentium, pentium2, pentium3, qemu32, qemu64, max, host or default",
                     error) ||
      !check_choice (args, "cpu-limit", cpu_limit_is_valid, "386, 486, pentium, pentium2 or off",
                     error) ||
      !check_choice (args, "profile", hv_profile_name_is_valid,
                     _("a profile name (\"hostvisorctl profile list\")"), error) ||
      !check_choice (args, "disk-format", disk_format_is_valid, "raw or qcow2", error) ||
      !check_choice (args, "video", video_is_valid, "std, cirrus, virtio or none", error) ||
      !check_choice (args, "accel", acceleration_is_valid, "auto, kvm or tcg", error) ||
      !check_choice (args, "nic-model", hv_nic_model_is_valid,
                     "virtio-net, e1000, e1000e, rtl8139, pcnet, ne2k_pci or ne2k_isa", error) ||
      !check_choice (args, "boot", boot_is_valid,
                     _("one to four of the letters a, c, d, n, each once"), error))
    return NULL;

  if (hv_ctl_args_has (args, "os") && hv_ctl_args_get (args, "os")[0] == '\0' && !for_modify)
    {
      usage_error (error, args->command, _("--os needs an OS id, e.g. debian12"));
      return NULL;
    }

  if (!check_file (args, "iso", HV_IMAGE_ISO, error) ||
      !check_file (args, "floppy", HV_IMAGE_FLOPPY, error) ||
      !check_file (args, "floppy-b", HV_IMAGE_FLOPPY, error) ||
      !check_file (args, "disk", HV_IMAGE_DISK, error) ||
      !check_file (args, "kernel", HV_IMAGE_KERNEL, error) ||
      !check_file (args, "initrd", HV_IMAGE_INITRD, error))
    return NULL;

  for (guint i = 0; i < G_N_ELEMENTS (string_keys); i++)
    {
      const char *value = hv_ctl_args_get (args, string_keys[i]);
      if (value != NULL)
        g_variant_builder_add (&builder, "{sv}", string_keys[i], g_variant_new_string (value));
    }
  for (guint i = 0; i < G_N_ELEMENTS (flag_keys); i++)
    if (hv_ctl_args_has (args, flag_keys[i]))
      g_variant_builder_add (&builder, "{sv}", flag_keys[i], g_variant_new_boolean (TRUE));

  if (hv_ctl_args_has (args, "folder"))
    {
      g_autofree char *folder = hv_ctl_normalize_folder (hv_ctl_args_get (args, "folder"));
      g_variant_builder_add (&builder, "{sv}", "folder", g_variant_new_string (folder));
    }
  if (hv_ctl_args_has (args, "memory"))
    g_variant_builder_add (&builder, "{sv}", "memory",
                           g_variant_new_uint64 (hv_ctl_args_get_uint (args, "memory")));
  if (hv_ctl_args_has (args, "disk-size"))
    g_variant_builder_add (&builder, "{sv}", "disk-size",
                           g_variant_new_uint64 (hv_ctl_args_get_uint (args, "disk-size")));
  if (hv_ctl_args_has (args, "cpus"))
    g_variant_builder_add (&builder, "{sv}", "cpus",
                           g_variant_new_uint32 ((guint32) hv_ctl_args_get_uint (args, "cpus")));
  /* The option is short, as users type it; the engine's key says what it sets. */
  if (hv_ctl_args_has (args, "accel"))
    g_variant_builder_add (&builder, "{sv}", "acceleration",
                           g_variant_new_string (hv_ctl_args_get (args, "accel")));
  if (hv_ctl_args_has (args, "cpu-model"))
    {
      const char *model = hv_ctl_args_get (args, "cpu-model");

      g_variant_builder_add (&builder, "{sv}", "cpu-model",
                             g_variant_new_string (g_str_equal (model, "default") ? "" : model));
    }
  if (hv_ctl_args_has (args, "vram"))
    g_variant_builder_add (&builder, "{sv}", "vram",
                           g_variant_new_uint32 ((guint32) hv_ctl_args_get_uint (args, "vram")));
  for (guint i = 0; i < G_N_ELEMENTS (on_off_keys); i++)
    {
      if (!check_choice (args, on_off_keys[i].option, on_off_is_valid, "on or off", error))
        return NULL;
      if (hv_ctl_args_has (args, on_off_keys[i].option))
        g_variant_builder_add (&builder, "{sv}", on_off_keys[i].key,
                               g_variant_new_boolean (g_str_equal (hv_ctl_args_get (
                                 args, on_off_keys[i].option), "on")));
    }
  if (for_modify && !add_nic_options (args, &builder, error))
    return NULL;

  return g_variant_builder_end (&builder);
}
