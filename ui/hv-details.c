/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hv-details.h"

#include <string.h>

#include <glib/gi18n.h>
#include <inttypes.h>

#include "hv-config.h"
#include "hv-console-view.h"
#include "hv-engine-client-network.h"
#include "hv-messages.h"

/* How often the thumbnail follows the guest's screen while it runs and is visible. */
#define THUMBNAIL_INTERVAL_S 2
/* Small enough for a small window; the console scales its screen to what it gets. */
#define CONSOLE_MIN_HEIGHT 240

struct _HvDetails
{
  AdwBin parent_instance;

  /* owned */
  HvEngineClient *client;
  HvVmItem *item;
  GCancellable *item_cancellable;   /* screenshots of the current item */
  GtkWidget *console;               /* HvConsoleView while the console is shown, in console_slot */
  guint thumbnail_source;
  gboolean screenshot_in_flight;

  /* template widgets */
  GtkImage *os_icon;
  GtkLabel *name_label;
  GtkLabel *state_label;
  GtkWidget *kvm_notice;
  GtkLabel *kvm_notice_label;
  GtkLabel *problem_label;
  GtkWidget *stop_button;
  GtkWidget *discard_button;
  GtkStack *screen_stack;
  GtkPicture *screen_picture;
  GtkWidget *console_slot;
  GtkWidget *hardware_group;
  GtkWidget *console_button;
  GtkLabel *os_value;
  GtkLabel *memory_value;
  GtkLabel *cpus_value;
  GtkLabel *firmware_value;
  GtkLabel *machine_value;
  GtkLabel *video_value;
  GtkLabel *disks_value;
  GtkLabel *cdrom_value;
  GtkLabel *floppy_value;
  GtkLabel *network_value;
  GtkLabel *boot_value;
  GtkLabel *accel_value;
};

G_DEFINE_FINAL_TYPE (HvDetails, hv_details, ADW_TYPE_BIN)

static void
set_value (GtkLabel   *label,
           const char *text)
{
  gtk_label_set_text (label, text != NULL && text[0] != '\0' ? text : _("—"));
}

static const char *
os_display_name (HvDetails  *self,
                 const char *os_id)
{
  const char *name = NULL;

  if (os_id == NULL || os_id[0] == '\0')
    return _("Unknown");
  if (self->client != NULL)
    name = hv_engine_client_get_os_name (self->client, os_id);
  return name != NULL ? name : os_id;
}

static const char *
bus_label (HvDriveBus bus)
{
  switch (bus)
    {
    case HV_DRIVE_BUS_IDE:
      return "IDE";
    case HV_DRIVE_BUS_SATA:
      return "SATA";
    case HV_DRIVE_BUS_VIRTIO:
      return "VirtIO";
    case HV_DRIVE_BUS_FDC:
      return _("floppy controller");
    default:
      return "";
    }
}

static const char *
video_label (HvVideo video)
{
  switch (video)
    {
    case HV_VIDEO_STD:
      return _("Standard VGA");
    case HV_VIDEO_CIRRUS:
      return _("Cirrus Logic");
    case HV_VIDEO_VIRTIO:
      return _("VirtIO GPU");
    case HV_VIDEO_NONE:
      return _("None");
    default:
      return "";
    }
}

static char *
boot_label (const char *order)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();

  for (const char *p = order; p != NULL && *p; p++)
    switch (*p)
      {
      case 'c': g_ptr_array_add (names, (char *) _("Hard disk")); break;
      case 'd': g_ptr_array_add (names, (char *) _("CD/DVD")); break;
      case 'a': g_ptr_array_add (names, (char *) _("Floppy")); break;
      case 'n': g_ptr_array_add (names, (char *) _("Network")); break;
      default: break;
      }
  g_ptr_array_add (names, NULL);
  return g_strjoinv (", ", (char **) names->pdata);
}

/* Why KVM is not used, as a sentence, from a VM's AccelReason. */
static const char *
accel_reason_text (const char *reason)
{
  static const struct { const char *code, *text; } texts[] = {
    { "setting", N_("KVM is turned off for this VM") },
    { "probing", N_("the KVM test is still running") },
    { "disabled", N_("KVM is turned off by HOSTVISOR_NO_KVM") },
    { "missing", N_("KVM is not available on this computer") },
    { "no-access", N_("KVM is present but this user may not use it") },
    { "failed", N_("KVM is present but could not run a test guest") },
    { "slow", N_("KVM is present but slower than emulation") },
    { "unknown", N_("it was started by an earlier engine, for a reason not recorded") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    if (g_strcmp0 (reason, texts[i].code) == 0)
      return _(texts[i].text);
  return NULL;
}

/* The notice's words for a VM on TCG: why, with what the engine measured. */
static char *
kvm_notice_text (HvDetails  *self,
                 const char *reason)
{
  guint kvm_ms = 0, tcg_ms = 0;
  gboolean finished = FALSE;

  hv_engine_client_get_kvm_times (self->client, &kvm_ms, &tcg_ms, &finished);
  if (g_strcmp0 (reason, "setting") == 0)
    return g_strdup (_("This virtual machine runs without hardware acceleration: KVM is turned "
                       "off in its settings (System)."));
  if (g_strcmp0 (reason, "disabled") == 0)
    return g_strdup (_("This virtual machine runs without hardware acceleration: KVM is turned "
                       "off for all virtual machines (HOSTVISOR_NO_KVM)."));
  if (g_strcmp0 (reason, "missing") == 0)
    return g_strdup (_("This virtual machine runs without hardware acceleration: KVM is not "
                       "available on this computer, so the guest is much slower."));
  if (g_strcmp0 (reason, "no-access") == 0)
    {
      const char *group = hv_engine_client_get_kvm_group (self->client);

      return g_strdup_printf (_("This virtual machine runs without hardware acceleration: you "
                                "may not use KVM on this computer. Join the group “%s” and log "
                                "in again."), group != NULL ? group : "kvm");
    }
  if (g_strcmp0 (reason, "failed") == 0)
    return g_strdup (_("This virtual machine runs without hardware acceleration: KVM is present "
                       "but could not run a test guest, so Hostvisor does not trust it."));
  if (g_strcmp0 (reason, "slow") == 0 && finished && tcg_ms > 0)
    return g_strdup_printf (_("This virtual machine runs without hardware acceleration: KVM is "
                              "present but slower than emulation here (a test guest took %u ms "
                              "with KVM, %u ms emulated)."), kvm_ms, tcg_ms);
  if (g_strcmp0 (reason, "slow") == 0 && tcg_ms > 0)
    return g_strdup_printf (_("This virtual machine runs without hardware acceleration: KVM is "
                              "present but slower than emulation here (a test guest was not "
                              "done after %u ms with KVM; emulated it took %u ms)."),
                            kvm_ms, tcg_ms);
  if (g_strcmp0 (reason, "slow") == 0)
    return g_strdup (_("This virtual machine runs without hardware acceleration: KVM is present "
                       "but slower than emulation here."));
  return g_strdup (_("This virtual machine runs without hardware acceleration."));
}

/* The Acceleration row: what the VM uses (or its next start would), and why not KVM. */
static void
update_accel (HvDetails *self)
{
  const char *accel = hv_vm_item_get_accel (self->item);
  const char *why = accel_reason_text (hv_vm_item_get_accel_reason (self->item));
  g_autofree char *text = NULL;

  if (g_strcmp0 (accel, "kvm") == 0 && why == NULL)
    text = g_strdup (_("KVM (hardware)"));
  else if (g_strcmp0 (accel, "kvm") == 0)
    /* Translators: the VM is set to KVM, which cannot be used; %s says why */
    text = g_strdup_printf (_("KVM, which cannot start: %s"), why);
  else if (g_strcmp0 (accel, "tcg") == 0 && why != NULL)
    /* Translators: %s says why the VM is not on KVM */
    text = g_strdup_printf (_("Emulated by QEMU (TCG): %s"), why);
  else if (g_strcmp0 (accel, "tcg") == 0)
    text = g_strdup (_("None: emulated by QEMU (TCG)"));
  set_value (self->accel_value, text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->accel_value), text);
}

/* The Network row from the VM's Adapters, which follow the running VM (link, the guest's
 * addresses): each enabled adapter, its network and card, and the addresses known. */
static gboolean
update_network (HvDetails *self)
{
  GVariant *adapters = hv_vm_item_get_adapters (self->item);
  g_autoptr(GString) text = g_string_new (NULL);

  if (adapters == NULL)
    return FALSE;
  for (guint slot = 1; slot <= HV_NIC_SLOTS; slot++)
    {
      g_autoptr(GVariant) adapter = hv_adapters_lookup (adapters, slot);
      const char *mode = hv_vardict_get_string (adapter, "mode", "");
      const char *target = hv_vardict_get_string (adapter, "target", "");
      g_autofree const char **addresses = NULL;

      if (adapter == NULL || !hv_vardict_get_boolean (adapter, "enabled", TRUE))
        continue;
      if (text->len > 0)
        g_string_append_c (text, '\n');
      /* Translators: an adapter's number, its mode ("NAT"), its card ("virtio-net") */
      g_string_append_printf (text, _("%u: %s"), slot, hv_nic_mode_short_label (mode));
      if (target[0] != '\0')
        g_string_append_printf (text, " “%s”", target);
      g_string_append_printf (text, " (%s)", hv_vardict_get_string (adapter, "model", ""));
      if (g_variant_lookup (adapter, "addresses", "^a&s", &addresses) && addresses[0] != NULL)
        {
          g_autofree char *joined = g_strjoinv (", ", (char **) addresses);

          g_string_append_printf (text, " — %s", joined);
        }
      if (!hv_vardict_get_boolean (adapter, "cable", TRUE))
        g_string_append (text, _(", cable disconnected"));
    }
  set_value (self->network_value, text->len > 0 ? text->str : _("None"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->network_value), text->str);
  return TRUE;
}

static void
on_item_adapters (HvVmItem   *item,
                  GParamSpec *pspec,
                  HvDetails  *self)
{
  update_network (self);
}

/* The hardware rows from the saved config; every line is data the engine validated. */
static void
update_hardware (HvDetails *self)
{
  const char *xml = hv_vm_item_get_config_xml (self->item);
  g_autoptr(HvVmConfig) config = NULL;
  g_autoptr(GString) disks = g_string_new (NULL);
  g_autoptr(GString) cdrom = g_string_new (NULL);
  g_autoptr(GString) floppy = g_string_new (NULL);
  g_autoptr(GString) network = g_string_new (NULL);
  g_autofree char *memory = NULL;
  g_autofree char *cpus = NULL;
  g_autofree char *boot = NULL;

  set_value (self->os_value, os_display_name (self, hv_vm_item_get_os_id (self->item)));
  /* PRIu64, not G_GUINT64_FORMAT: xgettext understands only the former. */
  memory = g_strdup_printf (_("%" PRIu64 " MiB"), (uint64_t) hv_vm_item_get_memory_mib (self->item));
  set_value (self->memory_value, memory);
  cpus = g_strdup_printf ("%u", hv_vm_item_get_cpus (self->item));
  set_value (self->cpus_value, cpus);
  set_value (self->firmware_value,
             g_strcmp0 (hv_vm_item_get_firmware (self->item), "uefi") == 0 ? _("UEFI") :
             g_strcmp0 (hv_vm_item_get_firmware (self->item), "bios") == 0 ? _("BIOS") : NULL);
  update_accel (self);

  if (xml != NULL && xml[0] != '\0')
    config = hv_vm_config_from_xml (xml, strlen (xml), "vm.xml", NULL);
  if (config == NULL)
    {
      set_value (self->machine_value, NULL);
      set_value (self->video_value, NULL);
      set_value (self->disks_value, NULL);
      set_value (self->cdrom_value, NULL);
      set_value (self->floppy_value, NULL);
      if (!update_network (self))
        set_value (self->network_value, NULL);
      set_value (self->boot_value, NULL);
      return;
    }

  set_value (self->machine_value, config->machine == HV_MACHINE_Q35 ? _("Q35 (ICH9)")
                                  : config->machine == HV_MACHINE_ISAPC ? _("ISA PC (no PCI)")
                                  : _("i440FX (PIIX)"));
  set_value (self->video_value, video_label (config->video));

  for (guint i = 0; i < config->drives->len; i++)
    {
      HvDrive *drive = config->drives->pdata[i];
      g_autofree char *base = drive->path != NULL ? g_path_get_basename (drive->path) : NULL;
      GString *into = drive->kind == HV_DRIVE_DISK ? disks
                      : drive->kind == HV_DRIVE_CDROM ? cdrom : floppy;

      if (into->len > 0)
        g_string_append_c (into, '\n');
      if (drive->kind == HV_DRIVE_DISK)
        g_string_append_printf (into, "%s (%s, %s)", base, bus_label (drive->bus),
                                hv_disk_format_to_string (drive->format));
      else
        g_string_append_printf (into, "%s (%s)", base != NULL ? base : _("empty"),
                                bus_label (drive->bus));
    }
  if (config->kernel != NULL)
    {
      g_autofree char *kernel = g_path_get_basename (config->kernel);

      if (disks->len > 0)
        g_string_append_c (disks, '\n');
      g_string_append_printf (disks, _("Direct kernel boot: %s"), kernel);
    }
  set_value (self->disks_value, disks->len > 0 ? disks->str : _("None"));
  set_value (self->cdrom_value, cdrom->len > 0 ? cdrom->str : _("None"));
  set_value (self->floppy_value, floppy->len > 0 ? floppy->str : _("None"));

  /* An engine without Adapters: the adapters as the config has them. */
  if (!update_network (self))
    {
      for (guint i = 0; i < config->nics->len; i++)
        {
          HvNic *nic = config->nics->pdata[i];

          if (network->len > 0)
            g_string_append_c (network, '\n');
          g_string_append_printf (network, "%s (%s)",
                                  nic->mode == HV_NET_NAT ? _("NAT") : _("Not attached"),
                                  nic->model);
        }
      set_value (self->network_value, network->len > 0 ? network->str : _("None"));
    }

  boot = boot_label (config->boot_order);
  set_value (self->boot_value, boot);
}

/* ---- console ---- */

static gboolean
is_live (HvVmItem *item)
{
  return item != NULL && (g_strcmp0 (hv_vm_item_get_state (item), "running") == 0 ||
                          g_strcmp0 (hv_vm_item_get_state (item), "paused") == 0);
}

static void
close_console (HvDetails *self)
{
  if (self->console != NULL)
    {
      GtkWidget *view = g_steal_pointer (&self->console);

      g_signal_handlers_disconnect_by_data (view, self);
      gtk_box_remove (GTK_BOX (self->console_slot), view);
    }
  gtk_widget_set_visible (self->console_slot, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->screen_stack), TRUE);
  gtk_widget_set_visible (self->hardware_group, TRUE);
}

static void
on_console_closed (GtkWidget *view,
                   HvDetails *self)
{
  /* The VM stopped, or its screen could not be reached again: back to the thumbnail,
   * which follows the state; the person can open the console again. */
  close_console (self);
  if (self->item != NULL)
    gtk_widget_set_visible (self->console_button, is_live (self->item));
}

static void
on_console_clicked (HvDetails *self)
{
  if (self->item == NULL || self->client == NULL || self->console != NULL)
    return;

  /* The view connects, reconnects after resets, and takes dropped ISOs. */
  self->console = hv_console_view_new (self->client, self->item, FALSE);
  /* The console takes the pane's height, whatever the window's size: the hardware summary
   * steps aside while it is shown (it comes back with the thumbnail). */
  gtk_widget_set_size_request (self->console, -1, CONSOLE_MIN_HEIGHT);
  gtk_widget_set_vexpand (self->console, TRUE);
  gtk_widget_set_visible (self->hardware_group, FALSE);
  g_signal_connect (self->console, "closed", G_CALLBACK (on_console_closed), self);
  gtk_box_append (GTK_BOX (self->console_slot), self->console);
  gtk_widget_set_visible (self->console_slot, TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->screen_stack), FALSE);
  gtk_widget_set_visible (self->console_button, FALSE);
}

void
hv_details_show_console (HvDetails *self)
{
  g_return_if_fail (HV_IS_DETAILS (self));

  if (is_live (self->item))
    on_console_clicked (self);
}

static void
update_state (HvDetails *self)
{
  const char *state = hv_vm_item_get_state (self->item);
  /* The engine's reason in the user's language, and none where it repeats the state. */
  g_autofree char *reason = hv_messages_state_reason (state,
                                                      hv_vm_item_get_state_reason (self->item));
  const char *config_error = hv_vm_item_get_config_error (self->item);
  g_autofree char *text = NULL;

  if (reason != NULL)
    /* Translators: a VM's state, then why it is in it: "Aborted — QEMU was killed" */
    text = g_strdup_printf (_("%s — %s"), hv_vm_item_state_label (state), reason);
  else
    text = g_strdup (hv_vm_item_state_label (state));
  /* Powered off with its running state saved (Save State): Start resumes it. */
  if (hv_vm_item_get_saved_state (self->item) && g_strcmp0 (state, "poweroff") == 0)
    {
      g_free (text);
      text = g_strdup (_("Saved"));
    }
  gtk_label_set_text (self->state_label, text);

  /* A console restarting its VM at another CPU speed (hv-speed-menu.c) stays open. */
  if (!is_live (self->item) &&
      !(self->console != NULL &&
        hv_console_view_get_restarting (HV_CONSOLE_VIEW (self->console))))
    close_console (self);
  gtk_widget_set_visible (self->console_button, is_live (self->item) && self->console == NULL);

  /* A menu button has no action of its own: it follows CanStop like its menu's items. */
  gtk_widget_set_sensitive (self->stop_button, hv_vm_item_get_can_stop (self->item));
  gtk_widget_set_visible (self->discard_button, hv_vm_item_get_saved_state (self->item));

  gtk_widget_set_visible (GTK_WIDGET (self->problem_label),
                          config_error != NULL && config_error[0] != '\0');
  gtk_label_set_text (self->problem_label, config_error != NULL ? config_error : "");
}

/* The notice: only for a VM that runs (or starts) on TCG, and saying why. */
static void
update_kvm_notice (HvDetails *self)
{
  const char *state = self->item != NULL ? hv_vm_item_get_state (self->item) : NULL;
  gboolean active = g_strcmp0 (state, "starting") == 0 || g_strcmp0 (state, "running") == 0 ||
                    g_strcmp0 (state, "paused") == 0 || g_strcmp0 (state, "stopping") == 0;
  gboolean show = active && self->client != NULL &&
                  g_strcmp0 (hv_vm_item_get_accel (self->item), "tcg") == 0;
  g_autofree char *text = NULL;

  gtk_widget_set_visible (self->kvm_notice, show);
  if (!show)
    return;
  text = kvm_notice_text (self, hv_vm_item_get_accel_reason (self->item));
  gtk_label_set_text (self->kvm_notice_label, text);
}

/* ---- thumbnail ---- */

static void schedule_thumbnail (HvDetails *self);

static gboolean
wants_thumbnail (HvDetails *self)
{
  return self->item != NULL && self->client != NULL && self->console == NULL &&
         gtk_widget_get_mapped (GTK_WIDGET (self)) &&
         (g_strcmp0 (hv_vm_item_get_state (self->item), "running") == 0 ||
          g_strcmp0 (hv_vm_item_get_state (self->item), "paused") == 0);
}

static void
screenshot_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  g_autoptr(HvDetails) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = NULL;
  g_autoptr(GdkTexture) texture = NULL;

  png = hv_engine_client_screenshot_finish (HV_ENGINE_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->screenshot_in_flight = FALSE;

  if (png != NULL)
    texture = gdk_texture_new_from_bytes (png, &error);
  if (texture != NULL)
    {
      gtk_picture_set_paintable (self->screen_picture, GDK_PAINTABLE (texture));
      gtk_stack_set_visible_child_name (self->screen_stack, "screen");
    }
  /* A failed screenshot (the VM just stopped, say) keeps the last picture; the next
   * state change or tick decides what to show. */
  schedule_thumbnail (self);
}

static void
take_screenshot (HvDetails *self)
{
  if (self->screenshot_in_flight || !wants_thumbnail (self))
    return;
  self->screenshot_in_flight = TRUE;
  hv_engine_client_screenshot_async (self->client, self->item, self->item_cancellable,
                                     screenshot_done, g_object_ref (self));
}

static gboolean
thumbnail_tick (gpointer data)
{
  HvDetails *self = data;

  self->thumbnail_source = 0;
  take_screenshot (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_thumbnail (HvDetails *self)
{
  if (!wants_thumbnail (self))
    {
      g_clear_handle_id (&self->thumbnail_source, g_source_remove);
      if (self->item == NULL || (g_strcmp0 (hv_vm_item_get_state (self->item), "running") != 0 &&
                                 g_strcmp0 (hv_vm_item_get_state (self->item), "paused") != 0))
        gtk_stack_set_visible_child_name (self->screen_stack, "off");
      return;
    }
  /* A paused guest's screen does not change: one picture is enough. */
  if (g_strcmp0 (hv_vm_item_get_state (self->item), "paused") == 0 &&
      gtk_picture_get_paintable (self->screen_picture) != NULL)
    return;
  if (self->thumbnail_source == 0 && !self->screenshot_in_flight)
    self->thumbnail_source = g_timeout_add_seconds (THUMBNAIL_INTERVAL_S, thumbnail_tick, self);
}

static void
on_item_state (HvVmItem   *item,
               GParamSpec *pspec,
               HvDetails  *self)
{
  update_state (self);
  update_kvm_notice (self);
  if (wants_thumbnail (self) && gtk_picture_get_paintable (self->screen_picture) == NULL)
    take_screenshot (self);
  schedule_thumbnail (self);
}

static void
on_item_config (HvVmItem   *item,
                GParamSpec *pspec,
                HvDetails  *self)
{
  gtk_label_set_text (self->name_label, hv_vm_item_get_name (item));
  /* The name is cut with "…" when long: the tooltip has it whole. */
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->name_label), hv_vm_item_get_name (item));
  gtk_image_set_from_icon_name (self->os_icon,
                                hv_vm_item_os_icon_name (hv_vm_item_get_os_id (item)));
  update_hardware (self);
  update_kvm_notice (self);
}

static void
on_client_changed (HvEngineClient *client,
                   GParamSpec     *pspec,
                   HvDetails      *self)
{
  if (self->item != NULL)
    {
      update_hardware (self);
      update_kvm_notice (self);
    }
}

static void
hv_details_map (GtkWidget *widget)
{
  HvDetails *self = HV_DETAILS (widget);

  GTK_WIDGET_CLASS (hv_details_parent_class)->map (widget);
  take_screenshot (self);
}

static void
hv_details_unmap (GtkWidget *widget)
{
  HvDetails *self = HV_DETAILS (widget);

  g_clear_handle_id (&self->thumbnail_source, g_source_remove);
  GTK_WIDGET_CLASS (hv_details_parent_class)->unmap (widget);
}

void
hv_details_set_item (HvDetails *self,
                     HvVmItem  *item)
{
  g_return_if_fail (HV_IS_DETAILS (self));
  g_return_if_fail (item == NULL || HV_IS_VM_ITEM (item));

  if (self->item == item)
    return;

  if (self->item != NULL)
    g_signal_handlers_disconnect_by_data (self->item, self);
  close_console (self);
  g_cancellable_cancel (self->item_cancellable);
  g_clear_object (&self->item_cancellable);
  g_clear_handle_id (&self->thumbnail_source, g_source_remove);
  self->screenshot_in_flight = FALSE;
  gtk_picture_set_paintable (self->screen_picture, NULL);
  gtk_stack_set_visible_child_name (self->screen_stack, "off");

  g_set_object (&self->item, item);
  if (item == NULL)
    return;

  self->item_cancellable = g_cancellable_new ();
  g_signal_connect_object (item, "notify::state", G_CALLBACK (on_item_state), self, 0);
  g_signal_connect_object (item, "notify::state-reason", G_CALLBACK (on_item_state), self, 0);
  g_signal_connect_object (item, "notify::config-error", G_CALLBACK (on_item_state), self, 0);
  g_signal_connect_object (item, "notify::can-stop", G_CALLBACK (on_item_state), self, 0);
  g_signal_connect_object (item, "notify::saved-state", G_CALLBACK (on_item_state), self, 0);
  g_signal_connect_object (item, "notify::accel", G_CALLBACK (on_item_config), self, 0);
  g_signal_connect_object (item, "notify::accel-reason", G_CALLBACK (on_item_config), self, 0);
  g_signal_connect_object (item, "notify::name", G_CALLBACK (on_item_config), self, 0);
  g_signal_connect_object (item, "notify::os-id", G_CALLBACK (on_item_config), self, 0);
  g_signal_connect_object (item, "notify::config-xml", G_CALLBACK (on_item_config), self, 0);
  g_signal_connect_object (item, "notify::memory-mib", G_CALLBACK (on_item_config), self, 0);
  g_signal_connect_object (item, "notify::cpus", G_CALLBACK (on_item_config), self, 0);
  g_signal_connect_object (item, "notify::firmware", G_CALLBACK (on_item_config), self, 0);
  g_signal_connect_object (item, "notify::adapters", G_CALLBACK (on_item_adapters), self, 0);
  on_item_config (item, NULL, self);
  on_item_state (item, NULL, self);
}

HvVmItem *
hv_details_get_item (HvDetails *self)
{
  g_return_val_if_fail (HV_IS_DETAILS (self), NULL);
  return self->item;
}

void
hv_details_set_client (HvDetails      *self,
                       HvEngineClient *client)
{
  g_return_if_fail (HV_IS_DETAILS (self));

  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_set_object (&self->client, client);
  if (client != NULL)
    {
      g_signal_connect_object (client, "notify::kvm-verdict",
                               G_CALLBACK (on_client_changed), self, 0);
      g_signal_connect_object (client, "notify::os-names-loaded",
                               G_CALLBACK (on_client_changed), self, 0);
    }
}

static void
hv_details_dispose (GObject *object)
{
  HvDetails *self = HV_DETAILS (object);

  hv_details_set_item (self, NULL);
  hv_details_set_client (self, NULL);

  G_OBJECT_CLASS (hv_details_parent_class)->dispose (object);
}

static void
hv_details_class_init (HvDetailsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hv_details_dispose;
  widget_class->map = hv_details_map;
  widget_class->unmap = hv_details_unmap;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hostvisor/ui/hv-details.ui");
  gtk_widget_class_bind_template_child (widget_class, HvDetails, os_icon);
  gtk_widget_class_bind_template_child (widget_class, HvDetails, hardware_group);
  gtk_widget_class_bind_template_child (widget_class, HvDetails, name_label);
  gtk_widget_class_bind_template_child (widget_class, HvDetails, state_label);
  gtk_widget_class_bind_template_child (widget_class, HvDetails, kvm_notice);
  gtk_widget_class_bind_template_child (widget_class, HvDetails, kvm_notice_label);
  gtk_widget_class_bind_template_child (widget_class, HvDetails, problem_label);
  gtk_widget_class_bind_template_child (widget_class, HvDetails, stop_button);
  gtk_widget_class_bind_template_child (widget_class, HvDetails, discard_button);
  gtk_widget_class_bind_template_child (widget_class, HvDetails, screen_stack);
  gtk_widget_class_bind_template_child (widget_class, HvDetails, screen_picture);
  gtk_widget_class_bind_template_child (widget_class, HvDetails, console_slot);
  gtk_widget_class_bind_template_child (widget_class, HvDetails, console_button);
  gtk_widget_class_bind_template_callback (widget_class, on_console_clicked);
  gtk_widget_class_bind_template_child (widget_class, HvDetails, os_value);
  gtk_widget_class_bind_template_child (widget_class, HvDetails, memory_value);
  gtk_widget_class_bind_template_child (widget_class, HvDetails, cpus_value);
  gtk_widget_class_bind_template_child (widget_class, HvDetails, firmware_value);
  gtk_widget_class_bind_template_child (widget_class, HvDetails, machine_value);
  gtk_widget_class_bind_template_child (widget_class, HvDetails, video_value);
  gtk_widget_class_bind_template_child (widget_class, HvDetails, disks_value);
  gtk_widget_class_bind_template_child (widget_class, HvDetails, cdrom_value);
  gtk_widget_class_bind_template_child (widget_class, HvDetails, floppy_value);
  gtk_widget_class_bind_template_child (widget_class, HvDetails, network_value);
  gtk_widget_class_bind_template_child (widget_class, HvDetails, boot_value);
  gtk_widget_class_bind_template_child (widget_class, HvDetails, accel_value);
}

static void
hv_details_init (HvDetails *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
hv_details_new (void)
{
  return g_object_new (HV_TYPE_DETAILS, NULL);
}
