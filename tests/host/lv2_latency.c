/* lv2_latency.c — print the latency port value of a Statewave plugin at a sample rate.
 *
 *   build/tests/host/lv2_latency [mono|stereo] RATE     (from the repo root)
 *
 * Instantiates the plugin from build/statewave.lv2 through lilv with the features a DAW
 * gives, runs one zero-length cycle and prints the `latency` output port, so scripts
 * (tests/host/test_lv2apply.sh) can align lv2apply's uncompensated output. */
#include "lv2host.h"

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "mono") && strcmp(argv[1], "stereo"))) {
        fprintf(stderr, "usage: %s mono|stereo RATE\n", argv[0]);
        return 2;
    }
    h_host H;
    if (h_host_init(&H) != 0) {
        fprintf(stderr, "lv2_latency: cannot load %s\n", H_BUNDLE_DIR);
        return 1;
    }
    bool stereo = !strcmp(argv[1], "stereo");
    h_inst *hi = h_inst_new(&H, stereo, atof(argv[2]), true, true);
    if (!hi) {
        fprintf(stderr, "lv2_latency: plugin refused to instantiate\n");
        return 1;
    }
    lilv_instance_activate(hi->inst);
    float z[2] = {0, 0};
    const float *in[2] = {z, z + 1};
    float *out[2] = {z, z + 1};
    h_cycle(hi, in, out, 0);
    printf("%d\n", (int)hi->ctl[P_LATENCY]);
    lilv_instance_deactivate(hi->inst);
    h_inst_free(hi);
    h_host_free(&H);
    return 0;
}
