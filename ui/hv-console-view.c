/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-build-config.h"

#include "hv-console-view.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hv-config.h"
#include "hv-console.h"
#include "hv-drive-menu.h"
#include "hv-messages.h"
#include "hv-recent-media.h"
#include "hv-speed-menu.h"

#define RECONNECT_DELAY_MS 500
#define RECONNECT_TRIES 60      /* 30 s: a reset or an engine restart takes less */

struct _HvConsoleView
{
  GtkBox parent_instance;

  /* owned */
  HvEngineClient *client;
  HvVmItem *item;
  GCancellable *cancellable;
  guint reconnect_id;
  guint tries;
  gboolean standalone;

  GdkClipboard *clipboard;   /* the desktop's, relayed while the console is shown */
  HvDbusVm *proxy;
  gulong clipboard_changed_id;

  /* borrowed: children */
  HvConsole *console;
  GtkWidget *hint;
  GtkWidget *speed_menu;
  GtkWidget *grab_hint;      /* over the screen: PS/2 guests, while not grabbed */
  GtkWidget *scale_button;
};

G_DEFINE_FINAL_TYPE (HvConsoleView, hv_console_view, GTK_TYPE_BOX)

enum {
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void connect_console (HvConsoleView *self);

static gboolean
vm_is_live (HvConsoleView *self)
{
  const char *state = hv_vm_item_get_state (self->item);

  /* Restarted at another speed (hv-speed-menu.c): off for a moment, the console stays. */
  if (hv_console_view_get_restarting (self))
    return TRUE;
  return g_strcmp0 (state, "running") == 0 || g_strcmp0 (state, "paused") == 0 ||
         g_strcmp0 (state, "starting") == 0 || g_strcmp0 (state, "stopping") == 0;
}

static void
show_message (HvConsoleView *self,
              const char    *message)
{
  gtk_label_set_text (GTK_LABEL (self->hint), message);
}

static void
update_hint (HvConsoleView *self)
{
  gboolean grabbed = hv_console_get_grabbed (self->console);
  gboolean relative = hv_console_get_relative_pointer (self->console);

  if (relative)
    show_message (self, grabbed ? _("Press Right Ctrl to release the keyboard and mouse")
                                : _("Click to capture the pointer; press Right Ctrl to release"));
  else
    show_message (self, grabbed ? _("Press Right Ctrl to release the keyboard and mouse")
                                : _("Click into the screen to type into the virtual machine"));
  gtk_widget_set_visible (self->grab_hint, relative && !grabbed &&
                                           hv_console_get_connected (self->console));
}

/* A guest without a USB tablet has only the PS/2 mouse: relative motion, so the console
 * captures the pointer (hv-console.c). */
static void
update_pointer_mode (HvConsoleView *self)
{
  const char *xml = hv_vm_item_get_config_xml (self->item);
  g_autoptr(HvVmConfig) config = NULL;

  if (xml != NULL && xml[0] != '\0')
    config = hv_vm_config_from_xml (xml, strlen (xml), "vm.xml", NULL);
  if (config == NULL)
    return;
  hv_console_set_relative_pointer (self->console, !(config->hw.usb && config->hw.tablet));
  update_hint (self);
}

static gboolean
on_reconnect_timeout (gpointer data)
{
  HvConsoleView *self = data;

  self->reconnect_id = 0;
  connect_console (self);
  return G_SOURCE_REMOVE;
}

/* A reset or an engine restart closes QEMU's VNC connection; while the VM still runs the
 * view asks for a new one, a few times, before it gives up. */
static void
schedule_reconnect (HvConsoleView *self)
{
  /* Over SSH the VM runs on, its screen unreachable: said, not closed without a word. */
  if (vm_is_live (self) && self->tries >= RECONNECT_TRIES &&
      hv_engine_client_get_remote (self->client) != NULL)
    {
      show_message (self, _("The screen cannot be reached over SSH. Close the console and "
                            "show it again to retry."));
      return;
    }
  if (!vm_is_live (self) || self->tries >= RECONNECT_TRIES)
    {
      g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
      return;
    }
  self->tries++;
  show_message (self, _("Reconnecting to the screen…"));
  if (self->reconnect_id == 0)
    self->reconnect_id = g_timeout_add (RECONNECT_DELAY_MS, on_reconnect_timeout, self);
}

static void
on_console_disconnected (HvConsole    *console,
                         const GError *error,
                         gpointer      data)
{
  schedule_reconnect (HV_CONSOLE_VIEW (data));
}

static void
on_console_fd (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  g_autoptr(HvConsoleView) self = data;
  g_autoptr(GError) error = NULL;
  int fd = hv_engine_client_open_console_finish (HV_ENGINE_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (fd < 0 || !hv_console_open_fd (self->console, fd, &error))
    {
      schedule_reconnect (self);
      return;
    }
  self->tries = 0;
  update_hint (self);
}

static void
connect_console (HvConsoleView *self)
{
  hv_engine_client_open_console_async (self->client, self->item, self->cancellable,
                                       on_console_fd, g_object_ref (self));
}

static void
on_item_state (HvConsoleView *self)
{
  if (!vm_is_live (self))
    g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
}

/* ---- controls ---- */

static void
on_ctrl_alt_del (HvConsoleView *self)
{
  hv_console_send_ctrl_alt_del (self->console);
}

static void
on_scale_toggled (GtkToggleButton *button,
                  HvConsoleView   *self)
{
  gboolean active = gtk_toggle_button_get_active (button);

  g_object_set (self->console, "scale-to-fit", active, NULL);
  gtk_accessible_update_state (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_STATE_CHECKED,
                               active ? GTK_ACCESSIBLE_TRISTATE_TRUE
                                      : GTK_ACCESSIBLE_TRISTATE_FALSE, -1);
}

static void
on_crisp_toggled (GtkToggleButton *button,
                  HvConsoleView   *self)
{
  gboolean on = gtk_toggle_button_get_active (button);

  hv_console_set_crisp (self->console, on);
  gtk_accessible_update_state (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_STATE_CHECKED,
                               on ? GTK_ACCESSIBLE_TRISTATE_TRUE : GTK_ACCESSIBLE_TRISTATE_FALSE,
                               -1);
}

static void
on_fullscreen (HvConsoleView *self)
{
  GtkWindow *window = GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self)));

  if (gtk_window_is_fullscreen (window))
    gtk_window_unfullscreen (window);
  else
    gtk_window_fullscreen (window);
}

static void
on_open_window (HvConsoleView *self)
{
  hv_console_view_open_window (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                               self->client, self->item);
}

typedef struct {
  HvConsoleView *self;
  char *path;
  gboolean floppy;
} DropRequest;

static void
on_media_inserted (GObject      *source,
                   GAsyncResult *result,
                   gpointer      data)
{
  DropRequest *req = data;
  g_autoptr(HvConsoleView) self = req->self;
  g_autofree char *path = req->path;
  gboolean floppy = req->floppy;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hv_engine_client_call_finish (HV_ENGINE_CLIENT (source), result,
                                                            &error);

  g_free (req);
  if (reply == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (reply == NULL)
    {
      g_autofree char *message = hv_messages_error (error);
      show_message (self, message);
    }
  else
    {
      show_message (self, _("The disc is in the virtual machine's drive"));
      /* The drive menu's recent images (hv-recent-media.c) */
      if (path != NULL)
        hv_recent_media_add (floppy ? HV_RECENT_FLOPPY : HV_RECENT_CDROM, path, NULL);
    }
}

/* An ISO dropped onto a running VM's screen goes into its CD-ROM drive, a floppy image into
 * its floppy drive. */
static gboolean
on_drop (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         HvConsoleView *self)
{
  GFile *file = g_value_get_object (value);
  g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;
  g_autofree char *lower = path != NULL ? g_ascii_strdown (path, -1) : NULL;
  const char *kind;
  DropRequest *req;

  if (path == NULL)
    return FALSE;
  kind = g_str_has_suffix (lower, ".img") || g_str_has_suffix (lower, ".ima") ||
         g_str_has_suffix (lower, ".flp") || g_str_has_suffix (lower, ".vfd") ? "floppy" : "cdrom";
  req = g_new0 (DropRequest, 1);
  req->self = g_object_ref (self);
  req->path = g_strdup (path);
  req->floppy = g_str_equal (kind, "floppy");
  hv_engine_client_call (self->client, self->item, "InsertMedia",
                         g_variant_new ("(ss)", kind, path), self->cancellable,
                         on_media_inserted, req);
  return TRUE;
}

/* ---- the shared clipboard, relayed while the console is shown ---- */

#define MIME_TEXT "text/plain;charset=utf-8"
#define MIME_PNG "image/png"
#define CLIPBOARD_MAX (16 * 1024 * 1024)

static gboolean
clipboard_allows (HvConsoleView *self,
                  gboolean       host_to_guest)
{
  const char *mode = hv_dbus_vm_get_clipboard_mode (self->proxy);

  if (g_strcmp0 (mode, "both") == 0)
    return TRUE;
  return g_strcmp0 (mode, host_to_guest ? "host-to-guest" : "guest-to-host") == 0;
}

static void
send_to_guest (HvConsoleView *self,
               const char    *mime,
               GBytes        *bytes)
{
  gsize len = 0;
  gconstpointer data = g_bytes_get_data (bytes, &len);

  /* The engine checks the size and the content again; oversized data never leaves here. */
  if (len == 0 || len > CLIPBOARD_MAX)
    return;
  hv_dbus_vm_call_set_clipboard (self->proxy, mime,
                                 g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, len, 1),
                                 self->cancellable, NULL, NULL);
}

static void
on_host_text (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  g_autoptr(HvConsoleView) self = data;
  g_autofree char *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, NULL);

  if (text != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));
      send_to_guest (self, MIME_TEXT, bytes);
    }
}

static void
on_host_texture (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  g_autoptr(HvConsoleView) self = data;
  g_autoptr(GdkTexture) texture = gdk_clipboard_read_texture_finish (GDK_CLIPBOARD (source),
                                                                     result, NULL);

  if (texture != NULL)
    {
      g_autoptr(GBytes) png = gdk_texture_save_to_png_bytes (texture);
      send_to_guest (self, MIME_PNG, png);
    }
}

/* The desktop's clipboard changed: offer it to the guest (text, or an image as PNG). What
 * this view put there itself (the guest's content) is not sent back. */
static void
on_host_clipboard_changed (GdkClipboard  *clipboard,
                           HvConsoleView *self)
{
  GdkContentFormats *formats = gdk_clipboard_get_formats (clipboard);

  if (gdk_clipboard_is_local (clipboard) || !clipboard_allows (self, TRUE))
    return;
  if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_TEXTURE))
    gdk_clipboard_read_texture_async (clipboard, self->cancellable, on_host_texture,
                                      g_object_ref (self));
  else if (gdk_content_formats_contain_gtype (formats, G_TYPE_STRING))
    gdk_clipboard_read_text_async (clipboard, self->cancellable, on_host_text,
                                   g_object_ref (self));
}

static void
on_guest_clipboard (GObject      *source,
                    GAsyncResult *result,
                    gpointer      data)
{
  g_autoptr(HvConsoleView) self = data;
  g_autofree char *mime = NULL;
  g_autoptr(GVariant) value = NULL;
  const guint8 *bytes;
  gsize len = 0;

  if (!hv_dbus_vm_call_get_clipboard_finish (HV_DBUS_VM (source), &mime, &value, result, NULL))
    return;
  bytes = g_variant_get_fixed_array (value, &len, 1);
  if (len == 0 || len > CLIPBOARD_MAX)
    return;
  if (g_str_equal (mime, MIME_TEXT))
    {
      g_autofree char *text = g_strndup ((const char *) bytes, len);
      if (g_utf8_validate (text, -1, NULL))
        gdk_clipboard_set_text (self->clipboard, text);
    }
  else if (g_str_equal (mime, MIME_PNG))
    {
      g_autoptr(GBytes) png = g_bytes_new (bytes, len);
      g_autoptr(GdkTexture) texture = gdk_texture_new_from_bytes (png, NULL);
      if (texture != NULL)
        gdk_clipboard_set_texture (self->clipboard, texture);
    }
}

/* The VM's clipboard changed (copied in the guest): put it on the desktop's clipboard. */
static void
on_guest_clipboard_changed (HvDbusVm      *proxy,
                            HvConsoleView *self)
{
  if (!clipboard_allows (self, FALSE))
    return;
  hv_dbus_vm_call_get_clipboard (proxy, self->cancellable, on_guest_clipboard,
                                 g_object_ref (self));
}

static void
start_clipboard_relay (HvConsoleView *self)
{
  self->proxy = hv_vm_item_get_proxy (self->item);
  if (self->proxy == NULL)
    return;
  g_object_ref (self->proxy);
  self->clipboard = g_object_ref (gtk_widget_get_clipboard (GTK_WIDGET (self)));
  self->clipboard_changed_id = g_signal_connect (self->clipboard, "changed",
                                                 G_CALLBACK (on_host_clipboard_changed), self);
  g_signal_connect (self->proxy, "clipboard-changed", G_CALLBACK (on_guest_clipboard_changed),
                    self);
}

/* ---- object ---- */

static void
hv_console_view_dispose (GObject *object)
{
  HvConsoleView *self = HV_CONSOLE_VIEW (object);

  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->console != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->console, self);
      hv_console_close (self->console);
    }
  if (self->item != NULL)
    g_signal_handlers_disconnect_by_data (self->item, self);
  if (self->clipboard != NULL)
    g_clear_signal_handler (&self->clipboard_changed_id, self->clipboard);
  g_clear_object (&self->clipboard);
  if (self->proxy != NULL)
    g_signal_handlers_disconnect_by_data (self->proxy, self);
  g_clear_object (&self->proxy);
  g_clear_object (&self->item);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (hv_console_view_parent_class)->dispose (object);
}

static void
hv_console_view_class_init (HvConsoleViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hv_console_view_dispose;

  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
hv_console_view_init (HvConsoleView *self)
{
  self->cancellable = g_cancellable_new ();
}

static GtkWidget *
tool_button (const char *icon,
             const char *tooltip)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  tooltip, -1);
  gtk_widget_add_css_class (button, "flat");
  return button;
}

GtkWidget *
hv_console_view_new (HvEngineClient *client,
                     HvVmItem       *item,
                     gboolean        standalone)
{
  HvConsoleView *self = g_object_new (HV_TYPE_CONSOLE_VIEW,
                                      "orientation", GTK_ORIENTATION_VERTICAL,
                                      "spacing", 6, NULL);
  GtkWidget *toolbar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *button, *overlay;
  GtkDropTarget *drop;

  self->client = g_object_ref (client);
  self->item = g_object_ref (item);
  self->standalone = standalone;

  button = gtk_button_new_with_label (_("Ctrl+Alt+Del"));
  gtk_widget_set_tooltip_text (button, _("Send Ctrl+Alt+Del to the virtual machine"));
  gtk_widget_add_css_class (button, "flat");
  g_signal_connect_swapped (button, "clicked", G_CALLBACK (on_ctrl_alt_del), self);
  gtk_box_append (GTK_BOX (toolbar), button);

  /* GTK 4.8 has no toggle-button role: a toggle reads as a plain push button to a screen
   * reader. As a check box with its "checked" state kept up to date (on_scale_toggled) it
   * says whether the screen is scaled. */
  self->scale_button = g_object_new (GTK_TYPE_TOGGLE_BUTTON,
                                     "label", _("Scale to Window"),
                                     "accessible-role", GTK_ACCESSIBLE_ROLE_CHECKBOX,
                                     NULL);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->scale_button), TRUE);
  gtk_accessible_update_state (GTK_ACCESSIBLE (self->scale_button),
                               GTK_ACCESSIBLE_STATE_CHECKED, GTK_ACCESSIBLE_TRISTATE_TRUE, -1);
  gtk_widget_set_tooltip_text (self->scale_button,
                               _("Fit the screen into the window; off shows it pixel for pixel"));
  gtk_widget_add_css_class (self->scale_button, "flat");
  g_signal_connect (self->scale_button, "toggled", G_CALLBACK (on_scale_toggled), self);
  gtk_box_append (GTK_BOX (toolbar), self->scale_button);

  if (standalone)
    {
      button = tool_button ("view-fullscreen-symbolic", _("Full Screen"));
      g_signal_connect_swapped (button, "clicked", G_CALLBACK (on_fullscreen), self);
    }
  else
    {
      button = tool_button ("window-new-symbolic", _("Open in New Window"));
      g_signal_connect_swapped (button, "clicked", G_CALLBACK (on_open_window), self);
    }
  gtk_box_append (GTK_BOX (toolbar), button);

  /* Old guests' small modes: whole-number scaling, 4:3, sharp pixels (hv-console-crisp.c). */
  button = g_object_new (GTK_TYPE_TOGGLE_BUTTON, "label", _("Crisp Pixels"),
                         "accessible-role", GTK_ACCESSIBLE_ROLE_CHECKBOX,
                         "tooltip-text", _("Scale 320×200, 640×480 and 720×400 by whole "
                                           "numbers at 4:3, with sharp pixels"), NULL);
  gtk_widget_add_css_class (button, "flat");
  g_signal_connect (button, "toggled", G_CALLBACK (on_crisp_toggled), self);
  gtk_box_append (GTK_BOX (toolbar), button);
  /* Floppy A:, B: and the CD/DVD drive: insert and eject while the VM runs. */
  gtk_box_append (GTK_BOX (toolbar), hv_drive_menu_new (client, item));
  /* A VM with a CPU speed limit: its presets (restarting the VM at the new speed). */
  self->speed_menu = hv_speed_menu_new (client, item);
  gtk_box_append (GTK_BOX (toolbar), self->speed_menu);
  g_signal_connect_object (self->speed_menu, "notify::restarting", G_CALLBACK (on_item_state),
                           self, G_CONNECT_SWAPPED);

  self->hint = gtk_label_new (NULL);
  gtk_widget_set_hexpand (self->hint, TRUE);
  gtk_label_set_xalign (GTK_LABEL (self->hint), 1.0);
  /* Wrapped, not cut: "Press Right Ctrl to release the keyboard" must be read whole even in
   * a narrow pane (or in German). */
  gtk_label_set_wrap (GTK_LABEL (self->hint), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (self->hint), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_justify (GTK_LABEL (self->hint), GTK_JUSTIFY_RIGHT);
  gtk_label_set_width_chars (GTK_LABEL (self->hint), 12);
  gtk_label_set_max_width_chars (GTK_LABEL (self->hint), 60);
  gtk_widget_add_css_class (self->hint, "dim-label");
  gtk_box_append (GTK_BOX (toolbar), self->hint);
  /* A hint wrapped over several lines must not stretch the buttons beside it. */
  for (GtkWidget *child = gtk_widget_get_first_child (toolbar); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    gtk_widget_set_valign (child, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (self), toolbar);

  self->console = HV_CONSOLE (hv_console_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->console), TRUE);
  gtk_widget_set_hexpand (GTK_WIDGET (self->console), TRUE);
  g_signal_connect (self->console, "disconnected", G_CALLBACK (on_console_disconnected), self);
  g_signal_connect_swapped (self->console, "notify::grabbed", G_CALLBACK (update_hint), self);
  g_signal_connect_swapped (self->console, "notify::connected", G_CALLBACK (update_hint), self);
  /* PS/2 guests: how to capture the pointer, on the screen itself while it is not captured
   * (clicks go through it to the console). */
  overlay = gtk_overlay_new ();
  gtk_overlay_set_child (GTK_OVERLAY (overlay), GTK_WIDGET (self->console));
  self->grab_hint = gtk_label_new (_("Click to capture the pointer; press Right Ctrl to release"));
  gtk_label_set_wrap (GTK_LABEL (self->grab_hint), TRUE);
  gtk_widget_set_halign (self->grab_hint, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (self->grab_hint, GTK_ALIGN_END);
  gtk_widget_set_margin_bottom (self->grab_hint, 24);
  gtk_widget_set_can_target (self->grab_hint, FALSE);
  gtk_widget_add_css_class (self->grab_hint, "osd");
  gtk_widget_add_css_class (self->grab_hint, "hv-grab-hint");
  gtk_widget_set_visible (self->grab_hint, FALSE);
  gtk_overlay_add_overlay (GTK_OVERLAY (overlay), self->grab_hint);
  gtk_box_append (GTK_BOX (self), overlay);

  drop = gtk_drop_target_new (G_TYPE_FILE, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self->console), GTK_EVENT_CONTROLLER (drop));

  g_signal_connect_swapped (item, "notify::state", G_CALLBACK (on_item_state), self);
  g_signal_connect_swapped (item, "notify::config-xml", G_CALLBACK (update_pointer_mode), self);
  update_pointer_mode (self);
  start_clipboard_relay (self);
  show_message (self, _("Connecting to the screen…"));
  connect_console (self);
  return GTK_WIDGET (self);
}

/* TRUE while the view restarts its VM at another CPU speed (hv-speed-menu.c): the VM is
 * off for a moment and the view stays. */
gboolean
hv_console_view_get_restarting (HvConsoleView *self)
{
  g_return_val_if_fail (HV_IS_CONSOLE_VIEW (self), FALSE);

  return self->speed_menu != NULL &&
         hv_speed_menu_get_restarting (HV_SPEED_MENU (self->speed_menu));
}

void
hv_console_view_open_window (GtkWindow      *parent,
                             HvEngineClient *client,
                             HvVmItem       *item)
{
  GtkWidget *window = adw_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *view = hv_console_view_new (client, item, TRUE);

  gtk_window_set_title (GTK_WINDOW (window), hv_vm_item_get_name (item));
  gtk_window_set_default_size (GTK_WINDOW (window), 1040, 820);
  gtk_window_set_transient_for (GTK_WINDOW (window), NULL);
  gtk_window_set_application (GTK_WINDOW (window),
                              gtk_window_get_application (parent));
  gtk_box_append (GTK_BOX (box), header);
  gtk_widget_set_margin_start (view, 6);
  gtk_widget_set_margin_end (view, 6);
  gtk_widget_set_margin_bottom (view, 6);
  gtk_box_append (GTK_BOX (box), view);
  adw_window_set_content (ADW_WINDOW (window), box);
  /* The window closes with the VM. */
  g_signal_connect_swapped (view, "closed", G_CALLBACK (gtk_window_destroy), window);
  gtk_window_present (GTK_WINDOW (window));
}
