/* timbre.c — see timbre.h. */
#include "timbre.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>
#include <sndfile.h>

#include "audioin.h"
#include "common.h"

#ifndef SW_DATADIR
#define SW_DATADIR "/usr/local/share/statewave"
#endif

#define EXT ".safetensors"
#define N_DIRS 3

typedef struct {
    char path[PATH_MAX + 32]; /* folder, "" when this source is not set */
    const char *what;    /* where it comes from, for messages */
} timbre_dir;

/* buf = a/b (+ suffix); -1 if it does not fit. */
static int join(char *buf, size_t len, const char *a, const char *b, const char *suffix)
{
    int k = snprintf(buf, len, "%s/%s%s", a, b, suffix);
    return k < 0 || (size_t)k >= len ? -1 : 0;
}

/* The search folders in priority order (unset ones have an empty path). */
static void search_dirs(timbre_dir d[N_DIRS])
{
    memset(d, 0, sizeof(timbre_dir) * N_DIRS);
    const char *env = getenv("STATEWAVE_INSTRUMENTS");
    if (env && *env)
        snprintf(d[0].path, sizeof d[0].path, "%s", env);
    d[0].what = "$STATEWAVE_INSTRUMENTS";
    char exe[PATH_MAX];
    if (app_exe_dir(exe, sizeof exe) == 0) {
        char p[PATH_MAX + 32], rp[PATH_MAX];
        snprintf(p, sizeof p, "%s/../presets/instruments", exe);
        if (join(d[1].path, sizeof d[1].path, realpath(p, rp) ? rp : p, "", "") == 0)
            d[1].path[strlen(d[1].path) - 1] = '\0'; /* drop the joined "/" */
    }
    d[1].what = "next to the executable";
    snprintf(d[2].path, sizeof d[2].path, "%s/instruments", SW_DATADIR);
    d[2].what = "installed";
}

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Load `path` and check it is an instrument model. 0 or -1 (message printed when sub). */
static int load_synth_model(const char *sub, const char *path, const char *what, sw_model **model,
                            char *why, size_t whylen)
{
    char err[512];
    sw_status st = sw_model_load_file(path, model, err, sizeof err);
    if (st != SW_OK) {
        snprintf(why, whylen, "%s: %s", sw_status_str(st), err);
        if (sub)
            app_err(sub, "cannot load model '%s' (%s): %s", path, what, why);
        return -1;
    }
    if (strcmp(sw_model_task(*model), "synth") != 0) {
        snprintf(why, whylen, "not an instrument model (task \"%s\", not \"synth\")", sw_model_task(*model));
        if (sub)
            app_err(sub, "model '%s' (%s) is %s", path, what, why);
        sw_model_free(*model);
        *model = NULL;
        return -1;
    }
    return 0;
}

int app_load_timbre(const char *sub, const char *name, const char *model_path, sw_model **model,
                    char *used, size_t usedlen)
{
    char why[600];
    *model = NULL;
    if (model_path) {
        if (load_synth_model(sub, model_path, "--model", model, why, sizeof why) != 0)
            return -1;
        snprintf(used, usedlen, "%s", model_path);
        return 0;
    }
    const char *from = "--timbre";
    if (!name) {
        const char *env = getenv("STATEWAVE_TIMBRE");
        name = env && *env ? env : APP_DEFAULT_TIMBRE;
        from = env && *env ? "$STATEWAVE_TIMBRE" : "the default timbre";
    }
    if (!*name || strchr(name, '/') || name[0] == '.') {
        app_err(sub, "bad timbre name '%s' (%s): a name such as 'violin'; use --model FILE for a path", name, from);
        return -1;
    }
    timbre_dir d[N_DIRS];
    search_dirs(d);
    char tried[N_DIRS * (PATH_MAX + 96)];
    size_t tl = 0;
    tried[0] = '\0';
    for (int i = 0; i < N_DIRS; i++) {
        if (!d[i].path[0])
            continue;
        char p[PATH_MAX + 160];
        if (join(p, sizeof p, d[i].path, name, EXT) != 0)
            continue;
        if (!is_file(p)) {
            int k = snprintf(tried + tl, sizeof tried - tl, "\n  %s (%s): not found", p, d[i].what);
            if (k > 0)
                tl = tl + (size_t)k < sizeof tried ? tl + (size_t)k : sizeof tried - 1;
            continue;
        }
        if (load_synth_model(sub, p, d[i].what, model, why, sizeof why) != 0)
            return -1; /* a broken model is an error, not a reason to play another one */
        snprintf(used, usedlen, "%s", p);
        return 0;
    }
    app_err(sub, "no model for timbre '%s' (%s). Tried:%s", name, from, tried);
    fprintf(stderr, "Available timbres ('statewave synth --timbre list'):\n");
    if (app_list_timbres(stderr) == 0)
        fprintf(stderr, "  (none; pass --model FILE)\n");
    return -1;
}

/* One timbre found by app_list_timbres. */
typedef struct {
    char *name, *path;  /* strdup'ed */
    const char *what;   /* its folder's source */
} found_timbre;

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const found_timbre *)a)->name, ((const found_timbre *)b)->name);
}

int app_list_timbres(FILE *f)
{
    timbre_dir d[N_DIRS];
    search_dirs(d);
    found_timbre t[256];
    int n = 0;
    for (int i = 0; i < N_DIRS; i++) {
        if (!d[i].path[0])
            continue;
        DIR *dir = opendir(d[i].path);
        if (!dir)
            continue;
        struct dirent *de;
        while ((de = readdir(dir)) != NULL && n < 256) {
            size_t L = strlen(de->d_name), le = strlen(EXT);
            if (L <= le || de->d_name[0] == '.' || strcmp(de->d_name + L - le, EXT) != 0)
                continue;
            char nm[256];
            snprintf(nm, sizeof nm, "%.*s", (int)(L - le), de->d_name);
            int dup = 0;
            for (int k = 0; k < n; k++)
                dup |= !strcmp(t[k].name, nm);
            if (dup)
                continue; /* an earlier folder has this timbre: that one is played */
            char p[PATH_MAX + 300];
            if (join(p, sizeof p, d[i].path, de->d_name, "") != 0)
                continue;
            t[n] = (found_timbre){ strdup(nm), strdup(p), d[i].what };
            if (!t[n].name || !t[n].path) {
                free(t[n].name);
                free(t[n].path);
                break;
            }
            n++;
        }
        closedir(dir);
    }
    qsort(t, (size_t)n, sizeof t[0], cmp_name);
    for (int i = 0; i < n; i++) {
        sw_model *m = NULL;
        char why[600];
        int ok = load_synth_model(NULL, t[i].path, t[i].what, &m, why, sizeof why) == 0;
        char tn[64] = "", pn[256], pp[3 * PATH_MAX], pw[3 * sizeof why];
        if (ok && strcmp(app_model_timbre(m, tn, sizeof tn), t[i].name) != 0)
            snprintf(why, sizeof why, "model's own timbre name: \"%s\"", tn);
        else if (ok)
            why[0] = '\0';
        /* file names and the models' names and messages may hold anything: shown escaped */
        fprintf(f, "  %-12s %s%s (%s)%s%s\n", app_printable(t[i].name, pn, sizeof pn),
                !strcmp(t[i].name, APP_DEFAULT_TIMBRE) ? "[default] " : "", app_printable(t[i].path, pp, sizeof pp),
                t[i].what, ok ? (why[0] ? "  " : "") : "  UNUSABLE: ", app_printable(why, pw, sizeof pw));
        sw_model_free(m);
        free(t[i].name);
        free(t[i].path);
    }
    return n;
}

void app_synth_apply_controls(sw_synth *s, const app_synth_controls *c)
{
    sw_synth_set_harmonic_gain(s, (float)c->harmonic_gain);
    sw_synth_set_noise_gain(s, (float)c->noise_gain);
    sw_synth_set_pitch_shift(s, (float)c->pitch_shift);
    sw_synth_set_reverb_mix(s, (float)c->reverb);
    sw_synth_set_vibrato(s, (float)c->vibrato);
    sw_synth_set_limiter(s, c->limiter);
}

void app_transfer_apply_controls(sw_transfer *t, const app_synth_controls *c)
{
    sw_transfer_set_harmonic_gain(t, (float)c->harmonic_gain);
    sw_transfer_set_noise_gain(t, (float)c->noise_gain);
    sw_transfer_set_pitch_shift(t, (float)c->pitch_shift);
    sw_transfer_set_reverb_mix(t, (float)c->reverb);
    sw_transfer_set_limiter(t, c->limiter);
}

const char *app_model_timbre(const sw_model *m, char *buf, size_t len)
{
    snprintf(buf, len, "?");
    const char *js = sw_model_task_params_json(m);
    cJSON *j = js ? cJSON_Parse(js) : NULL;
    const cJSON *t = j ? cJSON_GetObjectItemCaseSensitive(j, "timbre") : NULL;
    if (cJSON_IsString(t) && t->valuestring)
        snprintf(buf, len, "%s", t->valuestring);
    cJSON_Delete(j);
    return buf;
}

int app_read_reverb_ir(const char *sub, const char *path, float **ir, size_t *n, double *rate)
{
    /* The instrument takes at most 10 s; APP_MAX_IR_SECONDS bounds the read of a wrong file. */
    app_audio_in ain;
    if (app_audio_open(&ain, path, APP_MAX_IR_SECONDS, APP_AUDIO_READ_WHOLE) != 0) {
        app_err(sub, "cannot read reverb impulse response '%s': %s", path, ain.err);
        return -1;
    }
    int r = app_audio_read_mono(&ain, 0, ir, n);
    app_audio_close(&ain);
    if (r != 0) {
        app_err(sub, "reverb impulse response '%s': %s", path, ain.err);
        return -1;
    }
    *rate = ain.info.samplerate;
    return 0;
}

int app_instr_args(const char *sub, const app_instr_opts *o, int argc, char **argv, int first, const char *what,
                   const char **input)
{
    if (o->timbre && !strcmp(o->timbre, "list")) {
        printf("Timbres (statewave %s --timbre NAME):\n", sub);
        if (app_list_timbres(stdout) == 0)
            printf("  (none found; pass --model FILE)\n");
        return 1;
    }
    if (first >= argc)
        app_err(sub, "no %s given (see --help)", what);
    else if (argc - first > 1)
        app_err(sub, "unexpected argument '%s' (one %s at a time)", argv[first + 1], what);
    else if (o->model_path && o->timbre)
        app_err(sub, "--model and --timbre both choose the instrument; give one");
    else {
        *input = argv[first];
        return 0;
    }
    return -1;
}

