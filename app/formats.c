/* formats.c — see formats.h. */
#include "formats.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sndfile.h>

#include "commands.h"

/* ------------------------------------------------------------------ formats -- */


static const app_fmt_alias aliases[] = {
    { "wav", SF_FORMAT_WAV, 0, "wav" },      { "wave", SF_FORMAT_WAV, 0, "wav" },
    { "wavex", SF_FORMAT_WAVEX, 0, "wav" },  { "rf64", SF_FORMAT_RF64, 0, "rf64" },
    { "w64", SF_FORMAT_W64, 0, "w64" },      { "aiff", SF_FORMAT_AIFF, 0, "aiff" },
    { "aif", SF_FORMAT_AIFF, 0, "aif" },     { "aifc", SF_FORMAT_AIFF, 0, "aifc" },
    { "au", SF_FORMAT_AU, 0, "au" },         { "snd", SF_FORMAT_AU, 0, "snd" },
    { "caf", SF_FORMAT_CAF, 0, "caf" },      { "flac", SF_FORMAT_FLAC, 0, "flac" },
    { "ogg", SF_FORMAT_OGG, SF_FORMAT_VORBIS, "ogg" },
    { "oga", SF_FORMAT_OGG, SF_FORMAT_VORBIS, "oga" },
    { "vorbis", SF_FORMAT_OGG, SF_FORMAT_VORBIS, "ogg" },
    { "opus", SF_FORMAT_OGG, SF_FORMAT_OPUS, "opus" },
    { "mp3", SF_FORMAT_MPEG, SF_FORMAT_MPEG_LAYER_III, "mp3" },
};

/* Resolve a format name or extension (case-insensitive) to a container and optional forced
 * codec: the alias table first, then libsndfile's own list of major formats (RAW excluded:
 * it cannot be read back without its parameters). 0 on success, -1 if unknown. */
int app_lookup_format(const char *name, app_fmt_alias *out)
{
    if (!name || !*name)
        return -1;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (!strcasecmp(name, aliases[i].name)) {
            *out = aliases[i];
            return 0;
        }
    int n = 0;
    sf_command(NULL, SFC_GET_FORMAT_MAJOR_COUNT, &n, sizeof n);
    for (int i = 0; i < n; i++) {
        SF_FORMAT_INFO fi = { .format = i };
        if (sf_command(NULL, SFC_GET_FORMAT_MAJOR, &fi, sizeof fi) != 0)
            continue;
        if ((fi.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_RAW)
            continue;
        if (fi.extension && !strcasecmp(name, fi.extension)) {
            out->name = fi.extension;
            out->major = fi.format & SF_FORMAT_TYPEMASK;
            out->subtype = 0;
            out->ext = fi.extension;
            return 0;
        }
    }
    return -1;
}

int app_format_ok(int format, int channels, int rate)
{
    SF_INFO t = { .samplerate = rate, .channels = channels, .format = format };
    return sf_format_check(&t);
}

/* The output SF_FORMAT for container `major` (forced codec `forced` or 0) given the input's
 * format: the input's codec (and endianness) when the container takes it, else the closest
 * one by resolution. Returns 0 if no codec fits. */
int app_choose_output_format(int major, int forced, int in_format, int channels, int rate)
{
    int in_sub = in_format & SF_FORMAT_SUBMASK;
    if (forced)
        return app_format_ok(major | forced, channels, rate) ? (major | forced) : 0;
    int keep = major | in_sub | (in_format & SF_FORMAT_ENDMASK);
    if (app_format_ok(keep, channels, rate))
        return keep;
    if (app_format_ok(major | in_sub, channels, rate))
        return major | in_sub;
    int pref[8], np = 0;
    switch (in_sub) {
    case SF_FORMAT_PCM_24: case SF_FORMAT_DWVW_24: case SF_FORMAT_ALAC_24: case SF_FORMAT_ALAC_20:
        pref[np++] = SF_FORMAT_PCM_24; pref[np++] = SF_FORMAT_FLOAT; break;
    case SF_FORMAT_PCM_32: case SF_FORMAT_ALAC_32:
        pref[np++] = SF_FORMAT_PCM_32; pref[np++] = SF_FORMAT_PCM_24; pref[np++] = SF_FORMAT_FLOAT; break;
    case SF_FORMAT_FLOAT: case SF_FORMAT_DOUBLE:
        pref[np++] = SF_FORMAT_FLOAT; pref[np++] = SF_FORMAT_DOUBLE; pref[np++] = SF_FORMAT_PCM_24; break;
    default: /* 8/16-bit PCM, companded, ADPCM, lossy codecs: 16-bit is enough */
        break;
    }
    /* Generic fallbacks, in order; the lossy ones only matter for OGG/MPEG containers. */
    pref[np++] = SF_FORMAT_PCM_16;
    pref[np++] = SF_FORMAT_PCM_24;
    pref[np++] = SF_FORMAT_FLOAT;
    pref[np++] = SF_FORMAT_VORBIS;
    pref[np++] = SF_FORMAT_MPEG_LAYER_III;
    for (int i = 0; i < np; i++)
        if (app_format_ok(major | pref[i], channels, rate))
            return major | pref[i];
    return 0;
}

/* "WAV 16-bit PCM" style description for the per-file line. */
void app_describe_format(int format, char *buf, size_t len)
{
    SF_FORMAT_INFO maj = { .format = format & SF_FORMAT_TYPEMASK };
    SF_FORMAT_INFO sub = { .format = format & SF_FORMAT_SUBMASK };
    const char *mn = "?", *sn = "?";
    if (sf_command(NULL, SFC_GET_FORMAT_INFO, &maj, sizeof maj) == 0 && maj.name)
        mn = maj.name;
    if (sf_command(NULL, SFC_GET_FORMAT_INFO, &sub, sizeof sub) == 0 && sub.name)
        sn = sub.name;
    char m[64];
    snprintf(m, sizeof m, "%s", mn);
    char *paren = strchr(m, ' ');  /* "WAV (Microsoft)" -> "WAV" */
    if (paren)
        *paren = '\0';
    snprintf(buf, len, "%s %s", m, sn);
}

void app_sndfile_version(char *buf, size_t len)
{
    if (sf_command(NULL, SFC_GET_LIB_VERSION, buf, (int)len) <= 0)
        snprintf(buf, len, "libsndfile");
}

/* ------------------------------------------------------------------ paths -- */

/* Pointer to the last path component. */
const char *app_base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* Directory part of p ("." if none) into buf. */
void app_dir_name(const char *p, char *buf, size_t len)
{
    const char *s = strrchr(p, '/');
    if (!s)
        snprintf(buf, len, ".");
    else if (s == p)
        snprintf(buf, len, "/");
    else
        snprintf(buf, len, "%.*s", (int)(s - p), p);
}

/* Extension of the last component (without the dot), or "" if none. */
const char *app_ext_of(const char *p)
{
    const char *b = app_base_name(p);
    const char *d = strrchr(b, '.');
    return (d && d != b) ? d + 1 : "";
}

