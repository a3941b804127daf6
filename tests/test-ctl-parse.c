/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-ctl-parse.c: hostvisorctl's command line parsed as a function
 * (hv_ctl_command_line_parse(), then hv_ctl_vm_options_build() for create and modify), the
 * way a fuzz target calls it: no exit, no output, no engine. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostvisorctl.h"
#include "hv-error.h"

/* Parses "hostvisorctl" + the words of @line (split on '|', so that words may hold spaces). */
static gboolean
parse (const char        *line,
       HvCtlCommandLine  *out,
       GError           **error)
{
  g_autofree char *full = g_strconcat ("hostvisorctl|", line, NULL);
  g_auto(GStrv) argv = g_strsplit (full, "|", -1);
  g_auto(GStrv) copy = g_strdupv (argv);
  gboolean ok = hv_ctl_command_line_parse ((int) g_strv_length (argv), argv, out, error);

  /* The caller's argv is never reordered or changed. */
  for (guint i = 0; argv[i] != NULL; i++)
    g_assert_cmpstr (argv[i], ==, copy[i]);
  return ok;
}

static void
assert_usage_error (const char *line,
                    const char *fragment)
{
  HvCtlCommandLine out;
  g_autoptr(GError) error = NULL;

  g_assert_false (parse (line, &out, &error));
  g_assert_error (error, HV_CTL_USAGE_ERROR, 0);
  g_assert_null (strchr (error->message, '\n'));
  if (strstr (error->message, fragment) == NULL)
    g_error ("\"%s\": message \"%s\" does not contain \"%s\"", line, error->message, fragment);
  g_assert_null (out.args);
}

static void
assert_help (const char *line,
             const char *command,
             const char *group)
{
  HvCtlCommandLine out;
  g_autoptr(GError) error = NULL;

  if (!parse (line, &out, &error))
    g_error ("\"%s\": %s", line, error->message);
  g_assert_cmpint (out.action, ==, HV_CTL_ACTION_HELP);
  g_assert_cmpstr (out.help_command != NULL ? out.help_command->name : NULL, ==, command);
  g_assert_cmpstr (out.help_group, ==, group);
  hv_ctl_command_line_clear (&out);
}

static void
test_help (void)
{
  static const char * const groups[] = { "folder", "share", "media", "clipboard", "guest-tools" };

  assert_help ("--help", NULL, NULL);
  assert_help ("help", NULL, NULL);
  assert_help ("help|list", "list", NULL);
  assert_help ("list|--help", "list", NULL);
  /* Groups of two-word commands, each way round. */
  for (guint i = 0; i < G_N_ELEMENTS (groups); i++)
    {
      g_autofree char *help_group = g_strdup_printf ("help|%s", groups[i]);
      g_autofree char *group_help = g_strdup_printf ("%s|--help", groups[i]);
      g_autofree char *group_h = g_strdup_printf ("%s|-h", groups[i]);

      assert_help (help_group, NULL, groups[i]);
      assert_help (group_help, NULL, groups[i]);
      assert_help (group_h, NULL, groups[i]);
    }
  assert_help ("help|share|add", "share add", NULL);
  assert_help ("share|add|--help", "share add", NULL);
  assert_help ("help|os-list", "os-list", NULL);
  assert_help ("help|demo", "demo", NULL);

  /* Every command has help. */
  for (guint i = 0; i < hv_ctl_n_commands; i++)
    {
      g_autofree char *line = g_strdup_printf ("help|%s", hv_ctl_commands[i].name);
      g_autofree char *spaced = g_strdelimit (g_strdup (line), " ", '|');

      assert_help (spaced, hv_ctl_commands[i].name, NULL);
    }

  assert_usage_error ("help|nosuch", "no command \"nosuch\"");
  assert_usage_error ("share", "share: missing one of: add, list, remove");
  assert_usage_error ("share|bogus", "no command \"share bogus\"");
  assert_usage_error ("", "no command \"\"");
}

static void
test_run (void)
{
  HvCtlCommandLine out;
  g_autoptr(GError) error = NULL;

  /* "share VM add PATH": the VM before the verb, as VBoxManage users write it. */
  g_assert_true (parse ("share|web|add|/srv/x|--readonly", &out, &error));
  g_assert_no_error (error);
  g_assert_cmpint (out.action, ==, HV_CTL_ACTION_RUN);
  g_assert_cmpstr (out.args->command->name, ==, "share add");
  g_assert_cmpstr (hv_ctl_args_positional (out.args, 0), ==, "web");
  g_assert_cmpstr (hv_ctl_args_positional (out.args, 1), ==, "/srv/x");
  g_assert_true (hv_ctl_args_has (out.args, "readonly"));
  hv_ctl_command_line_clear (&out);

  g_assert_true (parse ("os-list|windows|10|--json", &out, &error));
  g_assert_cmpstr (out.args->command->name, ==, "os-list");
  g_assert_cmpstr (hv_ctl_args_positional (out.args, 1), ==, "10");
  hv_ctl_command_line_clear (&out);

  g_assert_true (parse ("--version", &out, &error));
  g_assert_cmpint (out.action, ==, HV_CTL_ACTION_VERSION);
  hv_ctl_command_line_clear (&out);

  /* clone NAME NEW [--snapshot SNAP] [--linked] [--keep-macs] [--folder A/B] */
  g_assert_true (parse ("clone|web|web 2|--snapshot|Before upgrade|--linked|--folder|/Lab/B/",
                        &out, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (out.args->command->name, ==, "clone");
  g_assert_cmpstr (hv_ctl_args_positional (out.args, 0), ==, "web");
  g_assert_cmpstr (hv_ctl_args_positional (out.args, 1), ==, "web 2");
  g_assert_cmpstr (hv_ctl_args_get (out.args, "snapshot"), ==, "Before upgrade");
  g_assert_true (hv_ctl_args_has (out.args, "linked"));
  g_assert_false (hv_ctl_args_has (out.args, "keep-macs"));
  g_assert_cmpstr (hv_ctl_args_get (out.args, "folder"), ==, "/Lab/B/");
  hv_ctl_command_line_clear (&out);
  g_assert_true (parse ("clone|web|copy|--keep-macs", &out, &error));
  g_assert_true (hv_ctl_args_has (out.args, "keep-macs"));
  g_assert_false (hv_ctl_args_has (out.args, "snapshot"));
  hv_ctl_command_line_clear (&out);
  assert_usage_error ("clone|web", "missing NEW");
  assert_usage_error ("clone|web|a|b", "unexpected argument \"b\"");
  assert_usage_error ("clone|web|copy|--snapshot", "--snapshot needs");
  assert_usage_error ("clone|web|copy|--full", "unknown option \"--full\"");

  assert_usage_error ("list|--bogus", "unknown option \"--bogus\"");
  assert_usage_error ("show", "missing NAME");
  assert_usage_error ("create|x|--memory|lots", "--memory needs a number");
}

/* D-Bus takes only UTF-8: every argument that goes to the engine is checked, and the message
 * names it; a path gets the advice to rename or link the file. */
static void
test_utf8 (void)
{
  HvCtlCommandLine out;
  g_autoptr(GError) error = NULL;

  assert_usage_error ("create|\xff\xfe|--no-disk", "NAME is not valid UTF-8 (\"\\xff\\xfe\")");
  assert_usage_error ("create|x|--iso|/tmp/\xff.iso",
                      "the file name of --iso is not valid UTF-8 (\"/tmp/\\xff.iso\"); Hostvisor "
                      "stores paths as UTF-8, so rename the file or link it under a UTF-8 name");
  assert_usage_error ("create|x|--kernel=/k\xe9", "--kernel is not valid UTF-8");
  assert_usage_error ("create|x|--cmdline|a\xc3", "--cmdline is not valid UTF-8");
  assert_usage_error ("modify|x|--name|\xc0\xaf", "--name is not valid UTF-8");
  assert_usage_error ("media|insert|web|/x/\xff.iso", "the file name IMAGE is not valid UTF-8");
  assert_usage_error ("share|add|web|/home/\xff", "the file name HOSTPATH is not valid UTF-8");
  assert_usage_error ("clipboard|set|web|\xff", "TEXT is not valid UTF-8");
  assert_usage_error ("show|\xff", "NAME is not valid UTF-8");

  /* screenshot's file never leaves this process. */
  g_assert_true (parse ("screenshot|web|/tmp/\xff.png", &out, &error));
  g_assert_no_error (error);
  hv_ctl_command_line_clear (&out);
}

/* A word of any length is quoted short. */
static void
test_long_words (void)
{
  g_autofree char *huge = g_strnfill (10240, 'x');
  g_autofree char *line = g_strdup_printf ("list|%s", huge);
  HvCtlCommandLine out;
  g_autoptr(GError) error = NULL;

  g_assert_false (parse (line, &out, &error));
  g_assert_cmpuint (strlen (error->message), <, 200);
  g_assert_nonnull (strstr (error->message, "xxx…\""));
  g_clear_error (&error);
  g_clear_pointer (&line, g_free);

  line = g_strdup_printf ("%s", huge);
  g_assert_false (parse (line, &out, &error));
  g_assert_cmpuint (strlen (error->message), <, 200);
}

static GVariant *
build_options (const char  *line,
               GError     **error)
{
  HvCtlCommandLine out;
  GVariant *options = NULL;

  if (!parse (line, &out, error))
    return NULL;
  options = hv_ctl_vm_options_build (out.args, g_str_equal (out.args->command->name, "modify"),
                                     error);
  hv_ctl_command_line_clear (&out);
  return options != NULL ? g_variant_ref_sink (options) : NULL;
}

/* create's and modify's files are checked here, before the engine: a FIFO must not hang. */
static void
test_vm_options (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hv-test-ctl-XXXXXX", NULL);
  g_autofree char *fifo = g_build_filename (dir, "fifo", NULL);
  g_autofree char *line = NULL;
  g_autoptr(GVariant) options = NULL;
  g_autoptr(GError) error = NULL;
  const char *s;

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  line = g_strdup_printf ("create|x|--iso|%s", fifo);
  g_assert_null (build_options (line, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "is a FIFO"));
  g_clear_error (&error);

  g_assert_null (build_options ("create|x|--floppy|/dev/zero", &error));
  g_assert_nonnull (strstr (error->message, "character device"));
  g_clear_error (&error);
  g_assert_null (build_options ("create|x|--kernel|/proc/self/environ", &error));
  g_assert_nonnull (strstr (error->message, "/proc"));
  g_clear_error (&error);
  g_assert_null (build_options ("create|x|--iso|/nonexistent/x.iso", &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_NOT_FOUND);
  g_clear_error (&error);

  options = build_options ("modify|x|--memory|512|--folder|/Lab/Web/|--name|y", &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_lookup (options, "folder", "&s", &s));
  g_assert_cmpstr (s, ==, "Lab/Web");
  g_assert_true (g_variant_lookup (options, "name", "&s", &s));
  g_assert_cmpstr (s, ==, "y");

  g_unlink (fifo);
  g_rmdir (dir);
}

/* modify --nicN… and port-forward: what goes to the engine, and what never gets that far. */
static void
test_net_options (void)
{
  g_autoptr(GVariant) options = NULL;
  g_autoptr(GVariant) rule = NULL;
  g_autoptr(GError) error = NULL;
  HvCtlCommandLine out;
  const char *s;
  gboolean flag;
  guint16 port;
  guint slot = 0;

  options = build_options ("modify|x|--nic2|internal|--nic2-target|lab|--nic2-cable|off|"
                           "--nic2-mac|AUTO|--nic1-model|e1000|--nic1-enabled|on", &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_lookup (options, "nic2", "&s", &s));
  g_assert_cmpstr (s, ==, "internal");
  g_assert_true (g_variant_lookup (options, "nic2-target", "&s", &s));
  g_assert_cmpstr (s, ==, "lab");
  g_assert_true (g_variant_lookup (options, "nic2-cable", "b", &flag));
  g_assert_false (flag);
  g_assert_true (g_variant_lookup (options, "nic2-mac", "&s", &s));
  g_assert_cmpstr (s, ==, "auto");
  g_assert_true (g_variant_lookup (options, "nic1-model", "&s", &s));
  g_assert_cmpstr (s, ==, "e1000");
  g_assert_true (g_variant_lookup (options, "nic1-enabled", "b", &flag));
  g_assert_true (flag);
  g_assert_false (g_variant_lookup (options, "nic1", "&s", &s));
  g_clear_pointer (&options, g_variant_unref);

  g_assert_null (build_options ("modify|x|--nic1|bridge", &error));
  g_assert_error (error, HV_CTL_USAGE_ERROR, 0);
  g_assert_nonnull (strstr (error->message, "--nic1 must be nat, bridged, host-only, internal or none"));
  g_clear_error (&error);
  g_assert_null (build_options ("modify|x|--nic3-cable|maybe", &error));
  g_assert_nonnull (strstr (error->message, "--nic3-cable must be on or off"));
  g_clear_error (&error);
  g_assert_null (build_options ("modify|x|--nic4-mac|01:00:5e:00:00:01", &error));
  g_assert_nonnull (strstr (error->message, "--nic4-mac must be auto or a MAC address"));
  g_clear_error (&error);
  g_assert_null (build_options ("modify|x|--nic1-model|ne3000", &error));
  g_assert_nonnull (strstr (error->message, "--nic1-model must be virtio-net"));
  g_clear_error (&error);
  assert_usage_error ("modify|x|--nic5|nat", "unknown option \"--nic5\"");
  assert_usage_error ("create|x|--nic1|nat", "unknown option \"--nic1\"");

  /* "port-forward VM add …" and "port-forward add VM …" are the same command. */
  g_assert_true (parse ("port-forward|web|add|--rule-name|ssh|--host-port|2222|--guest-port|22|"
                        "--nic|2|--proto|udp", &out, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (out.args->command->name, ==, "port-forward add");
  g_assert_cmpstr (hv_ctl_args_positional (out.args, 0), ==, "web");
  rule = hv_ctl_port_forward_rule_build (out.args, &slot, &error);
  g_assert_no_error (error);
  g_variant_ref_sink (rule);
  g_assert_cmpuint (slot, ==, 2);
  g_assert_true (g_variant_lookup (rule, "name", "&s", &s));
  g_assert_cmpstr (s, ==, "ssh");
  g_assert_true (g_variant_lookup (rule, "protocol", "&s", &s));
  g_assert_cmpstr (s, ==, "udp");
  g_assert_true (g_variant_lookup (rule, "host-address", "&s", &s));
  g_assert_cmpstr (s, ==, "127.0.0.1");
  g_assert_true (g_variant_lookup (rule, "guest-address", "&s", &s));
  g_assert_cmpstr (s, ==, "");
  g_assert_true (g_variant_lookup (rule, "host-port", "q", &port));
  g_assert_cmpuint (port, ==, 2222);
  g_assert_true (g_variant_lookup (rule, "guest-port", "q", &port));
  g_assert_cmpuint (port, ==, 22);
  hv_ctl_command_line_clear (&out);

  g_assert_true (parse ("port-forward|add|web|--host-port|2222|--guest-port|22", &out, &error));
  g_assert_null (hv_ctl_port_forward_rule_build (out.args, &slot, &error));
  g_assert_error (error, HV_CTL_USAGE_ERROR, 0);
  g_assert_nonnull (strstr (error->message, "--rule-name NAME is missing"));
  g_clear_error (&error);
  hv_ctl_command_line_clear (&out);

  g_assert_true (parse ("port-forward|add|web|--rule-name|a|--host-port|1|--guest-port|2|"
                        "--host-ip|1.2.3", &out, &error));
  g_assert_null (hv_ctl_port_forward_rule_build (out.args, &slot, &error));
  g_assert_nonnull (strstr (error->message, "--host-ip must be an IPv4 address"));
  g_clear_error (&error);
  hv_ctl_command_line_clear (&out);

  g_assert_true (parse ("port-forward|add|web|--rule-name|a b|--host-port|1|--guest-port|2",
                        &out, &error));
  g_assert_null (hv_ctl_port_forward_rule_build (out.args, &slot, &error));
  g_assert_nonnull (strstr (error->message, "not a port forward name"));
  g_clear_error (&error);
  hv_ctl_command_line_clear (&out);

  assert_usage_error ("port-forward|add|web|--rule-name|a|--host-port|0|--guest-port|2",
                      "--host-port");
  assert_usage_error ("port-forward|add|web|--rule-name|a|--host-port|1|--guest-port|65536",
                      "--guest-port");
  assert_usage_error ("port-forward|web|list|--nic|5", "--nic");
  assert_usage_error ("port-forward|web|open", "no command \"port-forward ");
}

/* Random command lines from the words hostvisorctl knows and some it does not: nothing may
 * crash, print a critical (G_DEBUG=fatal-criticals) or leave an error unset. */
/* snapshot …, save-state, discard-state: the VM before or after the verb, SNAP optional for
 * take only, options per verb. */
static void
test_snapshot (void)
{
  static const struct {
    const char *line;
    const char *command;
    const char *vm;
    const char *snap;
  } good[] = {
    { "snapshot|web|take", "snapshot take", "web", NULL },
    { "snapshot|web|take|Before upgrade|--description|two\nlines|--disk-only", "snapshot take",
      "web", "Before upgrade" },
    { "snapshot|take|web|s1|--json", "snapshot take", "web", "s1" },
    { "snapshot|web|list|--json", "snapshot list", "web", NULL },
    { "snapshot|web|restore|s1|--force", "snapshot restore", "web", "s1" },
    { "snapshot|restore|web|0c1e7a4e-2f0a-4d8e-9a53-1f6f0e0c2a11", "snapshot restore", "web",
      "0c1e7a4e-2f0a-4d8e-9a53-1f6f0e0c2a11" },
    { "snapshot|web|delete|s1", "snapshot delete", "web", "s1" },
    { "snapshot|web|edit|s1|--name|s2|--description|", "snapshot edit", "web", "s1" },
    { "save-state|web", "save-state", "web", NULL },
    { "discard-state|web", "discard-state", "web", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      HvCtlCommandLine out;
      g_autoptr(GError) error = NULL;

      if (!parse (good[i].line, &out, &error))
        g_error ("\"%s\": %s", good[i].line, error->message);
      g_assert_cmpint (out.action, ==, HV_CTL_ACTION_RUN);
      g_assert_cmpstr (out.args->command->name, ==, good[i].command);
      g_assert_cmpstr (hv_ctl_args_positional (out.args, 0), ==, good[i].vm);
      g_assert_cmpstr (hv_ctl_args_positional (out.args, 1), ==, good[i].snap);
      hv_ctl_command_line_clear (&out);
    }

  assert_usage_error ("snapshot|web|restore", "snapshot restore");
  assert_usage_error ("snapshot|web|delete|a|b", "snapshot delete");
  assert_usage_error ("snapshot|web|delete|a|--force", "unknown option \"--force\"");
  assert_usage_error ("snapshot|web|take|a|--force", "unknown option \"--force\"");
  assert_usage_error ("snapshot|web|restore|a|--disk-only", "unknown option \"--disk-only\"");
  assert_usage_error ("snapshot|web|revert|a", "no command \"snapshot ");
  assert_usage_error ("snapshot", "snapshot: missing one of");
  assert_usage_error ("save-state", "save-state");
  assert_usage_error ("discard-state|a|b", "discard-state");
  assert_help ("snapshot|--help", NULL, "snapshot");
  assert_help ("snapshot|web|take|--help", "snapshot take", NULL);
  assert_help ("help|save-state", "save-state", NULL);
}

/* --connect: a global option before the command; the address is checked as it is parsed,
 * and nothing of it can become an ssh option (hv_remote_ssh_argv()). */
static void
test_connect (void)
{
  static const char * const bridge[] = { "bridge", NULL };
  static const char * const bad_word[] = { "log", "x;rm", NULL };
  HvCtlCommandLine out;
  g_autoptr(GError) error = NULL;
  g_autoptr(HvRemote) remote = NULL;
  g_auto(GStrv) argv = NULL;
  g_autofree char *joined = NULL;

  g_assert_true (parse ("--connect|ssh://alice@server.example:2222|list|--json", &out, &error));
  g_assert_no_error (error);
  g_assert_cmpint (out.action, ==, HV_CTL_ACTION_RUN);
  g_assert_cmpstr (out.connect, ==, "ssh://alice@server.example:2222");
  g_assert_cmpstr (out.args->command->name, ==, "list");
  hv_ctl_command_line_clear (&out);

  g_assert_true (parse ("--connect=ssh://[fe80::1]/|show|web", &out, &error));
  g_assert_cmpstr (out.connect, ==, "ssh://[fe80::1]/");
  g_assert_cmpstr (hv_ctl_args_positional (out.args, 0), ==, "web");
  hv_ctl_command_line_clear (&out);

  g_assert_true (parse ("--connect|ssh://h|--help", &out, &error));
  g_assert_cmpint (out.action, ==, HV_CTL_ACTION_HELP);
  hv_ctl_command_line_clear (&out);

  assert_usage_error ("--connect", "needs an address");
  assert_usage_error ("--connect|ssh://h", "no command given");
  assert_usage_error ("--connect|server|list", "must begin with ssh://");
  assert_usage_error ("--connect|ssh://-oProxyCommand=x|list", "begins with a letter");
  assert_usage_error ("--connect|ssh://-oProxyCommand=x@h|list", "user name");
  assert_usage_error ("--connect|ssh://h:0|list", "port");
  assert_usage_error ("--connect|ssh://h:65536|list", "port");
  assert_usage_error ("--connect|ssh://h:+22|list", "port");
  assert_usage_error ("--connect|ssh://h/path|list", "no path");
  assert_usage_error ("--connect|ssh://a%20b@h|list", "escapes");
  assert_usage_error ("--connect|ssh://a@b@h|list", "host name");
  assert_usage_error ("--connect|ssh://[-oProxy]|list", "IPv6");
  assert_usage_error ("--connect|ssh://h p|list", "host name");
  assert_usage_error ("--connect|ssh://|list", "host name");

  /* File names are the remote host's: absolute, never made so against our directory. */
  assert_usage_error ("--connect|ssh://h|create|web|--iso|debian.iso", "absolute path");
  assert_usage_error ("--connect|ssh://h|create|web|--kernel=./vmlinuz", "absolute path");
  assert_usage_error ("--connect|ssh://h|share|web|add|docs", "absolute path");
  g_assert_true (parse ("--connect|ssh://h|create|web|--iso|/srv/debian.iso", &out, &error));
  g_assert_cmpstr (hv_ctl_args_get (out.args, "iso"), ==, "/srv/debian.iso");
  hv_ctl_command_line_clear (&out);
  /* screenshot's file is ours: it stays relative to here. */
  g_assert_true (parse ("--connect|ssh://h|screenshot|web|shot.png", &out, &error));
  hv_ctl_command_line_clear (&out);

  /* The argv: the user, host and port only as -l, -p and the word after "--". */
  remote = hv_remote_parse ("SSH://bob@10.0.0.2:22", &error);
  g_assert_no_error (error);
  argv = hv_remote_ssh_argv (remote, FALSE, bridge, &error);
  g_assert_no_error (error);
  joined = g_strjoinv (" ", argv);
  g_assert_cmpstr (joined, ==, "ssh -o BatchMode=yes -o ConnectTimeout=20 "
                   "-o ServerAliveInterval=15 -o ServerAliveCountMax=3 -e none -T -p 22 "
                   "-l bob -- 10.0.0.2 hostvisorctl bridge");
  g_clear_pointer (&argv, g_strfreev);
  g_clear_pointer (&remote, hv_remote_free);

  remote = hv_remote_parse ("ssh://[::1]", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (remote->host, ==, "::1");
  g_assert_null (remote->user);
  g_assert_cmpuint (remote->port, ==, 0);
  argv = hv_remote_ssh_argv (remote, TRUE, bridge, &error);
  g_assert_true (g_strv_contains ((const char * const *) argv, "-t"));
  g_assert_false (g_strv_contains ((const char * const *) argv, "-p"));
  g_clear_pointer (&argv, g_strfreev);

  /* A word for the remote shell that is not plain is refused, never quoted. */
  g_assert_null (hv_remote_ssh_argv (remote, FALSE, bad_word, &error));
  g_assert_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT);
}

static void
test_random (void)
{
  static const char * const words[] = {
    "list", "show", "create", "modify", "start", "stop", "share", "add", "remove", "media",
    "insert", "eject", "folder", "help", "--help", "-h", "--", "-", "--json", "--timeout",
    "--timeout=5", "--memory", "512", "--iso", "--iso=", "--name", "x", "\xff", "é", "",
    "--floppy", "os-list", "demo", "clipboard", "set", "get", "guest-tools", "screenshot",
    "--no-disk", "--disk", "--disk-format", "raw", "--=", "--x=y", "web", "a b", "99999999999",
    "port-forward", "--nic1", "--nic2-cable", "on", "--rule-name", "--host-port", "nat",
  };
  GRand *rand = g_rand_new_with_seed (1234);

  for (guint round = 0; round < 20000; round++)
    {
      guint n = (guint) g_rand_int_range (rand, 1, 7);
      g_autoptr(GPtrArray) argv = g_ptr_array_new ();
      HvCtlCommandLine out;
      g_autoptr(GError) error = NULL;

      g_ptr_array_add (argv, (gpointer) "hostvisorctl");
      for (guint i = 0; i < n; i++)
        g_ptr_array_add (argv, (gpointer) words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))]);
      g_ptr_array_add (argv, NULL);

      if (hv_ctl_command_line_parse ((int) argv->len - 1, (char **) argv->pdata, &out, &error))
        {
          g_assert_no_error (error);
          if (out.action == HV_CTL_ACTION_RUN &&
              (g_str_equal (out.args->command->name, "create") ||
               g_str_equal (out.args->command->name, "modify")))
            {
              GVariant *options = hv_ctl_vm_options_build (out.args,
                                                           out.args->command->name[0] == 'm',
                                                           &error);
              g_assert_true ((options == NULL) == (error != NULL));
              if (options != NULL)
                g_variant_unref (g_variant_ref_sink (options));
            }
          hv_ctl_command_line_clear (&out);
        }
      else
        {
          g_assert_nonnull (error);
          g_assert_true (g_utf8_validate (error->message, -1, NULL));
        }
    }
  g_rand_free (rand);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* Nothing here may reach an engine: make sure none could be found or started. */
  g_setenv ("XDG_RUNTIME_DIR", "/nonexistent/hv-test-ctl-parse", TRUE);
  g_setenv ("HOSTVISORD", "/bin/false", TRUE);

  g_test_add_func ("/ctl-parse/help", test_help);
  g_test_add_func ("/ctl-parse/run", test_run);
  g_test_add_func ("/ctl-parse/utf8", test_utf8);
  g_test_add_func ("/ctl-parse/long-words", test_long_words);
  g_test_add_func ("/ctl-parse/vm-options", test_vm_options);
  g_test_add_func ("/ctl-parse/net-options", test_net_options);
  g_test_add_func ("/ctl-parse/snapshot", test_snapshot);
  g_test_add_func ("/ctl-parse/connect", test_connect);
  g_test_add_func ("/ctl-parse/random", test_random);
  return g_test_run ();
}
