"""Finding and binding libstatewave.so (ctypes).

The library is looked for, in this order:
  1. $STATEWAVE_LIB (a path to libstatewave.so),
  2. the package's own folder (pip install ./python after `make` bundles build/libstatewave.so),
  3. the prefix Python runs from and the usual install prefixes (lib/libstatewave.so, as
     `make install` puts it), then the dynamic loader's search path.
Every failed attempt is listed in the error, so a wrong path is easy to see.
"""
import ctypes
import ctypes.util
import os
import sys

from ctypes import (POINTER, Structure, c_char_p, c_double, c_float, c_int, c_long, c_size_t,
                    c_uint8, c_uint16, c_uint64, c_void_p)

_HERE = os.path.dirname(os.path.abspath(__file__))


class StatewaveError(Exception):
    """An error from libstatewave: `status` is the library's status name (e.g. "malformed model
    file"), `message` the loader's or engine's own message."""

    def __init__(self, status, message):
        self.status = status
        self.message = message
        super().__init__(f"{message} ({status})" if message else status)


def _candidates():
    env = os.environ.get("STATEWAVE_LIB")
    if env:
        yield env, "$STATEWAVE_LIB"
        return  # an explicit choice is final: no silent fallback to another build
    yield os.path.join(_HERE, "libstatewave.so"), "package folder"
    prefixes = [sys.prefix, os.path.join(os.path.expanduser("~"), ".local"), "/usr/local", "/usr"]
    seen = set()
    for p in prefixes:
        for sub in ("lib", "lib64", "lib/x86_64-linux-gnu"):
            path = os.path.join(p, sub, "libstatewave.so")
            if path not in seen:
                seen.add(path)
                yield path, "install prefix"
    found = ctypes.util.find_library("statewave")
    if found:
        yield found, "loader search path"


def _open():
    tried = []
    for path, why in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append(f"{path} ({why}): no such file")
            continue
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append(f"{path} ({why}): {e}")
    raise OSError("statewave: cannot load libstatewave.so; tried:\n  " + "\n  ".join(tried) +
                  "\nBuild it with `make` (build/libstatewave.so), install it with `make install`, "
                  "or set STATEWAVE_LIB to its path.")


lib, lib_path = _open()


class sw_compose_event(Structure):
    """dsp/statewave.h's sw_compose_event (returned by value)."""
    _fields_ = [("token", c_int), ("kind", c_int), ("pitch", c_int), ("velocity", c_int),
                ("steps", c_int), ("forced", c_int)]


class sw_compose_limits(Structure):
    """dsp/statewave.h's sw_compose_limits (passed by pointer)."""
    _fields_ = [("scale", c_uint16), ("low", c_int), ("high", c_int), ("max_voices", c_int),
                ("max_notes_per_s", c_float), ("max_note_s", c_float)]


class sw_compose_note(Structure):
    """dsp/statewave.h's sw_compose_note (an array of them goes to sw_compose_encode)."""
    _fields_ = [("on_s", c_double), ("off_s", c_double), ("pitch", c_int), ("velocity", c_int)]


_P = c_void_p
_ERRLEN = 512
_sigs = {
    "sw_status_str": (c_char_p, [c_int]),
    "sw_model_load_file": (c_int, [c_char_p, POINTER(_P), c_char_p, c_size_t]),
    "sw_model_free": (None, [_P]),
    "sw_model_d_input": (c_int, [_P]),
    "sw_model_d_output": (c_int, [_P]),
    "sw_model_param_count": (c_size_t, [_P]),
    "sw_model_task": (c_char_p, [_P]),
    "sw_model_task_params_json": (c_char_p, [_P]),
    "sw_denoiser_create": (c_int, [_P, c_double, c_int, POINTER(_P), c_char_p, c_size_t]),
    "sw_denoiser_latency": (c_int, [_P]),
    "sw_denoiser_set_mix": (None, [_P, c_float]),
    "sw_denoiser_set_limit_db": (None, [_P, c_float]),
    "sw_denoiser_process": (None, [_P, POINTER(_P), POINTER(_P), c_size_t]),
    "sw_generator_create": (c_int, [_P, c_uint64, POINTER(_P), c_char_p, c_size_t]),
    "sw_generator_sample_rate": (c_int, [_P]),
    "sw_generator_set_seed": (None, [_P, c_uint64]),
    "sw_generator_set_temperature": (None, [_P, c_float]),
    "sw_generator_set_top_p": (None, [_P, c_float]),
    "sw_generator_prime": (None, [_P, _P, c_size_t]),
    "sw_generator_prime_codes": (None, [_P, _P, c_size_t]),
    "sw_generator_render_codes": (None, [_P, _P, _P, c_size_t]),
    "sw_generator_distribution": (None, [_P, _P]),
    "sw_generator_position": (c_uint64, [_P]),
    "sw_mulaw_encode": (c_uint8, [c_float]),
    "sw_mulaw_decode": (c_float, [c_uint8]),
    "sw_synth_create": (c_int, [_P, c_double, c_int, POINTER(_P), c_char_p, c_size_t]),
    "sw_synth_timbre": (c_char_p, [_P]),
    "sw_synth_note_on": (None, [_P, c_int, c_int]),
    "sw_synth_note_off": (None, [_P, c_int]),
    "sw_synth_sustain": (None, [_P, c_int]),
    "sw_synth_pitch_bend": (None, [_P, c_float]),
    "sw_synth_all_notes_off": (None, [_P]),
    "sw_synth_process": (None, [_P, _P, c_size_t]),
    "sw_synth_active_voices": (c_int, [_P]),
    "sw_transfer_create": (c_int, [_P, c_double, POINTER(_P), c_char_p, c_size_t]),
    "sw_transfer_latency": (c_int, [_P]),
    "sw_transfer_process": (None, [_P, _P, _P, c_size_t]),
    "sw_compose_limits_default": (None, [POINTER(sw_compose_limits)]),
    "sw_composer_create": (c_int, [_P, c_uint64, POINTER(_P), c_char_p, c_size_t]),
    "sw_composer_set_seed": (None, [_P, c_uint64]),
    "sw_composer_set_temperature": (None, [_P, c_float]),
    "sw_composer_set_top_p": (None, [_P, c_float]),
    "sw_composer_set_limits": (None, [_P, POINTER(sw_compose_limits)]),
    "sw_composer_feed": (c_int, [_P, c_int]),
    "sw_composer_note_on": (None, [_P, c_double, c_int, c_int]),
    "sw_composer_note_off": (None, [_P, c_double, c_int]),
    "sw_composer_pedal": (None, [_P, c_double, c_int]),
    "sw_composer_advance": (None, [_P, c_double]),
    "sw_composer_next": (sw_compose_event, [_P]),
    "sw_composer_clock": (c_uint64, [_P]),
    "sw_composer_sounding": (c_int, [_P, c_int]),
    "sw_composer_distribution": (None, [_P, _P]),
    "sw_compose_token_event": (sw_compose_event, [c_int]),
    "sw_compose_encode": (c_long, [_P, c_size_t, _P, c_size_t]),
}
for _engine in ("denoiser", "generator", "composer", "synth", "transfer"):
    _sigs[f"sw_{_engine}_destroy"] = (None, [_P])
    _sigs[f"sw_{_engine}_reset"] = (None, [_P])
for _engine in ("synth", "transfer"):   # the instrument's sound controls, alike in both
    for _ctl in ("harmonic_gain", "noise_gain", "pitch_shift", "reverb_mix"):
        _sigs[f"sw_{_engine}_set_{_ctl}"] = (None, [_P, c_float])
    _sigs[f"sw_{_engine}_set_reverb_ir"] = (c_int, [_P, _P, c_size_t, c_double, c_char_p, c_size_t])
for _name, (_res, _args) in _sigs.items():
    try:
        _f = getattr(lib, _name)
    except AttributeError:
        raise OSError(f"statewave: {lib_path} has no symbol {_name}: an older or foreign "
                      "libstatewave.so? Rebuild it with `make`.") from None
    _f.restype = _res
    _f.argtypes = _args


def status_str(st):
    return lib.sw_status_str(st).decode()


def err_buf():
    return ctypes.create_string_buffer(_ERRLEN)


def check(st, err, what):
    """Raise StatewaveError for a non-OK status, with the library's message."""
    if st != 0:
        msg = err.value.decode("utf-8", "replace") if err is not None else ""
        raise StatewaveError(status_str(st), f"{what}: {msg}" if msg else what)
