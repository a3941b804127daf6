/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-xml.c: libxml2 behind a safe front door, for files a user or another program
 * may have written: checks on the raw bytes, a parse that refuses DTDs before
 * reading them (so no entity, external or internal, is ever declared), and errors
 * collected into a GError instead of printed. Also the VM config's RelaxNG schema,
 * compiled once per process. */
#include "hv-xml-private.h"

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/xmlerror.h>
#include <string.h>

#include "hv-build-config.h"
#include "hv-config.h"
#include "hv-error.h"
#include "hv-fileutil.h"

#define SCHEMA_FILE "hostvisor-vm.rng"
#define SNAPSHOT_SCHEMA_FILE "hostvisor-snapshot.rng"

/* Not set, on purpose: XML_PARSE_NOENT (entity substitution), XML_PARSE_DTDLOAD,
 * XML_PARSE_DTDATTR, XML_PARSE_DTDVALID, XML_PARSE_XINCLUDE, XML_PARSE_HUGE (which
 * would lift libxml2's own depth and size limits). */
#define PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING \
                       | XML_PARSE_IGNORE_ENC | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES)

#if LIBXML_VERSION >= 21200
typedef const xmlError *HvXmlErrorPtr;
#else
typedef xmlErrorPtr HvXmlErrorPtr;
#endif

/* Error collection */

/* Keeps libxml2's first error instead of letting it print anything. */
typedef struct {
  char *message;
  long line;
  gboolean at_end;     /* the parser had read all input: the file is cut short */
  gboolean saw_dtd;
  long dtd_line;
} Collector;

static void
collector_clear (Collector *collector)
{
  g_clear_pointer (&collector->message, g_free);
}

static void
collect_structured (void         *data,
                    HvXmlErrorPtr err)
{
  Collector *collector = data;

  if (collector->message != NULL || err == NULL || err->level < XML_ERR_ERROR)
    return;

  collector->message = g_strchomp (g_strdup (err->message != NULL ? err->message : "error"));
  collector->line = err->line;
  if (collector->line <= 0 && err->node != NULL)
    collector->line = xmlGetLineNo (err->node);

  if (err->domain == XML_FROM_PARSER && err->ctxt != NULL)
    {
      xmlParserCtxtPtr ctxt = err->ctxt;

      collector->at_end = ctxt->input != NULL && ctxt->input->cur >= ctxt->input->end;
    }
}

static void collect_generic (void *data, const char *msg, ...) G_GNUC_PRINTF (2, 3);

/* Generic messages are fragments meant for stderr; the structured ones carry the
 * same errors, so these are only swallowed. */
static void
collect_generic (void       *data,
                 const char *msg,
                 ...)
{
}

typedef struct {
  xmlStructuredErrorFunc structured;
  void *structured_data;
  xmlGenericErrorFunc generic;
  void *generic_data;
} SavedHandlers;

/* The handlers are per thread in libxml2; install ours around each call and put
 * back whatever the thread had (libosinfo also uses libxml2). */
static void
handlers_push (Collector     *collector,
               SavedHandlers *saved)
{
  saved->structured = xmlStructuredError;
  saved->structured_data = xmlStructuredErrorContext;
  saved->generic = xmlGenericError;
  saved->generic_data = xmlGenericErrorContext;
  xmlSetStructuredErrorFunc (collector, (xmlStructuredErrorFunc) collect_structured);
  xmlSetGenericErrorFunc (collector, collect_generic);
}

static void
handlers_pop (SavedHandlers *saved)
{
  xmlSetStructuredErrorFunc (saved->structured_data, saved->structured);
  xmlSetGenericErrorFunc (saved->generic_data, saved->generic);
}

/* Config errors are one line for people and logs: "FILE:LINE: message". A message may quote
 * the file (a value, an element name) and the file may hold anything, so what is quoted is
 * made printable and short. */
#define QUOTE_MAX_CHARS 40
#define QUOTE_KEPT_CHARS 32
#define MESSAGE_MAX_BYTES 400

/* Appends `text` with every control or invisible formatting character (line breaks, tabs,
 * bidi overrides, zero-width spaces…) written as an escape; invalid UTF-8 as \xNN. */
static void
append_printable (GString    *out,
                  const char *text,
                  gsize       len)
{
  const char *p = text;
  const char *end = text + len;

  while (p < end)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02x", (guint8) *p);
          p++;
          continue;
        }
      if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c == '\r')
        g_string_append (out, "\\r");
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\x%02x", c);
      else if (g_unichar_iscntrl (c) || g_unichar_type (c) == G_UNICODE_FORMAT ||
               g_unichar_type (c) == G_UNICODE_LINE_SEPARATOR ||
               g_unichar_type (c) == G_UNICODE_PARAGRAPH_SEPARATOR)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }
}

/* A message made printable, with every run of more than QUOTE_MAX_CHARS characters without
 * a space (a quoted value, a long element name) cut to QUOTE_KEPT_CHARS and "…", keeping a
 * closing quote or bracket, and the whole capped at MESSAGE_MAX_BYTES. */
static char *
sanitize_message (const char *message)
{
  g_autoptr(GString) printable = g_string_new (NULL);
  GString *out = g_string_new (NULL);
  const char *p;

  append_printable (printable, message, strlen (message));
  g_strstrip (printable->str);
  printable->len = strlen (printable->str);

  p = printable->str;
  while (*p != '\0')
    {
      const char *word_end = p;
      glong chars;

      if (*p == ' ')
        {
          g_string_append_c (out, *p++);
          continue;
        }
      while (*word_end != '\0' && *word_end != ' ')
        word_end++;
      chars = g_utf8_strlen (p, word_end - p);
      if (chars <= QUOTE_MAX_CHARS)
        g_string_append_len (out, p, word_end - p);
      else
        {
          const char *cut = g_utf8_offset_to_pointer (p, QUOTE_KEPT_CHARS);
          char last = word_end[-1];

          g_string_append_len (out, p, cut - p);
          g_string_append (out, "…");
          if (strchr ("\"'>)]", last) != NULL)
            g_string_append_c (out, last);
        }
      p = word_end;
    }

  if (out->len > MESSAGE_MAX_BYTES)
    {
      const char *cut = out->str + MESSAGE_MAX_BYTES;

      /* Not in the middle of a character. */
      cut = g_utf8_find_prev_char (out->str, cut + 1);
      g_string_truncate (out, cut - out->str);
      g_string_append (out, "…");
    }
  return g_string_free (out, FALSE);
}

static void
set_located_error (GError     **error,
                   int          code,
                   const char  *filename,
                   long         line,
                   const char  *message)
{
  g_autoptr(GString) shown_file = g_string_new (NULL);
  g_autofree char *shown_message = sanitize_message (message);

  append_printable (shown_file, filename, strlen (filename));
  if (line > 0)
    g_set_error (error, HV_ERROR, code, "%s:%ld: %s", shown_file->str, line, shown_message);
  else
    g_set_error (error, HV_ERROR, code, "%s: %s", shown_file->str, shown_message);
}

void
hv_xml_set_error (GError     **error,
                  const char  *filename,
                  long         line,
                  const char  *format,
                  ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  set_located_error (error, HV_ERROR_INVALID_CONFIG, filename, line, message);
}

void
hv_file_set_error (GError     **error,
                   int          code,
                   const char  *filename,
                   const char  *format,
                   ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  set_located_error (error, code, filename, 0, message);
}

/* Parsing */

/* libxml2 asks to be initialized once, before any thread uses it. */
static void
ensure_initialized (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      xmlInitParser ();
      g_once_init_leave (&initialized, 1);
    }
}

static long
line_at_offset (const char *data,
                gsize       offset)
{
  long line = 1;

  for (gsize i = 0; i < offset; i++)
    if (data[i] == '\n')
      line++;
  return line;
}

/* Called when the parser meets <!DOCTYPE, before it reads the internal subset: stop
 * there, so that no entity or other declaration is ever processed. */
static void
on_internal_subset (void          *ctx,
                    const xmlChar *name,
                    const xmlChar *external_id,
                    const xmlChar *system_id)
{
  xmlParserCtxtPtr ctxt = ctx;
  Collector *collector = ctxt->_private;

  collector->saw_dtd = TRUE;
  collector->dtd_line = ctxt->input != NULL ? ctxt->input->line : 0;
  xmlStopParser (ctxt);
}

xmlDoc *
hv_xml_parse (const char  *data,
              gsize        len,
              const char  *filename,
              GError     **error)
{
  Collector collector = { 0 };
  SavedHandlers saved;
  xmlParserCtxtPtr ctxt;
  xmlDoc *doc;
  const char *end = NULL;
  const char *nul;

  if (len > HV_CONFIG_MAX_SIZE)
    {
      hv_xml_set_error (error, filename, 0,
                        "the file is too large (%" G_GSIZE_FORMAT " bytes; the limit is %d)",
                        len, HV_CONFIG_MAX_SIZE);
      return NULL;
    }
  if (len == 0)
    {
      hv_xml_set_error (error, filename, 1, "the file is empty");
      return NULL;
    }
  if ((nul = memchr (data, '\0', len)) != NULL)
    {
      hv_xml_set_error (error, filename, line_at_offset (data, nul - data),
                        "the file contains a NUL byte; it is not a text file");
      return NULL;
    }
  if (!g_utf8_validate_len (data, len, &end))
    {
      hv_xml_set_error (error, filename, line_at_offset (data, end - data),
                        "the file is not valid UTF-8 text (byte 0x%02x)", (guint8) *end);
      return NULL;
    }

  ensure_initialized ();
  ctxt = xmlNewParserCtxt ();
  if (ctxt == NULL)
    {
      hv_xml_set_error (error, filename, 0, "out of memory");
      return NULL;
    }
  ctxt->_private = &collector;
  ctxt->sax->internalSubset = on_internal_subset;
  /* A thread's libxml2 defaults could ask for these; a config never wants them. */
  ctxt->replaceEntities = 0;
  ctxt->loadsubset = 0;
  ctxt->validate = 0;

  handlers_push (&collector, &saved);
  /* The bytes are known to be UTF-8; XML_PARSE_IGNORE_ENC keeps an encoding declaration
   * from re-decoding them as something else. */
  doc = xmlCtxtReadMemory (ctxt, data, (int) len, NULL, "UTF-8", PARSE_OPTIONS);
  handlers_pop (&saved);

  if (collector.saw_dtd)
    {
      g_clear_pointer (&doc, xmlFreeDoc);
      hv_xml_set_error (error, filename, collector.dtd_line,
                        "DTDs are not allowed (remove the <!DOCTYPE> declaration)");
    }
  else if ((doc == NULL || !ctxt->wellFormed) && collector.message != NULL &&
           g_str_has_prefix (collector.message, "Excessive depth in document"))
    {
      /* libxml2's own limit (without XML_PARSE_HUGE, which stays off); its message names
       * the parser option, which means nothing to someone editing a config. */
      g_clear_pointer (&doc, xmlFreeDoc);
      hv_xml_set_error (error, filename, collector.line,
                        "elements are nested too deeply (libxml2 allows 256 levels)");
    }
  else if (doc == NULL || !ctxt->wellFormed)
    {
      g_clear_pointer (&doc, xmlFreeDoc);
      hv_xml_set_error (error, filename, collector.line, "not well-formed XML%s: %s",
                        collector.at_end ? " (the file ends too early; is it cut short?)" : "",
                        collector.message != NULL ? collector.message : "cannot parse");
    }

  xmlFreeParserCtxt (ctxt);
  collector_clear (&collector);
  return doc;
}

/* The schema */

typedef struct {
  xmlRelaxNGPtr schema;
  char *error;       /* why it could not be loaded */
  /* libxml2 does not promise that validations against one compiled schema may run
   * concurrently; configs are small, so one at a time. */
  GMutex lock;
} Schema;

static char *
find_schema (const char *file)
{
  const char *dirs[] = { HV_PKGDATADIR, HV_SOURCE_RESOURCES_DIR };
  const char *env = g_getenv ("HOSTVISOR_SCHEMA_DIR");

  if (env != NULL && *env != '\0')
    return g_build_filename (env, file, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = g_build_filename (dirs[i], file, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
    }

  return g_build_filename (HV_PKGDATADIR, file, NULL);
}

/* `data`: the schema's file name. */
static gpointer
load_schema (gpointer data)
{
  Schema *schema = g_new0 (Schema, 1);
  g_autofree char *path = find_schema (data);
  const char *what = g_str_equal (data, SCHEMA_FILE) ? "VM config" : "snapshot";
  g_autofree char *text = NULL;
  g_autoptr(GError) local_error = NULL;
  Collector collector = { 0 };
  SavedHandlers saved;
  xmlRelaxNGParserCtxtPtr pctxt;
  xmlDoc *doc;
  gsize len = 0;

  g_mutex_init (&schema->lock);

  if (!hv_file_read_capped (path, HV_CONFIG_MAX_SIZE, &text, &len, &local_error)
      || (doc = hv_xml_parse (text, len, path, &local_error)) == NULL)
    {
      schema->error = g_strdup_printf ("Cannot load the %s schema: %s", what,
                                       local_error->message);
      return schema;
    }

  /* The parser context works on its own copy of the document. */
  pctxt = xmlRelaxNGNewDocParserCtxt (doc);
  xmlFreeDoc (doc);
  xmlRelaxNGSetParserStructuredErrors (pctxt, (xmlStructuredErrorFunc) collect_structured,
                                       &collector);
  handlers_push (&collector, &saved);
  schema->schema = xmlRelaxNGParse (pctxt);
  handlers_pop (&saved);
  xmlRelaxNGFreeParserCtxt (pctxt);

  if (schema->schema == NULL)
    schema->error = g_strdup_printf ("Cannot load the %s schema %s:%ld: %s", what, path,
                                     collector.line,
                                     collector.message ? collector.message : "invalid schema");
  collector_clear (&collector);
  return schema;
}

static Schema *
get_schema (void)
{
  static GOnce once = G_ONCE_INIT;

  return g_once (&once, load_schema, SCHEMA_FILE);
}

static Schema *
get_snapshot_schema (void)
{
  static GOnce once = G_ONCE_INIT;

  return g_once (&once, load_schema, SNAPSHOT_SCHEMA_FILE);
}

static gboolean validate (Schema *schema, xmlDoc *doc, const char *filename, const char *what,
                          GError **error);

gboolean
hv_xml_validate_vm_schema (xmlDoc      *doc,
                           const char  *filename,
                           GError     **error)
{
  return validate (get_schema (), doc, filename, "VM config", error);
}

gboolean
hv_xml_validate_snapshot_schema (xmlDoc      *doc,
                                 const char  *filename,
                                 GError     **error)
{
  return validate (get_snapshot_schema (), doc, filename, "snapshot", error);
}

static gboolean
validate (Schema      *schema,
          xmlDoc      *doc,
          const char  *filename,
          const char  *what,
          GError     **error)
{
  Collector collector = { 0 };
  SavedHandlers saved;
  xmlRelaxNGValidCtxtPtr vctxt;
  int ret;

  if (schema->schema == NULL)
    {
      g_set_error_literal (error, HV_ERROR, HV_ERROR_FAILED, schema->error);
      return FALSE;
    }

  g_mutex_lock (&schema->lock);
  vctxt = xmlRelaxNGNewValidCtxt (schema->schema);
  xmlRelaxNGSetValidStructuredErrors (vctxt, (xmlStructuredErrorFunc) collect_structured,
                                      &collector);
  handlers_push (&collector, &saved);
  ret = xmlRelaxNGValidateDoc (vctxt, doc);
  handlers_pop (&saved);
  xmlRelaxNGFreeValidCtxt (vctxt);
  g_mutex_unlock (&schema->lock);

  if (ret != 0)
    hv_xml_set_error (error, filename, collector.line, "does not match the %s schema: %s",
                      what, collector.message != NULL ? collector.message : "invalid document");
  collector_clear (&collector);
  return ret == 0;
}
