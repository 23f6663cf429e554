"""The statewave Python package (python/, ctypes over build/libstatewave.so), as installed by
`pip install ./python`: bit-identical to the C command, state across blocks, memory flat over
10,000 calls, the loader's errors as Python exceptions."""
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

import statewave
from conftest import CLI, ROOT


def test_installed_copy_is_used():
    # run_tests.sh installs the package into a fresh venv; the tests must not import python/
    assert not os.path.abspath(statewave.__file__).startswith(os.path.join(ROOT, "python"))


def _c_denoise(tmp_path, x, rate, name):
    """`build/statewave denoise` on x written as a float WAV (output format kept: float)."""
    src = tmp_path / f"{name}.wav"
    out = tmp_path / f"{name}_c.wav"
    sf.write(src, x, rate, subtype="FLOAT")
    subprocess.run([CLI, "denoise", "-q", "-o", str(out), str(src)], check=True)
    y, r = sf.read(out, dtype="float32")
    assert r == rate and sf.info(str(out)).subtype == "FLOAT"
    return sf.read(src, dtype="float32")[0], y


@pytest.mark.parametrize("rate", [48000, 16000, 44100])
def test_bit_identical_to_c_mono(tmp_path, noisy_clips, rate):
    x, r = sf.read(noisy_clips[0], dtype="float32")
    assert r == 48000
    if rate != r:  # another rate: the same real clip, decimated/stretched by index (no resampler)
        x = x[(np.arange(int(len(x) * rate / r)) * r // rate)]
    xin, yc = _c_denoise(tmp_path, x, rate, f"m{rate}")
    yp = statewave.denoise(xin, rate)
    assert yp.dtype == np.float32 and yp.shape == yc.shape
    assert np.array_equal(yp, yc), f"max diff {np.abs(yp - yc).max()}"
    # and it did denoise: the output differs from the input
    assert np.abs(yp - xin).max() > 1e-3


def test_bit_identical_to_c_three_channels(tmp_path, noisy_clips):
    # channels 1+2 a linked stereo pair, channel 3 alone, as the command does
    clips = [sf.read(p, dtype="float32")[0] for p in noisy_clips[1:4]]
    n = min(len(c) for c in clips)
    x = np.stack([c[:n] for c in clips], axis=1)
    xin, yc = _c_denoise(tmp_path, x, 48000, "tri")
    yp = statewave.denoise(xin, 48000)
    assert yp.shape == (n, 3) and np.array_equal(yp, yc)


def test_blocks_equal_whole(noisy_clips):
    x, r = sf.read(noisy_clips[5], dtype="float32")
    whole = statewave.Denoiser(r, 1).process(x)
    d = statewave.Denoiser(r, 1)
    rng = np.random.default_rng(17)
    parts, i = [], 0
    while i < len(x):
        k = int(rng.integers(0, 3000))
        parts.append(d.process(x[i:i + k]))
        i += k
    assert np.array_equal(np.concatenate(parts), whole)
    # reset: back to a fresh denoiser
    d.reset()
    assert np.array_equal(d.process(x[:20000]), whole[:20000])


def test_stereo_shapes_and_latency(noisy_clips):
    x, r = sf.read(noisy_clips[2], dtype="float32")
    st = np.stack([x, x * 0.5], axis=1)
    d = statewave.Denoiser(r, 2)
    y = d.process(st)
    assert y.shape == st.shape and y.dtype == np.float32
    for rate, lat in ((48000, 479), (44100, 439), (16000, 159)):
        assert statewave.Denoiser(rate, 1).latency == lat == 2 * (rate // 200) - 1
    with pytest.raises(statewave.StatewaveError, match="does not fit"):
        d.process(x)  # mono data into a stereo denoiser


def test_mix_zero_is_delayed_input(noisy_clips):
    x, r = sf.read(noisy_clips[3], dtype="float32")
    d = statewave.Denoiser(r, 1, mix=0.0)
    y = d.process(x)
    L = d.latency
    assert np.allclose(y[L:], x[:-L], atol=1e-6)


def test_errors_carry_the_loaders_message(tmp_path):
    with pytest.raises(statewave.StatewaveError) as e:
        statewave.load_model(tmp_path / "missing.safetensors")
    assert "missing.safetensors" in str(e.value) and "No such file" in str(e.value)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{\"a\": not json}")
    with pytest.raises(statewave.StatewaveError) as e:
        statewave.load_model(bad)
    assert e.value.status == "malformed model file" and e.value.message
    gen = os.path.join(ROOT, "presets", "generate.safetensors")
    with pytest.raises(statewave.StatewaveError, match="task 'generate', not 'denoise'"):
        statewave.Denoiser(48000, 1, model=gen)
    with pytest.raises(statewave.StatewaveError) as e:
        statewave.Denoiser(1000, 1)
    assert e.value.status == "bad argument" and "1000" in e.value.message
    with pytest.raises(statewave.StatewaveError):
        statewave.Denoiser(48000, 3)


def test_missing_library_is_a_clear_error(tmp_path):
    env = dict(os.environ, STATEWAVE_LIB=str(tmp_path / "nowhere" / "libstatewave.so"))
    p = subprocess.run([sys.executable, "-c", "import statewave"], env=env, capture_output=True,
                       text=True, cwd=tmp_path)
    assert p.returncode != 0
    assert "cannot load libstatewave.so" in p.stderr and "nowhere/libstatewave.so" in p.stderr


def _rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])


def test_memory_flat_over_10000_calls(noisy_clips):
    x, r = sf.read(noisy_clips[4], dtype="float32")
    d = statewave.Denoiser(r, 1)
    blocks = [x[i:i + 480] for i in range(0, len(x) - 480, 480)]
    for i in range(1000):  # warm-up: allocator pools, NumPy caches
        d.process(blocks[i % len(blocks)])
    before = _rss_kb()
    for i in range(10000):
        d.process(blocks[i % len(blocks)])
    after = _rss_kb()
    assert after - before < 1024, f"RSS grew {after - before} kB over 10,000 process calls"
    # objects too: 10,000 short-lived denoisers, created and dropped
    m = statewave.load_model(statewave.default_model_path())
    for i in range(300):
        statewave.Denoiser(r, 1, model=m).process(blocks[0])
    before = _rss_kb()
    for i in range(10000):
        statewave.Denoiser(r, 1, model=m).process(blocks[i % 50])
    after = _rss_kb()
    assert after - before < 2048, f"RSS grew {after - before} kB over 10,000 denoisers"


def test_generator_matches_c(tmp_path):
    out = tmp_path / "g.wav"
    subprocess.run([CLI, "generate", "-s", "0.5", "--seed", "7", "-o", str(out)], check=True,
                   capture_output=True)
    c, sr = sf.read(out, dtype="float32")
    g = statewave.Generator(os.path.join(ROOT, "presets", "generate.safetensors"), seed=7)
    assert g.sample_rate == sr
    y, codes = g.render(len(c), return_codes=True)
    assert g.position == len(c)
    # the command writes 16-bit PCM: the same quantisation of our samples is the same file
    sf.write(tmp_path / "p.wav", y, sr, subtype=sf.info(str(out)).subtype)
    assert np.array_equal(sf.read(tmp_path / "p.wav", dtype="float32")[0], c)
    assert np.array_equal(np.array([statewave.mulaw_encode(v) for v in y[:200]]), codes[:200])
    p = g.distribution()
    assert p.shape == (256,) and abs(float(p.sum()) - 1) < 1e-3


def test_synth_and_transfer():
    inst = os.path.join(ROOT, "presets", "instruments", "violin.safetensors")
    if not os.path.exists(inst):
        inst = sorted(__import__("glob").glob(os.path.join(ROOT, "presets", "instruments", "*.safetensors")))[0]
    m = statewave.load_model(inst)
    s = statewave.Synth(m, 48000)
    assert s.timbre
    s.note_on(69, 100)
    a = s.process(24000)
    assert s.active_voices == 1 and np.sqrt(np.mean(a[4800:] ** 2)) > 1e-3
    s.note_off(69)
    t = statewave.Transfer(m, 48000)
    assert t.latency > 0
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(48000) / 48000)).astype(np.float32)
    y = t.process(tone)
    assert y.shape == tone.shape and np.sqrt(np.mean(y[24000:] ** 2)) > 1e-3
    with pytest.raises(statewave.StatewaveError, match="task"):
        statewave.Synth(os.path.join(ROOT, "presets", "denoise.safetensors"), 48000)
