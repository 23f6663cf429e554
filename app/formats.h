/* formats.h — audio file formats and path helpers shared by the file commands
 * (format names/extensions -> libsndfile SF_FORMAT, codec choice, descriptions). */
#ifndef SW_APP_FORMATS_H
#define SW_APP_FORMATS_H

#include <stddef.h>

typedef struct {
    const char *name;  /* --format value / file extension */
    int major;         /* SF_FORMAT_* container */
    int subtype;       /* forced codec, 0 = choose from the input */
    const char *ext;   /* extension written for derived names */
} app_fmt_alias;

/* Resolve a format name or extension (case-insensitive) to a container and optional forced
 * codec: the alias table first, then libsndfile's own list of major formats (RAW excluded:
 * it cannot be read back without its parameters). 0 on success, -1 if unknown. */
int app_lookup_format(const char *name, app_fmt_alias *out);
/* 1 if libsndfile can write `format` with these channels and rate. */
int app_format_ok(int format, int channels, int rate);
/* The output SF_FORMAT for container `major` (forced codec `forced` or 0) given the input's
 * format: the input's codec (and endianness) when the container takes it, else the closest
 * one by resolution. 0 if no codec fits. */
int app_choose_output_format(int major, int forced, int in_format, int channels, int rate);
/* "WAV Signed 16 bit PCM" style description. */
void app_describe_format(int format, char *buf, size_t len);

/* Last path component; directory part ("." if none); extension without the dot ("" if none). */
const char *app_base_name(const char *p);
void app_dir_name(const char *p, char *buf, size_t len);
const char *app_ext_of(const char *p);

#endif
