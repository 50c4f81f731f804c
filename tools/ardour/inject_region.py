#!/usr/bin/env python3
"""Put a MIDI file on an Ardour 7 session's MIDI track as one region at time 0.

Ardour's Lua API cannot create a MIDI source or region outside the editor (its
SMF import lives in the GUI), so this edits the saved session file: the SMF is
copied into interchange/<session>/midifiles/ and a <Source>, a whole-file
<Region> and a playlist <Region> are added. Ardour reads the SMF itself when it
loads the session.

usage: inject_region.py SESSION_DIR SNAPSHOT SMF LENGTH_TICKS
"""
import os
import re
import shutil
import sys


def main():
    sdir, snap, smf, length_ticks = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    path = os.path.join(sdir, snap + ".ardour")
    xml = open(path, encoding="utf-8").read()
    name = "bounce.mid"
    mdir = os.path.join(sdir, "interchange", snap, "midifiles")
    os.makedirs(mdir, exist_ok=True)
    shutil.copyfile(smf, os.path.join(mdir, name))

    m = re.search(r'id-counter="(\d+)"', xml)
    base = int(m.group(1)) + 100
    src_id, whole_id, reg_id = base, base + 1, base + 2
    xml = xml.replace(m.group(0), f'id-counter="{base + 10}"', 1)

    def region(rid, whole):
        return (f'<Region name="bounce" muted="0" opaque="1" locked="0" video-locked="0" automatic="0" '
                f'whole-file="{whole}" import="0" external="0" sync-marked="0" left-of-split="0" right-of-split="0" '
                f'hidden="0" position-locked="0" valid-transients="0" start="b0" length="b{length_ticks}@b0" '
                f'sync-position="b0" ancestral-start="b0" ancestral-length="b{length_ticks}@b0" stretch="1" shift="1" '
                f'layering-index="0" tags="" contents="0" id="{rid}" type="midi" first-edit="nothing" '
                f'source-0="{src_id}" master-source-0="{src_id}"/>')

    source = f'<Source name="{name}" type="midi" flags="" id="{src_id}" captured-for="" origin=""/>'
    if "<Sources/>" not in xml or "<Regions/>" not in xml:
        raise SystemExit("inject_region: the session already has sources or regions")
    xml = xml.replace("<Sources/>", f"<Sources>\n    {source}\n  </Sources>", 1)
    xml = xml.replace("<Regions/>", f"<Regions>\n    {region(whole_id, 1)}\n  </Regions>", 1)
    pm = re.search(r'(<Playlist id="\d+"[^>]*type="midi"[^>]*)/>', xml)
    if not pm:
        raise SystemExit("inject_region: no empty MIDI playlist in the session")
    xml = xml.replace(pm.group(0), pm.group(1) + f">\n      {region(reg_id, 0)}\n    </Playlist>", 1)
    open(path, "w", encoding="utf-8").write(xml)


if __name__ == "__main__":
    main()
