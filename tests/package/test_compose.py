"""statewave.Composer and encode_notes against the C command `statewave compose` and
build/tools/compose_probe: the same distributions, the same notes for the same seed and settings,
the same tokens for the same notes."""
import os
import struct
import subprocess

import numpy as np
import pytest

import statewave
from conftest import CLI, ROOT

MODEL = os.path.join(ROOT, "presets", "compose.safetensors")
PROMPT = os.path.join(ROOT, "presets", "demo", "instrument_demo.mid")
PROBE = os.path.join(ROOT, "build", "tools", "compose_probe")


def _dump_tokens(path):
    out = subprocess.run([CLI, "compose", "--dump-tokens", "-p", str(path)], check=True,
                         capture_output=True, text=True).stdout
    return np.array(out.split(), dtype=np.uint16)


def _midi_events(path):
    """The note events (seconds, on, pitch, velocity) of a MIDI file as `statewave compose` writes
    them: format 0, meta events and note-on/off messages with status bytes (no running status), one
    tempo at tick 0. Seconds as app/midifile.c computes them: tick * tempo / (1e6 * division)."""
    b = open(path, "rb").read()
    assert b[:4] == b"MThd" and b[14:18] == b"MTrk"
    tpq = struct.unpack(">H", b[12:14])[0]
    end = 22 + struct.unpack(">I", b[18:22])[0]
    pos, tick, tempo, events = 22, 0, 500000, []

    def vlq():
        nonlocal pos
        v = 0
        while True:
            c = b[pos]
            pos += 1
            v = v << 7 | (c & 0x7F)
            if not c & 0x80:
                return v

    while pos < end:
        tick += vlq()
        st = b[pos]
        pos += 1
        if st == 0xFF:
            typ = b[pos]
            pos += 1
            n = vlq()
            if typ == 0x51:
                assert tick == 0
                tempo = int.from_bytes(b[pos:pos + 3], "big")
            pos += n
            continue
        assert st & 0xF0 in (0x80, 0x90), f"unexpected status {st:#x}"
        pitch, vel = b[pos], b[pos + 1]
        pos += 2
        events.append((float(tick) * tempo / (1e6 * tpq), st & 0xF0 == 0x90 and vel > 0, pitch, vel))
    return events


def _written_notes(path):
    """The notes the command wrote: each note-on paired with the next note-off of its pitch (a
    note re-struck at the instant it starts is written as two note-ons before two note-offs)."""
    on, notes = {}, []
    for t, is_on, p, v in _midi_events(path):
        if is_on:
            on.setdefault(p, []).append((t, v))
        else:
            t0, v0 = on[p].pop(0)
            notes.append((t0, t, p, v0))
    assert not any(on.values())
    return sorted(notes)


def _heard_notes(path):
    """The notes a listener hears in the file, as the command reads a prompt (app/compose.c
    song_notes, no pedal in these files): a key struck again ends its sounding note, a note-off
    of a key not held is ignored."""
    on, notes = {}, []
    for t, is_on, p, v in _midi_events(path):
        if is_on:
            if p in on:
                notes.append((on[p][0], t, p, on[p][1]))
            on[p] = (t, v)
        elif p in on:
            t0, v0 = on.pop(p)
            notes.append((t0, t, p, v0))
    assert not on
    return sorted(notes)


def _cli_compose(tmp_path, name, args):
    out = tmp_path / f"{name}.mid"
    subprocess.run([CLI, "compose", "-q", "-m", MODEL, "-p", PROMPT, "-o", str(out)] + args,
                   check=True, capture_output=True)
    return _written_notes(out)


def _by_onset(notes):
    return sorted(notes, key=lambda n: (round(n[0] * 100), n[2], n[1]))


def _assert_same_notes(py, c):
    assert len(py) == len(c), f"{len(py)} notes from Python, {len(c)} from the command"
    for a, b in zip(_by_onset(py), _by_onset(c)):
        assert a[2] == b[2] and a[3] == b[3], f"Python {a} vs command {b}"
        # the file's ticks are 1/960 s (120 bpm, 480 per quarter); a note of no length is one tick long
        assert abs(a[0] - b[0]) < 0.002 and abs(a[1] - b[1]) < 0.002, f"Python {a} vs command {b}"


def _continue(seed, seconds, temperature=1.0, top_p=0.95, **limits):
    """Composer fed the prompt's tokens, then generate(): the new notes, times from its start."""
    c = statewave.Composer(MODEL, seed=seed)
    c.set_temperature(temperature)
    c.set_top_p(top_p)
    if limits:
        c.set_limits(**limits)
    c.feed(_dump_tokens(PROMPT))
    start = c.clock_s
    notes = c.generate(seconds)
    assert c.clock_s >= start + seconds - 1e-9
    return [(on - start, off - start, p, v) for on, off, p, v in notes]


def test_token_event_and_limits_layout():
    # sw_compose_event and sw_compose_limits as ctypes structures: the C values land in their fields
    assert statewave.token_event(60) == statewave.ComposeEvent(60, "note_on", 60, 0, 0, False)
    assert statewave.token_event(128 + 61).kind == "note_off" and statewave.token_event(189).pitch == 61
    assert statewave.token_event(256 + 44) == statewave.ComposeEvent(300, "shift", 0, 0, 45, False)
    assert statewave.token_event(356 + 31) == statewave.ComposeEvent(387, "velocity", 0, 126, 0, False)
    assert statewave.token_event(388).kind == "start"
    lim = statewave._lib.sw_compose_limits()
    statewave._lib.lib.sw_compose_limits_default(statewave._lib.ctypes.byref(lim))
    assert (lim.scale, lim.low, lim.high, lim.max_voices, lim.max_notes_per_s, lim.max_note_s) == \
        (0, 0, 127, 0, 0.0, 8.0)


def test_scale_masks_follow_the_commands_keys():
    pcs = lambda m: sorted(k for k in range(12) if m >> k & 1)
    assert pcs(statewave.scale_mask("C")) == [0, 2, 4, 5, 7, 9, 11]
    assert pcs(statewave.scale_mask("Am")) == [0, 2, 4, 5, 7, 8, 9, 11]     # natural minor + G#
    assert statewave.scale_mask("a minor") == statewave.scale_mask("Am")
    assert statewave.scale_mask("Bb") == statewave.scale_mask("A#major")
    assert statewave.scale_mask("Eb: min") == statewave.scale_mask("D#m")
    assert statewave.scale_mask("Cb") == statewave.scale_mask("B")
    for bad in ("H", "CM", "C#x", "", "auto"):
        with pytest.raises(statewave.StatewaveError, match="bad key"):
            statewave.scale_mask(bad)


def test_same_seed_same_notes_other_seed_other_notes():
    a = _continue(5, 6.0)
    assert len(a) >= 5, "the composer played almost nothing"
    assert _continue(5, 6.0) == a
    assert _continue(6, 6.0) != a
    # reset(): back to the state right after creation, so the same calls give the same notes again
    c = statewave.Composer(MODEL, seed=5)
    first = c.generate(4.0)
    assert c.clock >= 400
    c.reset()
    assert c.clock == 0 and c.generate(4.0) == first
    c.set_seed(6)
    c.reset()
    assert c.generate(4.0) != first


def test_distribution_matches_compose_probe(tmp_path):
    if not os.path.exists(PROBE):
        pytest.fail(f"{PROBE} missing (make)")
    toks = _dump_tokens(PROMPT)
    n = 80
    tf = tmp_path / "t.u16"
    toks[:n].astype("<u2").tofile(tf)
    subprocess.run([PROBE, "dist", MODEL, str(tf), str(n), str(tmp_path / "d.f32")], check=True)
    rows = np.fromfile(tmp_path / "d.f32", dtype=np.float32).reshape(n, statewave.COMPOSE_VOCAB)
    c = statewave.Composer(MODEL)
    for t in range(n):
        p = c.distribution()
        assert p.shape == (389,) and p.dtype == np.float32
        assert np.array_equal(p, rows[t]), f"distribution before token {t} differs"
        c.feed(int(toks[t]))
    assert abs(float(p.sum()) - 1) < 1e-4 and not np.array_equal(rows[0], rows[-1])


@pytest.mark.parametrize("seed,T,P,seconds,cli,limits", [
    (3, 1.0, None, 7.996, [], {}),
    (11, 0.8, 0.9, 6.996, ["--key", "Am", "--range", "48-84", "--max-voices", "3", "--max-note", "1.5"],
     dict(key="Am", low=48, high=84, max_voices=3, max_note_s=1.5)),
])
def test_generate_matches_the_command(tmp_path, seed, T, P, seconds, cli, limits):
    args = ["--only-new", "-s", str(seconds), "--seed", str(seed), "-t", str(T)] + \
        (["-P", str(P)] if P is not None else []) + cli
    c_notes = _cli_compose(tmp_path, f"s{seed}", args)
    py = _continue(seed, seconds, T, 0.95 if P is None else P, **limits)
    assert len(py) >= 5, "the composer played almost nothing"
    _assert_same_notes(py, c_notes)
    if limits:
        am = statewave.scale_mask("Am")
        assert all(48 <= p <= 84 and am >> (p % 12) & 1 for _, _, p, _ in py)
        assert max(off - on for on, off, _, _ in py) <= 1.5 + 1e-9


def test_encode_notes_matches_dump_tokens(tmp_path):
    # the command's output (the prompt's notes and a continuation) read back: its tokens, as the
    # command computes them from that file, are encode_notes() of its notes
    full = tmp_path / "full.mid"
    subprocess.run([CLI, "compose", "-q", "-m", MODEL, "-p", PROMPT, "-s", "6", "--seed", "2",
                    "-o", str(full)], check=True, capture_output=True)
    notes = _heard_notes(full)
    assert len(notes) > 40
    toks = statewave.encode_notes(notes)
    assert toks.dtype == np.uint16 and np.array_equal(toks, _dump_tokens(full))
    # a NumPy (n, 4) array works as well, and no notes is no tokens
    assert np.array_equal(statewave.encode_notes(np.array(notes)), toks)
    assert statewave.encode_notes([]).shape == (0,)
    # tokens fed then decoded keep the clock: the last note-off's time in 10 ms steps
    c = statewave.Composer(MODEL)
    c.feed(toks)
    assert c.clock == int(np.floor(max(n[1] for n in notes) * 100 + 0.5))
    with pytest.raises(statewave.StatewaveError, match="0..127"):
        statewave.encode_notes([(0.0, 1.0, 128, 64)])


def test_listening_and_limits_errors():
    c = statewave.Composer(MODEL, seed=1)
    c.note_on(0.5, 60, 100)
    assert c.clock == 50 and c.sounding(60)
    c.pedal(0.6, True)
    c.note_off(0.7, 60)
    assert c.sounding(60)          # the pedal holds it
    c.pedal(1.0, False)
    assert not c.sounding(60) and c.clock == 100
    c.advance(3.5)
    assert c.clock == 300
    e = c.next()
    assert isinstance(e, statewave.ComposeEvent) and e.kind in ("note_on", "note_off", "shift", "velocity")
    with pytest.raises(statewave.StatewaveError, match="tokens"):
        c.feed([1, 2, 388])
    with pytest.raises(statewave.StatewaveError, match="bad key"):
        c.set_limits(key="X")
    with pytest.raises(statewave.StatewaveError, match="low"):
        c.set_limits(low=80, high=70)
    with pytest.raises(statewave.StatewaveError, match="top_p"):
        c.set_top_p(0)


def test_wrong_task_model_is_a_clear_error(monkeypatch):
    gen = os.path.join(ROOT, "presets", "generate.safetensors")
    with pytest.raises(statewave.StatewaveError, match="task 'generate', not 'compose'") as e:
        statewave.Composer(gen)
    assert "generate.safetensors" in str(e.value)
    # the default model: $STATEWAVE_COMPOSE_MODEL first, checked the same way
    monkeypatch.setenv("STATEWAVE_COMPOSE_MODEL", MODEL)
    assert statewave.Composer().model.path == MODEL
    monkeypatch.setenv("STATEWAVE_COMPOSE_MODEL", gen)
    with pytest.raises(statewave.StatewaveError, match="task 'generate', not 'compose'"):
        statewave.Composer()
    with pytest.raises(statewave.StatewaveError, match="task 'compose', not 'generate'"):
        statewave.Generator(MODEL)
