/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-qmp-fixture.h: the scripted fake QMP server test-qmp.c runs HvQmp against: the other
 * end of a socketpair, driven from the test itself. A socket source collects whatever the
 * client writes (and any fds passed with it), server_write() sends raw bytes. Everything runs
 * on a private GMainContext, and every wait has a deadline that fails the test rather than
 * hanging it. */
#pragma once

#include "hv-error.h"
#include "hv-qmp.h"
#include <errno.h>
#include <fcntl.h>
#include <gio/gunixfdmessage.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_TIMEOUT_USEC (20 * G_USEC_PER_SEC)

#define GREETING \
  "{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7, \"minor\": 2, \"micro\": 0}, " \
  "\"package\": \"Debian 1:7.2+dfsg-7\"}, \"capabilities\": [\"oob\"]}}\r\n"

typedef struct
{
  gboolean    done;
  JsonNode   *node;
  GError     *error;
  HvQmp      *qmp;    /* for handshakes */
} Result;

typedef struct
{
  char       *name;
  JsonObject *data;
  gint64      timestamp;
} Event;

typedef struct
{
  GMainContext      *context;
  GSource           *tick;

  GSocketConnection *client;
  GSocketConnection *server;
  GSocket           *server_socket;
  GSource           *server_source;
  GByteArray        *server_input;
  GArray            *server_fds;       /* of int, received with client writes */
  gboolean           server_eof;

  HvQmp             *qmp;
  GPtrArray         *results;          /* of Result *, freed at teardown */
  GPtrArray         *events;           /* of Event * */
  guint              n_disconnected;
  gboolean           disconnect_error_was_null;
  GError            *disconnect_error;
} Fixture;

#define WAIT_UNTIL(f, cond) \
  G_STMT_START { \
    gint64 deadline_ = g_get_monotonic_time () + WAIT_TIMEOUT_USEC; \
    while (!(cond)) \
      { \
        if (g_get_monotonic_time () > deadline_) \
          g_error ("%s:%d: timed out waiting for %s", __FILE__, __LINE__, #cond); \
        g_main_context_iteration ((f)->context, TRUE); \
      } \
  } G_STMT_END

gboolean tick_cb (gpointer user_data);
void drain (Fixture *f);
void result_free (Result *result);
void event_free (Event *event);
Result *result_new (Fixture *f);
gboolean server_readable_cb (GSocket *socket, GIOCondition condition, gpointer user_data);
void server_resume (Fixture *f);
void server_pause (Fixture *f);
void fixture_setup (Fixture *f, gconstpointer data);
void fixture_teardown (Fixture *f, gconstpointer data);
void server_write_len (Fixture *f, const char *data, gsize len);
void server_write (Fixture *f, const char *data);
void server_write_bytewise (Fixture *f, const char *data);
void server_close (Fixture *f);
JsonObject *server_read_message (Fixture *f);
char *server_expect (Fixture *f, const char *command, JsonObject **arguments);
void server_reply (Fixture *f, const char *id, const char *return_json);
void on_event (HvQmp *qmp, const char *name, JsonObject *data, gint64 timestamp,
               Fixture *f);
void on_disconnected (HvQmp *qmp, const GError *error, Fixture *f);
void handshake_cb (GObject *object, GAsyncResult *result, gpointer user_data);
Result *start_handshake (Fixture *f, GCancellable *cancellable);
void adopt_qmp (Fixture *f, Result *r);
void connect_fixture (Fixture *f);
void execute_cb (GObject *object, GAsyncResult *result, gpointer user_data);
Result *execute (Fixture *f, const char *command, JsonObject *arguments, int fd,
                 GCancellable *cancellable);
JsonObject *parse_object (const char *json);
void assert_disconnected_with_error (Fixture *f, const char *message_part);
