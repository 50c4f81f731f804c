#!/usr/bin/env python3
"""Writes src/render/gm_sends.h: the reverb and chorus sends FluidR3_GM's presets carry themselves.

FluidSynth adds a preset's reverbEffectsSend (generator 16) and chorusEffectsSend (15) to the
CC91/CC93 part of a voice's send, so its renders of a GM file are not dry even at CC91 = CC93 = 0.
This reads the SoundFont's pdta chunks (phdr, pbag, pgen, inst, ibag, igen) directly and, as the
SF2 2.01 spec (sections 8.5, 9.4) and FluidSynth do it, per sounding zone pair:
- an instrument zone's value is its own generator, else the instrument's global zone's, else 0;
- a preset zone's value (likewise its own, else the preset's global zone's, else 0) is added;
- the sum is clamped to 0..1000 (tenths of a percent) and divided by 1000.
A zone pair sounds for a key when both the preset zone's and the instrument zone's key ranges
(and, at the reference velocity 100, their velocity ranges) cover it.

Run from the repository root: /usr/bin/python3 tools/make-gm-sends.py [SF2] [OUT]"""
import struct
import sys

SF2 = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
OUT = "src/render/gm_sends.h"
GEN_CHORUS, GEN_REVERB, GEN_INSTRUMENT, GEN_KEYRANGE, GEN_VELRANGE, GEN_SAMPLE = 15, 16, 41, 43, 44, 53
VELOCITY = 100   # the velocity a layer is chosen at
KEY = 60         # the key a melodic program's value is read at


def chunks(buf, off, end):
    while off + 8 <= end:
        cid = buf[off:off + 4]
        size = struct.unpack("<I", buf[off + 4:off + 8])[0]
        yield cid, off + 8, size
        off += 8 + size + (size & 1)


def read_pdta(path):
    data = open(path, "rb").read()
    if data[:4] != b"RIFF" or data[8:12] != b"sfbk":
        raise SystemExit(f"{path}: not an SF2 file")
    pdta = next(((o + 4, o + s) for cid, o, s in chunks(data, 12, len(data))
                 if cid == b"LIST" and data[o:o + 4] == b"pdta"), None)
    if pdta is None:
        raise SystemExit(f"{path}: no pdta chunk")
    sub = {cid: (o, s) for cid, o, s in chunks(data, *pdta)}

    def records(name, fmt):
        size = struct.calcsize(fmt)
        o, s = sub[name]
        return [struct.unpack(fmt, data[o + size * i:o + size * (i + 1)]) for i in range(s // size)]

    return {"phdr": records(b"phdr", "<20sHHHIII"), "pbag": records(b"pbag", "<HH"),
            "pgen": records(b"pgen", "<HH"), "inst": records(b"inst", "<20sH"),
            "ibag": records(b"ibag", "<HH"), "igen": records(b"igen", "<HH")}


def zone_generators(gens, bags, first_bag, end_bag, terminal):
    """(global zone's generators, [each local zone's generators]) as dicts op -> raw uint16."""
    glob, local = {}, []
    for k, b in enumerate(range(first_bag, end_bag)):
        zone = {op: amount for op, amount in gens[bags[b][0]:bags[b + 1][0]]}
        if terminal not in zone:
            if k == 0:
                glob = zone  # only the first zone may be global; later ones without it are ignored
            continue
        local.append(zone)
    return glob, local


def signed(v):
    return v - 0x10000 if v >= 0x8000 else v


def span(zone, glob, op):
    v = zone.get(op, glob.get(op, 0x7F00))  # default 0..127
    return v & 0xFF, v >> 8


def layers(pdta, bank, program):
    """Every sounding (key lo, key hi, reverb, chorus) zone pair of a preset at VELOCITY."""
    phdr = pdta["phdr"]
    p = next((i for i in range(len(phdr) - 1) if phdr[i][1] == program and phdr[i][2] == bank), None)
    if p is None:
        return []
    pglob, pzones = zone_generators(pdta["pgen"], pdta["pbag"], phdr[p][3], phdr[p + 1][3], GEN_INSTRUMENT)
    out = []
    for pz in pzones:
        inst = pz[GEN_INSTRUMENT]
        iglob, izones = zone_generators(pdta["igen"], pdta["ibag"], pdta["inst"][inst][1],
                                        pdta["inst"][inst + 1][1], GEN_SAMPLE)
        pk, pv = span(pz, pglob, GEN_KEYRANGE), span(pz, pglob, GEN_VELRANGE)
        for iz in izones:
            ik, iv = span(iz, iglob, GEN_KEYRANGE), span(iz, iglob, GEN_VELRANGE)
            lo, hi = max(pk[0], ik[0]), min(pk[1], ik[1])
            if lo > hi or not (max(pv[0], iv[0]) <= VELOCITY <= min(pv[1], iv[1])):
                continue
            sends = []
            for gen in (GEN_REVERB, GEN_CHORUS):
                total = signed(iz.get(gen, iglob.get(gen, 0))) + signed(pz.get(gen, pglob.get(gen, 0)))
                sends.append(min(1000, max(0, total)) / 1000.0)
            out.append((lo, hi, sends[0], sends[1]))
    return out


def at_key(zone_pairs, key):
    """The mean sends of the zone pairs covering `key` (layers sound together; most agree)."""
    hits = [(r, c) for lo, hi, r, c in zone_pairs if lo <= key <= hi]
    if not hits:
        return None
    return sum(r for r, _ in hits) / len(hits), sum(c for _, c in hits) / len(hits)


def program_value(zone_pairs):
    """At KEY; a preset whose zones leave KEY uncovered takes its zone nearest to it."""
    v = at_key(zone_pairs, KEY)
    if v is None and zone_pairs:
        nearest = min(zone_pairs, key=lambda z: min(abs(z[0] - KEY), abs(z[1] - KEY)))
        v = at_key(zone_pairs, nearest[0])
    return v or (0.0, 0.0)


def preset_names(pdta):
    return {(h[2], h[1]): h[0].split(b"\0")[0].decode("latin-1") for h in pdta["phdr"][:-1]}


HEADER = """\
#pragma once
// GENERATED by tools/make-gm-sends.py from FluidR3_GM.sf2 (Debian fluid-soundfont-gm,
// /usr/share/sounds/sf2/FluidR3_GM.sf2; FluidR3_GM by Frank Wen, MIT licence). Do not edit; rerun
// `/usr/bin/python3 tools/make-gm-sends.py` from the repository root.
//
// The reverb and chorus sends FluidR3_GM's presets carry themselves: the SF2 generators
// reverbEffectsSend (16) and chorusEffectsSend (15), instrument zone (else the instrument's global
// zone) plus preset zone (else the preset's global zone), clamped to 0..1000 tenths of a percent,
// here as 0..1 fractions of the voice's signal on the send bus. FluidSynth 2.3 adds them to the
// CC91/CC93 part (reverb_send_for_cc / chorus_send_for_cc in room.h: 0.2 at CC 127), so a GM
// file's render at CC91 = CC93 = 0 still sends e.g. 10% of a piano to the reverb.
// - program_sends: bank 0, the zone pairs sounding at MIDI key 60, velocity 100 (the value at key
//   60, not a median over key ranges); where layers there differ (26, 84, 93, 96, 99, 100, 103) their
//   mean; Contrabass, with no zone at 60, takes its zone nearest to 60. Five presets' reverb send
//   grows with velocity (16 organ 0.12..0.20, 47 timpani 0.22..0.30, 54 synth voice and 110 fiddle
//   0.06..0.30, 83 chiffer lead 0 below velocity 80): these hold the velocity-100 value.
// - drum_sends: the Standard kit (bank 128 program 0), per key, the zone pairs covering it at
//   velocity 100 (their mean where layered); 0 where no zone covers the key.
// A program or key out of range gives {0, 0}.

namespace timbrel {
namespace gm {

struct BaseSends {
  float reverb, chorus;
};

namespace detail {
"""

FOOTER = """}  // namespace detail

constexpr BaseSends program_sends(int program) {
  if (program < 0 || program > 127) return {0.0f, 0.0f};
  return detail::kProgramSends[program];
}

constexpr BaseSends drum_sends(int key) {
  if (key < 0 || key > 127) return {0.0f, 0.0f};
  return detail::kDrumSends[key];
}

}  // namespace gm
}  // namespace timbrel
"""


def table(name, rows):
    lines = [f"constexpr BaseSends {name}[128] = {{"]
    for idx, (r, c, label) in enumerate(rows):
        lines.append(f"    {{{r:.3f}f, {c:.3f}f}},  // {idx} {label}")
    lines.append("};")
    return "\n".join(lines) + "\n"


def main():
    sf2 = sys.argv[1] if len(sys.argv) > 1 else SF2
    out = sys.argv[2] if len(sys.argv) > 2 else OUT
    pdta = read_pdta(sf2)
    names = preset_names(pdta)
    programs = []
    for prog in range(128):
        r, c = program_value(layers(pdta, 0, prog))
        programs.append((r, c, names.get((0, prog), "(none)")))
    kit = layers(pdta, 128, 0)
    drums = []
    for key in range(128):
        r, c = at_key(kit, key) or (0.0, 0.0)
        drums.append((r, c, "" if at_key(kit, key) else "(no zone)"))
    with open(out, "w") as f:
        f.write(HEADER + table("kProgramSends", programs) + "\n" +
                table("kDrumSends", drums).replace("  // ", "  // key ").replace(" \n", "\n") + FOOTER)


if __name__ == "__main__":
    main()
