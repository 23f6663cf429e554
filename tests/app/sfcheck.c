/* sfcheck.c — small libsndfile tool for the app tests (the scripts in tests/app).
 *
 *   sfcheck info FILE        frames=N channels=C rate=R major=0x.. subtype=0x.. finite=0|1 peak=P rms=R
 *   sfcheck sisdr REF EST    SI-SDR of EST against REF in dB (all channels pooled; same length required)
 *   sfcheck lag A B MAXLAG   integer lag (samples) maximising the cross-correlation of channel 0,
 *                            searched in [-MAXLAG, MAXLAG]; positive = B is late
 *   sfcheck match REF EST SECONDS
 *                            find REF (channel 0) inside the recording EST (channel 0), which
 *                            starts with digital silence: coarse offset = first |x| > 1e-3 in
 *                            EST, refined by cross-correlation within +-480 samples; prints
 *                            "offset=N sisdr=X" with X the SI-SDR of EST[N, N+L) against
 *                            REF[0, L), L = SECONDS x REF's rate (both must have that many)
 *
 * Exit status 0 on success, 1 if a file cannot be read or the arguments do not fit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sndfile.h>

typedef struct {
    SF_INFO info;   /* as opened */
    double *x;      /* [frames * channels] interleaved, as read (float -> double) */
    sf_count_t n;   /* frames actually read */
} audio;

static int load(const char *path, audio *a)
{
    memset(a, 0, sizeof *a);
    SNDFILE *f = sf_open(path, SFM_READ, &a->info);
    if (!f) {
        fprintf(stderr, "sfcheck: cannot open '%s': %s\n", path, sf_strerror(NULL));
        return -1;
    }
    size_t total = (size_t)(a->info.frames > 0 ? a->info.frames : 0) * (size_t)a->info.channels;
    a->x = malloc((total ? total : 1) * sizeof *a->x);
    if (!a->x) {
        sf_close(f);
        return -1;
    }
    a->n = sf_readf_double(f, a->x, a->info.frames);
    sf_close(f);
    return 0;
}

static int cmd_info(const char *path)
{
    audio a;
    if (load(path, &a))
        return 1;
    size_t total = (size_t)a.n * (size_t)a.info.channels;
    int finite = 1;
    double peak = 0.0, ss = 0.0;
    for (size_t i = 0; i < total; i++) {
        double v = a.x[i];
        if (!isfinite(v)) {
            finite = 0;
            continue;
        }
        if (fabs(v) > peak)
            peak = fabs(v);
        ss += v * v;
    }
    printf("frames=%lld channels=%d rate=%d major=0x%06x subtype=0x%04x finite=%d peak=%.6f rms=%.6f\n",
           (long long)a.n, a.info.channels, a.info.samplerate, a.info.format & SF_FORMAT_TYPEMASK,
           a.info.format & SF_FORMAT_SUBMASK, finite, peak, total ? sqrt(ss / (double)total) : 0.0);
    free(a.x);
    return 0;
}

static int cmd_sisdr(const char *ref_path, const char *est_path)
{
    audio r, e;
    if (load(ref_path, &r))
        return 1;
    if (load(est_path, &e)) {
        free(r.x);
        return 1;
    }
    int rc = 1;
    if (r.n != e.n || r.info.channels != e.info.channels) {
        fprintf(stderr, "sfcheck: sisdr: '%s' (%lld x %d) and '%s' (%lld x %d) differ in shape\n",
                ref_path, (long long)r.n, r.info.channels, est_path, (long long)e.n, e.info.channels);
        goto out;
    }
    /* Scale-invariant SDR (Le Roux et al. 2019) with zero-mean signals:
     * s_t = <est,ref>/<ref,ref> ref, e = est - s_t, SI-SDR = 10 log10(|s_t|^2 / |e|^2). */
    size_t n = (size_t)r.n * (size_t)r.info.channels;
    double mr = 0, me = 0;
    for (size_t i = 0; i < n; i++) {
        mr += r.x[i];
        me += e.x[i];
    }
    mr /= (double)n;
    me /= (double)n;
    double dot = 0, rr = 0;
    for (size_t i = 0; i < n; i++) {
        dot += (e.x[i] - me) * (r.x[i] - mr);
        rr += (r.x[i] - mr) * (r.x[i] - mr);
    }
    if (rr <= 0) {
        fprintf(stderr, "sfcheck: sisdr: reference is silent\n");
        goto out;
    }
    double a = dot / rr, ts = 0, es = 0;
    for (size_t i = 0; i < n; i++) {
        double t = a * (r.x[i] - mr), d = (e.x[i] - me) - t;
        ts += t * t;
        es += d * d;
    }
    printf("%.3f\n", 10.0 * log10((ts + 1e-20) / (es + 1e-20)));
    rc = 0;
out:
    free(r.x);
    free(e.x);
    return rc;
}

static int cmd_lag(const char *pa, const char *pb, const char *maxlag_s)
{
    audio a, b;
    long maxlag = strtol(maxlag_s, NULL, 10);
    if (maxlag < 0 || load(pa, &a))
        return 1;
    if (load(pb, &b)) {
        free(a.x);
        return 1;
    }
    sf_count_t n = a.n < b.n ? a.n : b.n;
    int ca = a.info.channels, cb = b.info.channels;
    double best = -INFINITY;
    long best_lag = 0;
    for (long lag = -maxlag; lag <= maxlag; lag++) {
        double s = 0;
        for (sf_count_t t = 0; t < n; t++) {
            sf_count_t u = t + lag; /* b[t+lag] vs a[t] */
            if (u < 0 || u >= n)
                continue;
            s += a.x[t * ca] * b.x[u * cb];
        }
        if (s > best) {
            best = s;
            best_lag = lag;
        }
    }
    printf("%ld\n", best_lag);
    free(a.x);
    free(b.x);
    return 0;
}

static int cmd_match(const char *pr, const char *pe, const char *secs)
{
    audio r, e;
    double sec = atof(secs);
    if (!(sec > 0) || load(pr, &r))
        return 1;
    if (load(pe, &e)) {
        free(r.x);
        return 1;
    }
    int rc = 1;
    const int cr = r.info.channels, ce = e.info.channels;
    const sf_count_t len = (sf_count_t)(sec * r.info.samplerate);
    sf_count_t on = 0;
    while (on < e.n && fabs(e.x[on * ce]) <= 1e-3)
        on++;
    if (r.info.samplerate != e.info.samplerate || len > r.n || on >= e.n) {
        fprintf(stderr, "sfcheck: match: rates %d/%d, need %lld reference frames (have %lld), onset %lld of %lld\n",
                r.info.samplerate, e.info.samplerate, (long long)len, (long long)r.n, (long long)on,
                (long long)e.n);
        goto out;
    }
    double best = -INFINITY;
    sf_count_t off = -1;
    for (sf_count_t cand = on - 480; cand <= on + 480; cand++) {
        if (cand < 0 || cand + len > e.n)
            continue;
        double c = 0;
        for (sf_count_t t = 0; t < len; t++)
            c += r.x[t * cr] * e.x[(cand + t) * ce];
        if (c > best) {
            best = c;
            off = cand;
        }
    }
    if (off < 0) {
        fprintf(stderr, "sfcheck: match: recording too short (%lld frames after onset %lld, need %lld)\n",
                (long long)(e.n - on), (long long)on, (long long)len);
        goto out;
    }
    double rr = 0, er = 0;
    for (sf_count_t t = 0; t < len; t++) {
        rr += r.x[t * cr] * r.x[t * cr];
        er += r.x[t * cr] * e.x[(off + t) * ce];
    }
    double a = rr > 0 ? er / rr : 0, ts = 0, es = 0;
    for (sf_count_t t = 0; t < len; t++) {
        double ref = a * r.x[t * cr], d = e.x[(off + t) * ce] - ref;
        ts += ref * ref;
        es += d * d;
    }
    printf("offset=%lld sisdr=%.3f\n", (long long)off, 10.0 * log10((ts + 1e-20) / (es + 1e-20)));
    rc = 0;
out:
    free(r.x);
    free(e.x);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "info"))
        return cmd_info(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "sisdr"))
        return cmd_sisdr(argv[2], argv[3]);
    if (argc == 5 && !strcmp(argv[1], "lag"))
        return cmd_lag(argv[2], argv[3], argv[4]);
    if (argc == 5 && !strcmp(argv[1], "match"))
        return cmd_match(argv[2], argv[3], argv[4]);
    fprintf(stderr, "usage: sfcheck info FILE | sisdr REF EST | lag A B MAXLAG | match REF EST SECONDS\n");
    return 1;
}
