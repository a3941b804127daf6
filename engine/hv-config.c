/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-config.c: a VM's configuration as plain data: constructors, enum names and the
 * semantic checks that the schema cannot express. The XML form is in hv-config-xml.c. */
#include "hv-config.h"
#include "hv-config-private.h"

#include <string.h>

#include "hv-error.h"

/* Drives, NICs, shares, configs */

HvDrive *
hv_drive_new (HvDriveKind   kind,
              HvDriveBus    bus,
              HvDiskFormat  format,
              const char   *path)
{
  HvDrive *drive = g_new0 (HvDrive, 1);

  drive->kind = kind;
  drive->bus = bus;
  drive->format = format;
  drive->path = g_strdup (path);
  drive->readonly = (kind == HV_DRIVE_CDROM);
  return drive;
}

HvDrive *
hv_drive_copy (const HvDrive *drive)
{
  HvDrive *copy;

  g_return_val_if_fail (drive != NULL, NULL);

  copy = g_memdup2 (drive, sizeof *drive);
  copy->path = g_strdup (drive->path);
  copy->backing = g_strdup (drive->backing);
  return copy;
}

void
hv_drive_free (HvDrive *drive)
{
  if (drive == NULL)
    return;
  g_free (drive->path);
  g_free (drive->backing);
  g_free (drive);
}

HvNic *
hv_nic_new (HvNetMode   mode,
            const char *model,
            const char *mac)
{
  HvNic *nic = g_new0 (HvNic, 1);

  nic->mode = mode;
  nic->model = g_strdup (model);
  nic->mac = g_strdup (mac);
  nic->enabled = TRUE;
  nic->cable = TRUE;
  nic->forwards = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_port_forward_free);
  return nic;
}

HvPortForward *
hv_port_forward_copy (const HvPortForward *rule)
{
  HvPortForward *copy = g_new0 (HvPortForward, 1);

  copy->name = g_strdup (rule->name);
  copy->udp = rule->udp;
  copy->host_address = g_strdup (rule->host_address);
  copy->host_port = rule->host_port;
  copy->guest_address = g_strdup (rule->guest_address);
  copy->guest_port = rule->guest_port;
  return copy;
}

void
hv_port_forward_free (HvPortForward *rule)
{
  if (rule == NULL)
    return;
  g_free (rule->name);
  g_free (rule->host_address);
  g_free (rule->guest_address);
  g_free (rule);
}

HvNic *
hv_nic_copy (const HvNic *nic)
{
  g_return_val_if_fail (nic != NULL, NULL);

  HvNic *copy = hv_nic_new (nic->mode, nic->model, nic->mac);

  copy->enabled = nic->enabled;
  copy->target = g_strdup (nic->target);
  copy->cable = nic->cable;
  for (guint i = 0; nic->forwards != NULL && i < nic->forwards->len; i++)
    g_ptr_array_add (copy->forwards, hv_port_forward_copy (g_ptr_array_index (nic->forwards, i)));
  return copy;
}

void
hv_nic_free (HvNic *nic)
{
  if (nic == NULL)
    return;
  g_free (nic->model);
  g_free (nic->mac);
  g_free (nic->target);
  g_clear_pointer (&nic->forwards, g_ptr_array_unref);
  g_free (nic);
}

HvShare *
hv_share_new (const char *name,
              const char *path,
              gboolean    readonly)
{
  HvShare *share = g_new0 (HvShare, 1);

  share->name = g_strdup (name);
  share->path = g_strdup (path);
  share->readonly = readonly;
  share->automount = TRUE;
  return share;
}

HvShare *
hv_share_copy (const HvShare *share)
{
  HvShare *copy;

  g_return_val_if_fail (share != NULL, NULL);

  copy = hv_share_new (share->name, share->path, share->readonly);
  copy->automount = share->automount;
  return copy;
}

void
hv_share_free (HvShare *share)
{
  if (share == NULL)
    return;
  g_free (share->name);
  g_free (share->path);
  g_free (share);
}

HvVmConfig *
hv_vm_config_new (const char *name)
{
  HvVmConfig *config;
  g_autofree char *mac = NULL;

  g_return_val_if_fail (name != NULL, NULL);

  config = g_new0 (HvVmConfig, 1);
  config->uuid = g_uuid_string_random ();
  config->name = g_strdup (name);
  config->folder = g_strdup ("");
  config->os_id = g_strdup ("");
  config->description = g_strdup ("");
  config->machine = HV_MACHINE_PC;
  config->firmware = HV_FIRMWARE_BIOS;
  config->memory_mib = 1024;
  config->cpus = 1;
  config->video = HV_VIDEO_STD;
  config->boot_order = g_strdup ("cd");
  config->acceleration = HV_ACCELERATION_AUTO;
  config->drives = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_drive_free);
  config->nics = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_nic_free);
  config->clipboard_mode = HV_CLIPBOARD_OFF;
  config->share_transport = HV_SHARE_TRANSPORT_AUTO;
  config->shares = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_share_free);
  hv_hardware_init (&config->hw);

  mac = hv_mac_generate ();
  g_ptr_array_add (config->nics, hv_nic_new (HV_NET_NAT, "virtio-net", mac));
  return config;
}

HvVmConfig *
hv_vm_config_copy (const HvVmConfig *config)
{
  HvVmConfig *copy;

  g_return_val_if_fail (config != NULL, NULL);

  copy = g_memdup2 (config, sizeof *config);
  copy->uuid = g_strdup (config->uuid);
  copy->name = g_strdup (config->name);
  copy->folder = g_strdup (config->folder);
  copy->os_id = g_strdup (config->os_id);
  copy->description = g_strdup (config->description);
  copy->machine_type = g_strdup (config->machine_type);
  copy->boot_order = g_strdup (config->boot_order);
  copy->kernel = g_strdup (config->kernel);
  copy->initrd = g_strdup (config->initrd);
  copy->cmdline = g_strdup (config->cmdline);

  copy->drives = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_drive_free);
  for (guint i = 0; config->drives != NULL && i < config->drives->len; i++)
    g_ptr_array_add (copy->drives, hv_drive_copy (g_ptr_array_index (config->drives, i)));

  copy->nics = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_nic_free);
  for (guint i = 0; config->nics != NULL && i < config->nics->len; i++)
    g_ptr_array_add (copy->nics, hv_nic_copy (g_ptr_array_index (config->nics, i)));

  copy->shares = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_share_free);
  for (guint i = 0; config->shares != NULL && i < config->shares->len; i++)
    g_ptr_array_add (copy->shares, hv_share_copy (g_ptr_array_index (config->shares, i)));

  hv_hardware_copy (&copy->hw, &config->hw);
  return copy;
}

void
hv_vm_config_free (HvVmConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->uuid);
  g_free (config->name);
  g_free (config->folder);
  g_free (config->os_id);
  g_free (config->description);
  g_free (config->machine_type);
  g_free (config->boot_order);
  g_free (config->kernel);
  g_free (config->initrd);
  g_free (config->cmdline);
  g_clear_pointer (&config->drives, g_ptr_array_unref);
  g_clear_pointer (&config->nics, g_ptr_array_unref);
  g_clear_pointer (&config->shares, g_ptr_array_unref);
  hv_hardware_clear (&config->hw);
  g_free (config);
}

/* Enum names */

static gboolean
lookup_name (const char * const *names,
             guint               n_names,
             const char         *s,
             guint              *out)
{
  if (s == NULL)
    return FALSE;
  for (guint i = 0; i < n_names; i++)
    {
      if (g_strcmp0 (names[i], s) == 0)
        {
          *out = i;
          return TRUE;
        }
    }
  return FALSE;
}

/* Defines hv_<thing>_to_string() and hv_<thing>_from_string() over a table of names
 * indexed by the enum value. */
#define HV_DEFINE_ENUM_NAMES(Type, prefix, ...)                                      \
  static const char * const prefix##_names[] = { __VA_ARGS__ };                      \
  const char *                                                                       \
  prefix##_to_string (Type v)                                                        \
  {                                                                                  \
    g_return_val_if_fail ((guint) v < G_N_ELEMENTS (prefix##_names), NULL);          \
    return prefix##_names[v];                                                        \
  }                                                                                  \
  gboolean                                                                           \
  prefix##_from_string (const char *s,                                               \
                        Type       *out)                                             \
  {                                                                                  \
    guint v;                                                                         \
                                                                                     \
    if (!lookup_name (prefix##_names, G_N_ELEMENTS (prefix##_names), s, &v))         \
      return FALSE;                                                                  \
    if (out != NULL)                                                                 \
      *out = (Type) v;                                                               \
    return TRUE;                                                                     \
  }

/* 1 to 3 digits, then the end or a '.': moves *p past the digits. */
static gboolean
skip_version_part (const char **p)
{
  guint n = 0;

  while (g_ascii_isdigit ((*p)[n]))
    n++;
  *p += n;
  return n >= 1 && n <= 3;
}

gboolean
hv_machine_type_check (HvMachine    machine,
                       const char  *type,
                       GError     **error)
{
  const char *prefix = machine == HV_MACHINE_Q35 ? "pc-q35-" : "pc-i440fx-";
  const char *p;
  g_autofree char *shown = NULL;
  guint parts = 0;

  if (type == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT, "no machine type given");
      return FALSE;
    }
  if (machine == HV_MACHINE_ISAPC)
    {
      /* QEMU 7.2's "-machine help" lists isapc alone, with no versions. */
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "the isapc machine has no versioned machine types: it cannot be pinned");
      return FALSE;
    }
  if (g_str_has_prefix (type, prefix) && strlen (type) <= HV_MACHINE_TYPE_MAX_LEN)
    {
      p = type + strlen (prefix);
      while (skip_version_part (&p) && ++parts <= 3 && *p == '.')
        p++;
      if (*p == '\0' && parts >= 2 && parts <= 3)
        return TRUE;
    }
  shown = hv_config_escape_for_display (type);
  g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
               "machine type \"%.40s\" is not valid for the %s machine (use %sX.Y, e.g. %s7.2)",
               shown, hv_machine_to_string (machine), prefix, prefix);
  return FALSE;
}

HV_DEFINE_ENUM_NAMES (HvFirmware, hv_firmware,
                      [HV_FIRMWARE_BIOS] = "bios",
                      [HV_FIRMWARE_UEFI] = "uefi")
HV_DEFINE_ENUM_NAMES (HvMachine, hv_machine,
                      [HV_MACHINE_PC] = "pc",
                      [HV_MACHINE_Q35] = "q35",
                      [HV_MACHINE_ISAPC] = "isapc")
HV_DEFINE_ENUM_NAMES (HvDriveKind, hv_drive_kind,
                      [HV_DRIVE_DISK] = "disk",
                      [HV_DRIVE_CDROM] = "cdrom",
                      [HV_DRIVE_FLOPPY] = "floppy")
HV_DEFINE_ENUM_NAMES (HvDriveBus, hv_drive_bus,
                      [HV_DRIVE_BUS_IDE] = "ide",
                      [HV_DRIVE_BUS_SATA] = "sata",
                      [HV_DRIVE_BUS_VIRTIO] = "virtio",
                      [HV_DRIVE_BUS_FDC] = "fdc")
HV_DEFINE_ENUM_NAMES (HvDiskFormat, hv_disk_format,
                      [HV_DISK_FORMAT_RAW] = "raw",
                      [HV_DISK_FORMAT_QCOW2] = "qcow2")
HV_DEFINE_ENUM_NAMES (HvNetMode, hv_net_mode,
                      [HV_NET_NAT] = "nat",
                      [HV_NET_NONE] = "none",
                      [HV_NET_BRIDGED] = "bridged",
                      [HV_NET_HOST_ONLY] = "host-only",
                      [HV_NET_INTERNAL] = "internal")
HV_DEFINE_ENUM_NAMES (HvVideo, hv_video,
                      [HV_VIDEO_STD] = "std",
                      [HV_VIDEO_CIRRUS] = "cirrus",
                      [HV_VIDEO_VIRTIO] = "virtio",
                      [HV_VIDEO_NONE] = "none")
HV_DEFINE_ENUM_NAMES (HvAcceleration, hv_acceleration,
                      [HV_ACCELERATION_AUTO] = "auto",
                      [HV_ACCELERATION_KVM] = "kvm",
                      [HV_ACCELERATION_TCG] = "tcg")
HV_DEFINE_ENUM_NAMES (HvClipboardMode, hv_clipboard_mode,
                      [HV_CLIPBOARD_OFF] = "off",
                      [HV_CLIPBOARD_HOST_TO_GUEST] = "host-to-guest",
                      [HV_CLIPBOARD_GUEST_TO_HOST] = "guest-to-host",
                      [HV_CLIPBOARD_BOTH] = "both")
HV_DEFINE_ENUM_NAMES (HvShareTransport, hv_share_transport,
                      [HV_SHARE_TRANSPORT_AUTO] = "auto",
                      [HV_SHARE_TRANSPORT_9P] = "9p",
                      [HV_SHARE_TRANSPORT_VIRTIOFS] = "virtiofs")

#undef HV_DEFINE_ENUM_NAMES

static const char * const nic_models[] = {
  "virtio-net", "e1000", "e1000e", "rtl8139", "pcnet", "ne2k_pci", "ne2k_isa",
};

gboolean
hv_nic_model_is_valid (const char *model)
{
  guint unused;

  return lookup_name (nic_models, G_N_ELEMENTS (nic_models), model, &unused);
}

/* MAC addresses */

static gboolean
mac_parse (const char *mac,
           guint8      bytes[6])
{
  if (mac == NULL || strlen (mac) != 17)
    return FALSE;

  for (guint i = 0; i < 6; i++)
    {
      const char *p = mac + i * 3;
      int hi = g_ascii_xdigit_value (p[0]);
      int lo = g_ascii_xdigit_value (p[1]);

      if (hi < 0 || lo < 0 || (i < 5 && p[2] != ':'))
        return FALSE;
      bytes[i] = (guint8) (hi << 4 | lo);
    }

  return TRUE;
}

/* Six hex pairs separated by ':', and an address a NIC may have: not multicast
 * (the low bit of the first byte) and not all zero. */
gboolean
hv_mac_is_valid (const char *mac)
{
  static const guint8 zero[6] = { 0 };
  guint8 bytes[6];

  return mac_parse (mac, bytes) && (bytes[0] & 1) == 0 && memcmp (bytes, zero, 6) != 0;
}

char *
hv_mac_generate (void)
{
  guint32 r = g_random_int ();

  /* 52:54:00 is the prefix QEMU uses; 0x52 has the locally administered bit set. */
  return g_strdup_printf ("52:54:00:%02x:%02x:%02x",
                          (r >> 16) & 0xff, (r >> 8) & 0xff, r & 0xff);
}

/* Text checks */

/* The characters XML 1.0 can carry at all. */
static gboolean
is_xml_char (gunichar c)
{
  return c == 0x9 || c == 0xa || c == 0xd
         || (c >= 0x20 && c <= 0xd7ff)
         || (c >= 0xe000 && c <= 0xfffd)
         || (c >= 0x10000 && c <= 0x10ffff);
}

/* Control characters and line breaks: what must never appear in one-line text. */
static gboolean
is_control (gunichar c)
{
  GUnicodeType type = g_unichar_type (c);

  return type == G_UNICODE_CONTROL
         || type == G_UNICODE_LINE_SEPARATOR
         || type == G_UNICODE_PARAGRAPH_SEPARATOR;
}

typedef enum {
  TEXT_ONE_LINE,   /* no control characters at all */
  TEXT_MULTI_LINE, /* tabs and line breaks allowed */
} TextKind;

/* NULL when `text` is fine, else why not, phrased to follow the field's name. */
static const char *
text_problem (const char *text,
              TextKind    kind)
{
  if (!g_utf8_validate (text, -1, NULL))
    return "is not valid UTF-8";

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (kind == TEXT_ONE_LINE && is_control (c))
        return "contains a control character (such as a line break or tab)";
      if (!is_xml_char (c) || (c != '\t' && c != '\n' && c != '\r' && is_control (c)))
        return "contains a character that cannot be stored (a control character)";
    }

  return NULL;
}

/* The rules shared by names and folder components. */
static const char *
label_problem (const char *text)
{
  const char *problem;
  const char *last;

  if (*text == '\0')
    return "is empty";
  if ((problem = text_problem (text, TEXT_ONE_LINE)) != NULL)
    return problem;
  if (g_utf8_strlen (text, -1) > HV_NAME_MAX_CHARS)
    return "is longer than " G_STRINGIFY (HV_NAME_MAX_CHARS) " characters";
  last = g_utf8_find_prev_char (text, text + strlen (text));
  if (g_unichar_isspace (g_utf8_get_char (text)) || g_unichar_isspace (g_utf8_get_char (last)))
    return "starts or ends with white space";
  if (strchr (text, '/') != NULL)
    return "contains '/'";
  return NULL;
}

char *
hv_config_escape_for_display (const char *text)
{
  GString *out;
  const char *p;
  const char *end;

  if (text == NULL)
    return g_strdup ("(null)");

  out = g_string_sized_new (strlen (text));
  end = text + strlen (text);
  for (p = text; p < end; )
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02x", (guint8) *p);
          p++;
          continue;
        }

      switch (c)
        {
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '"': g_string_append (out, "\\\""); break;
        default:
          if (c < 0x80 && is_control (c))
            g_string_append_printf (out, "\\x%02x", c);
          else if (is_control (c) || !is_xml_char (c))
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_len (out, p, g_utf8_next_char (p) - p);
        }
      p = g_utf8_next_char (p);
    }

  return g_string_free (out, FALSE);
}

/* A name as a message quotes it: escaped like any text, with the invisible formatting
 * characters that a new name may not have (bidi overrides, zero-width ones) spelled out
 * too, and cut to NAME_SHOWN_MAX_CHARS, so that a name of 10 KiB does not fill the screen. */
#define NAME_SHOWN_MAX_CHARS 40

static char *
name_for_message (const char *name)
{
  g_autofree char *cut = NULL;
  g_autofree char *escaped = NULL;
  GString *out;

  if (g_utf8_validate (name, -1, NULL))
    {
      if (g_utf8_strlen (name, -1) > NAME_SHOWN_MAX_CHARS)
        {
          const char *end = g_utf8_offset_to_pointer (name, NAME_SHOWN_MAX_CHARS);
          cut = g_strdup_printf ("%.*s…", (int) (end - name), name);
        }
    }
  else if (strlen (name) > NAME_SHOWN_MAX_CHARS)
    {
      /* Cut in bytes; the escaping below shows what is left of a broken sequence as \xNN. */
      cut = g_strdup_printf ("%.*s…", NAME_SHOWN_MAX_CHARS, name);
    }

  escaped = hv_config_escape_for_display (cut != NULL ? cut : name);
  out = g_string_sized_new (strlen (escaped));
  for (const char *p = escaped; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          /* Cannot happen after escaping; never read past a broken byte anyway. */
          g_string_append_printf (out, "\\x%02x", (guint8) *p);
          p++;
          if (*p == '\0')
            break;
          continue;
        }
      if (g_unichar_type (c) == G_UNICODE_FORMAT)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

gboolean
hv_config_check_name (const char  *name,
                      GError     **error)
{
  g_autofree char *shown = NULL;
  const char *problem;

  if (name == NULL || *name == '\0')
    {
      g_set_error_literal (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT, "name is empty");
      return FALSE;
    }

  if ((problem = label_problem (name)) == NULL)
    return TRUE;

  shown = name_for_message (name);
  g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT, "name \"%s\" %s", shown, problem);
  return FALSE;
}

/* What a new name may not be, on top of hv_config_check_name(): NULL when fine. */
static const char *
new_name_problem (const char *name,
                  gunichar   *bad_char)
{
  /* FindVm, and so every client, takes a UUID as well as a name: a VM named like another
   * VM's UUID would be unreachable by its name, or hide the other one. */
  if (g_uuid_string_is_valid (name))
    return "is a UUID; VMs are also found by their UUID, so a name cannot be one";

  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      *bad_char = c;
      switch (g_unichar_type (c))
        {
        case G_UNICODE_FORMAT:
          /* Bidi overrides, embeddings and isolates, zero-width space and joiners, the BOM:
           * invisible, and able to make a name read as another ("abc\u202egnp.exe" shows
           * as "abcexe.png"). */
          return "contains an invisible formatting character (U+%04X) that can make it read "
                 "as another name";
        case G_UNICODE_PRIVATE_USE:
          return "contains a private-use character (U+%04X), which looks different on "
                 "every computer";
        case G_UNICODE_UNASSIGNED:
          return "contains a character that Unicode has not assigned (U+%04X)";
        default:
          break;
        }
    }
  return NULL;
}

gboolean
hv_config_check_new_name (const char  *name,
                          GError     **error)
{
  g_autofree char *shown = NULL;
  g_autofree char *problem_text = NULL;
  gunichar bad_char = 0;
  const char *problem;

  if (!hv_config_check_name (name, error))
    return FALSE;
  if ((problem = new_name_problem (name, &bad_char)) == NULL)
    return TRUE;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  problem_text = g_strdup_printf (problem, bad_char);
#pragma GCC diagnostic pop
  shown = name_for_message (name);
  g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT, "name \"%s\" %s", shown,
               problem_text);
  return FALSE;
}

gboolean
hv_config_check_folder (const char  *folder,
                        GError     **error)
{
  g_autofree char *shown = NULL;
  g_auto(GStrv) parts = NULL;
  const char *problem;
  guint n;

  if (folder == NULL || *folder == '\0')
    return TRUE;

  shown = hv_config_escape_for_display (folder);

  if ((problem = text_problem (folder, TEXT_ONE_LINE)) != NULL)
    goto bad;
  if (g_utf8_strlen (folder, -1) > HV_FOLDER_MAX_CHARS)
    {
      problem = "is longer than " G_STRINGIFY (HV_FOLDER_MAX_CHARS) " characters";
      goto bad;
    }

  parts = g_strsplit (folder, "/", -1);
  n = g_strv_length (parts);
  if (n > HV_FOLDER_MAX_DEPTH)
    {
      problem = "is nested deeper than " G_STRINGIFY (HV_FOLDER_MAX_DEPTH) " levels";
      goto bad;
    }

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *part_shown = NULL;

      if (*parts[i] == '\0')
        {
          problem = "has an empty part (a '/' at the start or end, or two in a row)";
          goto bad;
        }
      if (g_str_equal (parts[i], ".") || g_str_equal (parts[i], ".."))
        {
          problem = "has a part \".\" or \"..\"";
          goto bad;
        }
      if ((problem = label_problem (parts[i])) != NULL)
        {
          part_shown = hv_config_escape_for_display (parts[i]);
          g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                       "folder \"%s\": the part \"%s\" %s", shown, part_shown, problem);
          return FALSE;
        }
    }

  return TRUE;

bad:
  g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT, "folder \"%s\" %s", shown, problem);
  return FALSE;
}

/* Share names are ASCII on purpose: the name becomes a directory in every kind of guest
 * (so no '/', no '\', no ':'), is sent to the agent, and shows in mount tables, where a
 * leading '-' reads as an option and a leading '.' hides the folder or means "." and "..". */
gboolean
hv_config_check_share_name (const char  *name,
                            GError     **error)
{
  g_autofree char *shown = NULL;
  const char *problem = NULL;
  gsize len;

  if (name == NULL || *name == '\0')
    {
      g_set_error_literal (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT, "share name is empty");
      return FALSE;
    }

  len = strlen (name);
  for (const char *p = name; *p != '\0' && problem == NULL; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-')
        problem = "may only use the letters A-Z and a-z, digits, '.', '_' and '-'";
    }
  if (problem == NULL && len > HV_SHARE_NAME_MAX_CHARS)
    problem = "is longer than " G_STRINGIFY (HV_SHARE_NAME_MAX_CHARS) " characters";
  if (problem == NULL && (name[0] == '.' || name[0] == '-'))
    problem = "may not start with '.' or '-'";
  if (problem == NULL)
    return TRUE;

  shown = hv_config_escape_for_display (name);
  g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT, "share name \"%s\" %s", shown,
               problem);
  return FALSE;
}

/* Validation */

static gboolean
fail_at (HvConfigLocation  *where,
         HvConfigField      field,
         guint              index,
         GError           **error,
         const char        *format,
         ...) G_GNUC_PRINTF (5, 6);

static gboolean
fail_at (HvConfigLocation  *where,
         HvConfigField      field,
         guint              index,
         GError           **error,
         const char        *format,
         ...)
{
  va_list args;

  if (where != NULL)
    {
      where->field = field;
      where->index = index;
    }

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (HV_ERROR, HV_ERROR_INVALID_ARGUMENT, format, args));
  va_end (args);
  return FALSE;
}

static gboolean
is_lower_uuid (const char *uuid)
{
  if (!g_uuid_string_is_valid (uuid))
    return FALSE;
  for (const char *p = uuid; *p != '\0'; p++)
    if (g_ascii_isupper (*p))
      return FALSE;
  return TRUE;
}

static gboolean
is_os_id (const char *os_id)
{
  if (strlen (os_id) > 64)
    return FALSE;
  for (const char *p = os_id; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("._+-", *p) == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
validate_identity (const HvVmConfig  *config,
                   HvConfigLocation  *where,
                   GError           **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *problem;

  if (config->uuid == NULL)
    return fail_at (where, HV_CONFIG_FIELD_UUID, 0, error, "uuid is missing");
  if (!is_lower_uuid (config->uuid))
    {
      g_autofree char *shown = hv_config_escape_for_display (config->uuid);

      /* Lower case, because the UUID is also the VM's directory name. */
      return fail_at (where, HV_CONFIG_FIELD_UUID, 0, error,
                      "uuid \"%s\" %s (like 0f0e0d0c-0b0a-4908-8706-050403020100)", shown,
                      g_uuid_string_is_valid (config->uuid) ? "must be written in lower case"
                                                            : "is not a UUID");
    }

  if (!hv_config_check_name (config->name, &local_error))
    return fail_at (where, HV_CONFIG_FIELD_NAME, 0, error, "%s", local_error->message);

  if (!hv_config_check_folder (config->folder, &local_error))
    return fail_at (where, HV_CONFIG_FIELD_FOLDER, 0, error, "%s", local_error->message);

  if (config->os_id != NULL && !is_os_id (config->os_id))
    {
      g_autofree char *shown = hv_config_escape_for_display (config->os_id);

      return fail_at (where, HV_CONFIG_FIELD_OS, 0, error,
                      "os \"%s\" is not a libosinfo short id (like debian12)", shown);
    }

  if (config->description != NULL
      && (problem = text_problem (config->description, TEXT_MULTI_LINE)) != NULL)
    return fail_at (where, HV_CONFIG_FIELD_DESCRIPTION, 0, error, "description %s", problem);

  return TRUE;
}

static gboolean
validate_boot_order (const HvVmConfig  *config,
                     HvConfigLocation  *where,
                     GError           **error)
{
  g_autofree char *shown = hv_config_escape_for_display (config->boot_order);
  const char *order = config->boot_order;

  if (order == NULL || *order == '\0')
    return fail_at (where, HV_CONFIG_FIELD_BOOT, 0, error,
                    "boot order is empty (use the letters c, d, a, n)");

  for (const char *p = order; *p != '\0'; p++)
    {
      if (strchr ("cdan", *p) == NULL)
        return fail_at (where, HV_CONFIG_FIELD_BOOT, 0, error,
                        "boot order \"%s\" may only use the letters c (disk), d (CD-ROM), "
                        "a (floppy) and n (network)", shown);
      if (strchr (p + 1, *p) != NULL)
        return fail_at (where, HV_CONFIG_FIELD_BOOT, 0, error,
                        "boot order \"%s\" names '%c' twice", shown, *p);
    }

  return TRUE;
}

static gboolean
validate_system (const HvVmConfig  *config,
                 HvConfigLocation  *where,
                 GError           **error)
{
  g_autoptr(GError) type_error = NULL;

  if ((guint) config->machine > HV_MACHINE_ISAPC)
    return fail_at (where, HV_CONFIG_FIELD_SYSTEM, 0, error,
                    "machine %d is not a known machine type", config->machine);
  if (config->machine_type != NULL
      && !hv_machine_type_check (config->machine, config->machine_type, &type_error))
    return fail_at (where, HV_CONFIG_FIELD_SYSTEM, 0, error, "%s", type_error->message);
  if ((guint) config->firmware > HV_FIRMWARE_UEFI)
    return fail_at (where, HV_CONFIG_FIELD_SYSTEM, 0, error,
                    "firmware %d is not a known firmware type", config->firmware);

  if (config->memory_mib < HV_MEMORY_MIN_MIB || config->memory_mib > HV_MEMORY_MAX_MIB)
    return fail_at (where, HV_CONFIG_FIELD_MEMORY, 0, error,
                    "memory %" G_GUINT64_FORMAT " MiB is out of range (%d to %d MiB)",
                    config->memory_mib, HV_MEMORY_MIN_MIB, HV_MEMORY_MAX_MIB);

  if (config->cpus < 1 || config->cpus > HV_CPUS_MAX)
    return fail_at (where, HV_CONFIG_FIELD_CPUS, 0, error,
                    "cpus %u is out of range (1 to %d)", config->cpus, HV_CPUS_MAX);

  if ((guint) config->video > HV_VIDEO_NONE)
    return fail_at (where, HV_CONFIG_FIELD_VIDEO, 0, error,
                    "video %d is not a known video model", config->video);
  if ((guint) config->acceleration > HV_ACCELERATION_TCG)
    return fail_at (where, HV_CONFIG_FIELD_ACCELERATION, 0, error,
                    "acceleration %d is not a known accelerator", config->acceleration);
  if (!hv_hardware_validate (config, &type_error))
    return fail_at (where, HV_CONFIG_FIELD_SYSTEM, 0, error, "%s", type_error->message);

  return validate_boot_order (config, where, error);
}

/* NULL when `path` is a usable file name, else why not. */
static const char *
path_problem (const char *path,
              gboolean    must_be_absolute)
{
  const char *problem;

  if (*path == '\0')
    return "is empty";
  if ((problem = text_problem (path, TEXT_ONE_LINE)) != NULL)
    return problem;
  if (must_be_absolute && !g_path_is_absolute (path))
    return "is not an absolute path";
  return NULL;
}

static gboolean
validate_kernel (const HvVmConfig  *config,
                 HvConfigLocation  *where,
                 GError           **error)
{
  const char *problem;

  if (config->kernel == NULL)
    {
      if (config->initrd != NULL || config->cmdline != NULL)
        return fail_at (where, HV_CONFIG_FIELD_KERNEL, 0, error,
                        "kernel: an initrd or command line is set but no kernel");
      return TRUE;
    }

  if ((problem = path_problem (config->kernel, TRUE)) != NULL)
    {
      g_autofree char *shown = hv_config_escape_for_display (config->kernel);

      return fail_at (where, HV_CONFIG_FIELD_KERNEL, 0, error,
                      "kernel path \"%s\" %s", shown, problem);
    }

  if (config->initrd != NULL && (problem = path_problem (config->initrd, TRUE)) != NULL)
    {
      g_autofree char *shown = hv_config_escape_for_display (config->initrd);

      return fail_at (where, HV_CONFIG_FIELD_KERNEL, 0, error,
                      "kernel initrd \"%s\" %s", shown, problem);
    }

  if (config->cmdline != NULL)
    {
      if (strlen (config->cmdline) > HV_CMDLINE_MAX)
        return fail_at (where, HV_CONFIG_FIELD_KERNEL, 0, error,
                        "kernel command line is longer than %d bytes", HV_CMDLINE_MAX);
      if ((problem = text_problem (config->cmdline, TEXT_ONE_LINE)) != NULL)
        return fail_at (where, HV_CONFIG_FIELD_KERNEL, 0, error,
                        "kernel command line %s", problem);
    }

  return TRUE;
}

static gboolean
validate_drive (const HvVmConfig  *config,
                const HvDrive     *drive,
                guint              i,
                HvConfigLocation  *where,
                GError           **error)
{
  const char *kind;
  const char *problem;

  if (drive == NULL)
    return fail_at (where, HV_CONFIG_FIELD_DRIVE, i, error, "drive %u is missing", i + 1);
  if ((guint) drive->kind > HV_DRIVE_FLOPPY || (guint) drive->bus > HV_DRIVE_BUS_FDC
      || (guint) drive->format > HV_DISK_FORMAT_QCOW2)
    return fail_at (where, HV_CONFIG_FIELD_DRIVE, i, error,
                    "drive %u has an unknown type, bus or format", i + 1);

  kind = hv_drive_kind_to_string (drive->kind);

  if (drive->kind == HV_DRIVE_FLOPPY && drive->bus != HV_DRIVE_BUS_FDC)
    return fail_at (where, HV_CONFIG_FIELD_DRIVE, i, error,
                    "drive %u: a floppy drive must use the fdc bus, not %s",
                    i + 1, hv_drive_bus_to_string (drive->bus));
  if (drive->kind != HV_DRIVE_FLOPPY && drive->bus == HV_DRIVE_BUS_FDC)
    return fail_at (where, HV_CONFIG_FIELD_DRIVE, i, error,
                    "drive %u: the fdc bus is only for floppy drives, not %s", i + 1, kind);
  if (drive->kind == HV_DRIVE_CDROM && drive->bus == HV_DRIVE_BUS_VIRTIO)
    return fail_at (where, HV_CONFIG_FIELD_DRIVE, i, error,
                    "drive %u: a cdrom drive cannot use the virtio bus (use ide or sata)", i + 1);
  if (drive->bus == HV_DRIVE_BUS_SATA && config->machine != HV_MACHINE_Q35)
    return fail_at (where, HV_CONFIG_FIELD_DRIVE, i, error,
                    "drive %u: the sata bus needs the q35 machine (this VM uses %s)",
                    i + 1, hv_machine_to_string (config->machine));
  if (drive->kind == HV_DRIVE_CDROM && !drive->readonly)
    return fail_at (where, HV_CONFIG_FIELD_DRIVE, i, error,
                    "drive %u: a cdrom drive is always read-only", i + 1);

  if (drive->path == NULL)
    {
      /* CD-ROM and floppy drives may be empty (a medium ejected while the VM ran). */
      if (drive->kind == HV_DRIVE_DISK)
        return fail_at (where, HV_CONFIG_FIELD_DRIVE, i, error,
                        "drive %u: a %s drive needs a path", i + 1, kind);
    }
  else if ((problem = path_problem (drive->path, FALSE)) != NULL)
    {
      g_autofree char *shown = hv_config_escape_for_display (drive->path);

      return fail_at (where, HV_CONFIG_FIELD_DRIVE, i, error,
                      "drive %u: path \"%s\" %s", i + 1, shown, problem);
    }

  if (drive->backing != NULL)
    {
      if (drive->kind != HV_DRIVE_DISK || drive->format != HV_DISK_FORMAT_QCOW2
          || drive->readonly)
        return fail_at (where, HV_CONFIG_FIELD_DRIVE, i, error,
                        "drive %u: only a writable qcow2 disk can have a backing image", i + 1);
      if ((problem = path_problem (drive->backing, TRUE)) != NULL)
        {
          g_autofree char *shown = hv_config_escape_for_display (drive->backing);

          return fail_at (where, HV_CONFIG_FIELD_DRIVE, i, error,
                          "drive %u: backing \"%s\" %s", i + 1, shown, problem);
        }
    }

  return TRUE;
}

static gboolean
validate_storage (const HvVmConfig  *config,
                  HvConfigLocation  *where,
                  GError           **error)
{
  guint floppies = 0;
  guint ide = 0;
  guint ahci = 0;

  if (config->drives == NULL)
    return TRUE;

  if (config->drives->len > HV_MAX_DRIVES)
    return fail_at (where, HV_CONFIG_FIELD_DRIVE, HV_MAX_DRIVES, error,
                    "too many drives (%u; the limit is %d)", config->drives->len, HV_MAX_DRIVES);

  for (guint i = 0; i < config->drives->len; i++)
    {
      const HvDrive *drive = g_ptr_array_index (config->drives, i);

      if (!validate_drive (config, drive, i, where, error))
        return FALSE;

      if (drive->kind == HV_DRIVE_FLOPPY && ++floppies > 2)
        return fail_at (where, HV_CONFIG_FIELD_DRIVE, i, error,
                        "drive %u: too many floppy drives (the limit is 2)", i + 1);

      /* On pc, ide is the PIIX controller: two channels of two units. On q35 both ide
       * and sata mean the ICH9 AHCI controller, which has six ports. */
      if (config->machine != HV_MACHINE_Q35 && drive->bus == HV_DRIVE_BUS_IDE && ++ide > 4)
        return fail_at (where, HV_CONFIG_FIELD_DRIVE, i, error,
                        "drive %u: too many ide drives (the pc machine has 4 IDE units)", i + 1);
      if (config->machine == HV_MACHINE_Q35
          && (drive->bus == HV_DRIVE_BUS_IDE || drive->bus == HV_DRIVE_BUS_SATA) && ++ahci > 6)
        return fail_at (where, HV_CONFIG_FIELD_DRIVE, i, error,
                        "drive %u: too many ide and sata drives (the q35 machine has 6 ports)",
                        i + 1);

      /* Two writers on one image corrupt it. */
      for (guint j = 0; j < i && drive->path != NULL; j++)
        {
          const HvDrive *other = g_ptr_array_index (config->drives, j);

          if (g_strcmp0 (drive->path, other->path) == 0 && !(drive->readonly && other->readonly))
            {
              g_autofree char *shown = hv_config_escape_for_display (drive->path);

              return fail_at (where, HV_CONFIG_FIELD_DRIVE, i, error,
                              "drive %u: the image \"%s\" is already used by drive %u",
                              i + 1, shown, j + 1);
            }
        }
    }

  return TRUE;
}

static gboolean
validate_network (const HvVmConfig  *config,
                  HvConfigLocation  *where,
                  GError           **error)
{
  if (config->nics == NULL)
    return TRUE;

  if (config->nics->len > HV_MAX_NICS)
    return fail_at (where, HV_CONFIG_FIELD_NIC, HV_MAX_NICS, error,
                    "too many network adapters (%u; the limit is %d)",
                    config->nics->len, HV_MAX_NICS);

  for (guint i = 0; i < config->nics->len; i++)
    {
      const HvNic *nic = g_ptr_array_index (config->nics, i);
      guint8 bytes[6];

      if (nic == NULL)
        return fail_at (where, HV_CONFIG_FIELD_NIC, i, error, "adapter %u is missing", i + 1);
      if ((guint) nic->mode > HV_NET_INTERNAL)
        return fail_at (where, HV_CONFIG_FIELD_NIC, i, error,
                        "adapter %u has an unknown mode", i + 1);

      if (!hv_nic_model_is_valid (nic->model))
        {
          g_autofree char *shown = hv_config_escape_for_display (nic->model);

          return fail_at (where, HV_CONFIG_FIELD_NIC, i, error,
                          "adapter %u: unknown model \"%s\" (use virtio-net, e1000, e1000e, "
                          "rtl8139, pcnet, ne2k_pci or ne2k_isa)", i + 1, shown);
        }

      if (!mac_parse (nic->mac, bytes))
        {
          g_autofree char *shown = hv_config_escape_for_display (nic->mac);

          return fail_at (where, HV_CONFIG_FIELD_NIC, i, error,
                          "adapter %u: \"%s\" is not a MAC address "
                          "(write six hex pairs like 52:54:00:12:34:56)", i + 1, shown);
        }
      if (!hv_mac_is_valid (nic->mac))
        return fail_at (where, HV_CONFIG_FIELD_NIC, i, error,
                        "adapter %u: %s cannot be an adapter's address "
                        "(it is zero or a multicast address: the first byte must be even)",
                        i + 1, nic->mac);

      for (guint j = 0; j < i; j++)
        {
          const HvNic *other = g_ptr_array_index (config->nics, j);

          if (g_ascii_strcasecmp (nic->mac, other->mac) == 0)
            return fail_at (where, HV_CONFIG_FIELD_NIC, i, error,
                            "adapter %u: MAC address %s is already used by adapter %u",
                            i + 1, nic->mac, j + 1);
        }
    }

  {
    g_autoptr(GError) local_error = NULL;
    guint bad = 0;

    if (!hv_config_check_nics (config, &bad, &local_error))
      return fail_at (where, HV_CONFIG_FIELD_NIC, bad, error, "%s", local_error->message);
  }
  return TRUE;
}

static gboolean
validate_share (const HvShare     *share,
                guint              i,
                HvConfigLocation  *where,
                GError           **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *problem;

  if (share == NULL)
    return fail_at (where, HV_CONFIG_FIELD_SHARE, i, error, "share %u is missing", i + 1);

  if (!hv_config_check_share_name (share->name, &local_error))
    return fail_at (where, HV_CONFIG_FIELD_SHARE, i, error, "share %u: %s", i + 1,
                    local_error->message);

  /* Whether the folder exists is not checked here: a config stays valid while a USB disk
   * is unplugged. The engine checks it when the share is added and when the VM starts. */
  if (share->path == NULL)
    return fail_at (where, HV_CONFIG_FIELD_SHARE, i, error, "share %u: path is missing", i + 1);
  if ((problem = path_problem (share->path, TRUE)) != NULL)
    {
      g_autofree char *shown = hv_config_escape_for_display (share->path);

      return fail_at (where, HV_CONFIG_FIELD_SHARE, i, error, "share %u: path \"%s\" %s",
                      i + 1, shown, problem);
    }

  return TRUE;
}

static gboolean
validate_guest (const HvVmConfig  *config,
                HvConfigLocation  *where,
                GError           **error)
{
  if ((guint) config->clipboard_mode > HV_CLIPBOARD_BOTH)
    return fail_at (where, HV_CONFIG_FIELD_CLIPBOARD, 0, error,
                    "clipboard mode %d is not a known mode", config->clipboard_mode);
  if ((guint) config->share_transport > HV_SHARE_TRANSPORT_VIRTIOFS)
    return fail_at (where, HV_CONFIG_FIELD_SHARES, 0, error,
                    "share transport %d is not a known transport", config->share_transport);

  if (config->shares == NULL)
    return TRUE;

  if (config->shares->len > HV_MAX_SHARES)
    return fail_at (where, HV_CONFIG_FIELD_SHARE, HV_MAX_SHARES, error,
                    "too many shared folders (%u; the limit is %d)",
                    config->shares->len, HV_MAX_SHARES);

  for (guint i = 0; i < config->shares->len; i++)
    {
      const HvShare *share = g_ptr_array_index (config->shares, i);

      if (!validate_share (share, i, where, error))
        return FALSE;

      /* Case-blind, because the name is a folder name in the guest, and Windows guests
       * (and macOS ones) would see "Docs" and "docs" as one folder. */
      for (guint j = 0; j < i; j++)
        {
          const HvShare *other = g_ptr_array_index (config->shares, j);

          if (g_ascii_strcasecmp (share->name, other->name) == 0)
            return fail_at (where, HV_CONFIG_FIELD_SHARE, i, error,
                            "share %u: the name \"%s\" is already used by share %u",
                            i + 1, share->name, j + 1);
        }
    }

  return TRUE;
}

gboolean
hv_vm_config_validate_at (const HvVmConfig  *config,
                          HvConfigLocation  *where,
                          GError           **error)
{
  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (where != NULL)
    {
      where->field = HV_CONFIG_FIELD_NONE;
      where->index = 0;
    }

  return validate_identity (config, where, error)
         && validate_system (config, where, error)
         && validate_kernel (config, where, error)
         && validate_storage (config, where, error)
         && validate_network (config, where, error)
         && validate_guest (config, where, error);
}

gboolean
hv_vm_config_validate (const HvVmConfig  *config,
                       GError           **error)
{
  return hv_vm_config_validate_at (config, NULL, error);
}

