/* model.c — safetensors model loader (dsp/FORMAT.md).
 *
 *   u64 LE header length N | N bytes JSON header | raw LE tensor data
 *
 * Every file is untrusted. Order of work: bounds of the file, the header as UTF-8 JSON, each
 * tensor entry (dtype, rank, dims, offsets, size), overlaps, duplicate names, finiteness of
 * every value, then the config (layer tree built by swi_build_stack, which fetches each tensor
 * with an exact shape), then "no tensor left unused". Any failure frees everything and
 * returns a status with a message naming the problem. Size math is overflow-checked. */
#include "model.h"
#include "kernels.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FAIL(st, ...) sw_fail(err, errlen, (st), __VA_ARGS__)

/* ------------------------------------------------------------------ utf-8 -- */

/* 1 if s[0..n) is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF) and has no NUL. */
static int utf8_valid(const unsigned char *s, size_t n, size_t *bad)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        unsigned cp;
        if (c == 0) goto fail;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
        else goto fail;
        if (n - i < len) goto fail;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) goto fail;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            goto fail;
        i += len;
    }
    return 1;
fail:
    *bad = i;
    return 0;
}

/* Offset of the first JSON escape \u0000 in s, or -1. cJSON decodes it into a NUL byte and
 * hands the string on as a C string, so "lin.bias\u0000evil" would silently become "lin.bias":
 * a name, dtype or config would mean something other than what the file says. The scan skips
 * every escaped character, so an escaped backslash followed by "u0000" is not matched; outside
 * strings a backslash is invalid JSON anyway. */
static long json_nul_escape(const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p != '\\') continue;
        if (p[1] == 'u' && strncmp(p + 2, "0000", 4) == 0) return (long)(p - s);
        if (!p[1]) break;
        p++;
    }
    return -1;
}

/* --------------------------------------------------------------- helpers -- */

/* JSON number that is an integer in [0, max]; -1 otherwise. */
static int64_t json_uint(const cJSON *v, int64_t max)
{
    if (!cJSON_IsNumber(v)) return -1;
    double d = v->valuedouble;
    if (!isfinite(d) || d < 0.0 || d != floor(d) || d > (double)max) return -1;
    return (int64_t)d;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const sw_tensor *)a)->name, ((const sw_tensor *)b)->name);
}

static int cmp_begin(const void *a, const void *b)
{
    const sw_tensor *x = a, *y = b;
    return (x->begin > y->begin) - (x->begin < y->begin);
}

static sw_tensor *find_tensor(const sw_model *m, const char *name)
{
    sw_tensor key;
    key.name = name;
    return bsearch(&key, m->tensors, (size_t)m->n_tensors, sizeof key, cmp_name);
}

static int has_prefix(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

/* ------------------------------------------------------------ tensors -- */

static const char *const other_dtypes[] = {
    "F16", "F64", "F8_E4M3", "F8_E5M2", "I8", "I16", "I32", "I64", "U8", "U16", "U32", "U64", "BOOL",
};

/* Parses one header entry `name: {dtype, shape, data_offsets}` into t. */
static sw_status parse_entry(const cJSON *e, size_t data_len, sw_tensor *t, char *err, size_t errlen)
{
    const char *name = e->string;
    if (!cJSON_IsObject(e)) return FAIL(SW_ERR_FORMAT, "tensor \"%.100s\": entry is not a JSON object", name);
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    if (!cJSON_IsString(dtype)) return FAIL(SW_ERR_FORMAT, "tensor \"%.100s\": missing or non-string \"dtype\"", name);
    /* BF16 (the upper half of an F32) is read for weight matrices; the layer decides. */
    t->bf16 = strcmp(dtype->valuestring, "BF16") == 0;
    const size_t esize = t->bf16 ? 2 : 4;
    if (!t->bf16 && strcmp(dtype->valuestring, "F32") != 0) {
        for (size_t i = 0; i < sizeof other_dtypes / sizeof other_dtypes[0]; i++)
            if (strcmp(dtype->valuestring, other_dtypes[i]) == 0)
                return FAIL(SW_ERR_UNSUPPORTED, "tensor \"%.100s\": dtype %s is not supported (F32 or BF16 only)", name, other_dtypes[i]);
        return FAIL(SW_ERR_FORMAT, "tensor \"%.100s\": unknown dtype \"%.20s\"", name, dtype->valuestring);
    }
    if (!cJSON_IsArray(shape)) return FAIL(SW_ERR_FORMAT, "tensor \"%.100s\": missing or non-array \"shape\"", name);
    int rank = cJSON_GetArraySize(shape);
    if (rank < 1 || rank > 4) return FAIL(SW_ERR_FORMAT, "tensor \"%.100s\": rank %d (must be 1..4)", name, rank);
    /* Each dim and the running product must fit the data section: no overflow possible. */
    const size_t max_count = data_len / esize;
    size_t count = 1;
    int i = 0;
    const cJSON *dim;
    cJSON_ArrayForEach(dim, shape) {
        int64_t v = json_uint(dim, (int64_t)1 << 53);
        if (v < 1) return FAIL(SW_ERR_FORMAT, "tensor \"%.100s\": shape[%d] is not an integer >= 1", name, i);
        if ((uint64_t)v > max_count || count > max_count / (size_t)v)
            return FAIL(SW_ERR_FORMAT, "tensor \"%.100s\": shape is larger than the data section", name);
        count *= (size_t)v;
        t->shape[i++] = v;
    }
    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2)
        return FAIL(SW_ERR_FORMAT, "tensor \"%.100s\": \"data_offsets\" must be [begin, end]", name);
    int64_t begin = json_uint(cJSON_GetArrayItem(offs, 0), (int64_t)1 << 53);
    int64_t end = json_uint(cJSON_GetArrayItem(offs, 1), (int64_t)1 << 53);
    if (begin < 0 || end < 0) return FAIL(SW_ERR_FORMAT, "tensor \"%.100s\": data_offsets must be integers >= 0", name);
    if (begin > end) return FAIL(SW_ERR_FORMAT, "tensor \"%.100s\": data_offsets begin %lld > end %lld", name, (long long)begin, (long long)end);
    if ((uint64_t)end > data_len)
        return FAIL(SW_ERR_FORMAT, "tensor \"%.100s\": data_offsets end %lld is past the data section (%zu bytes)",
                    name, (long long)end, data_len);
    if ((uint64_t)(end - begin) != esize * (uint64_t)count)
        return FAIL(SW_ERR_FORMAT, "tensor \"%.100s\": %lld bytes for %zu %s values of shape (needs %zu)",
                    name, (long long)(end - begin), count, t->bf16 ? "BF16" : "F32", esize * count);
    t->name = name;
    t->rank = rank;
    t->count = count;
    t->begin = (size_t)begin;
    t->end = (size_t)end;
    return SW_OK;
}

/* little-endian bytes -> host floats; src may equal dst (in-place conversion after a read) */
static void copy_le_floats(float *dst, const unsigned char *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)src[4 * i] | (uint32_t)src[4 * i + 1] << 8 | (uint32_t)src[4 * i + 2] << 16 |
                     (uint32_t)src[4 * i + 3] << 24;
        memcpy(&dst[i], &u, 4);
    }
}

/* Where the data section comes from. sw_model_load_file reads each tensor with pread straight
 * into its slot of the weights arena: no buffer for the whole file, no second copy (on a VM
 * every fresh page costs a fault, and the file buffer was the largest block of the load). */
typedef struct {
    const unsigned char *mem; /* data section in memory (sw_model_load_memory), or NULL */
    int fd;                   /* open model file when mem is NULL (not owned) */
    off_t base;               /* file offset of the data section */
    const char *path;         /* for messages */
} data_src;

/* pread of exactly len bytes at off; 0 on success, -1 (errno set, 0 for end of file) otherwise. */
static int read_at(int fd, void *buf, size_t len, off_t off)
{
    unsigned char *p = buf;
    while (len > 0) {
        ssize_t r = pread(fd, p, len, off);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            if (r == 0) errno = 0;
            return -1;
        }
        p += r;
        off += r;
        len -= (size_t)r;
    }
    return 0;
}

/* little-endian bf16 bytes -> host floats (a bf16 is the upper 16 bits of an fp32). src may be
 * dst's own first 2n bytes: walking down, value i is read before bytes 4i..4i+3 are written,
 * and those only overlap bf16 values >= i, already read. */
static void widen_le_bf16(float *dst, const unsigned char *src, size_t n)
{
    for (size_t i = n; i-- > 0;) {
        uint32_t u = ((uint32_t)src[2 * i] | (uint32_t)src[2 * i + 1] << 8) << 16;
        memcpy(&dst[i], &u, 4);
    }
}

/* Fills dst[0..t->count) with the host-order floats of tensor t (BF16 widened). */
static sw_status fetch_tensor(const data_src *src, const sw_tensor *t, float *dst, char *err, size_t errlen)
{
    if (t->bf16) {
        if (src->mem) {
            widen_le_bf16(dst, src->mem + t->begin, t->count);
            return SW_OK;
        }
        if (read_at(src->fd, dst, t->end - t->begin, src->base + (off_t)t->begin) != 0)
            return FAIL(SW_ERR_IO, "cannot read %s: %s", src->path, errno ? strerror(errno) : "the file got shorter");
        widen_le_bf16(dst, (const unsigned char *)dst, t->count);   /* in place */
        return SW_OK;
    }
    if (src->mem) {
        copy_le_floats(dst, src->mem + t->begin, t->count);
        return SW_OK;
    }
    if (read_at(src->fd, dst, t->end - t->begin, src->base + (off_t)t->begin) != 0)
        return FAIL(SW_ERR_IO, "cannot read %s: %s", src->path, errno ? strerror(errno) : "the file got shorter");
#if !(defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
    copy_le_floats(dst, (const unsigned char *)dst, t->count);   /* in place */
#endif
    return SW_OK;
}

/* ------------------------------------------------------------- the model -- */

void sw_model_free(sw_model *m)
{
    if (!m) return;
    void *prev = sw_region_enter(m->weights);   /* the layers' sw_free of region blocks are no-ops */
    swi_free_stack(&m->top);
    sw_region_leave(prev);
    sw_region_free(m->weights);
    SWI_FREE_EACH(m->tensors, m->names, m->task, m->task_params);
    free(m);
}

static sw_status load_tensors(sw_model *m, const cJSON *root, const data_src *src, size_t data_len,
                              char *err, size_t errlen)
{
    sw_status st;
    int n = 0, n_meta = 0;
    size_t name_bytes = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, root) {
        if (strcmp(e->string, "__metadata__") == 0) {
            if (++n_meta > 1) return FAIL(SW_ERR_FORMAT, "header has \"__metadata__\" twice");
            continue;
        }
        n++;
        name_bytes += strlen(e->string) + 1;
    }
    m->tensors = calloc((size_t)n + 1, sizeof *m->tensors);
    m->names = malloc(name_bytes + 1);
    if (!m->tensors || !m->names) return FAIL(SW_ERR_NOMEM, "out of memory for %d tensor entries", n);
    /* Parse every entry; names are copied so the JSON tree can be freed. */
    char *np = m->names;
    int i = 0;
    cJSON_ArrayForEach(e, root) {
        if (strcmp(e->string, "__metadata__") == 0) continue;
        if ((st = parse_entry(e, data_len, &m->tensors[i], err, errlen)) != SW_OK) return st;
        size_t len = strlen(e->string) + 1;
        memcpy(np, e->string, len);
        m->tensors[i].name = np;
        np += len;
        i++;
    }
    m->n_tensors = n;

    /* No two tensors may share bytes (sorted by begin, each must end before the next starts). */
    qsort(m->tensors, (size_t)n, sizeof *m->tensors, cmp_begin);
    for (i = 1; i < n; i++)
        if (m->tensors[i].begin < m->tensors[i - 1].end)
            return FAIL(SW_ERR_FORMAT, "tensors \"%.100s\" and \"%.100s\" overlap in the data section",
                        m->tensors[i - 1].name, m->tensors[i].name);

    qsort(m->tensors, (size_t)n, sizeof *m->tensors, cmp_name);
    for (i = 1; i < n; i++)
        if (strcmp(m->tensors[i].name, m->tensors[i - 1].name) == 0)
            return FAIL(SW_ERR_FORMAT, "tensor \"%.100s\" appears twice in the header", m->tensors[i].name);

    /* One arena of aligned host-order floats, in name order (so the first bad tensor by name
     * is the one reported); the sum of counts is <= data_len/2 (no overlap; BF16 takes 2 bytes a value). It starts the
     * model's region, which also has room for what the layers derive from the weights at
     * build time (packed copies, discretised parameters: about the weights' size; more goes
     * to the heap). Every float is written below, and the padding after each tensor cleared. */
    size_t total = 0;
    for (i = 0; i < n; i++) total += sw_pad16(m->tensors[i].count);
    m->weights = sw_region_new(total, 2 * total * sizeof(float) + ((size_t)256 << 10));
    if (!m->weights) return FAIL(SW_ERR_NOMEM, "out of memory for %zu floats of tensors", total);
    float *w = m->weights;
    for (i = 0; i < n; i++) {
        sw_tensor *t = &m->tensors[i];
        const size_t padded = sw_pad16(t->count);
        t->data = w;
        memset(w + t->count, 0, (padded - t->count) * sizeof *w);
        if ((st = fetch_tensor(src, t, w, err, errlen)) != SW_OK) return st;
        if (!sw_all_finite(w, t->count)) {
            size_t k = 0;
            while (isfinite(w[k])) k++;
            return FAIL(SW_ERR_FORMAT, "tensor \"%.100s\": value %zu is not finite (%g)%s", t->name, k, (double)w[k],
                        t->bf16 ? " after widening BF16" : "");
        }
        w += padded;
    }
    return SW_OK;
}

static sw_status load_config(sw_model *m, const char *text, char *err, size_t errlen)
{
    sw_status st = SW_OK;
    long nul = json_nul_escape(text);
    if (nul >= 0) return FAIL(SW_ERR_CONFIG, "config has an escaped NUL (\\u0000) in a string (config byte %ld)", nul);
    cJSON *cfg = cJSON_Parse(text);
    if (!cfg) return FAIL(SW_ERR_CONFIG, "config is not valid JSON");
    sw_build b = {.tensors = m->tensors, .n_tensors = m->n_tensors, .err = err, .errlen = errlen, .where = "config"};
    const cJSON *task, *tp, *layers;
    if (!cJSON_IsObject(cfg)) { st = FAIL(SW_ERR_CONFIG, "config is not a JSON object"); goto out; }
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(cfg, "version");
    if (!ver) { st = FAIL(SW_ERR_CONFIG, "config: missing \"version\""); goto out; }
    if (json_uint(ver, 1000000) != 1) {
        st = FAIL(SW_ERR_UNSUPPORTED, "config: version is not 1 (this library reads version 1)");
        goto out;
    }
    if ((st = sw_cfg_int(&b, cfg, "d_input", 1, SW_MAX_WIDTH, &m->d_input)) != SW_OK) goto out;
    if ((st = sw_cfg_int(&b, cfg, "d_output", 1, SW_MAX_WIDTH, &m->d_output)) != SW_OK) goto out;
    task = cJSON_GetObjectItemCaseSensitive(cfg, "task");
    if (task && !cJSON_IsString(task)) { st = FAIL(SW_ERR_CONFIG, "config: \"task\" must be a string"); goto out; }
    m->task = strdup(task ? task->valuestring : "");
    tp = cJSON_GetObjectItemCaseSensitive(cfg, "task_params");
    if (tp && !cJSON_IsObject(tp)) { st = FAIL(SW_ERR_CONFIG, "config: \"task_params\" must be an object"); goto out; }
    m->task_params = tp ? cJSON_PrintUnformatted(tp) : strdup("{}");
    if (!m->task || !m->task_params) { st = FAIL(SW_ERR_NOMEM, "out of memory"); goto out; }
    layers = cJSON_GetObjectItemCaseSensitive(cfg, "layers");
    if ((st = swi_build_stack(&m->top, layers, m->d_input, 0, &b)) != SW_OK) goto out;
    if (m->top.d_out != m->d_output) {
        st = FAIL(SW_ERR_CONFIG, "config: the last layer outputs width %d but d_output is %d", m->top.d_out, m->d_output);
        goto out;
    }
    m->param_count = b.params;
    m->state_floats = b.state;
    m->scratch_floats = swi_stack_scratch_floats(&m->top, SW_CHUNK);
out:
    cJSON_Delete(cfg);
    return st;
}

/* Reads the 8-byte length prefix b of a file of len bytes into *n (the header's length). */
static sw_status header_length(const unsigned char *b, size_t len, size_t *n, char *err, size_t errlen)
{
    if (len < 8) return FAIL(SW_ERR_FORMAT, "file too short (%zu bytes) to hold the 8-byte header length", len);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | b[i];
    if (hlen > SW_MAX_HEADER) return FAIL(SW_ERR_FORMAT, "header length %llu exceeds 16 MiB", (unsigned long long)hlen);
    if (hlen < 2) return FAIL(SW_ERR_FORMAT, "header length %llu is too small for a JSON object", (unsigned long long)hlen);
    if (hlen > len - 8)
        return FAIL(SW_ERR_FORMAT, "truncated file: header of %llu bytes but only %zu bytes follow the length",
                    (unsigned long long)hlen, len - 8);
    *n = (size_t)hlen;
    return SW_OK;
}

/* Everything after the header bytes are known: hdr[0..n) is valid UTF-8 and hdr[n] == '\0'
 * (owned by the caller); the data section (data_len bytes) is read from src. */
static sw_status load_parsed(const char *hdr, const data_src *src, size_t data_len, sw_model **out,
                             char *err, size_t errlen)
{
    sw_status st = SW_OK;
    sw_model *m = NULL;
    const char *end = NULL;
    long nul = json_nul_escape(hdr);
    if (nul >= 0)                               /* nothing allocated yet */
        return FAIL(SW_ERR_FORMAT, "header has an escaped NUL (\\u0000) in a string (byte %ld): a tensor name "
                    "or value would be cut short there", nul);
    cJSON *root = cJSON_ParseWithOpts(hdr, &end, 0);
    if (!root) {
        const char *ep = cJSON_GetErrorPtr();
        st = FAIL(SW_ERR_FORMAT, "header is not valid JSON (near byte %ld)", ep ? (long)(ep - hdr) : -1L);
        goto fail;
    }
    for (const char *p = end; *p; p++)          /* safetensors pads the header with spaces */
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            st = FAIL(SW_ERR_FORMAT, "header has data after the JSON object (byte %ld)", (long)(p - hdr));
            goto fail;
        }
    if (!cJSON_IsObject(root)) { st = FAIL(SW_ERR_FORMAT, "header is not a JSON object"); goto fail; }

    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "__metadata__");
    if (!meta) { st = FAIL(SW_ERR_FORMAT, "header has no \"__metadata__\""); goto fail; }
    if (!cJSON_IsObject(meta)) { st = FAIL(SW_ERR_FORMAT, "\"__metadata__\" is not an object"); goto fail; }
    const cJSON *mv;
    cJSON_ArrayForEach(mv, meta)
        if (!cJSON_IsString(mv)) {
            st = FAIL(SW_ERR_FORMAT, "__metadata__ \"%.60s\" is not a string", mv->string);
            goto fail;
        }
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(meta, "format");
    if (!fmt || strcmp(fmt->valuestring, "statewave") != 0) {
        st = FAIL(SW_ERR_FORMAT, "__metadata__ \"format\" is not \"statewave\"");
        goto fail;
    }
    const cJSON *config = cJSON_GetObjectItemCaseSensitive(meta, "config");
    if (!config) { st = FAIL(SW_ERR_CONFIG, "__metadata__ has no \"config\""); goto fail; }

    m = calloc(1, sizeof *m);
    if (!m) { st = FAIL(SW_ERR_NOMEM, "out of memory"); goto fail; }
    if ((st = load_tensors(m, root, src, data_len, err, errlen)) != SW_OK) goto fail;
    void *prev = sw_region_enter(m->weights);   /* the layers' blocks come from the region */
    st = load_config(m, config->valuestring, err, errlen);
    sw_region_leave(prev);
    if (st != SW_OK) goto fail;
    sw_region_trim(m->weights);                 /* unmap the room the layers did not use */
    for (int i = 0; i < m->n_tensors; i++) {
        const sw_tensor *t = &m->tensors[i];
        if (!t->used && !has_prefix(t->name, "golden.") && !has_prefix(t->name, "extra.")) {
            st = FAIL(SW_ERR_FORMAT, "unexpected tensor \"%.100s\": not used by the config", t->name);
            goto fail;
        }
    }
    cJSON_Delete(root);
    *out = m;
    return SW_OK;
fail:
    cJSON_Delete(root);
    sw_model_free(m);
    return st;
}

sw_status sw_model_load_memory(const void *data, size_t len, sw_model **out, char *err, size_t errlen)
{
    if (err && errlen) err[0] = '\0';
    if (!out) return FAIL(SW_ERR_ARG, "out is NULL");
    *out = NULL;
    if (!data && len) return FAIL(SW_ERR_ARG, "data is NULL");
    const unsigned char *bytes = data;
    size_t n = 0, bad = 0;
    sw_status st = header_length(bytes, len, &n, err, errlen);
    if (st != SW_OK) return st;
    if (!utf8_valid(bytes + 8, n, &bad)) return FAIL(SW_ERR_FORMAT, "header is not valid UTF-8 (byte %zu)", bad);
    char *hdr = malloc(n + 1);                  /* cJSON wants a NUL-terminated string */
    if (!hdr) return FAIL(SW_ERR_NOMEM, "out of memory for the header");
    memcpy(hdr, bytes + 8, n);
    hdr[n] = '\0';
    const data_src src = {.mem = bytes + 8 + n, .fd = -1};
    st = load_parsed(hdr, &src, len - 8 - n, out, err, errlen);
    free(hdr);
    return st;
}

/* Same checks as sw_model_load_memory, but the file is never read as a whole: the length
 * prefix and header go into their own small buffers, the tensors straight into the arena. */
sw_status sw_model_load_file(const char *path, sw_model **out, char *err, size_t errlen)
{
    if (err && errlen) err[0] = '\0';
    if (!out || !path) return FAIL(SW_ERR_ARG, "path or out is NULL");
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return FAIL(SW_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    sw_status st = SW_OK;
    char *hdr = NULL;
    struct stat sb;
    unsigned char prefix[8];
    size_t n = 0, bad = 0;
    if (fstat(fd, &sb) != 0) { st = FAIL(SW_ERR_IO, "cannot stat %s: %s", path, strerror(errno)); goto out; }
    if (!S_ISREG(sb.st_mode)) { st = FAIL(SW_ERR_IO, "cannot read %s: not a regular file", path); goto out; }
    if ((uint64_t)sb.st_size > SW_MAX_FILE) {
        st = FAIL(SW_ERR_FORMAT, "%s: %lld bytes, larger than the 512 MiB limit", path, (long long)sb.st_size);
        goto out;
    }
    const size_t len = (size_t)sb.st_size;
    if (len >= 8 && read_at(fd, prefix, 8, 0) != 0) { st = FAIL(SW_ERR_IO, "cannot read %s", path); goto out; }
    if ((st = header_length(prefix, len, &n, err, errlen)) != SW_OK) goto out;
    if (!(hdr = malloc(n + 1))) { st = FAIL(SW_ERR_NOMEM, "out of memory for the header"); goto out; }
    if (read_at(fd, hdr, n, 8) != 0) { st = FAIL(SW_ERR_IO, "cannot read %s", path); goto out; }
    if (!utf8_valid((const unsigned char *)hdr, n, &bad)) {
        st = FAIL(SW_ERR_FORMAT, "header is not valid UTF-8 (byte %zu)", bad);
        goto out;
    }
    hdr[n] = '\0';
    const data_src src = {.mem = NULL, .fd = fd, .base = (off_t)(8 + n), .path = path};
    st = load_parsed(hdr, &src, len - 8 - n, out, err, errlen);
out:
    free(hdr);
    close(fd);
    return st;
}

/* ------------------------------------------------------------ accessors -- */

int sw_model_d_input(const sw_model *m) { return m ? m->d_input : 0; }
int sw_model_d_output(const sw_model *m) { return m ? m->d_output : 0; }
size_t sw_model_param_count(const sw_model *m) { return m ? m->param_count : 0; }
const char *sw_model_task(const sw_model *m) { return m ? m->task : ""; }
const char *sw_model_task_params_json(const sw_model *m) { return m ? m->task_params : "{}"; }

const float *sw_model_tensor(const sw_model *m, const char *name, int *rank, const int64_t **shape)
{
    if (!m || !name) return NULL;
    const sw_tensor *t = find_tensor(m, name);
    if (!t) return NULL;
    if (rank) *rank = t->rank;
    if (shape) *shape = t->shape;
    return t->data;
}
