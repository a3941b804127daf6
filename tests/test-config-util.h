/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-config-util.h: what test-config, test-config-rules and test-fileutil share: temporary
 * directories, files, a config that sets every field, and comparisons. */
#pragma once

#include <glib.h>

#include "hv-config.h"

char *make_tmpdir (void);
void rm_rf (const char *dir);
int compare_names (gconstpointer a, gconstpointer b);
GPtrArray *list_dir (const char *dir);
char *read_file (const char *path);
void write_file (const char *path, const char *contents, gssize len);
HvVmConfig *make_full_config (void);
void assert_config_equal (const HvVmConfig *a, const HvVmConfig *b);
void assert_one_line_error (const GError *error, int code, const char *fragment);
