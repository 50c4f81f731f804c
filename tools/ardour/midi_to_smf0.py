#!/usr/bin/env python3
"""Flatten a Standard MIDI File into one type-0 track for an Ardour MIDI region.

Ardour plays a MIDI region in beats against the session's tempo map (120 BPM by
default), and its SMF reader keeps one track. So every track of the input is
merged, every event's time is converted to seconds through the file's own tempo
map, and rewritten at 120 BPM (2 beats a second) with 1920 ticks a beat (Ardour's
internal resolution). All channel messages are kept (notes, controllers, program
changes, pitch bend, aftertouch) and SysEx; meta events are dropped.

usage: midi_to_smf0.py IN.mid OUT.mid   -> prints "<last event seconds> <ticks> <events>"
"""
import struct
import sys

OUT_PPQN = 1920
OUT_BPS = 2.0  # beats a second at 120 BPM


def read_vlq(data, pos):
    value = 0
    while True:
        b = data[pos]
        pos += 1
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            return value, pos


def write_vlq(value):
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def parse(path):
    data = open(path, "rb").read()
    if data[:4] != b"MThd":
        raise SystemExit(f"{path}: not a Standard MIDI File")
    hlen = struct.unpack(">I", data[4:8])[0]
    _fmt, ntracks, division = struct.unpack(">HHH", data[8:14])
    if division & 0x8000:
        raise SystemExit(f"{path}: SMPTE time division is not supported")
    pos = 8 + hlen
    events = []  # (tick, order, kind, payload); kind 'tempo' -> usec/beat, 'raw' -> bytes
    order = 0
    for _ in range(ntracks):
        while data[pos:pos + 4] != b"MTrk":  # skip unknown chunks
            pos += 8 + struct.unpack(">I", data[pos + 4:pos + 8])[0]
        tlen = struct.unpack(">I", data[pos + 4:pos + 8])[0]
        pos += 8
        end = pos + tlen
        tick = 0
        status = 0
        while pos < end:
            delta, pos = read_vlq(data, pos)
            tick += delta
            b = data[pos]
            if b == 0xFF:
                mtype = data[pos + 1]
                mlen, p2 = read_vlq(data, pos + 2)
                if mtype == 0x51 and mlen == 3:
                    events.append((tick, order, "tempo", int.from_bytes(data[p2:p2 + 3], "big")))
                pos = p2 + mlen
                if mtype == 0x2F:
                    break
            elif b in (0xF0, 0xF7):
                slen, p2 = read_vlq(data, pos + 1)
                body = data[p2:p2 + slen]
                if b == 0xF0:
                    events.append((tick, order, "raw", bytes([0xF0]) + body if body.endswith(b"\xf7") else bytes([0xF0]) + body + b"\xf7"))
                pos = p2 + slen
            else:
                if b & 0x80:
                    status = b
                    pos += 1
                n = 1 if (status & 0xF0) in (0xC0, 0xD0) else 2
                events.append((tick, order, "raw", bytes([status]) + data[pos:pos + n]))
                pos += n
            order += 1
        pos = end
    events.sort(key=lambda e: (e[0], e[1]))
    return division, events


def main():
    src, dst = sys.argv[1], sys.argv[2]
    division, events = parse(src)
    # ticks -> seconds through the tempo map
    usec_per_beat = 500000
    last_tick, last_sec = 0, 0.0
    out = []
    for tick, _order, kind, payload in events:
        sec = last_sec + (tick - last_tick) * usec_per_beat / 1e6 / division
        last_tick, last_sec = tick, sec
        if kind == "tempo":
            usec_per_beat = payload
            continue
        out.append((sec, payload))
    # Ardour 7's SMF reader expects a track name and an instrument name
    track = bytearray(b"\x00\xff\x03\x06bounce\x00\xff\x04\x07Timbrel")
    prev = 0
    for sec, payload in out:
        t = int(round(sec * OUT_BPS * OUT_PPQN))
        track += write_vlq(t - prev)
        prev = t
        if payload[0] == 0xF0:
            track += b"\xf0" + write_vlq(len(payload) - 1) + payload[1:]
        else:
            track += payload
    track += b"\x00\xff\x2f\x00"
    with open(dst, "wb") as f:
        f.write(b"MThd" + struct.pack(">IHHH", 6, 0, 1, OUT_PPQN))
        f.write(b"MTrk" + struct.pack(">I", len(track)) + bytes(track))
    last = out[-1][0] if out else 0.0
    print(f"{last:.6f} {prev} {len(out)}")


if __name__ == "__main__":
    main()
