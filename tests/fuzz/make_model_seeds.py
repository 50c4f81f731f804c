#!/usr/bin/python3
"""Writes the seed corpora of the model-file fuzz targets (safetensors, model_card, tfjs, dljs)
into corpus/. Small hand-made files covering every dtype and field, plus Magenta's real
manifests when ../shared/models-ext is present. Run from anywhere; needs NumPy."""
import json
import os
import struct

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
shared = os.path.join(here, "..", "..", "..", "shared", "models-ext", "musicvae_mel_2bar_small")


def write(name, data):
    path = os.path.join(here, "corpus", name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def safetensors(tensors, meta=None):
    header, offset, blobs = {}, 0, []
    if meta:
        header["__metadata__"] = meta
    for name, (dtype, arr) in tensors.items():
        b = arr.tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


write("safetensors/two_f32.safetensors", safetensors(
    {"a.weight": ("F32", np.arange(6, dtype="<f4").reshape(2, 3)), "a.bias": ("F32", np.ones(3, "<f4"))}, {"format": "pt"}))
write("safetensors/mixed_dtypes.safetensors", safetensors({
    "h": ("F16", np.ones(4, "<f2")), "i": ("I64", np.arange(2, dtype="<i8")), "b": ("BOOL", np.array([1, 0], "u1")),
    "u": ("U8", np.arange(3, dtype="u1")), "bf": ("BF16", np.zeros(2, "<u2")), "d": ("F64", np.ones(1, "<f8")),
    "s": ("I16", np.ones(1, "<i2")), "c": ("I8", np.ones(1, "i1")), "i32": ("I32", np.ones(1, "<i4"))}))
write("safetensors/scalar_and_empty.safetensors", safetensors(
    {"s": ("F32", np.array(1.5, "<f4")), "e": ("F32", np.zeros((0, 4), "<f4"))}))
write("safetensors/only_metadata.safetensors", safetensors({}, {"k": "v"}))
claim = json.dumps({"w": {"dtype": "F32", "shape": [1 << 20, 1 << 20, 1 << 20], "data_offsets": [0, 4]}}).encode().ljust(96)
write("safetensors/huge_claim.safetensors", struct.pack("<Q", len(claim)) + claim + b"\0" * 4)
write("safetensors/truncated.safetensors", safetensors({"a": ("F32", np.arange(16, dtype="<f4"))})[:-9])

melody = {"architecture": "musicvae", "format_version": 1,
          "hparams": {"kind": "melody", "steps": 32, "classes": 90, "z_size": 4, "encoder": [8], "decoder": [8, 8],
                      "free_bits": 0.0, "max_beta": 0.2, "beta_rate": 0.99999},
          "latent_prior": {"mean": [0, 0.1, -0.2, 0.3], "std": [1, 0.9, 1.1, 1.0]}, "steps": 120}
write("model_card/musicvae.json", json.dumps(melody, indent=1).encode())
mixture = dict(melody, latent_prior={"components": [{"weight": 0.25, "mean": [0, 0.1, -0.2, 0.3], "std": [1, 0.9, 1.1, 1.0]},
                                                    {"weight": 0.75, "mean": [1, -1, 0, 0], "std": [0.5, 0.5, 0.5, 0.5]}]})
write("model_card/musicvae_mixture.json", json.dumps(mixture).encode())
drums = dict(melody, hparams=dict(melody["hparams"], kind="drums", classes=512, free_bits=48))
del drums["latent_prior"]
write("model_card/drums.json", json.dumps(drums).encode())
gansynth = {"architecture": "gansynth", "format_version": 1,
            "hparams": {"latent_size": 3, "min_pitch": 24, "pitches": 61, "channels": [8] * 7,
                        "pitch_template": True, "time_depth_blocks": 2},
            "timbres": {"flute": [0.1, 0.2, 0.3], "organ": [-1, 0, 1]}, "timbre_prior": "presets"}
write("model_card/gansynth.json", json.dumps(gansynth).encode())
write("model_card/converter_melody.json",
      b'{"type":"MusicVAE","dataConverter":{"type":"MelodyConverter","args":{"numSteps":32,"minPitch":21,"maxPitch":108}}}')
write("model_card/converter_drums.json", b'{"type":"DrumsConverter","args":{"numSteps":32}}')
write("model_card/bad_arch.json", b'{"architecture": 3}')


def tfjs(groups, data):
    return json.dumps(groups).encode() + b"\0" + data


group = [{"paths": ["group1-shard1of1.bin"], "weights": [
    {"name": "a/kernel", "shape": [2, 3], "dtype": "float32"},
    {"name": "a/bias", "shape": [3], "dtype": "float32", "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1.0}},
    {"name": "b/kernel", "shape": [2], "dtype": "float32", "quantization": {"dtype": "uint16", "scale": 0.001, "min": -2.0}},
    {"name": "c/kernel", "shape": [2], "dtype": "float32", "quantization": {"dtype": "float16"}},
    {"name": "steps", "shape": [], "dtype": "int32"},
    {"name": "q/int", "shape": [2], "dtype": "int32", "quantization": {"dtype": "uint8", "scale": 1.0, "min": -3.0}}]}]
data = (np.arange(6, dtype="<f4").tobytes() + bytes([0, 1, 2]) + np.array([0, 65535], "<u2").tobytes() +
        np.array([1.5, -2], "<f2").tobytes() + np.array([7], "<i4").tobytes() + bytes([1, 250]))
write("tfjs/all_dtypes", tfjs(group, data))
write("tfjs/short_shards", tfjs(group, data[:-5]))
write("tfjs/two_groups", tfjs([{"paths": ["x"], "weights": [{"name": "x", "shape": [1], "dtype": "float32"}]},
                               {"paths": ["y", "z"], "weights": []}], np.ones(1, "<f4").tobytes()))
write("tfjs/bad_path", tfjs([{"paths": ["../etc/passwd"], "weights": []}], b""))

write("dljs/one_var", json.dumps({"v/kernel": {"filename": "v_kernel", "shape": [2, 2]}}).encode() + b"\0" +
      np.ones(4, "<f4").tobytes())
write("dljs/scalar", json.dumps({"s": {"filename": "s", "shape": []}}).encode() + b"\0" + np.ones(1, "<f4").tobytes())
write("dljs/bad_name", json.dumps({"x": {"filename": "..", "shape": [1]}}).encode() + b"\0")

# Magenta's own manifests (shapes far larger than the contents: the size checks get exercised).
if os.path.isdir(shared):
    with open(os.path.join(shared, "tfjs_partial", "weights_manifest.json"), "rb") as f:
        write("tfjs/magenta_manifest", f.read() + b"\0" + bytes(64))
    with open(os.path.join(shared, "dljs", "manifest.json"), "rb") as f:
        write("dljs/magenta_manifest", f.read() + b"\0" + np.ones(256, "<f4").tobytes())
