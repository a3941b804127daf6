/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * agent-shares.c: mounting the host's shared folders at ROOT/NAME (/media/hostvisor/NAME).
 *
 * The host sends the complete list each time (docs/agent-protocol.md, SHARES). For each share
 * with AUTOMOUNT we make sure the right tag is mounted, read-only where asked; mounts under ROOT
 * whose share left the list are detached. A repeated list re-checks every mount (after a resume).
 */
#include "agent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define NINEP_OPTIONS "trans=virtio,version=9p2000.L,msize=262144"

typedef struct
{
  char *source;
  char *target;
  char *fstype;
  bool readonly;
} MountEntry;

/* /proc/self/mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *
unescape (const char *s)
{
  char *out = malloc (strlen (s) + 1);
  size_t n = 0;

  if (out == NULL)
    return NULL;
  for (; *s; s++)
    {
      if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0'
          && s[3] <= '7')
        {
          out[n++] = (char) (((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
          s += 3;
        }
      else
        out[n++] = *s;
    }
  out[n] = 0;
  return out;
}

/* The mounts under root (the last mount on a path wins, as in the kernel). */
static size_t
read_mounts (const char *root, MountEntry *entries, size_t max)
{
  FILE *f = fopen ("/proc/self/mountinfo", "re");
  char line[8192];
  size_t n = 0;
  size_t root_len = strlen (root);

  if (f == NULL)
    return 0;
  while (n < max && fgets (line, sizeof line, f) != NULL)
    {
      /* ID PARENT MAJ:MIN ROOT TARGET OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS */
      char *fields[6] = { 0 };
      char *save = NULL;
      char *tok = strtok_r (line, " \n", &save);
      char *fstype = NULL, *source = NULL;
      size_t i = 0;

      while (tok != NULL && i < 6)
        {
          fields[i++] = tok;
          tok = strtok_r (NULL, " \n", &save);
        }
      while (tok != NULL && strcmp (tok, "-") != 0)
        tok = strtok_r (NULL, " \n", &save);
      if (tok != NULL)
        {
          fstype = strtok_r (NULL, " \n", &save);
          source = strtok_r (NULL, " \n", &save);
        }
      if (i < 6 || fstype == NULL || source == NULL)
        continue;
      {
        char *target = unescape (fields[4]);

        if (target == NULL || strncmp (target, root, root_len) != 0 || target[root_len] != '/')
          {
            free (target);
            continue;
          }
        entries[n].target = target;
        entries[n].source = unescape (source);
        entries[n].fstype = strdup (fstype);
        entries[n].readonly = strncmp (fields[5], "ro", 2) == 0
                              && (fields[5][2] == 0 || fields[5][2] == ',');
        n++;
      }
    }
  fclose (f);
  return n;
}

static void
free_mounts (MountEntry *entries, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (entries[i].source);
      free (entries[i].target);
      free (entries[i].fstype);
    }
}

static const MountEntry *
find_mount (const MountEntry *entries, size_t n, const char *target)
{
  const MountEntry *found = NULL;

  for (size_t i = 0; i < n; i++)
    if (entries[i].target && strcmp (entries[i].target, target) == 0)
      found = &entries[i];
  return found;
}

/* ROOT itself, then ROOT/NAME: a real directory, never a symlink planted there. */
static int
ensure_dir (const char *path)
{
  struct stat st;

  if (mkdir (path, 0755) != 0 && errno != EEXIST)
    return -1;
  if (lstat (path, &st) != 0)
    return -1;
  if (!S_ISDIR (st.st_mode))
    {
      errno = ENOTDIR;
      return -1;
    }
  return 0;
}

static int
ensure_root (const char *root)
{
  char path[4096];

  /* mkdir -p, for /media on minimal systems. */
  snprintf (path, sizeof path, "%s", root);
  for (char *p = path + 1; *p; p++)
    if (*p == '/')
      {
        *p = 0;
        if (mkdir (path, 0755) != 0 && errno != EEXIST)
          return -1;
        *p = '/';
      }
  return ensure_dir (path);
}

static void
set_status (HvAgentShareStatusEntry *st, const HvAgentShare *share, const char *mount_point,
            uint8_t state, int error, const char *message)
{
  st->name = strdup (share->name);
  st->mount_point = strdup (mount_point);
  st->state = state;
  st->error = (uint32_t) error;
  st->message = strdup (message ? message : "");
}

static void
apply_one (const char *root, const HvAgentShare *share, const MountEntry *mounts,
           size_t n_mounts, HvAgentShareStatusEntry *st)
{
  char target[4096];
  const MountEntry *m;
  bool readonly = (share->flags & HV_AGENT_SHARE_READONLY) != 0;
  const char *fstype = share->kind == HV_AGENT_SHARE_KIND_VIRTIOFS ? "virtiofs" : "9p";
  unsigned long flags = MS_NOSUID | MS_NODEV | (readonly ? MS_RDONLY : 0);
  int r;

  /* The codec refuses '/', "." and ".." in names; check again, since this becomes a path. */
  if (!hv_agent_share_name_valid (share->name))
    {
      set_status (st, share, "", HV_AGENT_SHARE_FAILED, EINVAL, "invalid share name");
      return;
    }
  snprintf (target, sizeof target, "%s/%s", root, share->name);

  if (share->kind > HV_AGENT_SHARE_KIND_VIRTIOFS)
    {
      set_status (st, share, target, HV_AGENT_SHARE_UNSUPPORTED, 0, "unsupported share kind");
      return;
    }

  m = find_mount (mounts, n_mounts, target);
  if (!(share->flags & HV_AGENT_SHARE_AUTOMOUNT))
    {
      if (m != NULL)
        umount2 (target, MNT_DETACH);
      set_status (st, share, target, HV_AGENT_SHARE_NOT_MOUNTED, 0, NULL);
      return;
    }

  if (m != NULL && strcmp (m->source, share->tag) == 0 && strcmp (m->fstype, fstype) == 0
      && m->readonly == readonly)
    {
      struct stat sb;

      /* Still answering? (after a resume the transport may be gone) */
      if (stat (target, &sb) == 0)
        {
          set_status (st, share, target, HV_AGENT_SHARE_MOUNTED, 0, NULL);
          return;
        }
      agent_log ("share %s: mount is stale (%s), mounting again", share->name, strerror (errno));
    }
  if (m != NULL)
    umount2 (target, MNT_DETACH);

  if (ensure_root (root) != 0 || ensure_dir (target) != 0)
    {
      int e = errno;
      set_status (st, share, target, HV_AGENT_SHARE_FAILED, e, strerror (e));
      return;
    }

  if (share->kind == HV_AGENT_SHARE_KIND_VIRTIOFS)
    r = mount (share->tag, target, "virtiofs", flags, NULL);
  else
    r = mount (share->tag, target, "9p", flags, NINEP_OPTIONS);
  if (r != 0)
    {
      int e = errno;

      agent_log ("share %s: mount %s %s on %s failed: %s", share->name, fstype, share->tag,
                 target, strerror (e));
      set_status (st, share, target, HV_AGENT_SHARE_FAILED, e, strerror (e));
      rmdir (target);
      return;
    }
  agent_log ("share %s: mounted %s %s on %s%s", share->name, fstype, share->tag, target,
             readonly ? " (read-only)" : "");
  set_status (st, share, target, HV_AGENT_SHARE_MOUNTED, 0, NULL);
}

void
agent_shares_apply (const char *root, const HvAgentShares *shares, HvAgentShareStatus *status)
{
  MountEntry mounts[256];
  size_t n_mounts = read_mounts (root, mounts, 256);

  memset (status, 0, sizeof *status);
  status->generation = shares->generation;
  if (shares->n_shares > 0)
    {
      status->shares = calloc (shares->n_shares, sizeof (HvAgentShareStatusEntry));
      if (status->shares != NULL)
        status->n_shares = shares->n_shares;
    }
  for (size_t i = 0; i < status->n_shares; i++)
    apply_one (root, &shares->shares[i], mounts, n_mounts, &status->shares[i]);

  /* Shares that left the list: detach (open files keep working until closed). */
  for (size_t i = 0; i < n_mounts; i++)
    {
      const char *name = mounts[i].target + strlen (root) + 1;
      bool listed = false;

      if (strchr (name, '/') != NULL)
        continue; /* something a user mounted deeper down: not ours */
      for (size_t k = 0; k < shares->n_shares; k++)
        if (strcmp (shares->shares[k].name, name) == 0)
          listed = true;
      if (!listed && (strcmp (mounts[i].fstype, "9p") == 0
                      || strcmp (mounts[i].fstype, "virtiofs") == 0))
        {
          if (umount2 (mounts[i].target, MNT_DETACH) == 0)
            {
              agent_log ("share %s: removed, unmounted %s", name, mounts[i].target);
              rmdir (mounts[i].target);
            }
        }
    }
  free_mounts (mounts, n_mounts);
}
