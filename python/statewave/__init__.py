"""statewave — Python bindings to libstatewave (ctypes; NumPy in and out).

    import numpy as np, statewave
    d = statewave.Denoiser(48000, channels=1)        # the default denoise model
    y = d.process(x)                                  # float32, state kept across calls
    y = statewave.denoise(x, 48000)                   # whole signal, latency compensated

Objects:
  load_model(path) -> Model       any Statewave model file (errors carry the loader's message)
  Denoiser(rate, channels)        the real-time speech denoiser (mono or linked stereo)
  Generator(model, seed)          the autoregressive audio generator
  Composer(model, seed)           the composer: MIDI-style events in, new notes out
  Synth(model, rate, voices)      the neural instrument (MIDI-style events)
  Transfer(model, rate)           timbre transfer
  encode_notes(notes)             a performance's notes -> the composer's tokens
"""
import collections
import json
import math
import os
import sys

import numpy as np

from . import _lib
from ._lib import StatewaveError, check, err_buf, lib

__all__ = ["StatewaveError", "Model", "load_model", "default_model_path", "Denoiser", "denoise",
           "Generator", "Composer", "ComposeEvent", "encode_notes", "token_event", "scale_mask",
           "COMPOSE_VOCAB", "COMPOSE_STEP_S",
           "Synth", "Transfer", "mulaw_encode", "mulaw_decode", "library_path", "__version__"]
__version__ = "0.1.0"
library_path = _lib.lib_path

_P = _lib.c_void_p
_HERE = os.path.dirname(os.path.abspath(__file__))


def _ptr(a):
    return a.ctypes.data_as(_P)


def _getter(fn, conv=None, doc=None):
    """A read-only property: the C getter fn of the object's handle (its value through conv)."""
    if conv is None:
        return property(lambda self: fn(self._h), doc=doc)
    return property(lambda self: conv(fn(self._h)), doc=doc)


def _setting(attr, fn):
    """A read-write float property kept in self.<attr>; a new value goes to the engine through fn
    (which ramps it)."""
    def set_value(self, v):
        setattr(self, attr, float(v))
        fn(self._h, getattr(self, attr))
    return property(lambda self: getattr(self, attr), set_value)


def _create(fn, args, what):
    """The handle that fn(*args, &handle, err, errlen) makes; StatewaveError(what: the library's
    message) when it fails."""
    h = _P()
    err = err_buf()
    check(fn(*args, _lib.ctypes.byref(h), err, len(err)), err, what)
    return h


class _Engine:
    """What the engine objects share: the handle `_h` of a sw_<_prefix> object, reset(), and
    close() (also on garbage collection and at the end of a `with` block)."""
    _prefix = None

    def _fn(self, name):
        return getattr(lib, f"sw_{self._prefix}_{name}")

    def reset(self):
        """Clear every state (the network's and the engine's own), as at creation."""
        self._fn("reset")(self._h)

    def close(self):
        if getattr(self, "_h", None):
            self._fn("destroy")(self._h)
            self._h = None

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


class Model:
    """A loaded model file (immutable weights + config). Engines keep a reference to the
    model they were made from, so it lives as long as they do."""

    def __init__(self, path):
        self.path = os.fspath(path)
        self._h = None
        self._h = _create(lib.sw_model_load_file, (os.fsencode(self.path),), f"cannot load model '{self.path}'")

    task = _getter(lib.sw_model_task, bytes.decode)

    @property
    def task_params(self):
        return json.loads(lib.sw_model_task_params_json(self._h).decode())

    d_input = _getter(lib.sw_model_d_input)
    d_output = _getter(lib.sw_model_d_output)
    param_count = _getter(lib.sw_model_param_count)

    def _need(self, task):
        if self.task != task:
            raise StatewaveError("not supported",
                                 f"model '{self.path}' has task '{self.task}', not '{task}'")

    def __del__(self):
        if getattr(self, "_h", None):
            lib.sw_model_free(self._h)
            self._h = None

    def __repr__(self):
        return f"<statewave.Model {self.path!r} task={self.task!r}>"


def load_model(path):
    """Load a Statewave model file; raises StatewaveError with the loader's message."""
    return Model(path)


def default_model_path(kind="denoise"):
    """The model used when none is given: $STATEWAVE_MODEL (denoise), $STATEWAVE_GENERATE_MODEL
    (generate) or $STATEWAVE_COMPOSE_MODEL (compose), then the copy bundled in the package, then the
    source tree next to the library (build/../presets), then the install prefix next to the library
    (lib/../share/statewave), then share/statewave under Python's prefix, /usr/local and /usr
    (`make install`)."""
    env = {"denoise": "STATEWAVE_MODEL", "generate": "STATEWAVE_GENERATE_MODEL",
           "compose": "STATEWAVE_COMPOSE_MODEL"}.get(kind)
    if env and os.environ.get(env):
        return os.environ[env]
    name = f"{kind}.safetensors"
    libdir = os.path.dirname(os.path.abspath(_lib.lib_path))
    tried = [os.path.join(_HERE, name), os.path.join(libdir, "..", "presets", name),
             os.path.join(libdir, "..", "share", "statewave", name)]
    tried += [os.path.join(pre, "share", "statewave", name) for pre in (sys.prefix, "/usr/local", "/usr")]
    for p in tried:
        if os.path.isfile(p):
            return os.path.normpath(p)
    raise StatewaveError("file could not be opened or read",
                         f"no {kind} model found (tried {', '.join(tried)}); pass a model or set "
                         f"{env or 'a path'}")


def _model_arg(model, kind):
    if model is None:
        model = default_model_path(kind)
    if not isinstance(model, Model):
        model = Model(model)
    model._need(kind)
    return model


class Denoiser(_Engine):
    """Real-time speech denoiser over one stream of `channels` (1, or 2 with linked gains).

    process(x): x is (frames,) for mono or (frames, channels); any length, any split into
    blocks gives the same result (state is kept across calls). Returns float32 of x's shape.
    The output lags the input by `latency` samples (see denoise() for aligned whole files)."""
    _prefix = "denoiser"

    def __init__(self, sample_rate, channels=1, model=None, mix=1.0, limit_db=100.0):
        self._h = None
        self.model = _model_arg(model, "denoise")
        if channels not in (1, 2):
            raise StatewaveError("bad argument", f"channels must be 1 or 2, got {channels!r}")
        self.sample_rate = float(sample_rate)
        self.channels = int(channels)
        self._h = h = _create(lib.sw_denoiser_create, (self.model._h, self.sample_rate, self.channels),
                              "cannot create the denoiser")
        self._ptrs = (_P * self.channels)()
        self._mix, self._limit = float(mix), float(limit_db)
        lib.sw_denoiser_set_mix(h, self._mix)
        lib.sw_denoiser_set_limit_db(h, self._limit)
        lib.sw_denoiser_reset(h)  # parameters start at their values, no ramp

    latency = _getter(lib.sw_denoiser_latency, doc="Samples between an input sample and its output.")

    mix = _setting("_mix", lib.sw_denoiser_set_mix)
    limit_db = _setting("_limit", lib.sw_denoiser_set_limit_db)

    def process(self, x):
        x = np.asarray(x)
        C = self.channels
        if x.ndim == 1 and C == 1:
            planar = np.array(x, dtype=np.float32, order="C")[None, :]
        elif x.ndim == 2 and x.shape[1] == C:
            planar = np.ascontiguousarray(x.T, dtype=np.float32)
        else:
            raise StatewaveError("bad argument",
                                 f"input shape {x.shape} does not fit {C} channel(s): "
                                 "want (frames,) for mono or (frames, channels)")
        n = planar.shape[1]
        for c in range(C):
            self._ptrs[c] = planar.ctypes.data + c * n * 4
        if n:
            lib.sw_denoiser_process(self._h, self._ptrs, self._ptrs, n)  # in place
        return planar[0] if x.ndim == 1 else planar.T.copy()


def denoise(x, sample_rate, model=None, mix=1.0, limit_db=100.0, block=1024):
    """Denoise a whole signal the way `statewave denoise` does a file: output time-aligned with
    the input and of the same length (the latency is trimmed, zeros are fed at the end), any
    channel count as linked pairs (1+2, 3+4, ...; an odd last one alone). x: (frames,) or
    (frames, channels), rate in [8000, 192000] Hz. Returns float32 of x's shape."""
    x = np.asarray(x, dtype=np.float32)
    mono = x.ndim == 1
    x2 = x[:, None] if mono else x
    if x2.ndim != 2:
        raise StatewaveError("bad argument", f"want (frames,) or (frames, channels), got {x.shape}")
    model = _model_arg(model, "denoise")
    n, C = x2.shape
    out = np.empty((n, C), dtype=np.float32)
    for k in range(0, C, 2):
        ch = min(2, C - k)
        d = Denoiser(sample_rate, ch, model, mix, limit_db)
        L = d.latency
        src = np.concatenate([x2[:, k:k + ch], np.zeros((L, ch), np.float32)])
        parts = [d.process(src[i:i + block]) for i in range(0, len(src), block)]
        y = np.concatenate(parts) if parts else np.zeros((0, ch), np.float32)
        out[:, k:k + ch] = y[L:L + n]
        d.close()
    return out[:, 0] if mono else out


class Generator(_Engine):
    """Autoregressive audio generator (a "generate" model): mono float audio in [-1, 1] at
    `sample_rate`. Same model + seed + settings + calls give bit-identical audio."""
    _prefix = "generator"

    def __init__(self, model=None, seed=0):
        self._h = None
        self.model = _model_arg(model, "generate")
        self._h = _create(lib.sw_generator_create, (self.model._h, int(seed)), "cannot create the generator")

    sample_rate = _getter(lib.sw_generator_sample_rate)
    position = _getter(lib.sw_generator_position)

    def set_seed(self, seed):
        lib.sw_generator_set_seed(self._h, int(seed))

    def set_temperature(self, t):
        lib.sw_generator_set_temperature(self._h, float(t))

    def set_top_p(self, p):
        lib.sw_generator_set_top_p(self._h, float(p))

    def prime(self, samples):
        a = np.ascontiguousarray(samples, dtype=np.float32).ravel()
        lib.sw_generator_prime(self._h, _ptr(a), a.size)

    def prime_codes(self, codes):
        a = np.ascontiguousarray(codes, dtype=np.uint8).ravel()
        lib.sw_generator_prime_codes(self._h, _ptr(a), a.size)

    def render(self, n, return_codes=False):
        out = np.empty(int(n), dtype=np.float32)
        codes = np.empty(int(n), dtype=np.uint8)
        lib.sw_generator_render_codes(self._h, _ptr(out), _ptr(codes), out.size)
        return (out, codes) if return_codes else out

    def distribution(self):
        p = np.empty(256, dtype=np.float32)
        lib.sw_generator_distribution(self._h, _ptr(p))
        return p


# ------------------------------------------------------------------------------------- composer --

COMPOSE_VOCAB = 389      # SW_COMPOSE_VOCAB: tokens 0..387 and START (388)
COMPOSE_STEP_S = 0.01    # SW_COMPOSE_STEP_S: one clock step, s
_STEPS_PER_S = 100       # 1 / COMPOSE_STEP_S: times as clock / 100 (12.95, not 12.950000000000001)
_KINDS = ("note_on", "note_off", "shift", "velocity", "start")   # sw_compose_kind, in order

ComposeEvent = collections.namedtuple("ComposeEvent", "token kind pitch velocity steps forced")
ComposeEvent.__doc__ = """One composer event: `token` 0..388, `kind` one of "note_on", "note_off", "shift",
"velocity", "start"; `pitch` 0..127 (note events), `velocity` 1..127 (note-on: the velocity in
force; velocity events: the bin's middle), `steps` 1..100 (shifts: 10 ms each), `forced` True for a
note-off imposed by max_note_s rather than drawn."""


def _event(e):
    kind = _KINDS[e.kind] if 0 <= e.kind < len(_KINDS) else str(e.kind)
    return ComposeEvent(e.token, kind, e.pitch, e.velocity, e.steps, bool(e.forced))


def token_event(token):
    """Decode one composer token without a composer (sw_compose_token_event)."""
    return _event(lib.sw_compose_token_event(int(token)))


_LETTER = {"A": 9, "B": 11, "C": 0, "D": 2, "E": 4, "F": 5, "G": 7}


def _parse_key(name):
    """"C", "F#", "Bb", "Am", "C#min", "Eb major" -> (tonic 0..11, minor), as `statewave compose
    --key` reads them; None if not a key."""
    if not name or name[0].upper() not in _LETTER:
        return None
    t = _LETTER[name[0].upper()]
    r = name[1:]
    if r[:1] == "#":
        t, r = t + 1, r[1:]
    elif r[:1] == "b":
        t, r = t - 1, r[1:]
    r = r.lstrip(" :")
    if r == "" or r.lower() in ("maj", "major"):
        minor = False
    elif r == "m" or r.lower() in ("min", "minor"):
        minor = True
    else:
        return None
    return t % 12, minor


def scale_mask(key):
    """The pitch-class mask of a key's scale (bit k: pitch class k, 0 = C): a major key's 7 notes,
    a minor key's natural minor with the raised 7th (8 notes). key: "C", "F#", "Bb", "Am",
    "C#m", "Eb minor", ... as `statewave compose --key`."""
    tk = _parse_key(key) if isinstance(key, str) else None
    if tk is None:
        raise StatewaveError("bad argument",
                             f"bad key {key!r} (for example C, F#, Bb, Am, C#m, Eb minor)")
    tonic, minor = tk
    steps = (0, 2, 3, 5, 7, 8, 10, 11) if minor else (0, 2, 4, 5, 7, 9, 11)
    m = 0
    for i in steps:
        m |= 1 << ((tonic + i) % 12)
    return m


_NOTE_DTYPE = np.dtype([("on_s", "<f8"), ("off_s", "<f8"), ("pitch", "<i4"), ("velocity", "<i4")],
                       align=True)
assert _NOTE_DTYPE.itemsize == _lib.ctypes.sizeof(_lib.sw_compose_note)


def _note_array(notes):
    """notes: (on_s, off_s, pitch, velocity) rows -> a C-layout array of sw_compose_note."""
    rows = [tuple(n) for n in notes]
    for r in rows:
        if len(r) != 4:
            raise StatewaveError("bad argument", f"a note is (on_s, off_s, pitch, velocity), got {r!r}")
    a = np.zeros(len(rows), dtype=_NOTE_DTYPE)
    if rows:
        on, off, pitch, vel = (np.asarray(c, dtype=np.float64) for c in zip(*rows))
        if not (np.all(np.isfinite(on)) and np.all(np.isfinite(off))):
            raise StatewaveError("bad argument", "note times must be finite")
        if np.any(pitch != np.round(pitch)) or np.any(vel != np.round(vel)):
            raise StatewaveError("bad argument", "note pitches and velocities must be whole numbers")
        if np.any((pitch < 0) | (pitch > 127)) or np.any((vel < 1) | (vel > 127)):
            raise StatewaveError("bad argument", "note pitches must be in 0..127, velocities in 1..127")
        a["on_s"], a["off_s"], a["pitch"], a["velocity"] = on, off, pitch, vel
    return a


def encode_notes(notes):
    """The composer's tokens (uint16, START not included) of a performance given as notes
    (on_s, off_s, pitch, velocity), with any sustain pedal already applied to the ends — exactly
    what `statewave compose --dump-tokens` prints for a MIDI file with those notes
    (sw_compose_encode: times rounded to 10 ms steps, gaps as shifts of at most 1 s)."""
    a = _note_array(notes)
    n = lib.sw_compose_encode(_ptr(a), a.size, None, 0)
    out = np.zeros(max(n, 0), dtype=np.uint16)
    if n < 0 or lib.sw_compose_encode(_ptr(a), a.size, _ptr(out), out.size) != n:
        raise StatewaveError("out of memory", "cannot encode the notes")
    return out


class Composer(_Engine):
    """The composer (a "compose" model): listens to MIDI-style events or tokens and continues,
    one event at a time, under the musician's limits (set_limits). Same model + seed + settings +
    calls give the same notes. Times are seconds on the composer's clock (10 ms steps since the
    last reset). Temperature and top-p start at the library's defaults, 1 and 1; `statewave
    compose` draws with top-p 0.95."""
    _prefix = "composer"

    def __init__(self, model=None, seed=0, temperature=1.0, top_p=1.0):
        self._h = None
        self.model = _model_arg(model, "compose")
        self._h = _create(lib.sw_composer_create, (self.model._h, int(seed)), "cannot create the composer")
        self.set_temperature(temperature)
        self.set_top_p(top_p)

    clock = _getter(lib.sw_composer_clock, doc="10 ms steps fed or drawn since the last reset.")

    @property
    def clock_s(self):
        """The clock in seconds."""
        return self.clock / _STEPS_PER_S

    def set_seed(self, seed):
        """Restart the random draws from `seed`, now."""
        lib.sw_composer_set_seed(self._h, int(seed))

    def set_temperature(self, t):
        t = float(t)
        if not 0.0 <= t <= 10.0:
            raise StatewaveError("bad argument", f"temperature must be in [0, 10], got {t!r}")
        lib.sw_composer_set_temperature(self._h, t)

    def set_top_p(self, p):
        p = float(p)
        if not 0.0 < p <= 1.0:
            raise StatewaveError("bad argument", f"top_p must be in (0, 1], got {p!r}")
        lib.sw_composer_set_top_p(self._h, p)

    def set_limits(self, key=None, low=0, high=127, max_voices=0, max_notes_per_s=0.0, max_note_s=8.0):
        """What new notes may be: key None (any note), a key name ("C", "F#", "Bb", "Am", "C#m":
        as `statewave compose --key`) or a pitch-class mask (bit k: pitch class k, 0 = C); only
        from `low` to `high` (MIDI notes); none while `max_voices` sound or while the last second
        holds `max_notes_per_s` (0: no limit); a generated note is ended after `max_note_s` s
        (0: never). The arguments' defaults are the library's (sw_compose_limits_default)."""
        if key is None or (isinstance(key, str) and key == "none"):
            mask = 0
        elif isinstance(key, str):
            mask = scale_mask(key)
        elif isinstance(key, (int, np.integer)) and not isinstance(key, bool) and 0 <= key <= 0xFFF:
            mask = int(key)
        else:
            raise StatewaveError("bad argument", f"key must be None, a key name or a 12-bit pitch-class "
                                 f"mask, got {key!r}")
        if not (0 <= int(low) <= int(high) <= 127):
            raise StatewaveError("bad argument", f"want 0 <= low <= high <= 127, got {low!r}, {high!r}")
        if int(max_voices) < 0 or not float(max_notes_per_s) >= 0 or not float(max_note_s) >= 0:
            raise StatewaveError("bad argument", "max_voices, max_notes_per_s and max_note_s must be >= 0")
        lim = _lib.sw_compose_limits()
        lib.sw_compose_limits_default(_lib.ctypes.byref(lim))
        lim.scale, lim.low, lim.high = mask, int(low), int(high)
        lim.max_voices, lim.max_notes_per_s, lim.max_note_s = int(max_voices), float(max_notes_per_s), float(max_note_s)
        lib.sw_composer_set_limits(self._h, _lib.ctypes.byref(lim))

    def feed(self, tokens):
        """Feed tokens (an int or a sequence, 0..387) as if played: the clock, the notes sounding
        and the velocity follow them. All are checked before any is fed."""
        toks = np.atleast_1d(np.asarray(tokens)).ravel()
        if toks.size and (toks.dtype.kind not in "iu" or toks.min() < 0 or toks.max() >= COMPOSE_VOCAB - 1):
            raise StatewaveError("bad argument", f"tokens must be integers in 0..{COMPOSE_VOCAB - 2}")
        for t in toks.tolist():
            lib.sw_composer_feed(self._h, t)

    def note_on(self, t, pitch, velocity):
        """A key struck at `t` s on the clock (earlier than the clock: now)."""
        lib.sw_composer_note_on(self._h, float(t), int(pitch), int(velocity))

    def note_off(self, t, pitch):
        lib.sw_composer_note_off(self._h, float(t), int(pitch))

    def pedal(self, t, down):
        """The sustain pedal: keys released while it is down sound until it goes up."""
        lib.sw_composer_pedal(self._h, float(t), 1 if down else 0)

    def advance(self, t):
        """Feed the whole seconds of silence that have passed by `t` s."""
        lib.sw_composer_advance(self._h, float(t))

    def sounding(self, pitch):
        return bool(lib.sw_composer_sounding(self._h, int(pitch)))

    def next(self):
        """Draw the next event under the limits, feed it back and return it (a ComposeEvent)."""
        return _event(lib.sw_composer_next(self._h))

    def generate(self, seconds):
        """Compose for `seconds` from the current clock, as `statewave compose` does: draw events
        until the clock passes now + seconds (rounded to 10 ms steps). Returns the new notes,
        sorted, as (on_s, off_s, pitch, velocity) with times on the clock; a note still sounding
        at the end ends there (the composer itself still hears it held)."""
        seconds = float(seconds)
        if not seconds >= 0 or math.isinf(seconds):
            raise StatewaveError("bad argument", f"seconds must be finite and >= 0, got {seconds!r}")
        stop = self.clock + int(math.floor(seconds / COMPOSE_STEP_S + 0.5))
        on_at, vel, notes = {}, {}, []
        while self.clock < stop:
            e = self.next()
            t = self.clock / _STEPS_PER_S
            if e.kind == "note_on":
                if e.pitch in on_at:
                    notes.append((on_at[e.pitch], t, e.pitch, vel[e.pitch]))
                on_at[e.pitch], vel[e.pitch] = t, e.velocity
            elif e.kind == "note_off" and e.pitch in on_at:
                notes.append((on_at.pop(e.pitch), t, e.pitch, vel[e.pitch]))
        end = stop / _STEPS_PER_S
        for p, on in on_at.items():
            notes.append((on, end if end > on else on + COMPOSE_STEP_S, p, vel[p]))
        notes.sort()
        return notes

    def distribution(self):
        """The model's next-token probabilities (float32 [389]; temperature 1, no limits)."""
        p = np.empty(COMPOSE_VOCAB, dtype=np.float32)
        lib.sw_composer_distribution(self._h, _ptr(p))
        return p


def _set_ir(fn, h, ir, ir_rate):
    a = np.ascontiguousarray(ir, dtype=np.float32).ravel()
    err = err_buf()
    check(fn(h, _ptr(a), a.size, float(ir_rate), err, len(err)), err, "cannot set the reverb response")


class _Instrument(_Engine):
    """The sound controls that Synth and Transfer share (the instrument's, docs/INSTRUMENT.md)."""

    def set_harmonic_gain(self, g):
        self._fn("set_harmonic_gain")(self._h, float(g))

    def set_noise_gain(self, g):
        self._fn("set_noise_gain")(self._h, float(g))

    def set_pitch_shift(self, semitones):
        self._fn("set_pitch_shift")(self._h, float(semitones))

    def set_reverb_mix(self, mix):
        self._fn("set_reverb_mix")(self._h, float(mix))

    def set_reverb_ir(self, ir, ir_rate):
        _set_ir(self._fn("set_reverb_ir"), self._h, ir, ir_rate)


class Synth(_Instrument):
    """Polyphonic neural instrument (a "synth" model). Events apply at the current stream
    position: process(k), note_on(...), process(rest) places a note k samples in."""
    _prefix = "synth"

    def __init__(self, model, sample_rate, voices=16):
        self._h = None
        self.model = _model_arg(model, "synth")
        self._h = _create(lib.sw_synth_create, (self.model._h, float(sample_rate), int(voices)),
                          "cannot create the instrument")
        self.sample_rate = float(sample_rate)

    timbre = _getter(lib.sw_synth_timbre, bytes.decode)
    active_voices = _getter(lib.sw_synth_active_voices)

    def note_on(self, note, velocity=100):
        lib.sw_synth_note_on(self._h, int(note), int(velocity))

    def note_off(self, note):
        lib.sw_synth_note_off(self._h, int(note))

    def sustain(self, on):
        lib.sw_synth_sustain(self._h, 1 if on else 0)

    def pitch_bend(self, semitones):
        lib.sw_synth_pitch_bend(self._h, float(semitones))

    def all_notes_off(self):
        lib.sw_synth_all_notes_off(self._h)

    def process(self, frames):
        out = np.empty(int(frames), dtype=np.float32)
        lib.sw_synth_process(self._h, _ptr(out), out.size)
        return out


class Transfer(_Instrument):
    """Timbre transfer: monophonic audio in, the model's timbre out (same rate, `latency`
    samples later)."""
    _prefix = "transfer"

    def __init__(self, model, sample_rate):
        self._h = None
        self.model = _model_arg(model, "synth")
        self._h = _create(lib.sw_transfer_create, (self.model._h, float(sample_rate)),
                          "cannot create the timbre transfer")
        self.sample_rate = float(sample_rate)

    latency = _getter(lib.sw_transfer_latency)

    def process(self, x):
        a = np.array(x, dtype=np.float32, order="C").ravel()
        lib.sw_transfer_process(self._h, _ptr(a), _ptr(a), a.size)  # in place
        return a


def mulaw_encode(x):
    return int(lib.sw_mulaw_encode(float(x)))


def mulaw_decode(code):
    return float(lib.sw_mulaw_decode(int(code)))
