/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-network-bridge.c: see hv-network-bridge.h.
 *
 * Everything here reads the system as the user: the helper's mode bits, the allow list the
 * set-up wrote (HV_NETSETUP_CONFDIR/bridges.allow) and /sys/class/net. The one privileged
 * step, making a tap on a bridge, is hostvisor-bridge-helper's (netsetup/), run here with a
 * socket on fd 3 over which it sends the tap back. The helper checks the allow list again
 * itself: what is checked here is only there to give the user a clear message first. */
#include "hv-network-bridge.h"
#include "hv-network-bridge-private.h"

#include <errno.h>
#include <gio/gunixfdmessage.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv-build-config.h"
#include "hv-error.h"

#define SYSFS_NET "/sys/class/net"

static const char *
helper_path (void)
{
  const char *env = g_getenv ("HOSTVISOR_BRIDGE_HELPER");

  return env != NULL && *env != '\0' ? env : HV_BRIDGE_HELPER;
}

/* The helper is there, root's and setuid: the set-up ran. */
static gboolean
helper_usable (const char *path)
{
  struct stat st;

  return g_stat (path, &st) == 0 && S_ISREG (st.st_mode) && st.st_uid == 0
         && (st.st_mode & S_ISUID) != 0 && (st.st_mode & S_IXOTH) != 0;
}

gboolean
hv_network_interface_name_valid (const char *name)
{
  size_t len = name != NULL ? strlen (name) : 0;

  if (len == 0 || len > 15 || name[0] == '-' || name[0] == '.')
    return FALSE;
  for (size_t i = 0; i < len; i++)
    if (!g_ascii_isalnum (name[i]) && name[i] != '_' && name[i] != '.' && name[i] != '-')
      return FALSE;
  return TRUE;
}

char **
hv_network_allow_list_parse (const char *text)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (lines[i][0] == '#' || lines[i][0] == '\0')
        continue;
      if (!hv_network_interface_name_valid (lines[i]))
        return g_new0 (char *, 1);      /* the helper refuses such a list as a whole */
      g_strv_builder_add (builder, lines[i]);
    }
  return g_strv_builder_end (builder);
}

/* The allow list, as the helper would read it: empty when it is missing or unsafe (and then
 * *unsafe, when not NULL, says the latter). */
static char **
read_allow_list_full (gboolean *unsafe)
{
  g_autofree char *path = g_build_filename (HV_NETSETUP_CONFDIR, "bridges.allow", NULL);
  g_autofree char *text = NULL;
  gsize length = 0;
  struct stat st;

  if (unsafe != NULL)
    *unsafe = FALSE;
  if (g_lstat (path, &st) != 0)
    return g_new0 (char *, 1);
  if (!S_ISREG (st.st_mode) || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0
      || st.st_size > 64 * 1024
      || !g_file_get_contents (path, &text, &length, NULL) || strlen (text) != length)
    {
      if (unsafe != NULL)
        *unsafe = TRUE;
      return g_new0 (char *, 1);
    }
  return hv_network_allow_list_parse (text);
}

static char **
read_allow_list (void)
{
  return read_allow_list_full (NULL);
}

HvNetworkSetup *
hv_network_setup_query (void)
{
  HvNetworkSetup *setup = g_new0 (HvNetworkSetup, 1);
  const char *helper = helper_path ();
  gboolean usable = helper_usable (helper);

  setup->helper = g_strdup (usable ? helper : "");
  setup->bridges = usable ? read_allow_list () : g_new0 (char *, 1);
  setup->done = usable && setup->bridges[0] != NULL;
  setup->command = g_strdup ("hostvisorctl network setup");
  return setup;
}

void
hv_network_setup_free (HvNetworkSetup *setup)
{
  if (setup == NULL)
    return;
  g_free (setup->helper);
  g_strfreev (setup->bridges);
  g_free (setup->command);
  g_free (setup);
}

char *
hv_network_host_only_bridge (const char *network)
{
  return g_strconcat ("hv-", network, NULL);
}

char *
hv_network_host_only_lease_file (const char *network)
{
  const char *dir = g_getenv ("HOSTVISOR_NETSETUP_STATEDIR");
  g_autofree char *name = g_strconcat (network, ".leases", NULL);

  return g_build_filename (dir != NULL && *dir == '/' ? dir : "/var/lib/hostvisor-net", name,
                           NULL);
}

static gboolean
sysfs_has (const char *sysfs_net, const char *name, const char *entry)
{
  g_autofree char *path = g_build_filename (sysfs_net, name, entry, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

gboolean
hv_network_host_only_is_set_up (const char *network)
{
  g_autofree char *bridge = NULL;
  g_auto(GStrv) allowed = NULL;

  if (network == NULL || !helper_usable (helper_path ()))
    return FALSE;
  bridge = hv_network_host_only_bridge (network);
  if (!hv_network_interface_name_valid (bridge) || !sysfs_has (SYSFS_NET, bridge, "bridge"))
    return FALSE;
  allowed = read_allow_list ();
  return g_strv_contains ((const char * const *) allowed, bridge);
}

/* The bridge @name is in (its "master" link), or NULL. */
static char *
sysfs_master (const char *sysfs_net, const char *name)
{
  g_autofree char *path = g_build_filename (sysfs_net, name, "master", NULL);
  g_autofree char *target = g_file_read_link (path, NULL);

  return target != NULL ? g_path_get_basename (target) : NULL;
}

static HvHostInterface *
interface_new (const char *name, const char *kind, gboolean allowed, char *reason)
{
  HvHostInterface *iface = g_new0 (HvHostInterface, 1);

  iface->name = g_strdup (name);
  iface->kind = g_strdup (kind);
  iface->allowed = allowed;
  iface->reason = reason != NULL ? reason : g_strdup ("");
  return iface;
}

HvHostInterface *
hv_network_classify_interface (const char         *sysfs_net,
                               const char         *name,
                               gboolean            helper_ok,
                               const char * const *allowed)
{
  g_autofree char *master = NULL;

  if (sysfs_has (sysfs_net, name, "bridge"))
    {
      if (!helper_ok)
        return interface_new (name, "bridge", FALSE,
                              g_strdup_printf ("The one-time network set-up is not done: run "
                                               "hostvisorctl network setup --allow-bridge %s",
                                               name));
      if (!g_strv_contains (allowed, name))
        return interface_new (name, "bridge", FALSE,
                              g_strdup_printf ("Bridge %s is not allowed by the network "
                                               "set-up: run hostvisorctl network setup "
                                               "--allow-bridge %s", name, name));
      return interface_new (name, "bridge", TRUE, NULL);
    }
  if (sysfs_has (sysfs_net, name, "phy80211") || sysfs_has (sysfs_net, name, "wireless"))
    return interface_new (name, "wifi", FALSE,
                          g_strdup_printf ("%s is a Wi-Fi interface: Wi-Fi cannot be bridged "
                                           "(access points drop frames from other MAC "
                                           "addresses); use NAT or a host-only network", name));
  if (sysfs_has (sysfs_net, name, "device") && !sysfs_has (sysfs_net, name, "tun_flags"))
    {
      master = sysfs_master (sysfs_net, name);
      if (master == NULL)
        return interface_new (name, "ethernet", FALSE,
                              g_strdup_printf ("%s is not part of a bridge: make a host bridge "
                                               "that holds %s and allow it (hostvisorctl "
                                               "network setup --allow-bridge BRIDGE)",
                                               name, name));
      if (!helper_ok || !g_strv_contains (allowed, master))
        return interface_new (name, "ethernet", FALSE,
                              g_strdup_printf ("%s is part of bridge %s, which the network "
                                               "set-up does not allow: run hostvisorctl "
                                               "network setup --allow-bridge %s",
                                               name, master, master));
      return interface_new (name, "ethernet", TRUE, NULL);
    }
  return interface_new (name, "other", FALSE,
                        g_strdup_printf ("%s is neither a bridge nor a physical Ethernet "
                                         "interface", name));
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

GPtrArray *
hv_network_host_interfaces_at (const char         *sysfs_net,
                               gboolean            helper_ok,
                               const char * const *allowed)
{
  GPtrArray *result =
    g_ptr_array_new_with_free_func ((GDestroyNotify) hv_host_interface_free);
  g_autoptr(GDir) dir = g_dir_open (sysfs_net, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL)
    return result;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      /* Loopback, and taps (ours and others'): nothing to bridge to. */
      if (g_str_equal (name, "lo") || !hv_network_interface_name_valid (name)
          || sysfs_has (sysfs_net, name, "tun_flags"))
        continue;
      g_ptr_array_add (names, g_strdup (name));
    }
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    g_ptr_array_add (result, hv_network_classify_interface (sysfs_net, names->pdata[i],
                                                            helper_ok, allowed));
  return result;
}

GPtrArray *
hv_network_host_interfaces (void)
{
  gboolean helper_ok = helper_usable (helper_path ());
  g_auto(GStrv) allowed = read_allow_list ();

  return hv_network_host_interfaces_at (SYSFS_NET, helper_ok, (const char * const *) allowed);
}

void
hv_host_interface_free (HvHostInterface *iface)
{
  if (iface == NULL)
    return;
  g_free (iface->name);
  g_free (iface->kind);
  g_free (iface->reason);
  g_free (iface);
}

/* Runs the helper for @bridge and receives the tap. */
static int
run_helper (const char  *helper,
            const char  *bridge,
            const char  *name,
            GError     **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *err_text = NULL;
  int pair[2];
  int status, tap = -1;
  char data[32];
  char control[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { data, sizeof data };
  struct msghdr msg = { 0 };
  struct cmsghdr *cmsg;
  ssize_t n;

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    {
      int saved = errno;

      g_set_error (error, HV_ERROR, HV_ERROR_IO, "Cannot attach to %s: socketpair: %s", name,
                   g_strerror (saved));
      return -1;
    }
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_INHERIT
                                        | G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_environ (launcher, (char *[]) { NULL });
  g_subprocess_launcher_take_fd (launcher, pair[1], 3);
  process = g_subprocess_launcher_spawn (launcher, error, helper, bridge, "3", NULL);
  g_clear_object (&launcher);             /* closes our copy of pair[1] */
  if (process == NULL)
    {
      close (pair[0]);
      g_prefix_error (error, "Cannot attach to %s: ", name);
      return -1;
    }
  if (!g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, &err_text, error))
    {
      close (pair[0]);
      g_prefix_error (error, "Cannot attach to %s: ", name);
      return -1;
    }
  status = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;
  if (status != 0)
    {
      const char *text = err_text != NULL ? g_strstrip (err_text) : "";
      const char *prefix = "hostvisor-bridge-helper: ";
      int code;

      close (pair[0]);
      if (g_str_has_prefix (text, prefix))
        text += strlen (prefix);
      switch (status)
        {
        case 3: code = HV_ERROR_NOT_SUPPORTED; break;
        case 4: code = HV_ERROR_NOT_FOUND; break;
        case 2: code = HV_ERROR_INVALID_ARGUMENT; break;
        default: code = HV_ERROR_FAILED; break;
        }
      g_set_error (error, HV_ERROR, code, "Cannot attach to %s: %s", name,
                   *text != '\0' ? text : "the bridge helper failed");
      return -1;
    }

  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  do
    n = recvmsg (pair[0], &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  close (pair[0]);
  for (cmsg = n > 0 ? CMSG_FIRSTHDR (&msg) : NULL; cmsg != NULL; cmsg = CMSG_NXTHDR (&msg, cmsg))
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS
        && cmsg->cmsg_len == CMSG_LEN (sizeof (int)))
      memcpy (&tap, CMSG_DATA (cmsg), sizeof (int));
  if (tap < 0 || (msg.msg_flags & MSG_CTRUNC) != 0)
    {
      if (tap >= 0)
        close (tap);
      g_set_error (error, HV_ERROR, HV_ERROR_FAILED,
                   "Cannot attach to %s: the bridge helper sent no tap", name);
      return -1;
    }
  return tap;
}

int
hv_network_bridge_open_tap (const char  *name,
                            GError     **error)
{
  g_autoptr(HvHostInterface) iface = NULL;
  g_autofree char *bridge = NULL;
  g_auto(GStrv) allowed = NULL;
  const char *helper = helper_path ();
  gboolean helper_ok = helper_usable (helper);
  gboolean unsafe = FALSE;

  if (!hv_network_interface_name_valid (name))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_ARGUMENT,
                   "\"%s\" is not a host interface name", name != NULL ? name : "");
      return -1;
    }
  if (!g_file_test (SYSFS_NET "/", G_FILE_TEST_IS_DIR)
      || !sysfs_has (SYSFS_NET, name, "ifindex"))
    {
      g_set_error (error, HV_ERROR, HV_ERROR_NOT_FOUND,
                   "There is no host interface %s: make bridge %s (or name another one; "
                   "hostvisorctl network interfaces lists them)", name, name);
      return -1;
    }
  allowed = read_allow_list_full (&unsafe);
  if (unsafe && helper_ok)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_STATE,
                   "Cannot attach to %s: %s/bridges.allow is not safe (it must be a regular "
                   "file owned by root and writable by root alone): run hostvisorctl network "
                   "setup again", name, HV_NETSETUP_CONFDIR);
      return -1;
    }
  iface = hv_network_classify_interface (SYSFS_NET, name, helper_ok,
                                         (const char * const *) allowed);
  if (!iface->allowed)
    {
      int code = g_str_equal (iface->kind, "bridge") || g_str_equal (iface->kind, "ethernet")
                 ? HV_ERROR_NOT_SUPPORTED : HV_ERROR_INVALID_ARGUMENT;

      g_set_error (error, HV_ERROR, code, "Cannot attach to %s: %s", name, iface->reason);
      return -1;
    }
  bridge = g_str_equal (iface->kind, "bridge") ? g_strdup (name)
                                                : sysfs_master (SYSFS_NET, name);
  if (bridge == NULL)
    {
      g_set_error (error, HV_ERROR, HV_ERROR_INVALID_STATE,
                   "Cannot attach to %s: it left its bridge", name);
      return -1;
    }
  return run_helper (helper, bridge, name, error);
}
