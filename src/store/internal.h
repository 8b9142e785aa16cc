/* What a store backend implements. Each backend embeds `struct store` first. */
#ifndef DPA_STORE_INTERNAL_H
#define DPA_STORE_INTERNAL_H

#include "store/store.h"

struct store_ops {
    void (*close)(store *s);
    const char *(*errmsg)(store *s);
    dpa_err (*exec)(store *s, const char *sql);
    dpa_err (*app_insert)(store *s, const char *app_id, const char *name, const char *plan_name,
                          int64_t now);
    dpa_err (*app_set_plan)(store *s, const char *app_id, const char *plan_name);
    dpa_err (*key_insert)(store *s, const char *kid, const char *app_id, const char *secret,
                          int64_t now);
    dpa_err (*key_delete)(store *s, const char *app_id, const char *kid);
    dpa_err (*apps_load)(store *s, app_registry **out);
    dpa_err (*changed)(store *s, bool *changed);
    dpa_err (*room_insert)(store *s, const room *r, int64_t max_rooms);
    dpa_err (*room_get)(store *s, const char *app_id, const char *room_id, room **out);
    /* Optional: room_get that locks the row until the transaction ends (a shared database). */
    dpa_err (*room_get_for_update)(store *s, const char *app_id, const char *room_id, room **out);
    dpa_err (*room_update)(store *s, const room *r);
    dpa_err (*room_delete)(store *s, const char *app_id, const char *room_id);
    dpa_err (*rooms_count)(store *s, int64_t *count);
    dpa_err (*room_list)(store *s, const char *app_id, const char *user_id, int status,
                         int64_t after_created, const char *after_id, int limit,
                         room_page *page);
    /* The three below fence when epoch > 0 (store.h); the epoch is checked by store.c. */
    dpa_err (*call_open)(store *s, const char *call_id, const char *app_id, const char *room_id,
                         int64_t started_at, int64_t epoch);
    dpa_err (*call_close)(store *s, const char *call_id, int64_t ended_at, const char *reason,
                          int peak, int64_t epoch);
    dpa_err (*call_fence)(store *s, const char *app_id, const char *room_id, int64_t epoch,
                          char open_call_id[CALL_ID_MAX]);
    /* The rooms that have a call left open (*out is malloc'd, may be NULL when *n is 0). */
    dpa_err (*open_call_rooms)(store *s, store_room_ref **out, int *n);
    /* Ends every open call with reason SERVER_RESTART; *ended counts them. */
    dpa_err (*calls_end_open)(store *s, int64_t now, int *ended);
    dpa_err (*idem_get)(store *s, const char *app_id, const char *user_id, const char *key,
                        int64_t now, idem_record *out);
    dpa_err (*idem_put)(store *s, const char *app_id, const char *user_id, const char *key,
                        const idem_record *rec, int64_t now);
    dpa_err (*check_files)(store *s, char *why, size_t len);
    dpa_err (*probe)(store *s, int64_t now);
    dpa_err (*salvage)(store *s, int64_t now, char *copy, size_t len);
};

struct store {
    const struct store_ops *ops;
    int savepoints;     /* nesting depth, for savepoint names */
};

/* A room's hosts as the JSON array text both backends store (the caller frees). */
char *store_hosts_json(const room *r);

dpa_err sqlite_store_open(const char *path, store **out, char *errbuf, size_t errlen);
/* url is the whole "postgres://..." or "postgresql://..." URL, as libpq takes it. */
dpa_err postgres_store_open(const char *url, store **out, char *errbuf, size_t errlen);

/*
 * Writes one logfmt line on stderr: ts, level ("info", "warn", "error"),
 * then the caller's `msg="..." key=value` text. The store sits below the
 * server's logger, and its worker thread logs too: one write per line.
 */
void store_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
