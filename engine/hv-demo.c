/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-demo.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hv-build-config.h"
#include "hv-error.h"
#include "hv-fileutil.h"

#define DEMO_NAME "Demo Linux"
#define DEMO_MEMORY_MIB 256

/* Started in the background by the guest's /init: the guest tools, and a shell on the
 * screen (tty1) as well as on the serial console, so the console window shows a prompt. */
static const char extra_init[] =
  "#!/bin/sh\n"
  "/usr/sbin/hostvisor-agent --foreground >/dev/null 2>&1 &\n"
  "( while :; do\n"
  "    printf '\\nHostvisor demo: a tiny Linux with busybox. Try ls /, uname -a, poweroff -f.\\n\\n' >/dev/tty1\n"
  "    setsid sh -c 'exec sh -l </dev/tty1 >/dev/tty1 2>&1'\n"
  "    sleep 1\n"
  "  done ) &\n";

typedef struct {
  HvLibrary *library;
  char *guest_dir;
} DemoData;

static void
demo_data_free (DemoData *data)
{
  g_clear_object (&data->library);
  g_free (data->guest_dir);
  g_free (data);
}

/* Beside the running engine (the build tree keeps app/hostvisord and
 * guest-tools/hostvisor-agent side by side), else where it is installed. */
static char *
find_beside_engine (const char *relative,
                    const char *installed)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);

  if (self != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (self);
      g_autofree char *candidate = g_build_filename (dir, relative, NULL);

      if (g_file_test (candidate, G_FILE_TEST_EXISTS))
        return g_canonicalize_filename (candidate, NULL);
    }
  return g_strdup (installed);
}

static char *
find_builder (void)
{
  const char *env = g_getenv ("HOSTVISOR_GUEST_BUILDER");
  g_autofree char *installed = g_build_filename (HV_PKGDATADIR, "guest", "make-tiny-guest.sh",
                                                 NULL);
  g_autofree char *source_root = g_path_get_dirname (HV_SOURCE_RESOURCES_DIR);

  if (env != NULL && env[0] != '\0')
    return g_strdup (env);
  if (g_file_test (installed, G_FILE_TEST_IS_EXECUTABLE))
    return g_steal_pointer (&installed);
  return g_build_filename (source_root, "tests", "guest", "make-tiny-guest.sh", NULL);
}

/* "Demo Linux", or "Demo Linux 2"… when taken. */
static char *
free_name (HvLibrary *library)
{
  for (guint n = 1; ; n++)
    {
      g_autofree char *name = n == 1 ? g_strdup (DEMO_NAME)
                                     : g_strdup_printf ("%s %u", DEMO_NAME, n);

      if (hv_library_find_vm (library, name, NULL) == NULL)
        return g_steal_pointer (&name);
    }
}

static void
on_vm_created (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  HvVm *vm = hv_library_create_vm_finish (HV_LIBRARY (object), result, &error);

  if (vm == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, vm, g_object_unref);
}

static void
on_guest_built (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DemoData *data = g_task_get_task_data (task);
  GSubprocess *process = G_SUBPROCESS (object);
  g_autofree char *err_text = NULL;
  g_autofree char *kernel = g_build_filename (data->guest_dir, "vmlinuz", NULL);
  g_autofree char *initrd = g_build_filename (data->guest_dir, "initrd.img", NULL);
  g_autofree char *name = NULL;
  g_autoptr(GVariantDict) options = g_variant_dict_new (NULL);
  g_autoptr(GVariant) options_v = NULL;
  GCancellable *cancellable;
  GError *error = NULL;

  if (!g_subprocess_communicate_utf8_finish (process, result, NULL, &err_text, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (!g_subprocess_get_successful (process))
    {
      /* The builder's last line says what is missing (a kernel, busybox-static…). */
      const char *last = err_text != NULL ? strrchr (g_strstrip (err_text), '\n') : NULL;
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                               "Cannot build the demo guest: %s",
                               last != NULL ? last + 1 : err_text != NULL && err_text[0] ?
                               err_text : "the guest builder failed");
      return;
    }

  name = free_name (data->library);
  g_variant_dict_insert (options, "kernel", "s", kernel);
  g_variant_dict_insert (options, "initrd", "s", initrd);
  /* Kernel messages on the screen and the serial port; the serial port is the console. */
  g_variant_dict_insert (options, "cmdline", "s", "console=tty0 console=ttyS0 quiet");
  g_variant_dict_insert (options, "memory", "t", (guint64) DEMO_MEMORY_MIB);
  g_variant_dict_insert (options, "no-disk", "b", TRUE);
  g_variant_dict_insert (options, "clipboard", "s", "both");
  g_variant_dict_insert (options, "description", "s",
                         "A tiny Linux made from this computer's own kernel and busybox, "
                         "with the Hostvisor guest tools.");
  options_v = g_variant_ref_sink (g_variant_dict_end (options));
  /* Read before the call: the order in which arguments are evaluated is unspecified, and
   * g_steal_pointer() may empty @task first. */
  cancellable = g_task_get_cancellable (task);
  hv_library_create_vm_async (data->library, name, options_v, cancellable,
                              on_vm_created, g_steal_pointer (&task));
}

void
hv_demo_create_async (HvLibrary          *library,
                      GCancellable       *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autofree char *builder = find_builder ();
  g_autofree char *agent = NULL;
  g_autofree char *init_path = NULL;
  g_autofree char *agent_arg = NULL;
  g_autofree char *init_arg = NULL;
  g_autoptr(GSubprocess) process = NULL;
  DemoData *data;
  GError *error = NULL;

  g_task_set_source_tag (task, hv_demo_create_async);
  data = g_new0 (DemoData, 1);
  data->library = g_object_ref (library);
  data->guest_dir = g_build_filename (hv_library_get_path (library), "demo-guest", NULL);
  g_task_set_task_data (task, data, (GDestroyNotify) demo_data_free);

  agent = g_strdup (g_getenv ("HOSTVISOR_AGENT"));
  if (agent == NULL || agent[0] == '\0')
    {
      g_free (agent);
      agent = find_beside_engine ("../guest-tools/hostvisor-agent",
                                  HV_LIBEXECDIR "/hostvisor-agent");
    }
  if (!g_file_test (builder, G_FILE_TEST_IS_EXECUTABLE) || !g_file_test (agent, G_FILE_TEST_EXISTS))
    {
      g_task_return_new_error (task, HV_ERROR, HV_ERROR_NOT_SUPPORTED,
                               "The demo guest's builder or the guest agent is not installed");
      return;
    }

  /* The guest's extra init lives beside the cached guest; the builder hashes it. */
  init_path = g_build_filename (hv_library_get_path (library), "demo-guest.init", NULL);
  if (!hv_file_replace_contents (init_path, extra_init, strlen (extra_init), 0700, FALSE, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  agent_arg = g_strdup_printf ("%s:/usr/sbin/hostvisor-agent", agent);
  init_arg = g_strdup_printf ("%s:/hv-extra-init", init_path);
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                              &error, builder, data->guest_dir, "--extra-file", agent_arg,
                              "--extra-file", init_arg, NULL);
  if (process == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_subprocess_communicate_utf8_async (process, NULL, cancellable, on_guest_built,
                                       g_steal_pointer (&task));
}

HvVm *
hv_demo_create_finish (GAsyncResult *result,
                       GError      **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
