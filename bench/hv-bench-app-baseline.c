/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-bench-app-baseline: the floor hv-bench-app compares hostvisor with. A bare libadwaita
 * window of the same size and title as hostvisor's main window, with a header bar and a label
 * and nothing else: what GTK and libadwaita cost on this machine before any of Hostvisor's
 * code runs. Not a test, not installed. */
#include <adwaita.h>

static void
on_activate (GApplication *app)
{
  GtkWidget *window = adw_application_window_new (GTK_APPLICATION (app));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  gtk_box_append (GTK_BOX (box), gtk_label_new ("Baseline"));
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), box);
  /* hv-bench-app waits for a toplevel with this title; hv-window.ui's size. */
  gtk_window_set_title (GTK_WINDOW (window), "Hostvisor");
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 720);
  gtk_window_present (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(AdwApplication) app = adw_application_new ("io.github.hostvisor.BenchBaseline",
                                                       G_APPLICATION_NON_UNIQUE);

  g_signal_connect (app, "activate", G_CALLBACK (on_activate), NULL);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
