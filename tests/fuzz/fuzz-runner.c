/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-runner.c: runs a libFuzzer entry point (LLVMFuzzerTestOneInput) without libFuzzer, so
 * the fuzz corpus runs as an ordinary test with any compiler.
 *
 *   fuzz-runner [--mutations N] [--seed S] PATH...
 *
 * Each PATH is a file or a directory of files; every file runs as it is, then N random
 * mutations of randomly picked files (bit flips, byte changes, insertions, deletions, cuts and
 * splices of two files). Any crash or abort fails the test, and the input that caused it is
 * written to ./fuzz-crash-input (or $HV_FUZZ_CRASH_FILE) for replaying with the runner or the
 * libFuzzer binary. Prints a TAP plan of one test. A target may define LLVMFuzzerInitialize(),
 * which runs first, as under libFuzzer.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
/* Optional, as in libFuzzer: a target that needs set-up defines it. */
int LLVMFuzzerInitialize (int *argc, char ***argv) __attribute__ ((weak));

typedef struct
{
  uint8_t *data;
  size_t size;
} Input;

static Input *inputs;
static size_t n_inputs;

/* The input being run, for the crash handler. */
static const uint8_t *volatile current_data;
static volatile size_t current_size;
static const char *crash_file = "fuzz-crash-input";

static void
on_crash (int sig)
{
  static const char msg[] = "fuzz-runner: crashed; the input is in ";
  int fd = open (crash_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

  /* Only async-signal-safe calls here. */
  if (fd >= 0)
    {
      if (current_size > 0 && write (fd, (const void *) current_data, current_size) < 0)
        { /* nothing more can be done from a signal handler */ }
      close (fd);
      if (write (2, msg, sizeof msg - 1) < 0 || write (2, crash_file, strlen (crash_file)) < 0 ||
          write (2, "\n", 1) < 0)
        { /* as above */ }
    }
  signal (sig, SIG_DFL);
  raise (sig);
}

static void
run_one (const uint8_t *data,
         size_t         size)
{
  current_data = data;
  current_size = size;
  LLVMFuzzerTestOneInput (data, size);
  current_size = 0;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng (void)
{
  /* xorshift64*: reproducible across libcs, unlike rand (). */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1dull;
}

static size_t
below (size_t n)
{
  return n == 0 ? 0 : (size_t) (rng () % n);
}

static void
add_file (const char *path)
{
  FILE *f = fopen (path, "rb");
  Input in = { NULL, 0 };
  uint8_t buf[65536];
  size_t n;

  if (f == NULL)
    {
      perror (path);
      exit (2);
    }
  while ((n = fread (buf, 1, sizeof buf, f)) > 0)
    {
      in.data = realloc (in.data, in.size + n);
      if (in.data == NULL)
        exit (2);
      memcpy (in.data + in.size, buf, n);
      in.size += n;
    }
  fclose (f);
  inputs = realloc (inputs, (n_inputs + 1) * sizeof *inputs);
  if (inputs == NULL)
    exit (2);
  inputs[n_inputs++] = in;
}

static void
add_path (const char *path)
{
  struct stat st;
  DIR *dir;
  struct dirent *e;

  if (stat (path, &st) != 0)
    {
      perror (path);
      exit (2);
    }
  if (!S_ISDIR (st.st_mode))
    {
      add_file (path);
      return;
    }
  dir = opendir (path);
  if (dir == NULL)
    {
      perror (path);
      exit (2);
    }
  while ((e = readdir (dir)) != NULL)
    {
      char *child;

      if (e->d_name[0] == '.')
        continue;
      child = malloc (strlen (path) + strlen (e->d_name) + 2);
      if (child == NULL)
        exit (2);
      sprintf (child, "%s/%s", path, e->d_name);
      add_path (child);
      free (child);
    }
  closedir (dir);
}

/* One mutated copy of a random input (or of two spliced), in *out. */
static void
mutate (Input *out)
{
  const Input *src = &inputs[below (n_inputs)];
  size_t size = src->size;
  uint8_t *d = malloc (size + 64);
  unsigned n_changes = 1 + (unsigned) below (4);

  if (d == NULL)
    exit (2);
  memcpy (d, src->data, size);
  for (unsigned k = 0; k < n_changes; k++)
    {
      size_t at = below (size ? size : 1);

      switch (below (7))
        {
        case 0: if (size) d[at] ^= (uint8_t) (1u << below (8)); break;
        case 1: if (size) d[at] = (uint8_t) rng (); break;
        case 2: /* an interesting value: lengths and counts at their edges */
          if (size)
            {
              static const uint8_t edge[] = { 0x00, 0x01, 0x7f, 0x80, 0xff, 0x40, 0x10, 0x20 };
              d[at] = edge[below (sizeof edge)];
            }
          break;
        case 3: /* insert a byte */
          if (size < src->size + 64)
            {
              memmove (d + at + 1, d + at, size - at);
              d[at] = (uint8_t) rng ();
              size++;
            }
          break;
        case 4: /* delete a byte */
          if (size)
            {
              memmove (d + at, d + at + 1, size - at - 1);
              size--;
            }
          break;
        case 5: size = at; break; /* cut */
        default: /* splice: the tail of another input after our head */
          {
            const Input *other = &inputs[below (n_inputs)];
            size_t from = below (other->size ? other->size : 1);
            size_t take = other->size - from;

            d = realloc (d, at + take + 64);
            if (d == NULL)
              exit (2);
            if (take)
              memcpy (d + at, other->data + from, take);
            size = at + take;
          }
          break;
        }
    }
  out->data = d;
  out->size = size;
}

int
main (int argc, char **argv)
{
  unsigned long mutations = 10000;
  int i;

  for (i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--mutations") == 0 && i + 1 < argc)
        mutations = strtoul (argv[++i], NULL, 10);
      else if (strcmp (argv[i], "--seed") == 0 && i + 1 < argc)
        rng_state = strtoull (argv[++i], NULL, 0) | 1;
      else
        add_path (argv[i]);
    }
  if (n_inputs == 0)
    {
      fprintf (stderr, "usage: %s [--mutations N] [--seed S] PATH...\n", argv[0]);
      return 2;
    }

  if (getenv ("HV_FUZZ_CRASH_FILE") != NULL)
    crash_file = getenv ("HV_FUZZ_CRASH_FILE");
  signal (SIGABRT, on_crash);
  signal (SIGSEGV, on_crash);
  signal (SIGBUS, on_crash);
  signal (SIGFPE, on_crash);
  signal (SIGILL, on_crash);
  signal (SIGTRAP, on_crash); /* GLib's fatal criticals */

  if (LLVMFuzzerInitialize != NULL)
    LLVMFuzzerInitialize (&argc, &argv);
  printf ("1..1\n");
  fflush (stdout);
  for (size_t k = 0; k < n_inputs; k++)
    run_one (inputs[k].data, inputs[k].size);
  for (unsigned long k = 0; k < mutations; k++)
    {
      Input m;

      mutate (&m);
      run_one (m.data, m.size);
      free (m.data);
    }
  printf ("ok 1 - %zu corpus files and %lu mutations ran cleanly\n", n_inputs, mutations);
  for (size_t k = 0; k < n_inputs; k++)
    free (inputs[k].data);
  free (inputs);
  return 0;
}
