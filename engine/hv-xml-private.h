/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-xml-private.h: safe XML parsing for the engine (see hv-xml.c). */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

G_BEGIN_DECLS

/* Parse untrusted bytes. Refuses more than HV_CONFIG_MAX_SIZE bytes, empty input,
 * NUL bytes, invalid UTF-8, any DOCTYPE, and anything not well-formed, all as
 * HV_ERROR_INVALID_CONFIG "FILENAME:LINE: message". Nothing is printed. */
xmlDoc  *hv_xml_parse              (const char *data, gsize len, const char *filename,
                                    GError **error);

/* Validate against resources/hostvisor-vm.rng (found in $HOSTVISOR_SCHEMA_DIR, else
 * HV_PKGDATADIR, else the source tree), compiled on first use. HV_ERROR_INVALID_CONFIG
 * when the document does not match; HV_ERROR_FAILED when the schema cannot be loaded. */
gboolean hv_xml_validate_vm_schema (xmlDoc *doc, const char *filename, GError **error);
/* The same with resources/hostvisor-snapshot.rng (a snapshot's snapshot.xml). */
gboolean hv_xml_validate_snapshot_schema (xmlDoc *doc, const char *filename, GError **error);

/* Sets HV_ERROR_INVALID_CONFIG "FILENAME:LINE: message", or "FILENAME: message" when
 * line is 0 or less: always one line, with control and invisible formatting characters
 * escaped (\n, \x1b, \u202e) and long quotes from the file cut short ("…"). */
void     hv_xml_set_error          (GError **error, const char *filename, long line,
                                    const char *format, ...) G_GNUC_PRINTF (4, 5);

/* The same one-line "FILENAME: message" with another HV_ERROR code (a config that cannot
 * be read at all: HV_ERROR_IO, HV_ERROR_NOT_FOUND). */
void     hv_file_set_error         (GError **error, int code, const char *filename,
                                    const char *format, ...) G_GNUC_PRINTF (4, 5);

G_END_DECLS
