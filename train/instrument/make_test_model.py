"""Write tests/data/synth_test.safetensors: a small random-init "synth" model for the C tests.

    /usr/bin/python3 train/instrument/make_test_model.py [--out tests/data/synth_test.safetensors] [--seed 7]

Config (docs/INSTRUMENT.md, d_input 8, d_output 1 + K + B = 1 + 64 + 65):
    linear 8->64, 2 x residual[norm rms, s4d d=64 n=16 zoh, act gelu, linear 64->64], linear 64->130
task "synth", task_params as in INSTRUMENT.md with timbre "test".

The network is random, except for one hand-set path so the C tests can rely on the voice
life-cycle: the input layer copies the gate (col 2), release (col 4) and onset (col 3)
features into three channels, and the output layer turns them into the amplitude logit
    o[0] ~ -16 + 12 gate + 12.5 release + 8 onset    (plus small random terms)
(the norms and SSMs make it far from linear): a note starts loud (A ~ 1.9 in frame 0,
falling with the onset feature over ~50 ms), holds at A ~ 0.02, and after note-off falls
under A < 1e-4 within ~100 ms, so the C synth frees the voice 50 ms later. The other outputs (harmonic logits, noise magnitudes) stay random
but scaled small, so the spectrum is a smooth mix of harmonics and a quiet noise floor.
Not a musical instrument: a fixed, deterministic stand-in until the trained timbres exist.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from swtorch.net import Net  # noqa: E402
from swtorch.export import save_model  # noqa: E402
import trainutil as TU  # noqa: E402

K, B, D, N = 64, 65, 64, 16
TASK_PARAMS = {"sample_rate": 24000, "control_rate": 250, "n_harmonics": K, "n_noise_bands": B,
               "timbre": "test", "features": 1, "pitch_range": [28, 100]}


def config():
    lay = [{"type": "linear", "name": "inp", "d_in": 8, "d_out": D}]
    for i in range(2):
        lay.append({"type": "residual", "layers": [
            {"type": "norm", "name": "b%d_norm" % i, "kind": "rms", "d": D},
            {"type": "s4d", "name": "b%d_ssm" % i, "d": D, "n": N, "disc": "zoh"},
            {"type": "act", "fn": "gelu", "d": D},
            {"type": "linear", "name": "b%d_out" % i, "d_in": D, "d_out": D}]})
    lay.append({"type": "linear", "name": "outp", "d_in": D, "d_out": 1 + K + B})
    return {"version": 1, "d_input": 8, "d_output": 1 + K + B, "task": "synth",
            "task_params": dict(TASK_PARAMS), "layers": lay}


def main():
    a = TU.model_writer_args("tests/data/synth_test.safetensors", 7)
    net = Net(config())
    with torch.no_grad():
        sd = dict(net.named_parameters())
        # the residual branches stay small, so the hand-set skip path dominates o[0]
        for i in range(2):
            sd["b%d_out.weight" % i].mul_(0.1)
            sd["b%d_out.bias" % i].zero_()
        # input: channels 0 and 1 carry gate and release, nothing else
        w_in = sd["inp.weight"]
        w_in[0:3].zero_()
        w_in[:, 2:5].zero_()
        w_in[0, 2] = 1.0
        w_in[1, 4] = 1.0
        w_in[2, 3] = 1.0
        sd["inp.bias"][0:3].zero_()
        # output: amplitude from the two channels, the rest random but modest
        w_out, b_out = sd["outp.weight"], sd["outp.bias"]
        w_out.mul_(0.5)
        w_out[:, 0:3].zero_()
        w_out[0].mul_(0.1)
        w_out[0, 0] = 12.0
        w_out[0, 1] = 12.5
        w_out[0, 2] = 8.0
        b_out[0] = -16.0
        b_out[1:1 + K] = -0.05 * torch.arange(K, dtype=torch.float32)   # gently falling harmonics
        b_out[1 + K:] = 0.0
    cfg = save_model(net, a.out, task="synth", task_params=dict(TASK_PARAMS))
    print("wrote %s (%d -> %d, %d bytes)" % (a.out, cfg["d_input"], cfg["d_output"], os.path.getsize(a.out)))


if __name__ == "__main__":
    main()
