#!/usr/bin/python3
"""soak_report.py — figures and verdict of a soak run (tests/soak/soak_*.sh).

  soak_report.py denoise    DENOISE.log PASSTHROUGH.log XRUN_LINES.txt
  soak_report.py instrument INSTRUMENT.log XRUN_LINES.txt
  soak_report.py generate   GENERATE.log GENERATED.wav APP.out XRUN_LINES.txt

The .log files are build/tests/soak/soak_client's output: one "minute ..." line per minute and a
"summary: ..." line. Growth is judged on the watched process (jalv, or the app): its resident
memory from minute 2 (after warm-up) to the end, and its CPU per JACK period over the last
minutes against minutes 2.. (windows of up to 5 minutes; /proc counts CPU time in 10 ms ticks).
Prints the figures, then PASS/FAIL per criterion; exit status 1 if any failed.
"""
import re
import sys

import numpy as np

RSS_GROWTH_KB = 1024      # resident memory may not grow by more than this after minute 2
CPU_GROWTH = 1.25         # nor CPU per period by more than this factor (+ one tick's worth)


def parse(path):
    minutes, summary = [], {}
    for line in open(path):
        if line.startswith('minute '):
            f = line.split()
            minutes.append({f[i]: float(f[i + 1]) for i in range(0, len(f) - 1, 2)})
        elif line.startswith('summary:'):
            f = line.split()[1:]
            summary = {f[i]: float(f[i + 1]) for i in range(0, len(f) - 1, 2)}
    return minutes, summary


fails = []


def check(ok, what):
    print(('PASS: ' if ok else 'FAIL: ') + what)
    if not ok:
        fails.append(what)


def windows(ms):
    """first and last window of minutes after minute 1 (warm-up), up to 5 minutes each"""
    body = ms[1:] if len(ms) >= 3 else ms
    w = max(1, min(5, len(body) // 2))
    return body[:w], body[-w:]


def growth(name, ms, summ, periods_per_min):
    rss = [m['rss_kb'] for m in ms if m['rss_kb'] >= 0]
    cpu = [m for m in ms if m['cpu_us_per_period'] >= 0]
    if len(rss) < 2 or len(cpu) < 2:
        check(False, f'{name}: memory and CPU were sampled ({len(rss)} minutes)')
        return {}
    base = rss[1] if len(rss) >= 3 else rss[0]
    a, b = windows(cpu)
    ca = float(np.mean([m['cpu_us_per_period'] for m in a]))
    cb = float(np.mean([m['cpu_us_per_period'] for m in b]))
    tick_us = 1e4 / periods_per_min * 1e0  # one 10 ms tick spread over a minute's periods, in us
    print(f'{name}: resident memory {rss[0]:.0f} kB at minute 1, {base:.0f} kB at minute 2, '
          f'{rss[-1]:.0f} kB at the end (max {max(rss):.0f} kB)')
    print(f'{name}: CPU per period {ca:.1f} us (minutes {int(a[0]["minute"])}-{int(a[-1]["minute"])}) -> '
          f'{cb:.1f} us (minutes {int(b[0]["minute"])}-{int(b[-1]["minute"])}); per minute min/median/max '
          f'{min(m["cpu_us_per_period"] for m in cpu):.1f}/{np.median([m["cpu_us_per_period"] for m in cpu]):.1f}/'
          f'{max(m["cpu_us_per_period"] for m in cpu):.1f} us')
    check(rss[-1] - base <= RSS_GROWTH_KB,
          f'{name}: no memory growth after minute 2 ({rss[-1] - base:+.0f} kB, limit +{RSS_GROWTH_KB} kB)')
    check(cb <= CPU_GROWTH * ca + tick_us,
          f'{name}: no CPU growth per period ({cb:.1f} vs {ca:.1f} us, limit x{CPU_GROWTH} + {tick_us:.1f} us)')
    return {'rss0': rss[0], 'rss_end': rss[-1], 'cpu_a': ca, 'cpu_b': cb}


def complete(name, ms, summ, want_s=None):
    s = summ.get('seconds', 0)
    check(bool(summ) and len(ms) >= 1 and s > 0 and (want_s is None or abs(s - want_s) < 1),
          f'{name}: the run completed ({s:.0f} s of audio, {len(ms)} minutes)')


def xrun_lines(path):
    return open(path).read().strip()


def denoise(dn_log, pt_log, xr):
    dn, sd = parse(dn_log)
    pt, sp = parse(pt_log)
    complete('denoise', dn, sd)
    complete('pass-through', pt, sp, sd.get('seconds'))
    ppm = dn[0]['periods'] if dn else 1
    print(f'minutes {len(dn)}; periods {sd.get("periods", 0):.0f} (256 frames at 48 kHz)')
    print(f'xruns (JACK xrun callback): denoiser {sd.get("xruns", -1):.0f}, pass-through (eg-amp) '
          f'{sp.get("xruns", -1):.0f}; {xrun_lines(xr)}')
    print(f'denoiser output: level per minute {min(m["rms_dbfs"] for m in dn):.1f} .. '
          f'{max(m["rms_dbfs"] for m in dn):.1f} dBFS, peak max {max(m["peak"] for m in dn):.3f}; '
          f'pass-through {np.median([m["rms_dbfs"] for m in pt]):.1f} dBFS')
    print(f'DSP load of the server (jack_cpu_load, minute means): denoiser max '
          f'{max(m["dsp_load_mean"] for m in dn):.2f} %, pass-through max {max(m["dsp_load_mean"] for m in pt):.2f} %')
    g = growth('jalv with the denoiser', dn, sd, ppm)
    growth('jalv with eg-amp', pt, sp, ppm)
    check(sd.get('nonfinite', 1) == 0, f'denoiser: no non-finite output sample ({sd.get("nonfinite", -1):.0f})')
    check(all(m['rms_dbfs'] > -60 for m in dn), 'denoiser: output not silent in any minute (> -60 dBFS)')
    # Both servers share the machine: its hiccups give both xruns in the same minutes. The
    # denoiser may not add xruns beyond chance: counts as Poisson, the difference within 3 sigma.
    d = np.array([m['xruns'] for m in dn])
    p = np.array([m['xruns'] for m in pt[:len(dn)]])
    if len(d) == len(p) and len(d) > 2 and d.std() > 0 and p.std() > 0:
        corr = f'{np.corrcoef(d, p)[0, 1]:.2f}'
    else:
        corr = 'n/a'
    print(f'xruns per minute: minutes with xruns: denoiser {int(np.sum(d > 0))}, pass-through '
          f'{int(np.sum(p > 0))}, both {int(np.sum((d > 0) & (p > 0)))}; correlation of the per-minute counts {corr}')
    xd, xp = sd.get('xruns', 1e9), sp.get('xruns', 0)
    lim = xp + 3 * np.sqrt(xd + xp) + 3
    check(xd <= lim, f'denoiser xruns {xd:.0f} within chance of the pass-through\'s {xp:.0f} '
          f'(<= {lim:.0f}: + 3 sigma of the difference of two Poisson counts + 3)')
    return g


def instrument(log, xr):
    ms, s = parse(log)
    complete('instrument', ms, s)
    ppm = ms[0]['periods'] if ms else 1
    print(f'minutes {len(ms)}; periods {s.get("periods", 0):.0f} (256 frames at 48 kHz); xruns {s.get("xruns", -1):.0f} '
          f'(JACK callback); {xrun_lines(xr)}')
    print(f'output level per minute {min(m["rms_dbfs"] for m in ms):.1f} .. {max(m["rms_dbfs"] for m in ms):.1f} dBFS, '
          f'peak max {max(m["peak"] for m in ms):.3f}; DSP load minute means max '
          f'{max(m["dsp_load_mean"] for m in ms):.2f} %')
    growth('jalv with the instrument', ms, s, ppm)
    check(s.get('nonfinite', 1) == 0, f'instrument: no non-finite output sample ({s.get("nonfinite", -1):.0f})')
    check(all(m['rms_dbfs'] > -50 for m in ms), 'instrument: sound in every minute (> -50 dBFS)')


def generate(log, wav, app_out, xr):
    import warnings
    from scipy.io import wavfile
    from scipy.signal import welch
    warnings.simplefilter('ignore', wavfile.WavFileWarning)  # libsndfile's PEAK chunk
    ms, s = parse(log)
    complete('generate', ms, s)
    rate, x = wavfile.read(wav, mmap=True)
    n = rate * 60
    rows = []
    for k in range(len(x) // n):
        seg = np.asarray(x[k * n:(k + 1) * n], dtype=np.float64)
        rms = np.sqrt(np.mean(seg ** 2))
        f, p = welch(seg, rate, nperseg=4096)
        band = (f >= 20) & (f <= 8000)
        fb, pb = f[band], p[band] + 1e-20
        rows.append({'minute': k + 1, 'rms_dbfs': 20 * np.log10(rms + 1e-12),
                     'centroid': float(np.sum(fb * pb) / np.sum(pb)),
                     'flatness': float(np.exp(np.mean(np.log(pb))) / np.mean(pb)),
                     'silence_max_s': ms[k]['silence_max_s'] if k < len(ms) else -1})
    if not rows:
        check(False, 'generate: at least one full minute recorded')
        return
    lv = np.array([r['rms_dbfs'] for r in rows])
    ce = np.array([r['centroid'] for r in rows])
    fl = np.array([r['flatness'] for r in rows])
    sl = np.array([r['silence_max_s'] for r in rows])
    print(' minute  rms_dbfs  centroid_hz  flatness  silence_max_s')
    for r in rows:
        print(f' {r["minute"]:6d}  {r["rms_dbfs"]:8.1f}  {r["centroid"]:11.0f}  {r["flatness"]:8.4f}  {r["silence_max_s"]:13.3f}')
    summ = {}
    for line in open(app_out):
        if line.startswith('summary:'):
            summ = dict(kv.split('=', 1) for kv in line.split()[1:] if '=' in kv)
    print(f'minutes {len(rows)}; level {lv.min():.1f} .. {lv.max():.1f} dBFS (median {np.median(lv):.1f}); '
          f'centroid {ce.min():.0f} .. {ce.max():.0f} Hz (median {np.median(ce):.0f}); flatness '
          f'{fl.min():.4f} .. {fl.max():.4f}; longest digital silence {sl.max():.3f} s')
    print(f'app summary: xruns={summ.get("xruns")} out_underflow={summ.get("out_underflow")} '
          f'starved={summ.get("starved")} cb_mean_ms={summ.get("cb_mean_ms")} cb_max_ms={summ.get("cb_max_ms")} '
          f'dsp_load={summ.get("dsp_load")} render_load={summ.get("render_load")} '
          f'generated_s={summ.get("generated_s")}; recorder: xruns {s.get("xruns", -1):.0f}, dropped '
          f'{s.get("dropped", -1):.0f} frames; {xrun_lines(xr)}')
    growth('statewave generate --live', ms, s, ms[0]['periods'] if ms else 1)
    med = np.median(lv)
    check(bool(np.all(np.abs(lv - med) <= 12) and np.all(lv > -45)),
          f'generate: level of every minute within 12 dB of the median ({med:.1f} dBFS) and above -45 dBFS')
    check(bool(np.all(sl < 1.0)), f'generate: no digital-silence run of 1 s or more (longest {sl.max():.3f} s)')
    mc = np.median(ce)
    check(bool(np.all(ce <= 1.6 * mc) and np.all(ce >= mc / 1.6)),
          f'generate: spectral centroid of every minute within x1.6 of the median ({mc:.0f} Hz)')
    check(bool(np.all(fl < 0.3)), f'generate: spectral flatness of every minute below 0.3 (max {fl.max():.4f})')
    check(s.get('nonfinite', 1) == 0, 'generate: no non-finite sample')
    check(s.get('dropped', 1) == 0, 'generate: the recorder dropped nothing')


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    {'denoise': denoise, 'instrument': instrument, 'generate': generate}[mode](*args)
    if fails:
        print(f'FAIL: soak {mode}: {len(fails)} criterion/criteria broken')
        return 1
    print(f'PASS: soak {mode}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
