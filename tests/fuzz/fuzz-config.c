/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-config.c: libFuzzer target for the VM config parser (engine/hv-config-xml.c): the raw
 * byte checks, libxml2 with DTDs and entities refused, the reading of every element, the
 * semantic checks (hv_vm_config_validate) and the RelaxNG schema, as hv_vm_config_load() runs
 * them on a vm.xml that anybody could have written.
 *
 * The input is the file's bytes, in a buffer of exactly that size (no NUL after it), so a read
 * past the end is caught by ASan. What the parser accepts must survive the way back: it
 * passes the semantic checks, serializes, and the serialized form parses to a config that
 * serializes to the same text (what the engine saves, it can load). What it refuses is refused
 * with HV_ERROR_INVALID_CONFIG and a UTF-8 message "FILE:LINE: ...".
 *
 * The schema comes from HOSTVISOR_SCHEMA_DIR, else from the source tree this was built from.
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hv-config.h"
#include "hv-error.h"

#include "fuzz-glib.h"

#ifndef HV_FUZZ_SCHEMA_DIR
#error "HV_FUZZ_SCHEMA_DIR must name the resources/ directory that holds hostvisor-vm.rng"
#endif

#define FILENAME "fuzz/vm.xml"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check (gboolean    condition,
       const char *what)
{
  if (!condition)
    {
      g_printerr ("fuzz-config: check failed: %s\n", what);
      abort ();
    }
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_setenv ("HOSTVISOR_SCHEMA_DIR", HV_FUZZ_SCHEMA_DIR, FALSE);
  hv_fuzz_abort_on_criticals ();
  return 0;
}

static void
check_error (const GError *error)
{
  check (error != NULL, "a refused config comes with an error");
  check (error->domain == HV_ERROR && error->code == HV_ERROR_INVALID_CONFIG,
         "a refused config is HV_ERROR_INVALID_CONFIG");
  check (g_str_has_prefix (error->message, FILENAME ":"), "the error names the file");
  /* UTF-8, as a D-Bus error's message must be. (libxml2's own text may span lines: the
   * clients make it one line for display.) */
  check (g_utf8_validate (error->message, -1, NULL), "the error is UTF-8");
}

static void
check_round_trip (const HvVmConfig *config)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HvVmConfig) again = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  check (hv_vm_config_validate (config, &error), "an accepted config passes validation");
  first = hv_vm_config_to_xml (config, &error);
  check (first != NULL, "an accepted config serializes");
  again = hv_vm_config_from_xml (first, strlen (first), FILENAME, &error);
  if (again == NULL)
    g_printerr ("fuzz-config: the saved form does not load: %s\n%s\n", error->message, first);
  check (again != NULL, "what the engine saves, it loads");
  second = hv_vm_config_to_xml (again, &error);
  check (second != NULL && strcmp (first, second) == 0, "save, load, save gives the same text");
  check (strcmp (config->uuid, again->uuid) == 0 && strcmp (config->name, again->name) == 0 &&
         strcmp (config->folder, again->folder) == 0, "identity survives a save");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HvVmConfig) config = NULL;
  /* An exact-size copy: libFuzzer's buffer is exact already, the standalone runner's too, but
   * the parser must never need a terminator it was not given. */
  g_autofree char *copy = size > 0 ? g_memdup2 (data, size) : NULL;

  config = hv_vm_config_from_xml (copy, size, FILENAME, &error);
  if (config == NULL)
    check_error (error);
  else
    {
      check (error == NULL, "no error with a config");
      check_round_trip (config);
    }
  return 0;
}
