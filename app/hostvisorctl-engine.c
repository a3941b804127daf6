/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostvisorctl-engine.c: commands about the engine rather than one VM: version, os-list. */
#include "hv-build-config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "hostvisorctl.h"
#include "hv-client.h"

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

gboolean
hv_ctl_cmd_version (HvCtl      *ctl,
                    HvCtlArgs  *args,
                    GError    **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(HvDbusEngine) engine = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autofree char *library = NULL;

  g_print ("hostvisorctl %s\n", PACKAGE_VERSION);

  /* Over SSH, the engine there (the bridge starts it); failing to reach it is an error. */
  if (ctl->remote != NULL)
    {
      HvDbusEngine *remote_engine = hv_ctl_get_engine (ctl, TRUE, error);

      if (remote_engine == NULL)
        return FALSE;
      engine = g_object_ref (remote_engine);
    }
  /* Asking for the version should not start an engine. */
  else
    {
      connection = hv_client_connect_sync (FALSE, NULL, &local_error);
      if (connection != NULL)
        engine = hv_dbus_engine_proxy_new_sync (connection, G_DBUS_PROXY_FLAGS_NONE, NULL,
                                                HV_DBUS_ENGINE_PATH, NULL, &local_error);
    }
  if (engine == NULL || hv_dbus_engine_get_version (engine) == NULL)
    {
      g_print (_("Engine: not running\n"));
      return TRUE;
    }

  library = hv_ctl_display (hv_dbus_engine_get_library_path (engine));
  if (ctl->remote != NULL)
    g_print (_("Engine: hostvisord %s on %s (contract version %u)\n"),
             hv_dbus_engine_get_version (engine), ctl->remote->host,
             hv_dbus_engine_get_contract_version (engine));
  else
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

/* ── os-list ───────────────────────────────────────────────────────────────────────────── */

typedef struct {
  const char *id;
  const char *name;
  const char *vendor;
} OsEntry;

/* Every word of @words (already case-folded) in the id, name or vendor of @os. */
static gboolean
os_matches (const OsEntry  *os,
            GPtrArray      *words)
{
  g_autofree char *haystack = NULL;
  g_autofree char *folded = NULL;

  if (words->len == 0)
    return TRUE;
  haystack = g_strjoin (" ", os->id, os->name, os->vendor, NULL);
  folded = g_utf8_casefold (haystack, -1);
  for (guint i = 0; i < words->len; i++)
    if (strstr (folded, g_ptr_array_index (words, i)) == NULL)
      return FALSE;
  return TRUE;
}

static guint
text_width (const char *text)
{
  guint width = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    width += g_unichar_iswide (g_utf8_get_char (p)) ? 2 : 1;
  return width;
}

gboolean
hv_ctl_cmd_os_list (HvCtl      *ctl,
                    HvCtlArgs  *args,
                    GError    **error)
{
  HvDbusEngine *engine = hv_ctl_get_engine (ctl, FALSE, error);
  g_autoptr(GVariant) oses = NULL;
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) found = g_array_new (FALSE, FALSE, sizeof (OsEntry));
  GVariantIter iter;
  OsEntry os;
  guint id_width = 0;

  if (engine == NULL || !hv_dbus_engine_call_list_oses_sync (engine, &oses, NULL, error))
    return FALSE;

  for (guint i = 0; hv_ctl_args_positional (args, i) != NULL; i++)
    g_ptr_array_add (words, g_utf8_casefold (hv_ctl_args_positional (args, i), -1));

  g_variant_iter_init (&iter, oses);
  while (g_variant_iter_next (&iter, "(&s&s&s)", &os.id, &os.name, &os.vendor))
    if (os_matches (&os, words))
      {
        g_array_append_val (found, os);
        id_width = MAX (id_width, text_width (os.id));
      }

  if (hv_ctl_args_has (args, "json"))
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; i < found->len; i++)
        {
          const OsEntry *e = &g_array_index (found, OsEntry, i);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "id");
          json_builder_add_string_value (builder, e->id);
          json_builder_set_member_name (builder, "name");
          json_builder_add_string_value (builder, e->name);
          json_builder_set_member_name (builder, "vendor");
          json_builder_add_string_value (builder, e->vendor);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      hv_ctl_print_json (root);
      return TRUE;
    }

  if (found->len == 0)
    {
      g_print ("%s\n", words->len > 0 ? _("No OS matches.") : _("No OS is known."));
      return TRUE;
    }
  for (guint i = 0; i < found->len; i++)
    {
      const OsEntry *e = &g_array_index (found, OsEntry, i);
      g_autofree char *id = hv_ctl_display (e->id);
      g_autofree char *name = hv_ctl_display (e->name);

      g_print ("%s%*s%s\n", id, (int) (id_width + 2 - text_width (id)), "", name);
    }
  return TRUE;
}
