/* model_cache.c — see model_cache.h. Non-real-time code only. */
#include "model_cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* One loaded file. Entries form a singly linked list; sessions hold a handful at most. */
typedef struct cache_entry {
    dev_t dev;                 /* identity of the file: device ... */
    ino_t ino;                 /* ... and inode ... */
    off_t size;                /* ... plus size and mtime, so a file rewritten in place */
    struct timespec mtime;     /* is loaded again instead of served stale */
    sw_model *model;           /* owned; freed when refs drops to 0 */
    int refs;                  /* number of sw_lv2_model_acquire() not yet released */
    struct cache_entry *next;  /* list link */
} cache_entry;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER; /* guards g_head and all entries */
static cache_entry *g_head;                                /* owned list of live entries */

static int same_file(const cache_entry *e, const struct stat *st)
{
    return e->dev == st->st_dev && e->ino == st->st_ino && e->size == st->st_size &&
           e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* With g_lock held: another reference to the loaded copy of the file st, or NULL. */
static const sw_model *share_locked(const struct stat *st)
{
    for (cache_entry *e = g_head; e; e = e->next) {
        if (same_file(e, st)) {
            e->refs++;
            return e->model;
        }
    }
    return NULL;
}

const sw_model *sw_lv2_model_acquire(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (!path || !path[0]) {
        snprintf(err, errlen, "empty model path");
        return NULL;
    }
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "cannot open model file '%s': %s", path, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "model path '%s' is not a regular file", path);
        return NULL;
    }

    pthread_mutex_lock(&g_lock);
    const sw_model *shared = share_locked(&st);
    pthread_mutex_unlock(&g_lock);
    if (shared)
        return shared;

    /* Load outside the lock: parsing a model takes milliseconds and other instances'
     * workers should not wait for it. Two instances loading the same new file at once
     * may both load it; the second then drops its copy and shares the first. */
    sw_model *m = NULL;
    char msg[256] = "";
    sw_status s = sw_model_load_file(path, &m, msg, sizeof msg);
    if (s != SW_OK || !m) {
        snprintf(err, errlen, "cannot load model '%s': %s (%s)", path, msg[0] ? msg : "no detail",
                 sw_status_str(s));
        sw_model_free(m);
        return NULL;
    }

    cache_entry *ne = calloc(1, sizeof *ne);
    if (!ne) {
        sw_model_free(m);
        snprintf(err, errlen, "out of memory loading model '%s'", path);
        return NULL;
    }
    ne->dev = st.st_dev;
    ne->ino = st.st_ino;
    ne->size = st.st_size;
    ne->mtime = st.st_mtim;
    ne->model = m;
    ne->refs = 1;

    pthread_mutex_lock(&g_lock);
    shared = share_locked(&st);
    if (!shared) {
        ne->next = g_head;
        g_head = ne;
    }
    pthread_mutex_unlock(&g_lock);
    if (shared) { /* lost the race: share the earlier copy */
        sw_model_free(m);
        free(ne);
        return shared;
    }
    return m;
}

void sw_lv2_model_release(const sw_model *m)
{
    if (!m)
        return;
    cache_entry *dead = NULL;
    pthread_mutex_lock(&g_lock);
    for (cache_entry **pp = &g_head; *pp; pp = &(*pp)->next) {
        if ((*pp)->model == m) {
            if (--(*pp)->refs == 0) {
                dead = *pp;
                *pp = dead->next;
            }
            break;
        }
    }
    pthread_mutex_unlock(&g_lock);
    if (dead) {
        sw_model_free(dead->model);
        free(dead);
    }
}
