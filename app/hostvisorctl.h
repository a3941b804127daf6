/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostvisorctl.h: what the files of the command line share.
 *
 * hostvisorctl.c          main(): runs what the command line asks, errors, exit status
 * hostvisorctl-commands.c the command table and hv_ctl_command_line_parse(), help text
 * hostvisorctl-options.c  the strict option parser and the create/modify options
 * hostvisorctl-client.c   the engine connection and output helpers
 * hostvisorctl-vm.c       commands on the library and on one VM (list, show, start, …)
 * hostvisorctl-io.c       commands that move bytes: screenshot, log, console
 * hostvisorctl-netsetup.c the one-time network set-up and the host's interfaces
 * hostvisorctl-network.c  host-only networks: network list, create, modify, remove
 * hostvisorctl-portforward.c  network adapters in show, port-forward list|add|remove
 * hostvisorctl-clone.c    clone
 * hostvisorctl-export.c   export, cancel
 * hostvisorctl-import.c   import
 * hostvisorctl-snapshot.c snapshot take|list|restore|delete|edit, save-state, discard-state
 *
 * Everything but main() is the static library "hvctl". Parsing never prints, exits or
 * reaches the engine: hv_ctl_command_line_parse() takes an argv and returns what to do or a
 * GError, so a fuzz target can call it (and hv_ctl_vm_options_build() on its result).
 *
 * Every command is a function that returns FALSE with a GError on failure; main() turns
 * that into one line on stderr and the exit status (HV_CTL_USAGE_ERROR: 2,
 * HV_CTL_EXIT_ERROR: its code, anything else: 1). docs/cli.md is the user-facing contract
 * of all of this. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "hv-client.h"
#include "hv-client-remote.h"
#include "hv-types.h"

G_BEGIN_DECLS

#define HV_CTL_EXIT_FAILURE 1
#define HV_CTL_EXIT_USAGE   2
/* stop: the guest did not shut down in time and the engine powered the VM off. */
#define HV_CTL_EXIT_FORCED  3

/* Errors in how the command was written (unknown option, bad number, missing argument):
 * exit status 2. The code is unused. */
#define HV_CTL_USAGE_ERROR (hv_ctl_usage_error_quark ())
GQuark hv_ctl_usage_error_quark (void);

/* An error that ends hostvisorctl with its code as the exit status (HV_CTL_EXIT_FORCED). */
#define HV_CTL_EXIT_ERROR (hv_ctl_exit_error_quark ())
GQuark hv_ctl_exit_error_quark (void);

typedef enum {
  HV_CTL_OPT_FLAG,    /* no value */
  HV_CTL_OPT_STRING,  /* any text */
  HV_CTL_OPT_PATH,    /* a file name, made absolute against the working directory */
  HV_CTL_OPT_UINT,    /* a decimal number within [min, max] */
} HvCtlOptKind;

typedef struct {
  const char   *name;     /* without the leading "--" */
  HvCtlOptKind  kind;
  guint64       min;      /* HV_CTL_OPT_UINT only */
  guint64       max;
  const char   *value;    /* the value's name in help, e.g. "MIB" */
  const char   *help;     /* one line, untranslated (N_) */
} HvCtlOption;

typedef struct _HvCtl HvCtl;
typedef struct _HvCtlArgs HvCtlArgs;
typedef struct _HvCtlCommand HvCtlCommand;

typedef gboolean (*HvCtlRunFunc) (HvCtl *ctl, HvCtlArgs *args, GError **error);

struct _HvCtlCommand {
  const char         *name;       /* "list", "folder create" */
  const char         *synopsis;   /* what follows the name in usage, e.g. "NAME [OPTIONS]" */
  const char         *summary;    /* one line (N_) */
  const char         *details;    /* more help text or NULL (N_) */
  const HvCtlOption  *options;    /* terminated by an entry with name NULL; NULL for none */
  guint               min_args;   /* positional arguments */
  guint               max_args;
  HvCtlRunFunc        run;
  guint               path_args;  /* bit i: positional i is a file or folder for the engine */
  guint               local_args; /* bit i: positional i stays here (never sent to the engine,
                                   * so it need not be UTF-8), e.g. screenshot's file */
};

/* What a command line asks for. */
typedef enum {
  HV_CTL_ACTION_RUN,      /* run args->command */
  HV_CTL_ACTION_HELP,     /* help: of help_command, of the group help_group, else of all */
  HV_CTL_ACTION_VERSION,  /* "--version" */
} HvCtlAction;

typedef struct {
  HvCtlAction          action;
  HvCtlArgs           *args;          /* HV_CTL_ACTION_RUN */
  const HvCtlCommand  *help_command;  /* HV_CTL_ACTION_HELP */
  char                *help_group;    /* HV_CTL_ACTION_HELP: "folder", "share"… */
  char                *connect;       /* --connect's address (checked), or NULL */
} HvCtlCommandLine;

/* A parsed command line: options by name, positional arguments in order. */
struct _HvCtlArgs {
  const HvCtlCommand *command;
  GHashTable         *values;       /* option name → value (char*; "" for flags) */
  GPtrArray          *positionals;  /* char* */
};

/* The connection to the engine, made on first use. */
struct _HvCtl {
  GDBusConnection *connection;
  HvDbusEngine    *engine;
  gboolean         engine_has_properties;
  HvRemote        *remote;        /* --connect: the engine is on this host, over ssh */
};

/* hostvisorctl-commands.c */
extern const HvCtlCommand hv_ctl_commands[];
extern const guint hv_ctl_n_commands;
/* @argv as main() gets it (argv[0] is the program); it is not changed. FALSE: an
 * HV_CTL_USAGE_ERROR. Prints nothing, never exits, never connects to the engine. */
gboolean     hv_ctl_command_line_parse   (int argc, char **argv, HvCtlCommandLine *out,
                                          GError **error);
void         hv_ctl_command_line_clear   (HvCtlCommandLine *line);
void         hv_ctl_print_help           (const HvCtlCommandLine *line);

/* hostvisorctl-options.c */
HvCtlArgs   *hv_ctl_args_parse           (const HvCtlCommand *command, int argc, char **argv,
                                          GError **error);
/* @remote (--connect): file names for the engine must be absolute (they are the remote
 * host's), instead of being made absolute here. */
HvCtlArgs   *hv_ctl_args_parse_full      (const HvCtlCommand *command, int argc, char **argv,
                                          gboolean remote, GError **error);
void         hv_ctl_args_free            (HvCtlArgs *args);
gboolean     hv_ctl_args_has             (HvCtlArgs *args, const char *name);
const char  *hv_ctl_args_get             (HvCtlArgs *args, const char *name);
guint64      hv_ctl_args_get_uint        (HvCtlArgs *args, const char *name);
const char  *hv_ctl_args_positional      (HvCtlArgs *args, guint i);
gboolean     hv_ctl_args_wants_help      (int argc, char **argv);
char        *hv_ctl_normalize_folder     (const char *folder);
GVariant    *hv_ctl_vm_options_build     (HvCtlArgs *args, gboolean for_modify, GError **error);

extern const HvCtlOption hv_ctl_create_options[];
extern const HvCtlOption hv_ctl_modify_options[];

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvCtlArgs, hv_ctl_args_free)

/* hostvisorctl-client.c */
HvDbusEngine *hv_ctl_get_engine          (HvCtl *ctl, gboolean with_properties, GError **error);
HvDbusVm     *hv_ctl_get_vm_by_path      (HvCtl *ctl, const char *object_path, GError **error);
HvDbusVm     *hv_ctl_find_vm             (HvCtl *ctl, const char *name_or_uuid, GError **error);
gboolean      hv_ctl_vm_refresh          (HvDbusVm *vm, GError **error);
char         *hv_ctl_display             (const char *text);
char         *hv_ctl_display_short       (const char *text);
char         *hv_ctl_vm_display_name     (HvDbusVm *vm);
void          hv_ctl_print_json          (JsonNode *root);
gboolean      hv_ctl_state_is_active     (const char *state);

/* hostvisorctl-vm.c */
/* A sentence for an AccelReason or KvmVerdict code ("slow": "KVM is present but slower…"). */
const char *hv_ctl_accel_reason_text (const char *reason);
gboolean hv_ctl_cmd_list          (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_show          (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_create        (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_modify        (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_start         (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_stop          (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_poweroff      (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_pause         (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_resume        (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_reset         (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_delete        (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_move          (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_folder_list   (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_folder_create (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_folder_rename (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_folder_delete (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_media_insert  (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_share_add     (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_demo          (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_share_remove  (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_share_list    (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_clipboard_get (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_clipboard_set (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_guest_tools_insert (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_media_eject   (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_os_list       (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_profile_list  (HvCtl *ctl, HvCtlArgs *args, GError **error);
/* hostvisorctl-profile.c: a VM's hardware for old guests in "show" and "show --json"
 * (@config may be NULL in the JSON form: every member null). */
void     hv_ctl_print_hardware    (const HvVmConfig *config);
void     hv_ctl_json_add_hardware (JsonBuilder *builder, const HvVmConfig *config);
gboolean hv_ctl_cmd_profile_show  (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_version       (HvCtl *ctl, HvCtlArgs *args, GError **error);

/* hostvisorctl-network.c */
extern const HvCtlOption hv_ctl_network_options[];
gboolean hv_ctl_cmd_network_list   (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_network_create (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_network_modify (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_network_remove (HvCtl *ctl, HvCtlArgs *args, GError **error);

/* hostvisorctl-portforward.c */
extern const HvCtlOption hv_ctl_port_forward_list_options[];
extern const HvCtlOption hv_ctl_port_forward_add_options[];
extern const HvCtlOption hv_ctl_port_forward_remove_options[];
/* port-forward add's options as AddPortForward's @rule (a floating a{sv}) and its @slot. */
GVariant *hv_ctl_port_forward_rule_build (HvCtlArgs *args, guint *slot, GError **error);
/* The "adapters" member of show --json (from Vm.Adapters), and show's text. */
void     hv_ctl_json_add_adapters      (JsonBuilder *builder, HvDbusVm *vm);
void     hv_ctl_print_adapters         (HvDbusVm *vm);
gboolean hv_ctl_cmd_port_forward_list  (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_port_forward_add   (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_port_forward_remove (HvCtl *ctl, HvCtlArgs *args, GError **error);

/* hostvisorctl-clone.c */
extern const HvCtlOption hv_ctl_clone_options[];
gboolean hv_ctl_cmd_clone              (HvCtl *ctl, HvCtlArgs *args, GError **error);

/* The id of @vm's snapshot named or numbered @snap (a name several have is refused, with
 * their ids); @command starts the messages (hostvisorctl-clone.c). */
char *hv_ctl_resolve_snapshot (HvDbusVm *vm, const char *command, const char *snap,
                               GError **error);
/* hostvisorctl-export.c */
extern const HvCtlOption hv_ctl_export_options[];
gboolean hv_ctl_cmd_export             (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_cancel             (HvCtl *ctl, HvCtlArgs *args, GError **error);
/* hostvisorctl-import.c */
extern const HvCtlOption hv_ctl_import_options[];
gboolean hv_ctl_cmd_import             (HvCtl *ctl, HvCtlArgs *args, GError **error);
/* hostvisorctl-snapshot.c */
extern const HvCtlOption hv_ctl_snapshot_take_options[];
extern const HvCtlOption hv_ctl_snapshot_list_options[];
extern const HvCtlOption hv_ctl_snapshot_restore_options[];
extern const HvCtlOption hv_ctl_snapshot_edit_options[];
/* "saved-state", "current_snapshot" and "operation" of show --json. */
void     hv_ctl_json_add_snapshot_state (JsonBuilder *builder, HvDbusVm *vm);
gboolean hv_ctl_cmd_snapshot_take    (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_snapshot_list    (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_snapshot_restore (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_snapshot_delete  (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_snapshot_edit    (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_save_state       (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_discard_state    (HvCtl *ctl, HvCtlArgs *args, GError **error);

/* hostvisorctl-io.c */
gboolean hv_ctl_cmd_screenshot    (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_log           (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_console       (HvCtl *ctl, HvCtlArgs *args, GError **error);

/* hostvisorctl-bridge.c */
extern const HvCtlOption hv_ctl_bridge_options[];
gboolean hv_ctl_cmd_bridge        (HvCtl *ctl, HvCtlArgs *args, GError **error);

/* hostvisorctl-remote.c: what --connect cannot do over D-Bus (file descriptors and files of
 * the remote host: screenshot, log, console), done by running hostvisorctl there through ssh
 * with the VM's UUID. */
gboolean hv_ctl_remote_screenshot (HvCtl *ctl, HvDbusVm *vm, GBytes **png, GError **error);
gboolean hv_ctl_remote_log        (HvCtl *ctl, HvDbusVm *vm, gboolean follow, GError **error);
gboolean hv_ctl_remote_console    (HvCtl *ctl, HvDbusVm *vm, GError **error);
/* A line for a failure on a remote connection that was lost, else NULL. */
char    *hv_ctl_remote_lost_line  (HvCtl *ctl);

/* hostvisorctl-netsetup.c */
extern const HvCtlOption hv_ctl_network_setup_options[];
gboolean hv_ctl_cmd_network_setup      (HvCtl *ctl, HvCtlArgs *args, GError **error);
gboolean hv_ctl_cmd_network_interfaces (HvCtl *ctl, HvCtlArgs *args, GError **error);

G_END_DECLS
