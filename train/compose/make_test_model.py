"""Write tests/data/compose_test.safetensors: a tiny random-init "compose" model for the C tests.

    /usr/bin/python3 train/compose/make_test_model.py [--out tests/data/compose_test.safetensors] [--seed 11]

The composer's real network shape (train/compose/model.py ssm_config: an embedding of the 389
tokens, one plain s4d block, head), shrunk to d 16 and n 4 so the file stays a few tens of KB.
Its weights are random, so it plays random notes in random rhythms: a fixed, deterministic
stand-in that lets the plugin and command tests run before a trained model is shipped, not music.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import model as M  # noqa: E402
import trainutil as TU  # noqa: E402
from swtorch.export import save_model  # noqa: E402
from swtorch.net import Net  # noqa: E402


def main():
    a = TU.model_writer_args("tests/data/compose_test.safetensors", 11)
    net = Net(M.ssm_config(kind="s4d", d=16, blocks=1, n=4))
    cfg = save_model(net, a.out, task="compose", task_params=dict(M.TASK_PARAMS))
    print("wrote %s (%d -> %d, %d bytes)" % (a.out, cfg["d_input"], cfg["d_output"], os.path.getsize(a.out)))


if __name__ == "__main__":
    main()
