/*
 * A headless legacy Group Chat client for Stoa's tests: libpurple with only the SIPE
 * plugin loaded (Debian pidgin-sipe), on a GLib main loop, driven line by line on stdin
 * and reporting line by line on stdout (spec 03). SIPE is run, never copied.
 *
 * usage: sipe-harness <port> <user@domain> <config dir>   (password: $STOA_SIPE_PASSWORD)
 * stdin:  list | join <ma-chan uri> | post <text> | quit
 * stdout: signed-on | room <name> | list-done | joined <name> | msg <sender>\t<text> |
 *         error <text>
 *
 * Debian 12's libxml2 ignores a SAX1 handler marked as SAX2, which SIPE passes to
 * xmlSAXUserParseMemory, so every XML body SIPE reads would be silently empty. This
 * program is linked with -rdynamic and defines xmlSAXUserParseMemory itself: it clears the
 * marker and calls libxml2's.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <libxml/parser.h>
#include <purple.h>

#define UI_ID "stoa-test"

/* ---------------------------------------------------------------- libxml2 interposition */

int xmlSAXUserParseMemory(xmlSAXHandlerPtr sax, void *user_data, const char *buffer, int size) {
  static int (*real)(xmlSAXHandlerPtr, void *, const char *, int) = NULL;
  if (real == NULL) real = (int (*)(xmlSAXHandlerPtr, void *, const char *, int))dlsym(RTLD_NEXT, "xmlSAXUserParseMemory");
  if (sax != NULL && sax->initialized == XML_SAX2_MAGIC && sax->startElementNs == NULL) sax->initialized = 1;
  return real(sax, user_data, buffer, size);
}

/* ---------------------------------------------------------------- output */

static void say(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  fflush(stdout);
}

/* One line for a value that may hold line breaks or tabs. */
static char *flat(const char *text) {
  char *copy = g_strdup(text == NULL ? "" : text);
  for (char *p = copy; *p; p++)
    if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
  return copy;
}

/* ---------------------------------------------------------------- event loop on GLib */

typedef struct {
  PurpleInputFunction function;
  guint result;
  gpointer data;
} InputClosure;

static gboolean input_dispatch(GIOChannel *source, GIOCondition condition, gpointer data) {
  InputClosure *closure = data;
  PurpleInputCondition cond = 0;
  if (condition & (G_IO_IN | G_IO_HUP | G_IO_ERR)) cond |= PURPLE_INPUT_READ;
  if (condition & (G_IO_OUT | G_IO_HUP | G_IO_ERR | G_IO_NVAL)) cond |= PURPLE_INPUT_WRITE;
  closure->function(closure->data, g_io_channel_unix_get_fd(source), cond);
  return TRUE;
}

static guint input_add(gint fd, PurpleInputCondition condition, PurpleInputFunction function, gpointer data) {
  InputClosure *closure = g_new0(InputClosure, 1);
  GIOCondition cond = 0;
  closure->function = function;
  closure->data = data;
  if (condition & PURPLE_INPUT_READ) cond |= G_IO_IN | G_IO_HUP | G_IO_ERR;
  if (condition & PURPLE_INPUT_WRITE) cond |= G_IO_OUT | G_IO_HUP | G_IO_ERR | G_IO_NVAL;
  GIOChannel *channel = g_io_channel_unix_new(fd);
  closure->result = g_io_add_watch_full(channel, G_PRIORITY_DEFAULT, cond, input_dispatch, closure, g_free);
  g_io_channel_unref(channel);
  return closure->result;
}

static PurpleEventLoopUiOps eventloop_ops = {
    g_timeout_add, g_source_remove, input_add, g_source_remove, NULL, g_timeout_add_seconds, NULL, NULL, NULL,
};

/* ---------------------------------------------------------------- room list */

static void room_added(PurpleRoomlist *list, PurpleRoomlistRoom *room) {
  (void)list;
  char *name = flat(purple_roomlist_room_get_name(room));
  say("room %s", name);
  g_free(name);
}

static void room_list_progress(PurpleRoomlist *list, gboolean busy) {
  (void)list;
  if (!busy) say("list-done");
}

static PurpleRoomlistUiOps roomlist_ops = {NULL, NULL, NULL, room_added, room_list_progress, NULL, NULL, NULL, NULL, NULL};

/* ---------------------------------------------------------------- client state */

static GMainLoop *loop;
static PurpleAccount *account;
static PurpleConversation *last_chat;
static gboolean want_list;

static gboolean poll_room_list(gpointer data) {
  (void)data;
  if (!want_list) return FALSE;
  PurpleConnection *gc = purple_account_get_connection(account);
  if (gc == NULL) return TRUE;
  /* NULL until the group chat session is up (spec 03); SIPE owns the list. */
  if (purple_roomlist_get_list(gc) == NULL) return TRUE;
  want_list = FALSE;
  return FALSE;
}

static void signed_on(PurpleConnection *gc, gpointer data) {
  (void)gc;
  (void)data;
  say("signed-on");
}

static void connection_error(PurpleConnection *gc, PurpleConnectionError reason, const char *text, gpointer data) {
  (void)gc;
  (void)reason;
  (void)data;
  char *t = flat(text);
  say("error %s", t);
  g_free(t);
}

static void chat_joined(PurpleConversation *conv, gpointer data) {
  (void)data;
  last_chat = conv;
  char *t = flat(purple_conversation_get_title(conv));
  say("joined %s", t);
  g_free(t);
}

static void received_chat(PurpleAccount *acct, char *sender, char *message, PurpleConversation *conv, PurpleMessageFlags flags, gpointer data) {
  (void)acct;
  (void)conv;
  (void)flags;
  (void)data;
  char *plain = purple_markup_strip_html(message);
  char *s = flat(sender), *m = flat(plain);
  say("msg %s\t%s", s, m);
  g_free(s);
  g_free(m);
  g_free(plain);
}

static gboolean read_command(GIOChannel *source, GIOCondition condition, gpointer data) {
  (void)condition;
  (void)data;
  gchar *line = NULL;
  gsize length = 0;
  GIOStatus status = g_io_channel_read_line(source, &line, &length, NULL, NULL);
  if (status == G_IO_STATUS_EOF || status == G_IO_STATUS_ERROR) {
    g_main_loop_quit(loop);
    return FALSE;
  }
  if (line == NULL) return TRUE;
  g_strchomp(line);
  PurpleConnection *gc = purple_account_get_connection(account);
  if (g_strcmp0(line, "quit") == 0) {
    purple_account_set_enabled(account, UI_ID, FALSE);
    g_main_loop_quit(loop);
  } else if (g_strcmp0(line, "list") == 0) {
    want_list = TRUE;
    g_timeout_add(100, poll_room_list, NULL);
  } else if (g_str_has_prefix(line, "join ") && gc != NULL) {
    GHashTable *components = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_hash_table_insert(components, g_strdup("uri"), g_strdup(line + 5));
    serv_join_chat(gc, components);
    g_hash_table_destroy(components);
  } else if (g_str_has_prefix(line, "post ") && last_chat != NULL) {
    purple_conv_chat_send(PURPLE_CONV_CHAT(last_chat), line + 5);
  } else {
    say("error cannot %s now", line);
  }
  g_free(line);
  return TRUE;
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s <port> <user@domain> <config dir>\n", argv[0]);
    return 2;
  }
  static int handle;
  loop = g_main_loop_new(NULL, FALSE);
  purple_util_set_user_dir(argv[3]);
  purple_debug_set_enabled(getenv("STOA_SIPE_DEBUG") != NULL);
  purple_eventloop_set_ui_ops(&eventloop_ops);
  if (!purple_core_init(UI_ID)) {
    fprintf(stderr, "libpurple did not initialise\n");
    return 1;
  }
  purple_set_blist(purple_blist_new());
  purple_roomlist_set_ui_ops(&roomlist_ops);
  PurplePlugin *sipe = purple_plugins_find_with_id("prpl-sipe");
  if (sipe == NULL) {
    purple_plugins_probe(G_MODULE_SUFFIX);
    sipe = purple_plugins_find_with_id("prpl-sipe");
  }
  if (sipe == NULL || (!purple_plugin_is_loaded(sipe) && !purple_plugin_load(sipe))) {
    fprintf(stderr, "the SIPE plugin (prpl-sipe) is not available: apt-get install pidgin-sipe\n");
    return 1;
  }
  char server[64];
  snprintf(server, sizeof server, "127.0.0.1:%s", argv[1]);
  account = purple_account_new(argv[2], "prpl-sipe");
  const char *password = getenv("STOA_SIPE_PASSWORD");
  purple_account_set_password(account, password != NULL ? password : "unused-on-trusted-networks");
  purple_account_set_string(account, "server", server);
  purple_account_set_string(account, "transport", "tcp");
  purple_account_set_string(account, "authentication", "ntlm");
  purple_account_set_string(account, "groupchat_user", "");
  purple_account_set_bool(account, "dont-publish", TRUE);
  purple_accounts_add(account);

  purple_signal_connect(purple_connections_get_handle(), "signed-on", &handle, PURPLE_CALLBACK(signed_on), NULL);
  purple_signal_connect(purple_connections_get_handle(), "connection-error", &handle, PURPLE_CALLBACK(connection_error), NULL);
  purple_signal_connect(purple_conversations_get_handle(), "chat-joined", &handle, PURPLE_CALLBACK(chat_joined), NULL);
  purple_signal_connect(purple_conversations_get_handle(), "received-chat-msg", &handle, PURPLE_CALLBACK(received_chat), NULL);

  purple_account_set_enabled(account, UI_ID, TRUE);
  PurpleSavedStatus *status = purple_savedstatus_new(NULL, PURPLE_STATUS_AVAILABLE);
  purple_savedstatus_activate(status);

  GIOChannel *in = g_io_channel_unix_new(0);
  g_io_add_watch(in, G_IO_IN | G_IO_HUP | G_IO_ERR, read_command, NULL);
  g_main_loop_run(loop);
  return 0;
}
