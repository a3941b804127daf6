/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostvisorctl-commands.c: the commands, their options and help, and the parsing of a whole
 * command line into what to do (hv_ctl_command_line_parse()).
 *
 * Parsing only looks at the argv: it prints nothing, never exits and never reaches the
 * engine, so that main() decides what happens and a fuzz target can call it. */
#include "hv-build-config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "hostvisorctl.h"


static const HvCtlOption json_option[] = {
  { "json", HV_CTL_OPT_FLAG, 0, 0, NULL, N_("Print JSON, a stable format for scripts") },
  { NULL }
};

static const HvCtlOption stop_options[] = {
  { "timeout", HV_CTL_OPT_UINT, 1, 86400, "S",
    N_("Seconds the guest has to shut down before it is powered off (default 60)") },
  { "no-wait", HV_CTL_OPT_FLAG, 0, 0, NULL, N_("Return once the shutdown is asked for") },
  { NULL }
};

static const HvCtlOption delete_options[] = {
  { "keep-files", HV_CTL_OPT_FLAG, 0, 0, NULL,
    N_("Remove the VM from the library but keep its directory") },
  { NULL }
};

static const HvCtlOption log_options[] = {
  { "follow", HV_CTL_OPT_FLAG, 0, 0, NULL,
    N_("Keep printing what the guest writes until the VM stops or Ctrl-C") },
  { NULL }
};

static const HvCtlOption media_options[] = {
  { "floppy", HV_CTL_OPT_FLAG, 0, 0, NULL, N_("The floppy drive instead of the CD-ROM drive") },
  { "drive", HV_CTL_OPT_STRING, 0, 0, "DRIVE",
    N_("The drive: cdrom, floppy (A:) or floppy-b (B:)") },
  { NULL }
};

static const HvCtlOption share_add_options[] = {
  { "name", HV_CTL_OPT_STRING, 0, 0, "N",
    N_("The folder's name in the guest (default: the folder's own)") },
  { "readonly", HV_CTL_OPT_FLAG, 0, 0, NULL, N_("The guest may not write") },
  { NULL }
};

static const HvCtlOption move_options[] = {
  { "folder", HV_CTL_OPT_STRING, 0, 0, "A/B", N_("The folder (\"\" or / for the top level)") },
  { NULL }
};

const HvCtlCommand hv_ctl_commands[] = {
  { "list", "[--json]", N_("List the VMs"), NULL, json_option, 0, 0, hv_ctl_cmd_list },
  { "show", "NAME [--json]", N_("Show a VM's configuration and state"), NULL,
    json_option, 1, 1, hv_ctl_cmd_show },
  { "create", "NAME [OPTIONS]", N_("Create a VM and print its UUID"),
    N_("Without --disk-size, --disk or --no-disk, the VM gets a new disk of the size that\n"
       "the OS (--os) recommends. Relative paths are taken from the current directory."),
    hv_ctl_create_options, 1, 1, hv_ctl_cmd_create },
  { "modify", "NAME [OPTIONS]", N_("Change a VM's configuration"),
    N_("Most changes need the VM powered off; changing the ISO or floppy does not."),
    hv_ctl_modify_options, 1, 1, hv_ctl_cmd_modify },
  { "start", "NAME", N_("Start a VM"), NULL, NULL, 1, 1, hv_ctl_cmd_start },
  { "stop", "NAME [--timeout S] [--no-wait]",
    N_("Shut a VM down (ACPI power button) and wait until it is off"),
    N_("If the guest is still running after the timeout, the VM is powered off, and\n"
       "hostvisorctl says so and exits with status 3."),
    stop_options, 1, 1, hv_ctl_cmd_stop },
  { "poweroff", "NAME", N_("Power a VM off at once, like pulling the plug"), NULL, NULL, 1, 1,
    hv_ctl_cmd_poweroff },
  { "pause", "NAME", N_("Pause a running VM"), NULL, NULL, 1, 1, hv_ctl_cmd_pause },
  { "resume", "NAME", N_("Resume a paused VM"), NULL, NULL, 1, 1, hv_ctl_cmd_resume },
  { "reset", "NAME", N_("Hard-reset a running VM"), NULL, NULL, 1, 1, hv_ctl_cmd_reset },
  { "delete", "NAME [--keep-files]", N_("Delete a VM (powering it off first) and its files"),
    NULL, delete_options, 1, 1, hv_ctl_cmd_delete },
  { "move", "NAME --folder A/B", N_("Move a VM into a folder"), NULL, move_options, 1, 1,
    hv_ctl_cmd_move },
  { "clone", "NAME NEW [--snapshot SNAP] [--linked] [--keep-macs] [--folder A/B]",
    N_("Make a new VM named NEW from a VM's current state or one of its snapshots"),
    N_("The current state needs the VM powered off; a snapshot (its name or id) can be\n"
       "cloned while the VM runs. A full clone copies the disks; a linked one (--linked)\n"
       "starts from a read-only copy of the state that the library keeps while a clone\n"
       "uses it, and stores only its own changes. The clone gets a new UUID, new MAC\n"
       "addresses unless --keep-macs, the UEFI variables of that state, no snapshots.\n"
       "It prints the new VM's UUID."),
    hv_ctl_clone_options, 2, 2, hv_ctl_cmd_clone },
  { "export", "NAME FILE.ova|FILE.ovf|--libvirt DIR [--snapshot SNAP]",
    N_("Write a VM out for another hypervisor: an OVA, an OVF, or a libvirt domain"),
    N_("FILE.ova: one OVF 1.0 package (streamOptimized VMDK disks, SHA256 manifest), for\n"
       "VirtualBox, VMware or Proxmox. FILE.ovf: the same as files (the disks and the .mf\n"
       "go beside it). --libvirt DIR: a new directory with domain.xml and the disks as qcow2,\n"
       "for `virsh define DIR/domain.xml`. The current state needs the VM powered off; a\n"
       "snapshot (its name or id) can be exported while it runs. What the format cannot\n"
       "carry is listed as warnings on stderr. Ctrl-C cancels: nothing is left at the\n"
       "target."),
    hv_ctl_export_options, 1, 2, hv_ctl_cmd_export, 1 << 1 },
  { "cancel", "NAME", N_("Cancel a VM's export or clone in progress"),
    N_("What the operation wrote is removed."), NULL, 1, 1, hv_ctl_cmd_cancel },
  { "import", "FILE [--name N] [--folder A/B] [--dry-run] [--json]",
    N_("Make a new VM from an OVF package or an OVA (as VirtualBox and VMware export them)"),
    N_("The disks (VMDK, VDI, VHD, qcow2 or raw) are converted to qcow2 in the new VM's\n"
       "directory; the manifest's checksums are checked first. What cannot be mapped is\n"
       "listed as a warning. --dry-run only says what would be created. It prints the new\n"
       "VM's UUID."),
    hv_ctl_import_options, 1, 1, hv_ctl_cmd_import, 1 << 0 },
  { "screenshot", "NAME FILE.png", N_("Save a PNG of a running VM's screen (\"-\": stdout)"),
    N_("\"-\" writes the PNG to the standard output, which must not be a terminal."),
    NULL, 2, 2, hv_ctl_cmd_screenshot, 0, 1 << 1 },
  { "log", "NAME [--follow]", N_("Print what the guest wrote to its serial port"), NULL,
    log_options, 1, 1, hv_ctl_cmd_log },
  { "console", "NAME", N_("Connect the terminal to a running VM's serial port"),
    N_("On a terminal, Ctrl-] leaves the console. With input from a pipe, the console ends\n"
       "when the input ends and the guest has been quiet for a second, or when the VM stops."),
    NULL, 1, 1, hv_ctl_cmd_console },
  { "folder list", "[--json]", N_("List the VM folders"), NULL, json_option, 0, 0,
    hv_ctl_cmd_folder_list },
  { "folder create", "PATH", N_("Create a folder (and its parents)"), NULL, NULL, 1, 1,
    hv_ctl_cmd_folder_create },
  { "folder rename", "PATH NEWPATH", N_("Rename or move a folder with its VMs"), NULL, NULL, 2, 2,
    hv_ctl_cmd_folder_rename },
  { "folder delete", "PATH", N_("Delete a folder; its VMs move to the parent folder"), NULL, NULL,
    1, 1, hv_ctl_cmd_folder_delete },
  { "demo", "",
    N_("Create \"Demo Linux\": a tiny Linux from this computer's kernel, with the guest tools"),
    N_("The guest is built once from the kernel in /boot and busybox-static, and cached in\n"
       "the library."),
    NULL, 0, 0, hv_ctl_cmd_demo },
  { "share add", "NAME HOSTPATH [--name N] [--readonly]",
    N_("Share a host folder with a VM (/media/hostvisor/N in the guest)"), NULL,
    share_add_options, 2, 2, hv_ctl_cmd_share_add, 1 << 1 },
  { "share list", "NAME [--json]", N_("List a VM's shared folders and their state in the guest"),
    NULL, json_option, 1, 1, hv_ctl_cmd_share_list },
  { "share remove", "NAME SHARE", N_("Stop sharing a folder"), NULL, NULL,
    2, 2, hv_ctl_cmd_share_remove },
  { "port-forward list", "NAME [--nic N] [--json]",
    N_("List a VM's port forwards and, while it runs, their status"), NULL,
    hv_ctl_port_forward_list_options, 1, 1, hv_ctl_cmd_port_forward_list },
  { "port-forward add",
    "NAME --rule-name R --host-port P --guest-port P [--nic N] [--proto tcp|udp] "
    "[--host-ip A] [--guest-ip A]",
    N_("Forward a host port to the guest (at once while the VM runs)"),
    N_("The adapter must be NAT (or host-only). The host address is 127.0.0.1 unless\n"
       "--host-ip says otherwise. A host port that is taken fails, naming the port and the\n"
       "rule; nothing is stored then."),
    hv_ctl_port_forward_add_options, 1, 1, hv_ctl_cmd_port_forward_add },
  { "port-forward remove", "NAME --rule-name R [--nic N]",
    N_("Remove a port forward (at once while the VM runs)"), NULL,
    hv_ctl_port_forward_remove_options, 1, 1, hv_ctl_cmd_port_forward_remove },
  { "snapshot take", "NAME [SNAP] [--description T] [--disk-only] [--json]",
    N_("Take a snapshot (with the running state while the VM runs) and print its id"),
    N_("SNAP is the snapshot's name (default \"Snapshot N\"). While the VM runs, its RAM and\n"
       "devices are saved too (the guest is paused meanwhile) and a restore brings the running\n"
       "guest back; --disk-only saves the disks only. Every writable disk must be qcow2."),
    hv_ctl_snapshot_take_options, 1, 2, hv_ctl_cmd_snapshot_take },
  { "snapshot list", "NAME [--json]", N_("Show a VM's snapshot tree and its current state"), NULL,
    hv_ctl_snapshot_list_options, 1, 1, hv_ctl_cmd_snapshot_list },
  { "snapshot restore", "NAME SNAP [--force]",
    N_("Go back to a snapshot (SNAP: its name or id)"),
    N_("A live snapshot comes back running; a disk-only one powered off. A running VM needs\n"
       "--force: its current state is lost (take a snapshot first to keep it)."),
    hv_ctl_snapshot_restore_options, 2, 2, hv_ctl_cmd_snapshot_restore },
  { "snapshot delete", "NAME SNAP",
    N_("Delete a snapshot; its children move to its parent (also while the VM runs)"), NULL,
    NULL, 2, 2, hv_ctl_cmd_snapshot_delete },
  { "snapshot edit", "NAME SNAP [--name N] [--description T]",
    N_("Rename a snapshot or change its description"), NULL, hv_ctl_snapshot_edit_options, 2, 2,
    hv_ctl_cmd_snapshot_edit },
  { "save-state", "NAME", N_("Save a running VM's state to disk and stop it; start resumes it"),
    NULL, NULL, 1, 1, hv_ctl_cmd_save_state },
  { "discard-state", "NAME", N_("Drop a VM's saved state: the next start boots afresh"), NULL,
    NULL, 1, 1, hv_ctl_cmd_discard_state },
  { "clipboard get", "NAME", N_("Print the VM's shared clipboard"), NULL, NULL, 1, 1,
    hv_ctl_cmd_clipboard_get },
  { "clipboard set", "NAME TEXT", N_("Put text on the VM's shared clipboard"), NULL, NULL, 2, 2,
    hv_ctl_cmd_clipboard_set },
  { "guest-tools insert", "NAME", N_("Insert the guest tools CD into a VM's CD-ROM drive"), NULL,
    NULL, 1, 1, hv_ctl_cmd_guest_tools_insert },
  { "media insert", "NAME IMAGE [--floppy | --drive cdrom|floppy|floppy-b]",
    N_("Put an ISO (or a floppy image) into a VM's drive, also while it runs"), NULL,
    media_options, 2, 2, hv_ctl_cmd_media_insert, 1 << 1 },
  { "media eject", "NAME [--floppy | --drive cdrom|floppy|floppy-b]", N_("Take the medium out of a VM's CD-ROM (or floppy) drive"),
    NULL, media_options, 1, 1, hv_ctl_cmd_media_eject },
  { "os-list", "[WORDS] [--json]", N_("List the guest OSes that --os knows, or those that match"),
    N_("WORDS are looked for in each OS's id, name and vendor, ignoring case; an OS is\n"
       "listed when it has all of them."),
    json_option, 0, 8, hv_ctl_cmd_os_list },
  { "profile list", "[--json]", N_("List the hardware profiles for old guests"),
    N_("create --profile NAME (or --os ID of an old OS) makes a VM of that hardware; each\n"
       "create and modify option still changes its part (docs/legacy.md)."),
    json_option, 0, 0, hv_ctl_cmd_profile_list },
  { "profile show", "NAME [--json]", N_("Show what a hardware profile sets"), NULL, json_option,
    1, 1, hv_ctl_cmd_profile_show },
  { "network list", "[--json]",
    N_("List the host-only networks and the internal networks VMs use"), NULL, json_option,
    0, 0, hv_ctl_cmd_network_list },
  { "network create", "NAME [--address A.B.C.D/P] [--dhcp on|off] [--dhcp-range A-B]",
    N_("Create a host-only network"),
    N_("NAME: 1 to 12 characters of a-z, 0-9 and - (not first). Without --address the\n"
       "network takes a free /24 that collides neither with this computer's networks nor\n"
       "with VirtualBox's 192.168.56.0/21 or libvirt's 192.168.122.0/24."),
    hv_ctl_network_options, 1, 1, hv_ctl_cmd_network_create },
  { "network modify", "NAME [--address A.B.C.D/P] [--dhcp on|off] [--dhcp-range A-B]",
    N_("Change a host-only network (while no running VM uses it)"),
    N_("A new --address without --dhcp-range moves the range into the new network."),
    hv_ctl_network_options, 1, 1, hv_ctl_cmd_network_modify },
  { "network remove", "NAME", N_("Remove a host-only network that no VM's adapter names"), NULL,
    NULL, 1, 1, hv_ctl_cmd_network_remove },
  { "network setup", "[--allow-bridge BR[,BR]] [--undo | --status [--json]] [--dry-run]",
    N_("Do (or undo) the one-time privileged set-up for host-only and bridged networks"),
    N_("Asks for an administrator's password (pkexec) and runs hostvisor-net-setup: a host\n"
       "bridge hv-NAME with its DHCP server for each host-only network, the bridge helper\n"
       "made setuid root, and its list of allowed bridges. --undo removes all of it."),
    hv_ctl_network_setup_options, 0, 0, hv_ctl_cmd_network_setup },
  { "network interfaces", "[--json]",
    N_("List the host's interfaces and whether a bridged adapter may name them"), NULL,
    json_option, 0, 0, hv_ctl_cmd_network_interfaces },
  { "version", "", N_("Print the versions of hostvisorctl, the engine and QEMU"), NULL, NULL,
    0, 0, hv_ctl_cmd_version },
  { "bridge", "[--console VM]", N_("Join stdin and stdout to this user's engine (what --connect "
                                  "runs over SSH)"),
    N_("Not for a terminal: \"hostvisorctl --connect ssh://HOST …\" runs it on HOST through\n"
       "ssh and speaks the engine's D-Bus protocol over it (docs/remote.md). With --console,\n"
       "stdin and stdout are joined to the VM's display (its VNC server) instead."),
    hv_ctl_bridge_options, 0, 0, hv_ctl_cmd_bridge },
};

const guint hv_ctl_n_commands = G_N_ELEMENTS (hv_ctl_commands);

/* Looks up argv[0] (and argv[1] for "folder …"); *used says how many words named it. */
static const HvCtlCommand *
find_command (int    argc,
              char **argv,
              int   *used)
{
  g_autofree char *two = argc >= 2 ? g_strdup_printf ("%s %s", argv[0], argv[1]) : NULL;

  if (argc < 1)
    return NULL;
  for (guint i = 0; i < hv_ctl_n_commands; i++)
    {
      if (two != NULL && g_str_equal (hv_ctl_commands[i].name, two))
        {
          *used = 2;
          return &hv_ctl_commands[i];
        }
      if (g_str_equal (hv_ctl_commands[i].name, argv[0]))
        {
          *used = 1;
          return &hv_ctl_commands[i];
        }
    }
  return NULL;
}

/* "share" for "share add", "share list"…: the first word of two-word commands. */
static gboolean
is_group (const char *word)
{
  gsize len = strlen (word);

  for (guint i = 0; i < hv_ctl_n_commands; i++)
    if (strncmp (hv_ctl_commands[i].name, word, len) == 0 && hv_ctl_commands[i].name[len] == ' ')
      return TRUE;
  return FALSE;
}

/* "add, list, remove" (@separator ", "): the second words of @group's commands. */
static char *
group_verbs (const char *group,
             const char *separator)
{
  g_autoptr(GString) verbs = g_string_new (NULL);
  gsize len = strlen (group);

  for (guint i = 0; i < hv_ctl_n_commands; i++)
    if (strncmp (hv_ctl_commands[i].name, group, len) == 0 && hv_ctl_commands[i].name[len] == ' ')
      {
        if (verbs->len > 0)
          g_string_append (verbs, separator);
        g_string_append (verbs, hv_ctl_commands[i].name + len + 1);
      }
  return g_string_free (g_steal_pointer (&verbs), FALSE);
}

static gboolean G_GNUC_PRINTF (2, 3)
usage (GError     **error,
       const char  *format,
       ...)
{
  va_list ap;

  va_start (ap, format);
  g_propagate_error (error, g_error_new_valist (HV_CTL_USAGE_ERROR, 0, format, ap));
  va_end (ap);
  return FALSE;
}

static gboolean
is_help_word (const char *word)
{
  return g_str_equal (word, "--help") || g_str_equal (word, "-h");
}

gboolean
hv_ctl_command_line_parse (int                argc,
                           char             **argv,
                           HvCtlCommandLine  *out,
                           GError           **error)
{
  g_autofree char **words = NULL;
  const HvCtlCommand *command;
  int n, used = 0;

  memset (out, 0, sizeof *out);
  if (argc < 2 || argv == NULL)
    return usage (error, "%s", _("no command given (see \"hostvisorctl --help\")"));

  /* Our own copy of the words after the program's name, NULL-terminated: reordering the
   * verb below must not change the caller's argv. */
  n = argc - 1;
  words = g_new0 (char *, n + 1);
  memcpy (words, argv + 1, n * sizeof (char *));

  /* --connect ssh://…: a global option, before the command (docs/remote.md). */
  if (g_str_equal (words[0], "--connect") || g_str_has_prefix (words[0], "--connect="))
    {
      gboolean joined = words[0][strlen ("--connect")] == '=';
      int skip = joined ? 1 : 2;
      const char *value = joined ? words[0] + strlen ("--connect=") : words[1];
      g_autoptr(HvRemote) remote = NULL;
      g_autoptr(GError) local_error = NULL;

      if (value == NULL)
        return usage (error, "%s", _("--connect needs an address: ssh://[user@]host[:port]"));
      remote = hv_remote_parse (value, &local_error);
      if (remote == NULL)
        {
          g_autofree char *shown = hv_ctl_display_short (value);

          /* Translators: the first %s is the address as given, the second what is wrong */
          return usage (error, _("--connect \"%s\": %s"), shown, local_error->message);
        }
      out->connect = g_strdup (value);
      n -= skip;
      memmove (words, words + skip, (n + 1) * sizeof (char *));
      if (n == 0)
        return usage (error, "%s", _("no command given (see \"hostvisorctl --help\")"));
    }

  if (is_help_word (words[0]) || (g_str_equal (words[0], "help") && n == 1))
    {
      out->action = HV_CTL_ACTION_HELP;
      return TRUE;
    }
  if (g_str_equal (words[0], "--version"))
    {
      out->action = HV_CTL_ACTION_VERSION;
      return TRUE;
    }

  if (g_str_equal (words[0], "help"))
    {
      g_autofree char *shown = hv_ctl_display_short (words[1]);

      out->action = HV_CTL_ACTION_HELP;
      if (n == 2 && is_group (words[1]))
        out->help_group = g_strdup (words[1]);
      else if ((command = find_command (n - 1, words + 1, &used)) != NULL && used == n - 1)
        out->help_command = command;
      else
        return usage (error, _("no command \"%s\" (see \"hostvisorctl --help\")"), shown);
      return TRUE;
    }

  /* "share NAME add …", "clipboard NAME get", "guest-tools NAME insert", "media NAME eject":
   * the VM before the verb reads as well as after it (VBoxManage users type both). */
  if (n >= 3 && is_group (words[0]) && !g_str_equal (words[0], "folder"))
    {
      g_autofree char *verb_first = g_strdup_printf ("%s %s", words[0], words[1]);
      g_autofree char *verb_last = g_strdup_printf ("%s %s", words[0], words[2]);
      gboolean verb_first_known = FALSE;

      for (guint i = 0; i < hv_ctl_n_commands; i++)
        verb_first_known |= g_str_equal (hv_ctl_commands[i].name, verb_first);
      for (guint i = 0; i < hv_ctl_n_commands && !verb_first_known; i++)
        if (g_str_equal (hv_ctl_commands[i].name, verb_last))
          {
            char *vm_name = words[1];
            words[1] = words[2];
            words[2] = vm_name;
            break;
          }
    }

  command = find_command (n, words, &used);
  if (command == NULL)
    {
      g_autofree char *shown = hv_ctl_display_short (words[0]);

      if (is_group (words[0]))
        {
          g_autofree char *verbs = group_verbs (words[0], ", ");
          g_autofree char *shown_verb = NULL;

          if (n == 1)
            return usage (error, _("%s: missing one of: %s (see \"hostvisorctl %s --help\")"),
                          shown, verbs, shown);
          if (hv_ctl_args_wants_help (n - 1, words + 1))
            {
              out->action = HV_CTL_ACTION_HELP;
              out->help_group = g_strdup (words[0]);
              return TRUE;
            }
          shown_verb = hv_ctl_display_short (words[1]);
          return usage (error, _("no command \"%s %s\" (see \"hostvisorctl %s --help\")"),
                        shown, shown_verb, shown);
        }
      if (words[0][0] == '-')
        return usage (error, _("unknown option \"%s\" (see \"hostvisorctl --help\")"), shown);
      return usage (error, _("no command \"%s\" (see \"hostvisorctl --help\")"), shown);
    }

  if (hv_ctl_args_wants_help (n - used, words + used))
    {
      out->action = HV_CTL_ACTION_HELP;
      out->help_command = command;
      return TRUE;
    }

  out->args = hv_ctl_args_parse_full (command, n - used, words + used, out->connect != NULL,
                                      error);
  if (out->args == NULL)
    return FALSE;
  out->action = HV_CTL_ACTION_RUN;
  return TRUE;
}

void
hv_ctl_command_line_clear (HvCtlCommandLine *line)
{
  g_clear_pointer (&line->args, hv_ctl_args_free);
  g_clear_pointer (&line->help_group, g_free);
  g_clear_pointer (&line->connect, g_free);
  line->help_command = NULL;
}

/* ── Help ─────────────────────────────────────────────────────────────────────────────── */

static void
print_command_help (const HvCtlCommand *command)
{
  g_print (_("Usage: hostvisorctl %s %s\n\n%s.\n"), command->name, command->synopsis,
           _(command->summary));
  if (command->details != NULL)
    g_print ("\n%s\n", _(command->details));

  g_print ("\n%s\n", _("Options:"));
  if (command->options != NULL)
    {
      for (const HvCtlOption *o = command->options; o->name != NULL; o++)
        {
          g_autofree char *left = o->value != NULL ? g_strdup_printf ("--%s %s", o->name, o->value)
                                                   : g_strdup_printf ("--%s", o->name);
          g_print ("  %-22s %s\n", left, _(o->help));
        }
    }
  g_print ("  %-22s %s\n", "-h, --help", _("Show this help"));
}

static void
print_group_help (const char *group)
{
  g_autofree char *verbs = group_verbs (group, "|");
  gsize len = strlen (group);

  g_print (_("Usage: hostvisorctl %s %s …\n\n"), group, verbs);
  for (guint i = 0; i < hv_ctl_n_commands; i++)
    if (strncmp (hv_ctl_commands[i].name, group, len) == 0 && hv_ctl_commands[i].name[len] == ' ')
      {
        g_autofree char *left = g_strdup_printf ("%s %s", hv_ctl_commands[i].name,
                                                 hv_ctl_commands[i].synopsis);
        g_print ("  %-36s %s\n", left, _(hv_ctl_commands[i].summary));
      }
  g_print ("\n%s\n", _("Run \"hostvisorctl COMMAND --help\" for a command's options."));
}

static void
print_help (void)
{
  g_print ("%s\n\n%s\n\n",
           _("Usage: hostvisorctl COMMAND [ARGUMENTS…]"),
           _("Manage Hostvisor virtual machines. A VM is named by its name or its UUID."));
  g_print ("%s\n", _("Commands:"));
  for (guint i = 0; i < hv_ctl_n_commands; i++)
    {
      g_autofree char *left = g_strdup_printf ("%s %s", hv_ctl_commands[i].name,
                                               hv_ctl_commands[i].synopsis);
      g_print ("  %-36s %s\n", left, _(hv_ctl_commands[i].summary));
    }
  g_print ("  %-36s %s\n", "help [COMMAND]", _("Show this help, or a command's"));
  g_print ("\n%s\n  %-36s %s\n", _("Global options (before the command):"),
           "--connect ssh://[USER@]HOST[:PORT]",
           _("Manage the VMs of USER on HOST through ssh (docs/remote.md)"));
  g_print ("\n%s\n", _("Run \"hostvisorctl COMMAND --help\" for a command's options."));
  g_print ("%s\n",
           _("Exit status: 0 on success, 1 when the operation failed, 2 for usage errors, "
             "3 when stop had to power the VM off."));
}

void
hv_ctl_print_help (const HvCtlCommandLine *line)
{
  if (line->help_command != NULL)
    print_command_help (line->help_command);
  else if (line->help_group != NULL)
    print_group_help (line->help_group);
  else
    print_help ();
}
