/* test_core_corrupt.c — the loader rejects broken model files with the right status and a
 * message naming the problem, and returns no model. Each case starts from a valid file
 * built here (tests/common/core_util.h) and breaks one thing: the bytes, the header text, the
 * config text, or a tensor. Runs under ASan+UBSan too (make test-asan), which is where an
 * out-of-bounds read or overflow in the loader would show up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "statewave.h"
#include "core_util.h"

static const char *const base_cfg =
    "{\"version\":1,\"d_input\":4,\"d_output\":2,\"task\":\"test\",\"layers\":["
    "{\"type\":\"linear\",\"name\":\"lin\",\"d_in\":4,\"d_out\":8,\"bias\":true},"
    "{\"type\":\"residual\",\"layers\":[{\"type\":\"norm\",\"name\":\"nrm\",\"kind\":\"rms\",\"d\":8,\"eps\":1e-5},"
    "{\"type\":\"s4d\",\"name\":\"s4\",\"d\":8,\"n\":4,\"disc\":\"zoh\"}]},"
    "{\"type\":\"conv1d\",\"name\":\"cv\",\"d\":8,\"kernel\":4},"
    "{\"type\":\"pool\",\"name\":\"pl\",\"d\":8,\"factor\":2,\"expand\":1,\"layers\":[{\"type\":\"act\",\"fn\":\"gelu\",\"d\":8}]},"
    "{\"type\":\"linear\",\"name\":\"out\",\"d_in\":8,\"d_out\":4,\"bias\":false},"
    "{\"type\":\"glu\",\"d_in\":4}]}";

static void base_tensors(tw_file *f)
{
    tw_init(f, 5);
    tw_linear(f, "lin", 4, 8, 1);          /* lin.weight [8,4] at [0,128], lin.bias [8] at [128,160] */
    tw_norm(f, "nrm", 8, 0);
    tw_s4d(f, "s4", 8, 4);
    tw_conv1d(f, "cv", 8, 4);
    tw_pool(f, "pl", 8, 2, 1);
    tw_linear(f, "out", 8, 4, 0);
    tw_param(f, "golden", "input", 2, 3, 4, 1.0, 0.0);
    tw_param(f, "extra", "note", 1, 2, 0, 1.0, 0.0);
}

/* tensor edits */
static void t_nan(tw_file *f) { tw_find(f, "lin.weight")->data[3] = NAN; }
static void t_inf(tw_file *f) { tw_find(f, "golden.input")->data[5] = -INFINITY; }
static void t_missing(tw_file *f) { strcpy(tw_find(f, "s4.C_im")->name, "extra.C_im"); }
static void t_unexpected(tw_file *f) { strcpy(tw_find(f, "extra.note")->name, "note"); }
static void t_bf16_bias(tw_file *f) { tw_bf16(f, "lin.bias"); }
static void t_bf16_ssm(tw_file *f) { tw_bf16(f, "s4.B_re"); }
static void t_bf16_nan(tw_file *f) { tw_bf16(f, "lin.weight")->data[3] = NAN; }
static void t_bf16_inf(tw_file *f) { tw_bf16(f, "pl.up.weight")->data[7] = -INFINITY; }
static void t_bf16_golden_nan(tw_file *f) { tw_bf16(f, "golden.input")->data[1] = NAN; }
static void t_disc_overflow(tw_file *f)
{
    tw_find(f, "s4.log_dt")->data[0] = 100.0f;        /* Δ = e^100 */
    tw_find(f, "s4.log_A_real")->data[0] = -800.0f;   /* Re A = −e^−800 = 0 in double; A_imag[0] = 0 */
}

/* byte edits */
static void set_hlen(unsigned char *b, uint64_t v) { for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i)); }
static uint64_t get_hlen(const unsigned char *b) { uint64_t v = 0; for (int i = 7; i >= 0; i--) v = v << 8 | b[i]; return v; }
static void b_empty(unsigned char *b, size_t *len) { (void)b; *len = 0; }
static void b_seven(unsigned char *b, size_t *len) { (void)b; *len = 7; }
static void b_huge_hlen(unsigned char *b, size_t *len) { (void)len; set_hlen(b, (uint64_t)1 << 40); }
static void b_zero_hlen(unsigned char *b, size_t *len) { (void)len; set_hlen(b, 0); }
static void b_hlen_past_end(unsigned char *b, size_t *len) { set_hlen(b, *len - 8 + 1); }
static void b_cut_header(unsigned char *b, size_t *len) { *len = 8 + get_hlen(b) / 2; }
static void b_cut_data(unsigned char *b, size_t *len) { (void)b; *len -= 4; }
static void b_nul_in_header(unsigned char *b, size_t *len)
{
    unsigned char *p = memmem(b, *len, "extra.note", 10);
    p[3] = 0;
}

typedef struct {
    const char *what;
    sw_status want;
    const char *msg;              /* must appear in the error message */
    const char *hdr_from, *hdr_to; /* header text edit */
    const char *cfg_from, *cfg_to; /* config text edit (before it is escaped into the header) */
    const char *cfg_whole;        /* replaces the config */
    const char *hdr_whole;        /* replaces the header ("%s" = the valid header) */
    void (*tensors)(tw_file *);
    void (*bytes)(unsigned char *, size_t *);
} corrupt_case;

#define H(f, t) .hdr_from = f, .hdr_to = t
#define C(f, t) .cfg_from = f, .cfg_to = t
static const corrupt_case cases[] = {
    {"empty file", SW_ERR_FORMAT, "too short", .bytes = b_empty},
    {"7-byte file", SW_ERR_FORMAT, "too short", .bytes = b_seven},
    {"header length 2^40", SW_ERR_FORMAT, "16 MiB", .bytes = b_huge_hlen},
    {"header length 0", SW_ERR_FORMAT, "too small", .bytes = b_zero_hlen},
    {"header length past the end", SW_ERR_FORMAT, "truncated", .bytes = b_hlen_past_end},
    {"file cut in the header", SW_ERR_FORMAT, "", .bytes = b_cut_header},
    {"file cut in the data", SW_ERR_FORMAT, "past the data section", .bytes = b_cut_data},
    {"NUL byte in header", SW_ERR_FORMAT, "UTF-8", .bytes = b_nul_in_header},
    /* JSON's \u0000 escape: cJSON would cut the string there ("lin.bias\u0000evil" read as lin.bias) */
    {"escaped NUL in a tensor name", SW_ERR_FORMAT, "escaped NUL", H("\"lin.bias\":", "\"lin.bias\\u0000evil\":")},
    {"escaped NUL in a dtype", SW_ERR_FORMAT, "escaped NUL", H("\"lin.weight\":{\"dtype\":\"F32\"", "\"lin.weight\":{\"dtype\":\"F32\\u0000x\"")},
    {"escaped NUL in __metadata__", SW_ERR_FORMAT, "escaped NUL", H("\"format\":\"statewave\"", "\"format\":\"statewave\\u0000x\"")},
    {"escaped NUL in a config layer name", SW_ERR_CONFIG, "escaped NUL", C("\"name\":\"lin\"", "\"name\":\"lin\\u0000x\"")},
    {"invalid UTF-8", SW_ERR_FORMAT, "UTF-8", H("\"extra.note\"", "\"extra.\xff\xfenote\"")},
    {"overlong UTF-8", SW_ERR_FORMAT, "UTF-8", H("\"extra.note\"", "\"extra.\xc0\xafnote\"")},
    {"header not JSON", SW_ERR_FORMAT, "not valid JSON", H("\"__metadata__\":", "\"__metadata__\"::")},
    {"header is an array", SW_ERR_FORMAT, "not a JSON object", .hdr_whole = "[1,2,3]"},
    {"header is a string", SW_ERR_FORMAT, "not a JSON object", .hdr_whole = "\"abc\""},
    {"garbage after the header", SW_ERR_FORMAT, "after the JSON", .hdr_whole = "%s  x"},
    {"missing __metadata__", SW_ERR_FORMAT, "__metadata__", H("\"__metadata__\"", "\"__metadatx__\"")},
    {"__metadata__ twice", SW_ERR_FORMAT, "twice", H(",\"lin.weight\"", ",\"__metadata__\":{},\"lin.weight\"")},
    {"__metadata__ not an object", SW_ERR_FORMAT, "not an object", H("\"__metadata__\":{", "\"__metadata__\":1,\"zz\":{")},
    {"__metadata__ value not a string", SW_ERR_FORMAT, "not a string", H("\"format\":\"statewave\"", "\"format\":\"statewave\",\"n\":5")},
    {"wrong format tag", SW_ERR_FORMAT, "format", H("\"format\":\"statewave\"", "\"format\":\"gguf\"")},
    {"missing config", SW_ERR_CONFIG, "config", H("\"config\":", "\"konfig\":")},
    {"config not JSON", SW_ERR_CONFIG, "not valid JSON", C("\"version\":1,", "\"version\":1,,")},
    {"config not an object", SW_ERR_CONFIG, "not a JSON object", .cfg_whole = "[1,2]"},
    {"config without version", SW_ERR_CONFIG, "version", C("\"version\":1,", "")},
    {"config version 2", SW_ERR_UNSUPPORTED, "version", C("\"version\":1,", "\"version\":2,")},
    {"config without layers", SW_ERR_CONFIG, "layers", .cfg_whole = "{\"version\":1,\"d_input\":4,\"d_output\":2}"},
    {"dtype F16", SW_ERR_UNSUPPORTED, "F16", H("\"lin.weight\":{\"dtype\":\"F32\"", "\"lin.weight\":{\"dtype\":\"F16\"")},
    /* BF16: 2 bytes a value; only weight matrices of linear/pool/mamba; finite after widening */
    {"dtype BF16, F32 byte length", SW_ERR_FORMAT, "32 bytes for 8 BF16 values", H("\"lin.bias\":{\"dtype\":\"F32\"", "\"lin.bias\":{\"dtype\":\"BF16\"")},
    {"BF16 bias", SW_ERR_FORMAT, "\"lin.bias\" is BF16, but this parameter must be F32", .tensors = t_bf16_bias},
    {"BF16 S4D parameter", SW_ERR_FORMAT, "\"s4.B_re\" is BF16", .tensors = t_bf16_ssm},
    {"BF16 NaN weight", SW_ERR_FORMAT, "lin.weight\": value 3 is not finite (nan) after widening BF16", .tensors = t_bf16_nan},
    {"BF16 -Inf weight", SW_ERR_FORMAT, "pl.up.weight\": value 7 is not finite (-inf) after widening BF16", .tensors = t_bf16_inf},
    {"BF16 NaN in a golden tensor", SW_ERR_FORMAT, "after widening BF16", .tensors = t_bf16_golden_nan},
    {"unknown dtype", SW_ERR_FORMAT, "unknown dtype", H("\"lin.weight\":{\"dtype\":\"F32\"", "\"lin.weight\":{\"dtype\":\"Q7\"")},
    {"dtype not a string", SW_ERR_FORMAT, "dtype", H("\"lin.weight\":{\"dtype\":\"F32\"", "\"lin.weight\":{\"dtype\":32")},
    {"tensor entry not an object", SW_ERR_FORMAT, "not a JSON object", H(",\"lin.weight\"", ",\"extra.x\":7,\"lin.weight\"")},
    {"shape/size mismatch", SW_ERR_FORMAT, "bytes for", H("\"shape\":[8,4]", "\"shape\":[8,5]")},
    {"negative dim", SW_ERR_FORMAT, "shape[0]", H("\"shape\":[8,4]", "\"shape\":[-8,4]")},
    {"zero dim", SW_ERR_FORMAT, "shape[1]", H("\"shape\":[8,4]", "\"shape\":[8,0]")},
    {"fractional dim", SW_ERR_FORMAT, "shape[0]", H("\"shape\":[8,4]", "\"shape\":[8.5,4]")},
    {"overflowing shape", SW_ERR_FORMAT, "larger than the data", H("\"shape\":[8,4]", "\"shape\":[4294967296,4294967296,4294967296]")},
    {"dim 1e300", SW_ERR_FORMAT, "shape[0]", H("\"shape\":[8,4]", "\"shape\":[1e300,4]")},
    {"rank 5", SW_ERR_FORMAT, "rank", H("\"shape\":[8,4]", "\"shape\":[1,1,1,8,4]")},
    {"rank 0", SW_ERR_FORMAT, "rank", H("\"shape\":[8,4]", "\"shape\":[]")},
    {"shape not an array", SW_ERR_FORMAT, "shape", H("\"shape\":[8,4]", "\"shape\":\"8x4\"")},
    {"offsets past the end", SW_ERR_FORMAT, "past the data section", H("\"data_offsets\":[0,128]", "\"data_offsets\":[100000000,100000128]")},
    {"offsets begin > end", SW_ERR_FORMAT, "begin", H("\"data_offsets\":[0,128]", "\"data_offsets\":[128,0]")},
    {"negative offset", SW_ERR_FORMAT, "data_offsets", H("\"data_offsets\":[0,128]", "\"data_offsets\":[-4,124]")},
    {"offsets not a pair", SW_ERR_FORMAT, "data_offsets", H("\"data_offsets\":[0,128]", "\"data_offsets\":[0,128,3]")},
    {"huge offsets", SW_ERR_FORMAT, "data_offsets", H("\"data_offsets\":[0,128]", "\"data_offsets\":[1e300,1e300]")},
    {"overlapping tensors", SW_ERR_FORMAT, "overlap", H("\"data_offsets\":[128,160]", "\"data_offsets\":[124,156]")},
    {"duplicate tensor name", SW_ERR_FORMAT, "twice", H(",\"lin.bias\":", ",\"lin.weight\":")},
    {"missing tensor", SW_ERR_FORMAT, "missing tensor \"s4.C_im\"", .tensors = t_missing},
    {"unexpected tensor", SW_ERR_FORMAT, "unexpected tensor \"note\"", .tensors = t_unexpected},
    {"tensor shape wrong for config", SW_ERR_FORMAT, "cv.weight", C("\"kernel\":4", "\"kernel\":3")},
    {"NaN weight", SW_ERR_FORMAT, "lin.weight\": value 3 is not finite", .tensors = t_nan},
    {"Inf in a golden tensor", SW_ERR_FORMAT, "not finite", .tensors = t_inf},
    {"discretization overflows", SW_ERR_CONFIG, "not finite", .tensors = t_disc_overflow},
    {"unknown layer type", SW_ERR_UNSUPPORTED, "conv2d", C("\"type\":\"conv1d\"", "\"type\":\"conv2d\"")},
    {"layer without type", SW_ERR_CONFIG, "type", C("\"type\":\"conv1d\",", "")},
    {"layer not an object", SW_ERR_CONFIG, "not a JSON object", C("\"layers\":[", "\"layers\":[5,")},
    {"width chain mismatch", SW_ERR_CONFIG, "does not match", C("\"d_in\":8,\"d_out\":4", "\"d_in\":6,\"d_out\":4")},
    {"d_output mismatch", SW_ERR_CONFIG, "d_output", C("\"d_output\":2", "\"d_output\":3")},
    {"d_input out of range", SW_ERR_CONFIG, "d_input", C("\"d_input\":4", "\"d_input\":5000")},
    {"d = 0", SW_ERR_CONFIG, "out of range", C("\"kind\":\"rms\",\"d\":8", "\"kind\":\"rms\",\"d\":0")},
    {"n = 1025", SW_ERR_CONFIG, "\"n\"", C("\"n\":4", "\"n\":1025")},
    {"n not an integer", SW_ERR_CONFIG, "integer", C("\"n\":4", "\"n\":4.5")},
    {"kernel = 65", SW_ERR_CONFIG, "kernel", C("\"kernel\":4", "\"kernel\":65")},
    {"factor = 1", SW_ERR_CONFIG, "factor", C("\"factor\":2", "\"factor\":1")},
    {"factor = 65", SW_ERR_CONFIG, "factor", C("\"factor\":2", "\"factor\":65")},
    {"bad disc", SW_ERR_CONFIG, "disc", C("\"disc\":\"zoh\"", "\"disc\":\"foh\"")},
    {"unknown activation", SW_ERR_UNSUPPORTED, "swish", C("\"fn\":\"gelu\"", "\"fn\":\"swish\"")},
    {"bad norm kind", SW_ERR_CONFIG, "kind", C("\"kind\":\"rms\"", "\"kind\":\"batch\"")},
    {"eps = 0", SW_ERR_CONFIG, "eps", C("\"eps\":1e-5", "\"eps\":0")},
    {"bias not a bool", SW_ERR_CONFIG, "bias", C("\"bias\":true", "\"bias\":1")},
    {"name not a string", SW_ERR_CONFIG, "name", C("\"name\":\"lin\"", "\"name\":7")},
    {"glu with odd width", SW_ERR_CONFIG, "even", .cfg_whole =
        "{\"version\":1,\"d_input\":3,\"d_output\":1,\"layers\":[{\"type\":\"glu\",\"d_in\":3}]}"},
    {"empty inner layers", SW_ERR_CONFIG, "empty", C("\"layers\":[{\"type\":\"act\",\"fn\":\"gelu\",\"d\":8}]", "\"layers\":[]")},
    {"task not a string", SW_ERR_CONFIG, "task", C("\"task\":\"test\"", "\"task\":5")},
    {"task_params not an object", SW_ERR_CONFIG, "task_params", C("\"task\":\"test\"", "\"task\":\"test\",\"task_params\":[3]")},
    {"nesting too deep", SW_ERR_CONFIG, "nested deeper", .cfg_whole =
        "{\"version\":1,\"d_input\":4,\"d_output\":4,\"layers\":["
        "{\"type\":\"residual\",\"layers\":[{\"type\":\"residual\",\"layers\":[{\"type\":\"residual\",\"layers\":["
        "{\"type\":\"residual\",\"layers\":[{\"type\":\"residual\",\"layers\":[{\"type\":\"residual\",\"layers\":["
        "{\"type\":\"residual\",\"layers\":[{\"type\":\"residual\",\"layers\":[{\"type\":\"residual\",\"layers\":["
        "{\"type\":\"act\",\"fn\":\"relu\",\"d\":4}]}]}]}]}]}]}]}]}]}]}"},
    {"duplicate layer names", SW_ERR_FORMAT, "already used", C("{\"type\":\"conv1d\",\"name\":\"cv\",\"d\":8,\"kernel\":4},",
        "{\"type\":\"conv1d\",\"name\":\"cv\",\"d\":8,\"kernel\":4},{\"type\":\"conv1d\",\"name\":\"cv\",\"d\":8,\"kernel\":4},")},
};

static void run_case(const corrupt_case *c)
{
    tw_file *f = malloc(sizeof *f);
    base_tensors(f);
    if (c->tensors) c->tensors(f);
    char *cfg = strdup(c->cfg_whole ? c->cfg_whole : base_cfg);
    if (c->cfg_from) {
        char *e = tw_replace(cfg, c->cfg_from, c->cfg_to);
        if (!e) fail_msg("case \"%s\": config text \"%s\" not found", c->what, c->cfg_from);
        free(cfg);
        cfg = e;
    }
    char *hdr = tw_header(f, cfg);
    if (c->hdr_from) {
        char *e = tw_replace(hdr, c->hdr_from, c->hdr_to);
        if (!e) fail_msg("case \"%s\": header text \"%s\" not found", c->what, c->hdr_from);
        free(hdr);
        hdr = e;
    }
    if (c->hdr_whole) {
        char *e = malloc(strlen(hdr) + strlen(c->hdr_whole) + 1);
        if (strstr(c->hdr_whole, "%s")) sprintf(e, "%s%s", hdr, c->hdr_whole + 2);
        else strcpy(e, c->hdr_whole);
        free(hdr);
        hdr = e;
    }
    size_t dl, len;
    unsigned char *data = tw_data(f, &dl);
    unsigned char *bytes = tw_assemble(hdr, data, dl, &len);
    if (c->bytes) c->bytes(bytes, &len);
    /* load from an exact-size heap copy so that ASan sees any read past the end */
    unsigned char *exact = malloc(len ? len : 1);
    memcpy(exact, bytes, len);
    sw_model *m = (sw_model *)(uintptr_t)1;
    char err[512] = "";
    sw_status st = sw_model_load_memory(exact, len, &m, err, sizeof err);
    print_message("  %-32s -> %-22s %s\n", c->what, sw_status_str(st), err);
    if (st != c->want)
        fail_msg("case \"%s\": status %s, expected %s (%s)", c->what, sw_status_str(st), sw_status_str(c->want), err);
    assert_null(m);
    assert_true(strlen(err) > 0);
    if (!strstr(err, c->msg)) fail_msg("case \"%s\": message \"%s\" does not mention \"%s\"", c->what, err, c->msg);
    free(exact); free(bytes); free(data); free(hdr); free(cfg);
    tw_free(f);
    free(f);
}

static void test_base_is_valid(void **state)
{
    (void)state;
    tw_file *f = malloc(sizeof *f);
    base_tensors(f);
    size_t len;
    unsigned char *bytes = tw_build(f, base_cfg, &len);
    sw_model *m;
    TW_LOAD(bytes, len, m);
    assert_int_equal(sw_model_d_input(m), 4);
    assert_int_equal(sw_model_d_output(m), 2);
    assert_string_equal(sw_model_task(m), "test");
    int rank;
    const int64_t *shape;
    const float *g = sw_model_tensor(m, "golden.input", &rank, &shape);
    assert_non_null(g);
    assert_int_equal(rank, 2);
    assert_int_equal(shape[0], 3);
    assert_memory_equal(g, tw_find(f, "golden.input")->data, 12 * sizeof(float));
    assert_non_null(sw_model_tensor(m, "extra.note", NULL, NULL));
    assert_null(sw_model_tensor(m, "nope", NULL, NULL));
    /* params: everything but golden/extra */
    size_t params = 0;
    for (int i = 0; i < f->n; i++)
        if (strncmp(f->t[i].name, "golden.", 7) && strncmp(f->t[i].name, "extra.", 6)) params += f->t[i].count;
    assert_int_equal(sw_model_param_count(m), params);
    sw_model_free(m);
    free(bytes);
    tw_free(f);
    free(f);
}

static void test_corrupt_files(void **state)
{
    (void)state;
    size_t n = sizeof cases / sizeof cases[0];
    print_message("  %zu kinds of corruption\n", n);
    assert_true(n >= 20);
    for (size_t i = 0; i < n; i++) run_case(&cases[i]);
}

/* An escaped backslash followed by the letters u0000 is a plain name, not a NUL: it loads and
 * keeps its backslash (the escaped-NUL check must not reject it). */
static void test_escaped_backslash_name(void **state)
{
    (void)state;
    tw_file *f = malloc(sizeof *f);
    base_tensors(f);
    char *hdr = tw_header(f, base_cfg);
    char *e = tw_replace(hdr, "\"extra.note\"", "\"extra.n\\\\u0000te\"");
    assert_non_null(e);
    size_t dl, len;
    unsigned char *data = tw_data(f, &dl);
    unsigned char *bytes = tw_assemble(e, data, dl, &len);
    sw_model *m;
    TW_LOAD(bytes, len, m);
    assert_non_null(sw_model_tensor(m, "extra.n\\u0000te", NULL, NULL));
    assert_null(sw_model_tensor(m, "extra.n", NULL, NULL));
    sw_model_free(m);
    free(bytes); free(data); free(e); free(hdr);
    tw_free(f);
    free(f);
}

/* Limits are inclusive: depth 8 and 256 layers load; 257 layers do not. */
static void test_limits(void **state)
{
    (void)state;
    tw_file *f = malloc(sizeof *f);
    tw_init(f, 1);
    char *cfg = malloc(65536);
    size_t len, o;
    o = (size_t)sprintf(cfg, "{\"version\":1,\"d_input\":4,\"d_output\":4,\"layers\":[");
    for (int i = 0; i < 8; i++) o += (size_t)sprintf(cfg + o, "{\"type\":\"residual\",\"layers\":[");
    o += (size_t)sprintf(cfg + o, "{\"type\":\"act\",\"fn\":\"relu\",\"d\":4}");
    for (int i = 0; i < 8; i++) o += (size_t)sprintf(cfg + o, "]}");
    sprintf(cfg + o, "]}");
    unsigned char *bytes = tw_build(f, cfg, &len);
    sw_model *m;
    TW_LOAD(bytes, len, m);
    sw_model_free(m);
    free(bytes);
    for (int n = 256; n <= 257; n++) {
        o = (size_t)sprintf(cfg, "{\"version\":1,\"d_input\":4,\"d_output\":4,\"layers\":[");
        for (int i = 0; i < n; i++) o += (size_t)sprintf(cfg + o, "%s{\"type\":\"act\",\"fn\":\"tanh\",\"d\":4}", i ? "," : "");
        sprintf(cfg + o, "]}");
        bytes = tw_build(f, cfg, &len);
        char err[256] = "";
        sw_status st = sw_model_load_memory(bytes, len, &m, err, sizeof err);
        if (n == 256) assert_int_equal(st, SW_OK);
        else {
            assert_int_equal(st, SW_ERR_CONFIG);
            assert_non_null(strstr(err, "256"));
        }
        sw_model_free(m);
        free(bytes);
    }
    free(cfg);
    free(f);
}

/* load_file: missing file, directory, and a good file */
static void test_load_file(void **state)
{
    (void)state;
    sw_model *m;
    char err[256] = "";
    assert_int_equal(sw_model_load_file("tests/data/does-not-exist.safetensors", &m, err, sizeof err), SW_ERR_IO);
    assert_null(m);
    assert_non_null(strstr(err, "does-not-exist"));
    assert_int_not_equal(sw_model_load_file("tests", &m, err, sizeof err), SW_OK);
    assert_null(m);
    assert_int_equal(sw_model_load_memory(NULL, 0, NULL, err, sizeof err), SW_ERR_ARG);
    assert_int_equal(sw_model_load_file("tests/data/x", &m, NULL, 0), SW_ERR_IO);   /* err may be NULL */
    sw_model_free(NULL);
    sw_net_destroy(NULL);
    for (int s = SW_OK; s <= SW_ERR_UNSUPPORTED; s++) assert_true(strlen(sw_status_str((sw_status)s)) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_is_valid),
        cmocka_unit_test(test_corrupt_files),
        cmocka_unit_test(test_escaped_backslash_name),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_load_file),
    };
    return cmocka_run_group_tests_name("core corrupt model files", tests, NULL, NULL);
}
