"""Small pure-Python Standard MIDI File reader/writer for data augmentation.

We only need what piano performances use: notes, controllers (sustain pedal!), program
changes, pitch bend and the tempo map. The reader flattens every track onto one absolute
timeline in *seconds* (tempo events from any track apply to all, as players do); the
writer emits a format-0 file at a fixed tempo, so seconds map linearly to ticks.

Event tuple used throughout: (time_s, kind, channel, a, b)
  kind 'on'  a=note b=velocity(>0)     kind 'off' a=note
  kind 'cc'  a=controller b=value      kind 'prog' a=program
  kind 'bend' a=14-bit value           kind 'press' a=value (channel pressure)
"""
import struct


class MidiError(ValueError):
    pass


def _varlen(data, pos):
    value = 0
    for _ in range(4):
        if pos >= len(data):
            raise MidiError("truncated variable-length number")
        byte = data[pos]
        pos += 1
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, pos
    raise MidiError("variable-length number longer than 4 bytes")


def _chunks(data):
    pos = 0
    while pos + 8 <= len(data):
        tag, length = data[pos:pos + 4], struct.unpack(">I", data[pos + 4:pos + 8])[0]
        yield tag, data[pos + 8:pos + 8 + length]
        pos += 8 + length


def _parse_track(trk):
    """-> list of (tick, event) with event = ('tempo', us_per_qn) or a channel tuple without time."""
    out = []
    pos, tick, status = 0, 0, None
    while pos < len(trk):
        delta, pos = _varlen(trk, pos)
        tick += delta
        if pos >= len(trk):
            raise MidiError("truncated event")
        byte = trk[pos]
        if byte == 0xFF:                                   # meta
            if pos + 2 > len(trk):
                raise MidiError("truncated meta event")
            mtype = trk[pos + 1]
            length, pos = _varlen(trk, pos + 2)
            payload = trk[pos:pos + length]
            pos += length
            if mtype == 0x51 and length == 3:
                out.append((tick, ("tempo", (payload[0] << 16) | (payload[1] << 8) | payload[2])))
            elif mtype == 0x2F:
                break
            continue
        if byte in (0xF0, 0xF7):                           # sysex: skip
            length, pos = _varlen(trk, pos + 1)
            pos += length
            continue
        if byte & 0x80:
            status = byte
            pos += 1
        elif status is None:
            raise MidiError("running status without a status byte")
        kind, ch = status & 0xF0, status & 0x0F
        nbytes = 1 if kind in (0xC0, 0xD0) else 2
        if pos + nbytes > len(trk):
            raise MidiError("truncated channel event")
        a = trk[pos]
        b = trk[pos + 1] if nbytes == 2 else 0
        pos += nbytes
        if kind == 0x90 and b > 0:
            out.append((tick, ("on", ch, a, b)))
        elif kind == 0x80 or kind == 0x90:
            out.append((tick, ("off", ch, a, 0)))
        elif kind == 0xB0:
            out.append((tick, ("cc", ch, a, b)))
        elif kind == 0xC0:
            out.append((tick, ("prog", ch, a, 0)))
        elif kind == 0xE0:
            out.append((tick, ("bend", ch, a | (b << 7), 0)))
        elif kind == 0xD0:
            out.append((tick, ("press", ch, a, 0)))
        # 0xA0 polyphonic aftertouch is dropped.
    return out


def read(path):
    """Read an SMF -> list of (time_s, kind, ch, a, b) sorted by time (stable within a time)."""
    with open(path, "rb") as f:
        data = f.read()
    chunks = list(_chunks(data))
    if not chunks or chunks[0][0] != b"MThd" or len(chunks[0][1]) < 6:
        raise MidiError("%s: no MThd header" % path)
    fmt, ntrk, division = struct.unpack(">HHH", chunks[0][1][:6])
    tracks = [_parse_track(body) for tag, body in chunks[1:] if tag == b"MTrk"]
    if not tracks:
        raise MidiError("%s: no tracks" % path)
    if division & 0x8000:                                  # SMPTE: fixed ticks per second
        fps = 256 - (division >> 8)
        tps = fps * (division & 0xFF)
        to_sec = lambda tick: tick / float(tps)            # noqa: E731
    else:
        # by tick, and in file order at one tick (a stable sort, as app/midifile.c): the last one wins
        tempos = sorted(((t, ev[1]) for trk in tracks for t, ev in trk if ev[0] == "tempo"), key=lambda x: x[0])
        # Piecewise-linear tick -> seconds map, in the same floating-point steps as app/midifile.c
        # (so that both quantise a time that falls on an exact half step alike).
        marks = [(0, 0.0, 500000)]
        for t, us in tempos:
            t0, s0, us0 = marks[-1]
            marks.append((t, s0 + (t - t0) * us0 / (1e6 * division), us))

        def to_sec(tick):
            lo = 0
            for i in range(len(marks) - 1, -1, -1):
                if marks[i][0] <= tick:
                    lo = i
                    break
            t0, s0, us0 = marks[lo]
            return s0 + (tick - t0) * us0 / (1e6 * division)
    events = []
    order = 0
    for trk in tracks:
        for tick, ev in trk:
            if ev[0] == "tempo":
                continue
            events.append((to_sec(tick), order, ev))
            order += 1
    events.sort(key=lambda e: (e[0], e[1]))
    return [(t,) + ev for t, _, ev in events]


def _vlq(value):
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


TICKS_PER_QN = 480
US_PER_QN = 500000                       # 120 bpm -> 960 ticks per second


def write(path, events):
    """Write events (time_s, kind, ch, a, b) as a format-0 SMF at a fixed tempo."""
    tps = TICKS_PER_QN * 1e6 / US_PER_QN
    rank = {"off": 0, "prog": 1, "cc": 2, "bend": 3, "press": 4, "on": 5}   # offs first at equal times
    evs = sorted(events, key=lambda e: (int(round(e[0] * tps)), rank[e[1]]))
    body = bytearray()
    body += _vlq(0) + bytes([0xFF, 0x51, 3]) + US_PER_QN.to_bytes(3, "big")
    last = 0
    for t, kind, ch, a, b in evs:
        tick = max(0, int(round(t * tps)))
        body += _vlq(tick - last)
        last = tick
        if kind == "on":
            body += bytes([0x90 | ch, a, b])
        elif kind == "off":
            body += bytes([0x80 | ch, a, 64])
        elif kind == "cc":
            body += bytes([0xB0 | ch, a, b])
        elif kind == "prog":
            body += bytes([0xC0 | ch, a])
        elif kind == "bend":
            body += bytes([0xE0 | ch, a & 0x7F, (a >> 7) & 0x7F])
        elif kind == "press":
            body += bytes([0xD0 | ch, a])
    body += _vlq(0) + bytes([0xFF, 0x2F, 0])
    with open(path, "wb") as f:
        f.write(b"MThd" + struct.pack(">IHHH", 6, 0, 1, TICKS_PER_QN))
        f.write(b"MTrk" + struct.pack(">I", len(body)) + bytes(body))


def excerpt(events, t0, length, tempo=1.0, transpose=0, vel_scale=1.0, vel_offset=0):
    """Events of [t0, t0+length) of the *transformed* performance, shifted to start at 0.

    tempo > 1 plays faster. Channel state (program, controllers, bend) in force at t0 is
    re-sent at time 0; notes still sounding at the end get note-offs at `length`.
    Notes already sounding at t0 are dropped (a clean start). Channel 9 is not transposed.
    """
    state = {}                                   # (ch, kind, a) -> event, last value before t0
    out, sounding = [], set()
    for t, kind, ch, a, b in events:
        t = t / tempo
        if t < t0:
            if kind in ("cc", "prog", "bend", "press"):
                state[(ch, kind, a if kind == "cc" else 0)] = (0.0, kind, ch, a, b)
            continue
        if t >= t0 + length:
            break
        t -= t0
        if kind in ("on", "off"):
            if ch != 9:
                a += transpose
                if not 0 <= a <= 127:
                    continue
            if kind == "on":
                b = max(1, min(127, int(round(b * vel_scale + vel_offset))))
                sounding.add((ch, a))
            else:
                if (ch, a) not in sounding:
                    continue                     # the off of a note dropped at t0
                sounding.discard((ch, a))
        out.append((t, kind, ch, a, b))
    tail = [(length, "off", ch, a, 0) for ch, a in sorted(sounding)]
    return list(state.values()) + out + tail
