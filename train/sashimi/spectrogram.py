#!/usr/bin/python3
"""Log-magnitude spectrogram of a WAV as a PNG (numpy + scipy + zlib; matplotlib is not needed).

    train/sashimi/spectrogram.py in.wav out.png [--mark SECONDS] [--db 80]

Axes: time left to right, frequency bottom (0 Hz) to top (Nyquist). Tick marks on the edges
every second and every kHz; --mark draws a vertical white line (e.g. where a prompt ends and
generated audio begins). Colour: black -> purple -> orange -> yellow over --db dB.
"""
import argparse
import struct
import zlib

import numpy as np
from scipy.io import wavfile
from scipy.signal import stft

ANCHORS = np.array([[0, 0, 0], [40, 10, 90], [150, 30, 120], [235, 90, 60], [250, 190, 40], [252, 253, 190]],
                   dtype=np.float64)


def colour(v):
    """v in [0, 1] -> uint8 RGB by piecewise-linear interpolation between ANCHORS."""
    pos = np.clip(v, 0, 1) * (len(ANCHORS) - 1)
    i = np.minimum(pos.astype(int), len(ANCHORS) - 2)
    f = (pos - i)[..., None]
    return (ANCHORS[i] * (1 - f) + ANCHORS[i + 1] * f).astype(np.uint8)


def write_png(path, rgb):
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("wav")
    ap.add_argument("png")
    ap.add_argument("--mark", type=float, action="append", default=[])
    ap.add_argument("--db", type=float, default=80.0)
    ap.add_argument("--nfft", type=int, default=512)
    ap.add_argument("--hop", type=int, default=64)
    args = ap.parse_args()
    rate, x = wavfile.read(args.wav)
    x = x.astype(np.float64)
    if x.ndim > 1:
        x = x.mean(axis=1)
    if np.issubdtype(wavfile.read(args.wav)[1].dtype, np.integer):
        x /= 32768.0
    _, _, Z = stft(x, fs=rate, nperseg=args.nfft, noverlap=args.nfft - args.hop, boundary=None, padded=False)
    db = 20 * np.log10(np.abs(Z) + 1e-10)
    top = db.max()
    img = colour((db - (top - args.db)) / args.db)[::-1]           # [freq (top = Nyquist), time, 3]
    h, w, _ = img.shape
    fps = rate / args.hop
    for s in range(0, int(w / fps) + 1):                            # second ticks
        c = int(round(s * fps))
        if c < w:
            img[-8:, c] = 255
            img[:8, c] = 255
    for k in range(0, int(rate / 2000) + 1):                        # kHz ticks
        r = h - 1 - int(round(k * 1000 / (rate / 2) * (h - 1)))
        img[r, :8] = 255
    for m in args.mark:
        c = int(round(m * fps))
        if 0 <= c < w:
            img[:, c] = 255
    write_png(args.png, img)
    print("%s: %d x %d px, %.2f s at %d Hz, %.0f dB range" % (args.png, w, h, len(x) / rate, rate, args.db))


if __name__ == "__main__":
    main()
