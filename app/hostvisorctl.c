/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostvisorctl.c: main(), the command table, help, errors and the connection to the engine.
 *
 * hostvisorctl is a client of hostvisord, like the app: it never starts QEMU nor touches a
 * VM's files itself. docs/cli.md documents every command and the --json output. */
#include "hv-build-config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "hostvisorctl.h"
#include "hv-config.h"
#include "hv-error.h"
#include "hv-client.h"

/* Start may take a while under TCG (QEMU starts, then the engine sets it up over QMP);
 * D-Bus's default of 25 s would give up on an engine that is merely slow. */
#define HV_CTL_CALL_TIMEOUT_MS (5 * 60 * 1000)

static gboolean cmd_version (HvCtl *ctl, HvCtlArgs *args, GError **error);

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
  { NULL }
};

static const HvCtlOption share_add_options[] = {
  { "name", HV_CTL_OPT_STRING, 0, 0, "N", N_("The folder's name in the guest (default: the folder's own)") },
  { "readonly", HV_CTL_OPT_FLAG, 0, 0, NULL, N_("The guest may not write") },
  { NULL }
};

static const HvCtlOption move_options[] = {
  { "folder", HV_CTL_OPT_STRING, 0, 0, "A/B", N_("The folder (\"\" or / for the top level)") },
  { NULL }
};

static const HvCtlCommand commands[] = {
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
    N_("If the guest is still running after the timeout, the VM is powered off."),
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
  { "screenshot", "NAME FILE.png", N_("Save a PNG of a running VM's screen (\"-\": stdout)"),
    NULL, NULL, 2, 2, hv_ctl_cmd_screenshot },
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
  { "demo", "", N_("Create \"Demo Linux\": a tiny Linux from this computer's kernel, with the guest tools"),
    NULL, NULL, 0, 0, hv_ctl_cmd_demo },
  { "share add", "NAME HOSTPATH [--name N] [--readonly]",
    N_("Share a host folder with a VM (/media/hostvisor/N in the guest)"), NULL,
    share_add_options, 2, 2, hv_ctl_cmd_share_add },
  { "share list", "NAME [--json]", N_("List a VM's shared folders and their state in the guest"),
    NULL, json_option, 1, 1, hv_ctl_cmd_share_list },
  { "share remove", "NAME SHARE", N_("Stop sharing a folder"), NULL, NULL,
    2, 2, hv_ctl_cmd_share_remove },
  { "clipboard get", "NAME", N_("Print the VM's shared clipboard"), NULL, NULL, 1, 1,
    hv_ctl_cmd_clipboard_get },
  { "clipboard set", "NAME TEXT", N_("Put text on the VM's shared clipboard"), NULL, NULL, 2, 2,
    hv_ctl_cmd_clipboard_set },
  { "guest-tools insert", "NAME", N_("Insert the guest tools CD into a VM's CD-ROM drive"), NULL,
    NULL, 1, 1, hv_ctl_cmd_guest_tools_insert },
  { "media insert", "NAME IMAGE [--floppy]",
    N_("Put an ISO (or a floppy image) into a VM's drive, also while it runs"), NULL,
    media_options, 2, 2, hv_ctl_cmd_media_insert },
  { "media eject", "NAME [--floppy]", N_("Take the medium out of a VM's CD-ROM (or floppy) drive"),
    NULL, media_options, 1, 1, hv_ctl_cmd_media_eject },
  { "version", "", N_("Print the versions of hostvisorctl, the engine and QEMU"), NULL, NULL,
    0, 0, cmd_version },
};

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
print_help (void)
{
  g_print ("%s\n\n%s\n\n",
           _("Usage: hostvisorctl COMMAND [ARGUMENTS…]"),
           _("Manage Hostvisor virtual machines. A VM is named by its name or its UUID."));
  g_print ("%s\n", _("Commands:"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *left = g_strdup_printf ("%s %s", commands[i].name, commands[i].synopsis);
      g_print ("  %-36s %s\n", left, _(commands[i].summary));
    }
  g_print ("  %-36s %s\n", "help [COMMAND]", _("Show this help, or a command's"));
  g_print ("\n%s\n", _("Run \"hostvisorctl COMMAND --help\" for a command's options."));
  g_print ("%s\n",
           _("Exit status: 0 on success, 1 when the operation failed, 2 for usage errors."));
}

/* Looks up argv[0] (and argv[1] for "folder …"); *used says how many words named it. */
static const HvCtlCommand *
find_command (int    argc,
              char **argv,
              int   *used)
{
  g_autofree char *two = argc >= 2 ? g_strdup_printf ("%s %s", argv[0], argv[1]) : NULL;

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      if (two != NULL && g_str_equal (commands[i].name, two))
        {
          *used = 2;
          return &commands[i];
        }
      if (g_str_equal (commands[i].name, argv[0]))
        {
          *used = 1;
          return &commands[i];
        }
    }
  return NULL;
}

static void
print_folder_help (void)
{
  g_print ("%s\n\n", _("Usage: hostvisorctl folder list|create|rename|delete …"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_has_prefix (commands[i].name, "folder "))
      {
        g_autofree char *left = g_strdup_printf ("%s %s", commands[i].name, commands[i].synopsis);
        g_print ("  %-36s %s\n", left, _(commands[i].summary));
      }
}

/* ── Output helpers ─────────────────────────────────────────────────────────────────────── */

/* Text from the engine or the user, made safe for one line of a terminal. */
char *
hv_ctl_display (const char *text)
{
  if (text == NULL)
    return g_strdup ("");
  return hv_config_escape_for_display (text);
}

char *
hv_ctl_vm_display_name (HvDbusVm *vm)
{
  return hv_ctl_display (hv_dbus_vm_get_name (vm));
}

void
hv_ctl_print_json (JsonNode *root)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  fputs (text, stdout);
  fputc ('\n', stdout);
}

/* States in which QEMU runs (see the State property). */
gboolean
hv_ctl_state_is_active (const char *state)
{
  return g_strcmp0 (state, "starting") == 0 ||
         g_strcmp0 (state, "running") == 0 ||
         g_strcmp0 (state, "paused") == 0 ||
         g_strcmp0 (state, "stopping") == 0;
}

/* ── The engine ─────────────────────────────────────────────────────────────────────────── */

static gboolean
ensure_connection (HvCtl    *ctl,
                   GError  **error)
{
  if (ctl->connection != NULL)
    return TRUE;
  ctl->connection = hv_client_connect_sync (TRUE, NULL, error);
  return ctl->connection != NULL;
}

HvDbusEngine *
hv_ctl_get_engine (HvCtl     *ctl,
                   gboolean   with_properties,
                   GError   **error)
{
  if (ctl->engine != NULL && (ctl->engine_has_properties || !with_properties))
    return ctl->engine;
  if (!ensure_connection (ctl, error))
    return NULL;

  g_clear_object (&ctl->engine);
  /* Most commands need no engine property: skip the GetAll round trip for them. */
  ctl->engine = hv_dbus_engine_proxy_new_sync (ctl->connection,
                                               with_properties
                                                 ? G_DBUS_PROXY_FLAGS_NONE
                                                 : G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES,
                                               NULL /* peer to peer: no bus name */,
                                               HV_DBUS_ENGINE_PATH, NULL, error);
  if (ctl->engine == NULL)
    return NULL;
  ctl->engine_has_properties = with_properties;
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (ctl->engine), HV_CTL_CALL_TIMEOUT_MS);
  return ctl->engine;
}

HvDbusVm *
hv_ctl_get_vm_by_path (HvCtl       *ctl,
                       const char  *object_path,
                       GError     **error)
{
  g_autoptr(HvDbusVm) vm = NULL;

  if (!ensure_connection (ctl, error))
    return NULL;
  vm = hv_dbus_vm_proxy_new_sync (ctl->connection, G_DBUS_PROXY_FLAGS_NONE, NULL, object_path,
                                  NULL, error);
  if (vm == NULL)
    return NULL;
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (vm), HV_CTL_CALL_TIMEOUT_MS);

  /* Without a bus there is no owner to check: a path that the engine no longer serves
   * gives a proxy without properties, not an error. */
  if (hv_dbus_vm_get_uuid (vm) == NULL)
    {
      g_set_error_literal (error, HV_ERROR, HV_ERROR_NOT_FOUND, _("the VM no longer exists"));
      return NULL;
    }
  return g_steal_pointer (&vm);
}

HvDbusVm *
hv_ctl_find_vm (HvCtl       *ctl,
                const char  *name_or_uuid,
                GError     **error)
{
  g_autofree char *path = NULL;
  HvDbusEngine *engine = hv_ctl_get_engine (ctl, FALSE, error);

  /* NotFound comes with the engine's message ('No VM named "x"'), the name escaped. */
  if (engine == NULL ||
      !hv_dbus_engine_call_find_vm_sync (engine, name_or_uuid, &path, NULL, error))
    return NULL;
  return hv_ctl_get_vm_by_path (ctl, path, error);
}

/* Reloads all properties of @vm with one GetAll. After a method call the PropertiesChanged
 * signals may still wait in the main context; this gives the values as of now. */
gboolean
hv_ctl_vm_refresh (HvDbusVm  *vm,
                   GError   **error)
{
  GDBusProxy *proxy = G_DBUS_PROXY (vm);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) dict = NULL;
  GVariantIter iter;
  const char *key;
  GVariant *value;

  reply = g_dbus_connection_call_sync (g_dbus_proxy_get_connection (proxy), NULL,
                                       g_dbus_proxy_get_object_path (proxy),
                                       "org.freedesktop.DBus.Properties", "GetAll",
                                       g_variant_new ("(s)",
                                                      g_dbus_proxy_get_interface_name (proxy)),
                                       G_VARIANT_TYPE ("(a{sv})"), G_DBUS_CALL_FLAGS_NONE,
                                       -1, NULL, error);
  if (reply == NULL)
    return FALSE;

  dict = g_variant_get_child_value (reply, 0);
  g_variant_iter_init (&iter, dict);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
    g_dbus_proxy_set_cached_property (proxy, key, value);
  return TRUE;
}

/* ── version ───────────────────────────────────────────────────────────────────────────── */

/* "Acceleration: …" from the engine's KVM verdict, and a line with the test's figures. */
static void
print_kvm (HvDbusEngine *engine)
{
  const char *verdict = hv_dbus_engine_get_kvm_verdict (engine);
  const char *reason = hv_dbus_engine_get_kvm_reason (engine);
  GVariant *probe = hv_dbus_engine_get_kvm_probe (engine);
  g_auto(GVariantDict) figures = G_VARIANT_DICT_INIT (probe);
  guint32 kvm_ms = 0, tcg_ms = 0;
  gboolean finished = FALSE, cached = FALSE;
  const char *group = NULL;

  /* An engine older than the verdict has only KvmAvailable. */
  if (verdict == NULL || verdict[0] == '\0')
    {
      g_print (_("Acceleration: %s\n"),
               hv_dbus_engine_get_kvm_available (engine) ? _("KVM") : _("TCG"));
      return;
    }
  if (g_str_equal (verdict, "usable"))
    g_print (_("Acceleration: %s\n"), _("KVM"));
  else
    {
      /* Translators: %s says why VMs run without KVM */
      g_autofree char *line = g_strdup_printf (_("TCG (%s)"), hv_ctl_accel_reason_text (verdict));
      g_autofree char *shown = hv_ctl_display (line);

      g_print (_("Acceleration: %s\n"), shown);
    }

  g_variant_dict_lookup (&figures, "kvm-ms", "u", &kvm_ms);
  g_variant_dict_lookup (&figures, "tcg-ms", "u", &tcg_ms);
  g_variant_dict_lookup (&figures, "kvm-finished", "b", &finished);
  g_variant_dict_lookup (&figures, "cached", "b", &cached);
  g_variant_dict_lookup (&figures, "group", "&s", &group);
  if (group != NULL)
    {
      g_autofree char *shown = hv_ctl_display (group);

      g_print (_("KVM test: join the group “%s” and log in again to use KVM\n"), shown);
    }
  else if (finished && tcg_ms > 0)
    g_print (_("KVM test: the test guest took %u ms with KVM and %u ms emulated%s\n"),
             kvm_ms, tcg_ms, cached ? _(" (measured earlier in this boot)") : "");
  else if (kvm_ms > 0 && tcg_ms > 0)
    g_print (_("KVM test: the test guest was not done after %u ms with KVM, and took %u ms "
               "emulated%s\n"), kvm_ms, tcg_ms,
             cached ? _(" (measured earlier in this boot)") : "");
  else if (reason != NULL && reason[0] != '\0' && !g_str_equal (verdict, "disabled") &&
           !g_str_equal (verdict, "missing"))
    {
      /* The engine's own words: what went wrong, in the detail only it knows. */
      g_autofree char *shown = hv_ctl_display (reason);

      g_print (_("KVM test: %s\n"), shown);
    }
}

static gboolean
cmd_version (HvCtl      *ctl,
             HvCtlArgs  *args,
             GError    **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(HvDbusEngine) engine = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autofree char *library = NULL;

  g_print ("hostvisorctl %s\n", PACKAGE_VERSION);

  /* Asking for the version should not start an engine. */
  connection = hv_client_connect_sync (FALSE, NULL, &local_error);
  if (connection != NULL)
    engine = hv_dbus_engine_proxy_new_sync (connection, G_DBUS_PROXY_FLAGS_NONE, NULL,
                                            HV_DBUS_ENGINE_PATH, NULL, &local_error);
  if (engine == NULL || hv_dbus_engine_get_version (engine) == NULL)
    {
      g_print (_("Engine: not running\n"));
      return TRUE;
    }

  library = hv_ctl_display (hv_dbus_engine_get_library_path (engine));
  g_print (_("Engine: hostvisord %s\n"), hv_dbus_engine_get_version (engine));
  if (hv_dbus_engine_get_qemu_version (engine) == NULL ||
      hv_dbus_engine_get_qemu_version (engine)[0] == '\0')
    g_print (_("QEMU: not found\n"));
  else
    g_print (_("QEMU: %s\n"), hv_dbus_engine_get_qemu_version (engine));
  print_kvm (engine);
  g_print (_("Library: %s\n"), library);
  return TRUE;
}

/* ── main ───────────────────────────────────────────────────────────────────────────────── */

/* Control characters and invalid UTF-8 as \xNN, the rest as it is: for messages that are
 * already meant for people (the engine escapes the names it quotes, so escaping quotes and
 * backslashes again would double them). */
static char *
sanitize_line (const char *text)
{
  GString *out = g_string_sized_new (strlen (text));
  const char *end = text + strlen (text);

  for (const char *p = text; p < end; )
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02x", (guint8) *p);
          p++;
          continue;
        }
      if (g_unichar_iscntrl (c) || c == 0x2028 || c == 0x2029)
        g_string_append_printf (out, c < 0x100 ? "\\x%02x" : "\\u%04x", c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }
  return g_string_free (out, FALSE);
}

/* One line for a person: no D-Bus names, no control characters, no line breaks. */
static char *
error_to_line (GError *error)
{
  g_autoptr(GString) text = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_DISCONNECTED))
    return g_strdup (_("lost the connection to the engine (did hostvisord stop?)"));
  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_INTERFACE) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY))
    return g_strdup (_("the engine does not know this operation "
                       "(is hostvisord the same version?)"));
  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT))
    return g_strdup (_("the VM no longer exists"));
  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_strdup (_("the engine did not answer in time"));

  hv_client_error_strip (error);
  g_dbus_error_strip_remote_error (error);

  /* QEMU's own message may span lines; keep it on one. */
  text = g_string_new (error->message);
  while (text->len > 0 && g_ascii_isspace (text->str[text->len - 1]))
    g_string_truncate (text, text->len - 1);
  g_string_replace (text, "\r\n", "; ", 0);
  g_string_replace (text, "\n", "; ", 0);
  return sanitize_line (text->str);
}

static int
report (GError *error)
{
  g_autofree char *line = NULL;

  /* A failure without a message is a bug somewhere below us; still say something. */
  if (error == NULL)
    {
      fflush (stdout);
      fprintf (stderr, "hostvisorctl: %s\n", _("the operation failed (no reason given)"));
      return HV_CTL_EXIT_FAILURE;
    }

  line = error_to_line (error);

  fflush (stdout);
  fprintf (stderr, "hostvisorctl: %s\n", line);
  return error->domain == HV_CTL_USAGE_ERROR ? HV_CTL_EXIT_USAGE : HV_CTL_EXIT_FAILURE;
}

static int
usage_failure_literal (const char *message)
{
  g_autoptr(GError) error = g_error_new_literal (HV_CTL_USAGE_ERROR, 0, message);

  return report (error);
}

/* @format has one %s, for @word as the user wrote it. */
static int
usage_failure (const char *format,
               const char *word)
{
  g_autofree char *shown = hv_ctl_display (word);
  g_autoptr(GError) error = NULL;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  error = g_error_new (HV_CTL_USAGE_ERROR, 0, format, shown);
#pragma GCC diagnostic pop
  return report (error);
}

static int
finish (int status)
{
  /* Output that could not be written (a full disk, a closed pipe) is a failure too. */
  if (fflush (stdout) != 0 || ferror (stdout))
    {
      if (status == 0)
        fprintf (stderr, "hostvisorctl: %s\n", _("cannot write the output"));
      return status != 0 ? status : HV_CTL_EXIT_FAILURE;
    }
  return status;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HvCtlArgs) args = NULL;
  HvCtl ctl = { 0 };
  const HvCtlCommand *command;
  int used = 0;
  int status;

  setlocale (LC_ALL, "");
  hv_client_init_i18n ();
  g_set_prgname ("hostvisorctl");

  if (argc < 2)
    return usage_failure_literal (_("no command given (see \"hostvisorctl --help\")"));

  if (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") ||
      (g_str_equal (argv[1], "help") && argc == 2))
    {
      print_help ();
      return finish (0);
    }
  if (g_str_equal (argv[1], "--version"))
    {
      g_print ("hostvisorctl %s\n", PACKAGE_VERSION);
      return finish (0);
    }

  if (g_str_equal (argv[1], "help"))
    {
      if (g_str_equal (argv[2], "folder") && argc == 3)
        print_folder_help ();
      else if ((command = find_command (argc - 2, argv + 2, &used)) != NULL && used == argc - 2)
        print_command_help (command);
      else
        return usage_failure (_("no command \"%s\" (see \"hostvisorctl --help\")"), argv[2]);
      return finish (0);
    }

  /* "share NAME add …", "clipboard NAME get", "guest-tools NAME insert", "media NAME eject":
   * the VM before the verb reads as well as after it (VBoxManage users type both). */
  if (argc >= 4 && (g_str_equal (argv[1], "share") || g_str_equal (argv[1], "clipboard") ||
                    g_str_equal (argv[1], "guest-tools") || g_str_equal (argv[1], "media")))
    {
      g_autofree char *verb_first = g_strdup_printf ("%s %s", argv[1], argv[2]);
      g_autofree char *verb_last = g_strdup_printf ("%s %s", argv[1], argv[3]);
      gboolean verb_first_known = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
        verb_first_known |= g_str_equal (commands[i].name, verb_first);
      for (guint i = 0; i < G_N_ELEMENTS (commands) && !verb_first_known; i++)
        if (g_str_equal (commands[i].name, verb_last))
          {
            char *vm_name = argv[2];
            argv[2] = argv[3];
            argv[3] = vm_name;
            break;
          }
    }

  command = find_command (argc - 1, argv + 1, &used);
  if (command == NULL)
    {
      if (g_str_equal (argv[1], "folder"))
        {
          if (argc == 2)
            return usage_failure_literal (_("folder: missing list, create, rename or delete"));
          if (hv_ctl_args_wants_help (argc - 2, argv + 2))
            {
              print_folder_help ();
              return finish (0);
            }
          return usage_failure (_("no command \"folder %s\" (see \"hostvisorctl folder --help\")"),
                                argv[2]);
        }
      if (argv[1][0] == '-')
        return usage_failure (_("unknown option \"%s\" (see \"hostvisorctl --help\")"), argv[1]);
      return usage_failure (_("no command \"%s\" (see \"hostvisorctl --help\")"), argv[1]);
    }

  if (hv_ctl_args_wants_help (argc - 1 - used, argv + 1 + used))
    {
      print_command_help (command);
      return finish (0);
    }

  args = hv_ctl_args_parse (command, argc - 1 - used, argv + 1 + used, &error);
  if (args == NULL)
    return report (error);

  status = command->run (&ctl, args, &error) ? 0 : report (error);

  g_clear_object (&ctl.engine);
  g_clear_object (&ctl.connection);
  return finish (status);
}
