/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-cli-options.c: libFuzzer target for hostvisorctl's command line, as main() reads it:
 * hv_ctl_command_line_parse() (app/hostvisorctl-commands.c: the command table, help, group
 * help, --version, then each command's options through hostvisorctl-options.c) on any
 * argument vector, then, for create and modify, hv_ctl_vm_options_build(), which checks the
 * combination and builds the a{sv} that goes to the engine. A command line is the user's
 * input: it must come back as a parsed command or as one clear line of error, never as a crash
 * or a GLib critical.
 *
 * The input is the argument vector after "hostvisorctl", NUL-separated (at most 64
 * arguments). hv_ctl_vm_options_build() looks up the files named (without blocking), so run
 * the target from a scratch directory.
 *
 * What must hold: a parsed command has between min and max positional arguments, only its
 * own options, numbers in their range written in plain decimal, absolute paths, flags without
 * values; the built a{sv} is a valid GVariant of known keys; an error is one line of UTF-8
 * (HV_CTL_USAGE_ERROR for the way the command is written, HV_ERROR for files that are not
 * there).
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hostvisorctl.h"
#include "hv-config.h"
#include "hv-error.h"

#include "fuzz-glib.h"

#define MAX_ARGS 64

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char * const known_keys[] = {
  "name", "os", "disk", "disk-format", "iso", "floppy", "firmware", "machine", "kernel",
  "initrd", "cmdline", "nic-model", "video", "boot", "clipboard", "share-transport", "no-disk",
  "remove-iso", "remove-floppy", "folder", "memory", "disk-size", "cpus", "acceleration",
  "description",
  /* engine/hv-vm-options-legacy.c */
  "profile", "cpu-model", "sound", "sound-enabled", "sound-muted", "adlib", "pc-speaker", "vram",
  "rtc", "acpi", "hpet", "usb", "tablet", "vmport", "cpu-limit", "floppy-b", "remove-floppy-b",
};

static void
check (gboolean    condition,
       const char *what)
{
  if (!condition)
    {
      g_printerr ("fuzz-cli-options: check failed: %s\n", what);
      abort ();
    }
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  /* A critical is a programming error reached from user input: a crash, for our purposes. */
  hv_fuzz_abort_on_criticals ();
  return 0;
}

static const HvCtlOption *
find_option (const HvCtlCommand *command,
             const char         *name)
{
  for (const HvCtlOption *o = command->options; o != NULL && o->name != NULL; o++)
    if (strcmp (o->name, name) == 0)
      return o;
  return NULL;
}

static void
check_error (const GError *error)
{
  check (error != NULL, "a failure comes with an error");
  check (error->domain == HV_CTL_USAGE_ERROR || error->domain == HV_ERROR,
         "a usage error or an HV_ERROR");
  check (error->message[0] != '\0', "the error says something");
  check (g_utf8_validate (error->message, -1, NULL), "the error is UTF-8");
  for (const char *p = error->message; *p != '\0'; p++)
    check ((guint8) *p >= 0x20 && *p != 0x7f, "the error is one line without control characters");
}

static void
check_args (const HvCtlCommand *command,
            HvCtlArgs          *args)
{
  GHashTableIter iter;
  gpointer key, value;

  check (args->positionals->len >= command->min_args &&
         args->positionals->len <= command->max_args, "positional arguments within bounds");
  g_hash_table_iter_init (&iter, args->values);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const HvCtlOption *option = find_option (command, key);
      const char *text = value;

      check (option != NULL, "only the command's own options");
      switch (option->kind)
        {
        case HV_CTL_OPT_FLAG:
          check (text[0] == '\0', "a flag has no value");
          break;
        case HV_CTL_OPT_PATH:
          check (g_path_is_absolute (text), "a path is made absolute");
          break;
        case HV_CTL_OPT_UINT:
          {
            guint64 n = 0;
            g_autofree char *again = NULL;

            check (g_ascii_string_to_unsigned (text, 10, option->min, option->max, &n, NULL),
                   "a number within its range");
            again = g_strdup_printf ("%" G_GUINT64_FORMAT, n);
            check (strcmp (again, text) == 0, "a number in plain decimal");
          }
          break;
        case HV_CTL_OPT_STRING:
        default:
          break;
        }
    }
}

static void
check_vm_options (HvCtlArgs *args,
                  gboolean   for_modify)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) options = hv_ctl_vm_options_build (args, for_modify, &error);
  GVariantIter iter;
  const char *key;
  GVariant *value;

  if (options == NULL)
    {
      check_error (error);
      return;
    }
  g_variant_ref_sink (options);
  check (g_variant_is_of_type (options, G_VARIANT_TYPE_VARDICT), "options are an a{sv}");
  check (g_variant_is_normal_form (options), "options are a valid GVariant");
  g_variant_iter_init (&iter, options);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
    {
      gboolean known = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (known_keys); i++)
        known |= strcmp (known_keys[i], key) == 0;
      check (known, "only keys the engine knows");
      if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
        check (g_utf8_validate (g_variant_get_string (value, NULL), -1, NULL),
               "string options are UTF-8");
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  HvCtlCommandLine line = { 0 };
  size_t start = 0;

  g_ptr_array_add (argv, g_strdup ("hostvisorctl"));
  /* NUL-separated words; an empty word is an empty argument, as the shell can pass one. */
  for (size_t i = 0; size > 0 && i <= size && argv->len <= MAX_ARGS; i++)
    if (i == size || data[i] == 0)
      {
        g_ptr_array_add (argv, g_strndup ((const char *) data + start, i - start));
        start = i + 1;
      }
  g_ptr_array_add (argv, NULL);

  if (!hv_ctl_command_line_parse ((int) argv->len - 1, (char **) argv->pdata, &line, &error))
    {
      check_error (error);
      check (line.args == NULL, "no command with an error");
      return 0;
    }
  check (error == NULL, "no error with a parsed command line");
  if (line.action == HV_CTL_ACTION_RUN)
    {
      const HvCtlCommand *command = line.args->command;

      check (command != NULL, "a command to run");
      check_args (command, line.args);
      if (command->options == hv_ctl_create_options)
        check_vm_options (line.args, FALSE);
      else if (command->options == hv_ctl_modify_options)
        check_vm_options (line.args, TRUE);
    }
  hv_ctl_command_line_clear (&line);
  return 0;
}
