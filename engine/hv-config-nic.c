/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-config-nic.c: the rules for a VM's network adapters beyond the schema: attachment
 * targets, port forward rules, and the adapters of one VM together (see hv-config.h). */
#include "hv-config.h"

#include <string.h>

#include "hv-error.h"

static gboolean G_GNUC_PRINTF (2, 3)
invalid (GError    **error,
         const char *format,
         ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (HV_ERROR, HV_ERROR_INVALID_ARGUMENT, format,
                                                args));
  va_end (args);
  return FALSE;
}

gboolean
hv_net_mode_needs_target (HvNetMode mode)
{
  return mode == HV_NET_BRIDGED || mode == HV_NET_HOST_ONLY || mode == HV_NET_INTERNAL;
}

gboolean
hv_net_mode_uses_tap (HvNetMode mode)
{
  return hv_net_mode_needs_target (mode);
}

/* Host-only and internal networks: 1..12 of [a-z0-9-], not starting with '-' (the
 * host-only network's bridge is "hv-NAME", within the kernel's 15 characters). Bridged:
 * an interface name, 1..15 of [A-Za-z0-9._-], not "." or "..". */
gboolean
hv_config_check_net_target (HvNetMode    mode,
                            const char  *target,
                            GError     **error)
{
  g_autofree char *shown = NULL;
  gsize len;

  if (!hv_net_mode_needs_target (mode))
    return TRUE;
  if (target == NULL || target[0] == '\0')
    return invalid (error, "attached to %s, it needs a target (%s)", hv_net_mode_to_string (mode),
                    mode == HV_NET_BRIDGED ? "a host bridge or interface, like br0"
                    : mode == HV_NET_HOST_ONLY ? "a host-only network's name"
                    : "an internal network's name, like intnet");

  len = strlen (target);
  shown = hv_config_escape_for_display (target);
  if (mode == HV_NET_BRIDGED)
    {
      if (len > 15 || strspn (target, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                      "0123456789._-") != len ||
          g_str_equal (target, ".") || g_str_equal (target, ".."))
        return invalid (error, "\"%s\" is not a host interface name (1 to 15 letters, digits, "
                        "\".\", \"_\" or \"-\")", shown);
      return TRUE;
    }

  if (len > 12 || strspn (target, "abcdefghijklmnopqrstuvwxyz0123456789-") != len ||
      target[0] == '-')
    return invalid (error, "\"%s\" is not a network name (1 to 12 lower-case letters, digits "
                    "or \"-\", not starting with \"-\")", shown);
  return TRUE;
}

gboolean
hv_ipv4_is_valid (const char *text)
{
  guint parts = 0;
  const char *p = text;

  if (text == NULL)
    return FALSE;
  while (TRUE)
    {
      const char *start = p;
      guint value = 0;
      guint digits = 0;

      while (g_ascii_isdigit (*p) && digits < 4)
        {
          value = value * 10 + (guint) (*p - '0');
          digits++;
          p++;
        }
      if (digits == 0 || digits > 3 || value > 255 || (digits > 1 && *start == '0'))
        return FALSE;
      parts++;
      if (*p == '\0')
        break;
      if (*p != '.' || parts == 4)
        return FALSE;
      p++;
    }
  return parts == 4;
}

gboolean
hv_config_check_forward_name (const char  *name,
                              GError     **error)
{
  g_autofree char *shown = NULL;
  gsize len = name != NULL ? strlen (name) : 0;

  if (len >= 1 && len <= 32 &&
      strspn (name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == len)
    return TRUE;
  shown = hv_config_escape_for_display (name != NULL ? name : "");
  return invalid (error, "\"%s\" is not a port forward name (1 to 32 letters, digits, \".\", "
                  "\"_\" or \"-\")", shown);
}

gboolean
hv_port_forward_check (const HvPortForward  *rule,
                       GError              **error)
{
  g_autofree char *shown = NULL;

  if (!hv_config_check_forward_name (rule->name, error))
    return FALSE;
  if (!hv_ipv4_is_valid (rule->host_address))
    {
      shown = hv_config_escape_for_display (rule->host_address ? rule->host_address : "");
      return invalid (error, "port forward \"%s\": the host address \"%s\" is not an IPv4 "
                      "address like 127.0.0.1", rule->name, shown);
    }
  if (rule->guest_address == NULL ||
      (rule->guest_address[0] != '\0' && !hv_ipv4_is_valid (rule->guest_address)))
    {
      shown = hv_config_escape_for_display (rule->guest_address ? rule->guest_address : "");
      return invalid (error, "port forward \"%s\": the guest address \"%s\" is not an IPv4 "
                      "address like 10.0.2.15 (or leave it empty)", rule->name, shown);
    }
  if (rule->host_port == 0)
    return invalid (error, "port forward \"%s\": the host port must be 1 to 65535", rule->name);
  if (rule->guest_port == 0)
    return invalid (error, "port forward \"%s\": the guest port must be 1 to 65535", rule->name);
  return TRUE;
}

HvPortForward *
hv_port_forward_new (const char *name,
                     gboolean    udp,
                     const char *host_address,
                     guint16     host_port,
                     const char *guest_address,
                     guint16     guest_port)
{
  HvPortForward *rule = g_new0 (HvPortForward, 1);

  rule->name = g_strdup (name);
  rule->udp = udp;
  rule->host_address = g_strdup (host_address != NULL ? host_address : "127.0.0.1");
  rule->host_port = host_port;
  rule->guest_address = g_strdup (guest_address != NULL ? guest_address : "");
  rule->guest_port = guest_port;
  return rule;
}

HvPortForward *
hv_nic_find_forward (const HvNic *nic,
                     const char  *name,
                     guint       *index)
{
  for (guint i = 0; nic->forwards != NULL && i < nic->forwards->len; i++)
    {
      HvPortForward *rule = g_ptr_array_index (nic->forwards, i);

      if (g_strcmp0 (rule->name, name) == 0)
        {
          if (index != NULL)
            *index = i;
          return rule;
        }
    }
  return NULL;
}

static gboolean
same_host_socket (const HvPortForward *a,
                  const HvPortForward *b)
{
  return a->udp == b->udp && a->host_port == b->host_port &&
         (g_str_equal (a->host_address, b->host_address) ||
          g_str_equal (a->host_address, "0.0.0.0") || g_str_equal (b->host_address, "0.0.0.0"));
}

gboolean
hv_config_check_nics (const HvVmConfig  *config,
                      guint             *bad_index,
                      GError           **error)
{
  for (guint i = 0; config->nics != NULL && i < config->nics->len; i++)
    {
      const HvNic *nic = g_ptr_array_index (config->nics, i);
      g_autoptr(GError) local_error = NULL;

      *bad_index = i;
      if (!hv_config_check_net_target (nic->mode, nic->target, &local_error))
        return invalid (error, "adapter %u: %s", i + 1, local_error->message);
      if (nic->forwards == NULL)
        continue;
      if (nic->forwards->len > HV_MAX_FORWARDS)
        return invalid (error, "adapter %u: too many port forwards (%u; the limit is %d)",
                        i + 1, nic->forwards->len, HV_MAX_FORWARDS);
      for (guint r = 0; r < nic->forwards->len; r++)
        {
          const HvPortForward *rule = g_ptr_array_index (nic->forwards, r);

          if (!hv_port_forward_check (rule, &local_error))
            return invalid (error, "adapter %u: %s", i + 1, local_error->message);
          for (guint s = 0; s < r; s++)
            {
              const HvPortForward *other = g_ptr_array_index (nic->forwards, s);

              if (g_str_equal (other->name, rule->name))
                return invalid (error, "adapter %u: there are two port forwards named \"%s\"",
                                i + 1, rule->name);
            }
          /* The same host socket twice in one VM could never work for both. */
          for (guint j = 0; j <= i; j++)
            {
              const HvNic *other_nic = g_ptr_array_index (config->nics, j);
              guint n = other_nic->forwards == NULL ? 0 : j < i ? other_nic->forwards->len : r;

              for (guint s = 0; s < n; s++)
                {
                  const HvPortForward *other = g_ptr_array_index (other_nic->forwards, s);

                  if (same_host_socket (rule, other))
                    return invalid (error, "adapter %u: port forward \"%s\" uses host port %s "
                                    "%u, like \"%s\" of adapter %u", i + 1, rule->name,
                                    rule->udp ? "udp" : "tcp", rule->host_port, other->name,
                                    j + 1);
                }
            }
        }
    }
  return TRUE;
}
