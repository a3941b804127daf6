/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-vm-item.h"

#include <string.h>

#include <glib/gi18n.h>

#include "hv-build-config.h"

struct _HvVmItem
{
  GObject parent_instance;

  /* owned */
  HvDbusVm *proxy;
  char *object_path;
  char *uuid;
  char *name;
  char *folder;
  char *os_id;
  char *state;
  char *state_reason;
  char *accel;
  char *accel_reason;
  char *firmware;
  char *config_xml;
  char *config_error;
  guint64 memory_mib;
  guint cpus;
  gboolean can_start;
  gboolean can_stop;
  gboolean can_pause;
  gboolean can_resume;
  gboolean can_modify;
  GVariant *adapters;            /* Vm.Adapters (aa{sv}); NULL from an engine without it */
  /* Snapshots and save state (see the D-Bus contract); NULL/""/FALSE from an engine without */
  GVariant *snapshots;           /* Vm.Snapshots (aa{sv}) */
  char *current_snapshot;
  char *operation;
  double operation_progress;
  gboolean saved_state;
  gboolean can_take_snapshot;
  gboolean can_save_state;
  /* ConfigXml is not in the engine's listing (it is the one large value): it is read from the
   * VM the first time someone asks for it, and followed from then on. */
  gboolean config_known;
  GCancellable *config_load;     /* a Get of ConfigXml on its way */
};

G_DEFINE_FINAL_TYPE (HvVmItem, hv_vm_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_OBJECT_PATH,
  PROP_PROXY,
  PROP_UUID,
  PROP_NAME,
  PROP_FOLDER,
  PROP_OS_ID,
  PROP_STATE,
  PROP_STATE_REASON,
  PROP_ACCEL,
  PROP_ACCEL_REASON,
  PROP_FIRMWARE,
  PROP_CONFIG_XML,
  PROP_CONFIG_ERROR,
  PROP_MEMORY_MIB,
  PROP_CPUS,
  PROP_CAN_START,
  PROP_CAN_STOP,
  PROP_CAN_PAUSE,
  PROP_CAN_RESUME,
  PROP_CAN_MODIFY,
  PROP_ADAPTERS,
  PROP_SNAPSHOTS,
  PROP_CURRENT_SNAPSHOT,
  PROP_OPERATION,
  PROP_OPERATION_PROGRESS,
  PROP_SAVED_STATE,
  PROP_CAN_TAKE_SNAPSHOT,
  PROP_CAN_SAVE_STATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The Vm interface's properties that the item mirrors: D-Bus name, GObject property and
 * where the value lives, so that the summary, the proxy and the tests share one path. */
typedef struct {
  const char *dbus_name;
  guint prop_id;
  const GVariantType *type;
  goffset offset;
} Field;

static const Field fields[] = {
  { "Uuid", PROP_UUID, G_VARIANT_TYPE_STRING, G_STRUCT_OFFSET (HvVmItem, uuid) },
  { "Name", PROP_NAME, G_VARIANT_TYPE_STRING, G_STRUCT_OFFSET (HvVmItem, name) },
  { "Folder", PROP_FOLDER, G_VARIANT_TYPE_STRING, G_STRUCT_OFFSET (HvVmItem, folder) },
  { "OsId", PROP_OS_ID, G_VARIANT_TYPE_STRING, G_STRUCT_OFFSET (HvVmItem, os_id) },
  { "State", PROP_STATE, G_VARIANT_TYPE_STRING, G_STRUCT_OFFSET (HvVmItem, state) },
  { "StateReason", PROP_STATE_REASON, G_VARIANT_TYPE_STRING,
    G_STRUCT_OFFSET (HvVmItem, state_reason) },
  { "Accel", PROP_ACCEL, G_VARIANT_TYPE_STRING, G_STRUCT_OFFSET (HvVmItem, accel) },
  { "AccelReason", PROP_ACCEL_REASON, G_VARIANT_TYPE_STRING,
    G_STRUCT_OFFSET (HvVmItem, accel_reason) },
  { "Firmware", PROP_FIRMWARE, G_VARIANT_TYPE_STRING, G_STRUCT_OFFSET (HvVmItem, firmware) },
  { "ConfigXml", PROP_CONFIG_XML, G_VARIANT_TYPE_STRING,
    G_STRUCT_OFFSET (HvVmItem, config_xml) },
  { "ConfigError", PROP_CONFIG_ERROR, G_VARIANT_TYPE_STRING,
    G_STRUCT_OFFSET (HvVmItem, config_error) },
  { "MemoryMib", PROP_MEMORY_MIB, G_VARIANT_TYPE_UINT64, G_STRUCT_OFFSET (HvVmItem, memory_mib) },
  { "Cpus", PROP_CPUS, G_VARIANT_TYPE_UINT32, G_STRUCT_OFFSET (HvVmItem, cpus) },
  { "CanStart", PROP_CAN_START, G_VARIANT_TYPE_BOOLEAN, G_STRUCT_OFFSET (HvVmItem, can_start) },
  { "CanStop", PROP_CAN_STOP, G_VARIANT_TYPE_BOOLEAN, G_STRUCT_OFFSET (HvVmItem, can_stop) },
  { "CanPause", PROP_CAN_PAUSE, G_VARIANT_TYPE_BOOLEAN, G_STRUCT_OFFSET (HvVmItem, can_pause) },
  { "CanResume", PROP_CAN_RESUME, G_VARIANT_TYPE_BOOLEAN,
    G_STRUCT_OFFSET (HvVmItem, can_resume) },
  { "CanModify", PROP_CAN_MODIFY, G_VARIANT_TYPE_BOOLEAN,
    G_STRUCT_OFFSET (HvVmItem, can_modify) },
  { "Adapters", PROP_ADAPTERS, (const GVariantType *) "aa{sv}",
    G_STRUCT_OFFSET (HvVmItem, adapters) },
  { "Snapshots", PROP_SNAPSHOTS, (const GVariantType *) "aa{sv}",
    G_STRUCT_OFFSET (HvVmItem, snapshots) },
  { "CurrentSnapshot", PROP_CURRENT_SNAPSHOT, G_VARIANT_TYPE_STRING,
    G_STRUCT_OFFSET (HvVmItem, current_snapshot) },
  { "Operation", PROP_OPERATION, G_VARIANT_TYPE_STRING, G_STRUCT_OFFSET (HvVmItem, operation) },
  { "OperationProgress", PROP_OPERATION_PROGRESS, G_VARIANT_TYPE_DOUBLE,
    G_STRUCT_OFFSET (HvVmItem, operation_progress) },
  { "SavedState", PROP_SAVED_STATE, G_VARIANT_TYPE_BOOLEAN,
    G_STRUCT_OFFSET (HvVmItem, saved_state) },
  { "CanTakeSnapshot", PROP_CAN_TAKE_SNAPSHOT, G_VARIANT_TYPE_BOOLEAN,
    G_STRUCT_OFFSET (HvVmItem, can_take_snapshot) },
  { "CanSaveState", PROP_CAN_SAVE_STATE, G_VARIANT_TYPE_BOOLEAN,
    G_STRUCT_OFFSET (HvVmItem, can_save_state) },
};

static const Field *
field_for_prop (guint prop_id)
{
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (fields[i].prop_id == prop_id)
      return &fields[i];
  return NULL;
}

/* Store one value; notifies only when it changed. */
static void
apply_field (HvVmItem    *self,
             const Field *field,
             GVariant    *value)
{
  gpointer where = G_STRUCT_MEMBER_P (self, field->offset);
  gboolean changed = FALSE;

  if (value == NULL || !g_variant_is_of_type (value, field->type))
    return;

  if (g_variant_type_equal (field->type, G_VARIANT_TYPE_STRING))
    {
      const char *s = g_variant_get_string (value, NULL);
      char **str = where;

      if (g_strcmp0 (*str, s) != 0)
        {
          g_free (*str);
          *str = g_strdup (s);
          changed = TRUE;
        }
    }
  else if (g_variant_type_equal (field->type, G_VARIANT_TYPE_UINT64))
    {
      guint64 v = g_variant_get_uint64 (value);
      changed = *(guint64 *) where != v;
      *(guint64 *) where = v;
    }
  else if (g_variant_type_equal (field->type, G_VARIANT_TYPE_UINT32))
    {
      guint v = g_variant_get_uint32 (value);
      changed = *(guint *) where != v;
      *(guint *) where = v;
    }
  else if (g_variant_type_equal (field->type, G_VARIANT_TYPE_BOOLEAN))
    {
      gboolean v = g_variant_get_boolean (value);
      changed = *(gboolean *) where != v;
      *(gboolean *) where = v;
    }
  else if (g_variant_type_equal (field->type, G_VARIANT_TYPE_DOUBLE))
    {
      double v = g_variant_get_double (value);
      changed = *(double *) where != v;
      *(double *) where = v;
    }
  else
    {
      /* A structured value (Adapters), kept whole. */
      GVariant **v = where;

      changed = *v == NULL || !g_variant_equal (*v, value);
      if (changed)
        {
          g_clear_pointer (v, g_variant_unref);
          *v = g_variant_ref_sink (value);
        }
    }

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[field->prop_id]);
}

static void
apply_all (HvVmItem *self,
           GVariant *props,
           gboolean  from_proxy)
{
  g_object_freeze_notify (G_OBJECT (self));
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      g_autoptr(GVariant) value = NULL;

      if (from_proxy)
        value = g_dbus_proxy_get_cached_property (G_DBUS_PROXY (self->proxy), fields[i].dbus_name);
      else
        value = g_variant_lookup_value (props, fields[i].dbus_name, NULL);
      if (value != NULL && fields[i].prop_id == PROP_CONFIG_XML)
        self->config_known = TRUE;
      apply_field (self, &fields[i], value);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

void
hv_vm_item_update (HvVmItem *self,
                   GVariant *props)
{
  g_return_if_fail (HV_IS_VM_ITEM (self));
  g_return_if_fail (g_variant_is_of_type (props, G_VARIANT_TYPE_VARDICT));

  /* Batch the notifications so that a view sees a consistent item: a VM that changed
   * folder and name at once is re-placed once. */
  apply_all (self, props, FALSE);
}

typedef struct {
  HvVmItem *self;
  GCancellable *cancellable;   /* which load this is: the item's current one or an old one */
} ConfigLoad;

static void
config_loaded (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  ConfigLoad *load = data;
  g_autoptr(HvVmItem) self = load->self;
  g_autoptr(GCancellable) cancellable = load->cancellable;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                             NULL);
  g_autoptr(GVariant) value = NULL;

  g_free (load);
  /* Replaced (new proxy, none) while it travelled: not ours to apply. */
  if (cancellable != self->config_load)
    return;
  g_clear_object (&self->config_load);
  /* The VM is gone or the engine with it: whoever asks next tries again. */
  if (reply == NULL)
    return;
  g_variant_get (reply, "(v)", &value);
  if (self->proxy == NULL || !g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    return;
  /* Into the proxy's cache too, where a PropertiesChanged keeps it current from now on. */
  g_dbus_proxy_set_cached_property (G_DBUS_PROXY (self->proxy), "ConfigXml", value);
  self->config_known = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (fields[i].prop_id == PROP_CONFIG_XML)
      apply_field (self, &fields[i], value);
}

static void
load_config (HvVmItem *self)
{
  GDBusProxy *proxy = (GDBusProxy *) self->proxy;
  ConfigLoad *load;

  if (self->config_load != NULL || proxy == NULL)
    return;
  self->config_load = g_cancellable_new ();
  load = g_new0 (ConfigLoad, 1);
  load->self = g_object_ref (self);
  load->cancellable = g_object_ref (self->config_load);
  g_dbus_connection_call (g_dbus_proxy_get_connection (proxy), NULL,
                          g_dbus_proxy_get_object_path (proxy),
                          "org.freedesktop.DBus.Properties", "Get",
                          g_variant_new ("(ss)", g_dbus_proxy_get_interface_name (proxy),
                                         "ConfigXml"),
                          G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, -1,
                          self->config_load, config_loaded, load);
}

static void
cancel_config_load (HvVmItem *self)
{
  if (self->config_load != NULL)
    g_cancellable_cancel (self->config_load);
  g_clear_object (&self->config_load);
}

static void
on_proxy_properties_changed (GDBusProxy         *proxy,
                             GVariant           *changed,
                             const char * const *invalidated,
                             HvVmItem           *self)
{
  hv_vm_item_update (self, changed);
}

void
hv_vm_item_set_proxy (HvVmItem *self,
                      HvDbusVm *proxy)
{
  g_return_if_fail (HV_IS_VM_ITEM (self));
  g_return_if_fail (proxy == NULL || HV_DBUS_IS_VM (proxy));

  if (self->proxy == proxy)
    return;

  if (self->proxy != NULL)
    g_signal_handlers_disconnect_by_data (self->proxy, self);
  cancel_config_load (self);
  g_set_object (&self->proxy, proxy);
  if (self->proxy != NULL)
    {
      /* Someone read the config through the old proxy: read it again through this one, as
       * it may have changed while there was none. */
      gboolean wanted = self->config_known;

      self->config_known = FALSE;
      g_signal_connect_object (self->proxy, "g-properties-changed",
                               G_CALLBACK (on_proxy_properties_changed), self, 0);
      apply_all (self, NULL, TRUE);
      if (wanted && !self->config_known)
        load_config (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROXY]);
}

HvDbusVm *
hv_vm_item_get_proxy (HvVmItem *self)
{
  g_return_val_if_fail (HV_IS_VM_ITEM (self), NULL);
  return self->proxy;
}

static void
hv_vm_item_dispose (GObject *object)
{
  HvVmItem *self = HV_VM_ITEM (object);

  if (self->proxy != NULL)
    g_signal_handlers_disconnect_by_data (self->proxy, self);
  cancel_config_load (self);
  g_clear_object (&self->proxy);

  G_OBJECT_CLASS (hv_vm_item_parent_class)->dispose (object);
}

static void
hv_vm_item_finalize (GObject *object)
{
  HvVmItem *self = HV_VM_ITEM (object);

  g_free (self->object_path);
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (g_variant_type_equal (fields[i].type, G_VARIANT_TYPE_STRING))
      g_free (G_STRUCT_MEMBER (char *, self, fields[i].offset));
  g_clear_pointer (&self->adapters, g_variant_unref);
  g_clear_pointer (&self->snapshots, g_variant_unref);

  G_OBJECT_CLASS (hv_vm_item_parent_class)->finalize (object);
}

static void
hv_vm_item_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  HvVmItem *self = HV_VM_ITEM (object);
  const Field *field;

  if (prop_id == PROP_OBJECT_PATH)
    {
      g_value_set_string (value, self->object_path);
      return;
    }
  if (prop_id == PROP_PROXY)
    {
      g_value_set_object (value, self->proxy);
      return;
    }

  field = field_for_prop (prop_id);
  if (field == NULL)
    {
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }

  if (g_variant_type_equal (field->type, G_VARIANT_TYPE_STRING))
    g_value_set_string (value, G_STRUCT_MEMBER (char *, self, field->offset));
  else if (g_variant_type_equal (field->type, G_VARIANT_TYPE_UINT64))
    g_value_set_uint64 (value, G_STRUCT_MEMBER (guint64, self, field->offset));
  else if (g_variant_type_equal (field->type, G_VARIANT_TYPE_UINT32))
    g_value_set_uint (value, G_STRUCT_MEMBER (guint, self, field->offset));
  else if (g_variant_type_equal (field->type, G_VARIANT_TYPE_DOUBLE))
    g_value_set_double (value, G_STRUCT_MEMBER (double, self, field->offset));
  else if (!g_variant_type_equal (field->type, G_VARIANT_TYPE_BOOLEAN))
    g_value_set_variant (value, G_STRUCT_MEMBER (GVariant *, self, field->offset));
  else
    g_value_set_boolean (value, G_STRUCT_MEMBER (gboolean, self, field->offset));
}

static void
hv_vm_item_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  HvVmItem *self = HV_VM_ITEM (object);

  switch (prop_id)
    {
    case PROP_OBJECT_PATH:
      self->object_path = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hv_vm_item_class_init (HvVmItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = hv_vm_item_dispose;
  object_class->finalize = hv_vm_item_finalize;
  object_class->get_property = hv_vm_item_get_property;
  object_class->set_property = hv_vm_item_set_property;

  properties[PROP_OBJECT_PATH] =
    g_param_spec_string ("object-path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PROXY] = g_param_spec_object ("proxy", NULL, NULL, HV_DBUS_TYPE_VM, ro);

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      const Field *f = &fields[i];
      /* "StateReason" → "state-reason": GObject names are the D-Bus names in kebab case. */
      g_autoptr(GString) name = g_string_new (NULL);

      for (const char *p = f->dbus_name; *p; p++)
        {
          if (g_ascii_isupper (*p) && p != f->dbus_name)
            g_string_append_c (name, '-');
          g_string_append_c (name, g_ascii_tolower (*p));
        }
      /* The names are interned once for the life of the process. */
      const char *pname = g_intern_string (name->str);

      if (g_variant_type_equal (f->type, G_VARIANT_TYPE_STRING))
        properties[f->prop_id] = g_param_spec_string (pname, NULL, NULL, NULL, ro);
      else if (g_variant_type_equal (f->type, G_VARIANT_TYPE_UINT64))
        properties[f->prop_id] = g_param_spec_uint64 (pname, NULL, NULL, 0, G_MAXUINT64, 0, ro);
      else if (g_variant_type_equal (f->type, G_VARIANT_TYPE_UINT32))
        properties[f->prop_id] = g_param_spec_uint (pname, NULL, NULL, 0, G_MAXUINT, 0, ro);
      else if (g_variant_type_equal (f->type, G_VARIANT_TYPE_DOUBLE))
        properties[f->prop_id] = g_param_spec_double (pname, NULL, NULL, -G_MAXDOUBLE,
                                                      G_MAXDOUBLE, 0, ro);
      else if (!g_variant_type_equal (f->type, G_VARIANT_TYPE_BOOLEAN))
        properties[f->prop_id] = g_param_spec_variant (pname, NULL, NULL, f->type, NULL, ro);
      else
        properties[f->prop_id] = g_param_spec_boolean (pname, NULL, NULL, FALSE, ro);
    }

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
hv_vm_item_init (HvVmItem *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (g_variant_type_equal (fields[i].type, G_VARIANT_TYPE_STRING))
      G_STRUCT_MEMBER (char *, self, fields[i].offset) = g_strdup ("");
}

HvVmItem *
hv_vm_item_new (const char *object_path)
{
  g_return_val_if_fail (object_path != NULL, NULL);
  return g_object_new (HV_TYPE_VM_ITEM, "object-path", object_path, NULL);
}

#define GETTER(type, field) \
  type hv_vm_item_get_##field (HvVmItem *self) \
  { \
    g_return_val_if_fail (HV_IS_VM_ITEM (self), (type) 0); \
    return self->field; \
  }

GETTER (const char *, object_path)
GETTER (const char *, uuid)
GETTER (const char *, name)
GETTER (const char *, folder)
GETTER (const char *, os_id)
GETTER (const char *, state)
GETTER (const char *, state_reason)
GETTER (const char *, accel)
GETTER (const char *, accel_reason)
GETTER (guint64, memory_mib)
GETTER (guint, cpus)
GETTER (const char *, firmware)
GETTER (const char *, config_error)
GETTER (gboolean, can_start)
GETTER (gboolean, can_stop)
GETTER (gboolean, can_pause)
GETTER (gboolean, can_resume)
GETTER (GVariant *, adapters)
GETTER (gboolean, can_modify)
GETTER (GVariant *, snapshots)
GETTER (const char *, current_snapshot)
GETTER (const char *, operation)
GETTER (double, operation_progress)
GETTER (gboolean, saved_state)
GETTER (gboolean, can_take_snapshot)
GETTER (gboolean, can_save_state)

#undef GETTER

const char *
hv_vm_item_get_config_xml (HvVmItem *self)
{
  g_return_val_if_fail (HV_IS_VM_ITEM (self), NULL);
  /* "" until it is read: notify::config-xml says when it is there. */
  if (!self->config_known)
    load_config (self);
  return self->config_xml;
}

const char *
hv_vm_item_state_label (const char *state)
{
  static const struct { const char *state; const char *label; } labels[] = {
    { "poweroff", N_("Powered off") },
    { "starting", N_("Starting") },
    { "running", N_("Running") },
    { "paused", N_("Paused") },
    { "stopping", N_("Shutting down") },
    { "aborted", N_("Aborted") },
    { "inaccessible", N_("Inaccessible") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    if (g_strcmp0 (state, labels[i].state) == 0)
      return _(labels[i].label);
  return state != NULL && state[0] != '\0' ? state : _("Unknown");
}

const char *
hv_vm_item_os_icon_name (const char *os_id)
{
  /* By family prefix of the libosinfo short id; the icons are generic symbolic ones that
   * every icon theme has, so no row is ever without an icon. */
  static const struct { const char *prefix; const char *icon; } families[] = {
    { "win", "computer-symbolic" },
    { "freebsd", "application-x-executable-symbolic" },
    { "openbsd", "application-x-executable-symbolic" },
    { "netbsd", "application-x-executable-symbolic" },
    { "msdos", "media-floppy-symbolic" },
    { "freedos", "media-floppy-symbolic" },
  };

  if (os_id == NULL || os_id[0] == '\0')
    return "drive-harddisk-symbolic";
  for (guint i = 0; i < G_N_ELEMENTS (families); i++)
    if (g_str_has_prefix (os_id, families[i].prefix))
      return families[i].icon;
  /* Everything else libosinfo knows here is a Linux or a Unix-like. */
  return "utilities-terminal-symbolic";
}

gboolean
hv_vm_item_matches (HvVmItem   *self,
                    const char *needle)
{
  g_autofree char *name = NULL;
  g_autofree char *os = NULL;
  g_autofree char *folder = NULL;
  g_auto(GStrv) words = NULL;

  g_return_val_if_fail (HV_IS_VM_ITEM (self), FALSE);

  if (needle == NULL || needle[0] == '\0')
    return TRUE;

  name = g_utf8_casefold (self->name, -1);
  os = g_utf8_casefold (self->os_id, -1);
  /* "lab" finds the VMs in the folder Lab and below it. */
  folder = g_utf8_casefold (self->folder, -1);
  words = g_strsplit_set (needle, " \t", -1);
  for (guint i = 0; words[i] != NULL; i++)
    {
      if (words[i][0] == '\0')
        continue;
      if (strstr (name, words[i]) == NULL && strstr (os, words[i]) == NULL &&
          strstr (folder, words[i]) == NULL)
        return FALSE;
    }
  return TRUE;
}
