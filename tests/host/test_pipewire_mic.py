#!/usr/bin/python3
"""The PipeWire noise-cancelled microphone (pipewire/statewave-mic.conf) in the real daemons.

Starts its own dbus-daemon, pipewire and wireplumber (private XDG_RUNTIME_DIR and config: no
sound card, no user session touched), with a null "Audio/Source/Virtual" node as the only, so
default, microphone and the shipped filter-chain snippet unchanged; LV2_PATH holds only
build/statewave.lv2. Then, at quanta 64, 256 and 1024 (clock.force-quantum):
  - pw-play plays a real noisy dev-set clip into the test microphone's input ports;
  - one pw-record records the test microphone (left) and "Statewave noise-cancelled microphone"
    (right) in the same graph cycles, so the right channel's delay against the left one is the
    filter's delay, whatever the start-up times of the clients;
  - checks: wireplumber linked the filter to the default microphone; the delay is exactly the
    latency the LV2 plugin reports (2*floor(rate/200) - 1 = 479 at 48 kHz); SI-SDR against the
    clean reference improves by at least 10 dB; xruns are counted: the recorded microphone is
    matched sample for sample against the file, and every break (a quantum of silence inserted
    because a client was late, or samples of the file lost) is one; a quarter of the clip lost
    fails the run.
At quantum 256 it also sets the filter's mix to 0 at run time (pw-cli set-param, as README
shows): the output must then be the microphone delayed by exactly the latency, sample for
sample. Every wait is a polled condition with a bound; the daemons are stopped at the end (and
on failure or interruption), by the PIDs this script started."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
import soundfile as sf
from scipy.signal import fftconvolve

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLIP = os.environ.get("SW_PW_CLIP", "001")
NOISY = os.path.join(ROOT, "..", "shared", "data", "devset", "noisy", f"{CLIP}.flac")
CLEAN = os.path.join(ROOT, "..", "shared", "data", "devset", "clean", f"{CLIP}.flac")
BUNDLE = os.path.join(ROOT, "build", "statewave.lv2")
LATPROBE = os.path.join(ROOT, "build", "tests", "host", "lv2_latency")
QUANTA = [int(q) for q in os.environ.get("SW_PW_QUANTA", "64 256 1024").split()]
MIN_GAIN_DB = 10.0
MIN_EXACT = 0.99  # with mix 0, the share of judged output samples that must be exact (the rest: xruns)
MAX_LOST = 0.25  # fraction of the file that may miss the recording (xruns) before a run fails
BOUND = 120.0  # seconds for any one condition on a loaded machine

procs = []  # (name, Popen) started here, stopped in reverse order


def fail(msg):
    print(f"test_pipewire_mic: FAIL: {msg}")
    raise SystemExit(1)


def wait_for(what, cond, bound=BOUND, every=0.02):
    t_end = time.monotonic() + bound
    while time.monotonic() < t_end:
        r = cond()
        if r:
            return r
        time.sleep(every)
    fail(f"timed out after {bound:.0f} s waiting for {what}")


def start(name, argv, env, log):
    p = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=env["SW_TMP"],
                         start_new_session=True)
    procs.append((name, p))
    return p


def stop(name, p, sig=signal.SIGTERM):
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=20)
    procs.remove((name, p))


def stop_all():
    for name, p in reversed(list(procs)):
        stop(name, p)


def run(argv, env, check=True):
    p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=BOUND)
    if check and p.returncode != 0:
        fail(f"{' '.join(argv)}: exit {p.returncode}: {p.stderr.strip()}")
    return p.stdout


def links(env):
    return run(["pw-link", "-l"], env, check=False)


def ports(env, flag):
    return run(["pw-link", flag], env, check=False).split()


def nodes(env):
    return [o for o in json.loads(run(["pw-dump"], env)) if o.get("type", "").endswith(":Node")]


def node_id(env, name):
    for o in nodes(env):
        if o["info"]["props"].get("node.name") == name:
            return o["id"]
    fail(f"no node {name}")


def filter_mix(env, cid):
    for o in nodes(env):
        if o["id"] == cid:
            for pr in o["info"]["params"].get("Props", []):
                prm = pr.get("params", [])
                for k in range(0, len(prm) - 1, 2):
                    if prm[k] == "statewave:mix":
                        return prm[k + 1]
    return None


def sisdr(ref, est):
    a = np.dot(est, ref) / np.dot(ref, ref)
    t = a * ref
    e = est - t
    return 10 * np.log10(np.dot(t, t) / np.dot(e, e))


def _find(hay, start, pat, span=48000 * 2):
    """First index >= start where `pat` (64 samples) occurs exactly in hay, within span."""
    if len(pat) < 64:
        return None
    for c in np.flatnonzero(hay[start:start + span] == pat[0]):
        c = start + int(c)
        if np.array_equal(hay[c:c + len(pat)], pat):
            return c
    return None


def match_segments(rec, clip):
    """Runs where the recorded microphone equals the file sample for sample:
    [(rec index, clip index, length)]. Every break between runs is an xrun."""
    segs = []
    nz = np.flatnonzero(rec)
    if not len(nz):
        return segs
    i, j = int(nz[0]), int(np.flatnonzero(clip)[0])  # the recording starts with the file
    while j < len(clip) and i < len(rec):
        m = min(len(rec) - i, len(clip) - j)
        neq = np.flatnonzero(rec[i:i + m] != clip[j:j + m])
        k = int(neq[0]) if len(neq) else m
        if k:
            segs.append((i, j, k))
        i, j = i + k, j + k
        if j >= len(clip) or i >= len(rec):
            break
        # resynchronise after the break: samples were inserted into the recording (silence: a
        # client was late), or samples of the file were lost, or both. Take the next stretch of
        # the recording that is not silence and find it in the file (2 s ahead at most).
        found = None
        for ii in range(i, min(len(rec) - 64, i + 48000 * 2), 16):
            if not rec[ii:ii + 64].all():
                continue
            jj = _find(clip, j, rec[ii:ii + 64])
            if jj is not None:
                found = (ii, jj)
                break
        if found is None:
            break
        i, j = found
    return segs


def one_run(env, tmp, q, L, noisy, clean, mix_zero=False):
    run(["pw-metadata", "-n", "settings", "0", "clock.force-quantum", str(q)], env)
    rec = os.path.join(tmp, f"rec_q{q}{'_dry' if mix_zero else ''}.wav")
    log = open(os.path.join(tmp, f"clients_q{q}.log"), "a")
    r = start("pw-record", ["pw-record", "-P", "{ node.name = sw_test_rec node.autoconnect = false }",
                            "--rate", "48000", "--channels", "2", "--format", "f32", rec], env, log)
    p = start("pw-play", ["pw-play", "-P", "{ node.name = sw_test_feed node.autoconnect = false }",
                          os.path.join(tmp, "noisy.wav")], env, log)
    wait_for("the recorder's and the player's ports",
             lambda: {"sw_test_rec:input_FL", "sw_test_rec:input_FR"} <= set(ports(env, "-i")) and
             any(x.startswith("sw_test_feed:") for x in ports(env, "-o")))
    feed = [x for x in ports(env, "-o") if x.startswith("sw_test_feed:")][0]
    run(["pw-link", "sw_test_mic:capture_MONO", "sw_test_rec:input_FL"], env)
    run(["pw-link", "statewave_mic:capture_MONO", "sw_test_rec:input_FR"], env)
    cid = node_id(env, "capture.statewave_mic")
    if mix_zero:  # the README's run-time setting
        run(["pw-cli", "set-param", str(cid), "Props", '{ params = [ "statewave:mix" 0.0 ] }'], env)
        wait_for("mix 0 in the filter's Props", lambda: filter_mix(env, cid) == 0.0)
    # the file starts when the player is linked, into a graph already running
    wait_for("the recording to start", lambda: os.path.exists(rec) and os.path.getsize(rec) > 48000 * 8 // 5)
    run(["pw-link", feed, "sw_test_mic:input_MONO"], env)
    try:
        p.wait(timeout=BOUND + len(noisy) / 48000)
    except subprocess.TimeoutExpired:
        fail(f"pw-play did not finish within {BOUND:.0f} s + the clip")
    # the filter's output lags by L: wait until the recording has a further L + 2 quanta + 0.25 s
    size0 = os.path.getsize(rec)
    wait_for("the tail of the recording", lambda: os.path.getsize(rec) >= size0 + 8 * (L + 2 * q + 12000))
    stop("pw-record", r, signal.SIGINT)
    stop("pw-play", p)
    log.close()
    if mix_zero:
        run(["pw-cli", "set-param", str(cid), "Props", '{ params = [ "statewave:mix" 1.0 ] }'], env)
        wait_for("mix 1 in the filter's Props", lambda: filter_mix(env, cid) == 1.0)

    x, rate = sf.read(rec, dtype="float32")
    if rate != 48000 or x.ndim != 2:
        fail(f"{rec}: {rate} Hz, shape {x.shape}")
    mic, out = x[:, 0], x[:, 1]
    segs = match_segments(mic, noisy)
    got = sum(k for _, _, k in segs)
    first = int(np.flatnonzero(noisy)[0])
    lost = len(noisy) - first - got
    xruns = max(0, len(segs) - 1)  # breaks; the player may also cut the file's last block
    if got < 48000:
        fail(f"q={q}: the recorded microphone does not match the file (matched runs {segs[:5]})")
    # delay of the filter's output against its input over the whole recording (reported; the
    # exact check is the mix-0 run's): the filter got the microphone as recorded, breaks included
    cc = fftconvolve(out, mic[::-1], mode="full")[len(mic) - 1:len(mic) - 1 + L + 4 * q]
    D = int(np.argmax(cc))
    # Every break in the recorded microphone (the player late, or the recorder missing a cycle)
    # also breaks what the recording says about the filter for a while, so the filter is judged
    # only where the recording is unbroken: output sample t with microphone samples
    # t - L - CTX .. t all inside one matched run (CTX: the denoiser's analysis window).
    CTX = 2 * (48000 // 200)
    est, ref, nin, dry_same, dry_n, dry_breaks = [], [], [], 0, 0, 0
    for i, j, k in segs:
        t0, t1 = i + L + CTX, min(i + k, len(out))
        if t1 > t0:
            est.append(out[t0:t1])
            ref.append(clean[j + t0 - i - L:j + t1 - i - L])
            nin.append(noisy[j + t0 - i - L:j + t1 - i - L])
        t0 = i + L
        if mix_zero and t1 > t0:
            eq = out[t0:t1] == mic[t0 - L:t1 - L]
            dry_same += int(np.sum(eq))
            dry_n += t1 - t0
            # stretches of output that are not the delayed microphone: the filter's own xruns
            dry_breaks += int(np.sum(eq[:-1] & ~eq[1:])) + int(not eq[0])
    judged = int(sum(len(e) for e in est))
    res = {"quantum": q, "delay": D, "xruns": xruns, "lost_samples": int(lost), "judged_samples": judged}
    if judged:
        est, ref, nin = np.concatenate(est), np.concatenate(ref), np.concatenate(nin)
        res.update(sisdr_in=round(float(sisdr(ref, nin)), 2), sisdr_out=round(float(sisdr(ref, est)), 2))
    if mix_zero:
        # every judged output sample is the microphone's of L samples before, exactly
        res["dry_exact_fraction"] = round(dry_same / dry_n, 5) if dry_n else None
        res["filter_xruns"] = dry_breaks
    return res


def main():
    for f in (NOISY, CLEAN, os.path.join(BUNDLE, "manifest.ttl"), LATPROBE):
        if not os.path.exists(f):
            fail(f"missing {f} (make; ../shared/data)")
    for tool in ("pipewire", "wireplumber", "pw-play", "pw-record", "pw-link", "pw-metadata",
                 "pw-cli", "pw-dump", "dbus-daemon"):
        if not shutil.which(tool):
            fail(f"{tool} not installed (make deps)")
    L = int(subprocess.run([LATPROBE, "mono", "48000"], capture_output=True, text=True, check=True).stdout)
    noisy, r1 = sf.read(NOISY, dtype="float32")
    clean, r2 = sf.read(CLEAN, dtype="float32")
    assert r1 == r2 == 48000 and len(noisy) == len(clean)

    # on tmpfs when there is one: the recorder writes from its real-time thread
    tmp = tempfile.mkdtemp(prefix="sw_pw.", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    # the clip as float WAV: the player reads it in its real-time thread (no FLAC decoding there)
    sf.write(os.path.join(tmp, "noisy.wav"), noisy, 48000, subtype="FLOAT")
    run_dir = os.path.join(tmp, "run")
    os.makedirs(run_dir, mode=0o700)
    conf_d = os.path.join(tmp, "config", "pipewire", "pipewire.conf.d")
    os.makedirs(conf_d)
    shutil.copy(os.path.join(ROOT, "pipewire", "statewave-mic.conf"), conf_d)
    with open(os.path.join(conf_d, "00-test-mic.conf"), "w") as f:
        f.write("""context.objects = [
    { factory = adapter
        args = {
            factory.name     = support.null-audio-sink
            node.name        = "sw_test_mic"
            node.description = "Test microphone"
            media.class      = "Audio/Source/Virtual"
            audio.position   = [ MONO ]
            audio.rate       = 48000
            priority.session = 3000
        }
    }
]
""")
    # wireplumber: no hardware monitors (no sound card, camera or bluetooth is touched)
    for sub, line in (("main.lua.d", "alsa_monitor.enabled = false\nv4l2_monitor.enabled = false\n"
                       "libcamera_monitor.enabled = false\n"),
                      ("bluetooth.lua.d", "bluez_monitor.enabled = false\n")):
        d = os.path.join(tmp, "config", "wireplumber", sub)
        os.makedirs(d)
        with open(os.path.join(d, "51-statewave-test.lua"), "w") as f:
            f.write(line)
    lv2 = os.path.join(tmp, "lv2")
    os.makedirs(lv2)
    os.symlink(BUNDLE, os.path.join(lv2, "statewave.lv2"))
    bus = os.path.join(tmp, "bus")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIPEWIRE_", "DBUS_", "PULSE_"))}
    env.update(XDG_RUNTIME_DIR=run_dir, XDG_CONFIG_HOME=os.path.join(tmp, "config"), LV2_PATH=lv2,
               DBUS_SESSION_BUS_ADDRESS=f"unix:path={bus}", SW_TMP=tmp, DISPLAY="")
    ok = False
    try:
        log = open(os.path.join(tmp, "daemons.log"), "w")
        start("dbus-daemon", ["dbus-daemon", "--session", "--nofork", "--nopidfile",
                              f"--address=unix:path={bus}"], env, log)
        wait_for("the session bus", lambda: os.path.exists(bus))
        start("pipewire", ["pipewire"], env, log)
        wait_for("pipewire's socket", lambda: os.path.exists(os.path.join(run_dir, "pipewire-0")))
        start("wireplumber", ["wireplumber"], env, log)
        # wireplumber links the filter's capture side to the default microphone: the test one
        wait_for("wireplumber to link the filter to the default microphone",
                 lambda: "|-> capture.statewave_mic:input_MONO" in links(env))
        desc = [o["info"]["props"].get("node.description") for o in nodes(env)
                if o["info"]["props"].get("node.name") == "statewave_mic"]
        if desc != ["Statewave noise-cancelled microphone"]:
            fail(f"virtual source: {desc}")
        results = []
        for q in QUANTA:
            results.append(one_run(env, tmp, q, L, noisy, clean))
            print(f"test_pipewire_mic: {json.dumps(results[-1])}", flush=True)
            results.append(one_run(env, tmp, q, L, noisy, clean, mix_zero=True))
            print(f"test_pipewire_mic: mix 0: {json.dumps(results[-1])}", flush=True)
        for r in results:
            q = r["quantum"]
            if r["lost_samples"] > MAX_LOST * len(noisy):
                fail(f"q={q}: {r['lost_samples']} of {len(noisy)} samples lost ({r['xruns']} xruns)")
            if r["judged_samples"] < 48000:
                fail(f"q={q}: {r['xruns']} xruns left less than 1 s of unbroken recording to judge")
            if "dry_exact_fraction" in r:
                # the latency check: exact, sample for sample
                if r["dry_exact_fraction"] < MIN_EXACT:
                    fail(f"q={q}: with mix 0 the output is not the microphone delayed by {L} samples "
                         f"({r['dry_exact_fraction']} of the judged samples are)")
            elif r["sisdr_out"] - r["sisdr_in"] < MIN_GAIN_DB:
                fail(f"q={q}: SI-SDR {r['sisdr_in']} -> {r['sisdr_out']} dB, less than +{MIN_GAIN_DB} dB")
        print(f"test_pipewire_mic: PASS (with mix 0 the output is the microphone {L} samples later, "
              f"exactly, as the plugin reports, at every quantum; xruns {', '.join(str(r['xruns']) for r in results)} at quanta "
              f"{', '.join(str(r['quantum']) for r in results)})")
        ok = True
    finally:
        stop_all()
        if ok or not os.environ.get("SW_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"test_pipewire_mic: files kept in {tmp}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    main()
