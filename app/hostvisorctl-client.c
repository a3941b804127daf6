/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostvisorctl-client.c: the connection to the engine, and text made safe for a terminal. */
#include "hv-build-config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "hostvisorctl.h"
#include "hv-config.h"
#include "hv-error.h"
#include "hv-client.h"
#include "hv-paths.h"

/* Start may take a while under TCG (QEMU starts, then the engine sets it up over QMP);
 * D-Bus's default of 25 s would give up on an engine that is merely slow. */
#define HV_CTL_CALL_TIMEOUT_MS (5 * 60 * 1000)

/* How much of a word the user typed an error message quotes (hv_ctl_display_short()). */
#define HV_CTL_SHORT_CHARS 64

/* ── Output helpers ─────────────────────────────────────────────────────────────────────── */

/* Text from the engine or the user, made safe for one line of a terminal: control
 * characters and invalid UTF-8 escaped as the engine escapes them, and also the invisible
 * formatting characters (bidi overrides, zero-width ones) as \uXXXX, so that a name such as
 * "abc\u202egnp.exe" cannot show as "abcexe.png". Names from before the rules that refuse
 * them, or from a hand-edited config, are shown this way. */
char *
hv_ctl_display (const char *text)
{
  g_autofree char *escaped = NULL;
  GString *out;

  if (text == NULL)
    return g_strdup ("");
  escaped = hv_config_escape_for_display (text);
  out = g_string_sized_new (strlen (escaped));
  /* hv_config_escape_for_display() leaves valid UTF-8 only. */
  for (const char *p = escaped; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_type (c) == G_UNICODE_FORMAT)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
    }
  return g_string_free (out, FALSE);
}

/* hv_ctl_display() of at most HV_CTL_SHORT_CHARS characters of @text, then "…": for words
 * the user typed that a message quotes, which may be of any length. */
char *
hv_ctl_display_short (const char *text)
{
  g_autofree char *cut = NULL;

  if (text == NULL)
    return g_strdup ("");
  if (g_utf8_validate (text, -1, NULL))
    {
      if (g_utf8_strlen (text, -1) > HV_CTL_SHORT_CHARS)
        {
          const char *end = g_utf8_offset_to_pointer (text, HV_CTL_SHORT_CHARS);
          cut = g_strdup_printf ("%.*s…", (int) (end - text), text);
        }
    }
  else if (strlen (text) > HV_CTL_SHORT_CHARS)
    cut = g_strdup_printf ("%.*s…", HV_CTL_SHORT_CHARS, text);
  return hv_ctl_display (cut != NULL ? cut : text);
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
  if (ctl->remote != NULL)
    ctl->connection = hv_remote_connect_sync (ctl->remote, NULL, error);
  else
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
      /* A proxy without properties also comes from a connection the engine closed: then it
       * is the engine that is gone, not the VM. */
      if (g_dbus_connection_is_closed (ctl->connection))
        {
          g_autofree char *log = hv_paths_engine_log ();

          g_set_error (error, HV_ERROR, HV_ERROR_FAILED, _("the engine stopped (see %s)"), log);
        }
      else
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
  HvDbusEngine *engine;

  /* No VM has a longer name: say so without quoting (or sending) all of it. */
  if (g_utf8_strlen (name_or_uuid, -1) > HV_NAME_MAX_CHARS)
    {
      g_autofree char *shown = hv_ctl_display_short (name_or_uuid);

      g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND,
                   _("No VM named \"%s\" (names have at most %d characters)"), shown,
                   HV_NAME_MAX_CHARS);
      return NULL;
    }

  /* NotFound comes with the engine's message ('No VM named "x"'), the name escaped. */
  engine = hv_ctl_get_engine (ctl, FALSE, error);
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

