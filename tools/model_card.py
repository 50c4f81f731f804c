#!/usr/bin/env python3
"""Renders MODEL.md from a model folder's model.json (the card the trainer writes), plus free
notes: tools/model_card.py models/melody-2bar "notes paragraph" > models/melody-2bar/MODEL.md"""
import json
import sys


def main():
    folder, notes = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "")
    c = json.load(open(folder + "/model.json"))
    if c.get("architecture") == "gansynth":
        return timbre_card(folder, c, notes)
    h, d, m, t = c["hparams"], c.get("data", {}), c.get("metrics", {}), c.get("training", {})
    print(f"# {folder.rstrip('/').split('/')[-1]}: MusicVAE {h['kind']} model (2 bars, {h['steps']} steps)\n")
    print("| | |\n|---|---|")
    print(f"| architecture | bidirectional LSTM encoder {h['encoder']} per direction, LSTM decoder {h['decoder']}, z {h['z_size']}, {h['classes']} classes |")
    print(f"| weights | weights.safetensors ({c.get('weights_dtype', 'float32')}) |")
    print(f"| training data | {d.get('folder')} ({d.get('train_files')} files, {d.get('train_windows')} windows) |")
    print(f"| data licence | {d.get('licence')} |")
    print(f"| split | {d.get('split')}; validation: {d.get('validation_files')} files, {d.get('validation_windows')} windows |")
    print(f"| augmentation | transposition +/-{d.get('transpose_semitones')} semitones |")
    print(f"| KL schedule | free bits {h['free_bits']}, max beta {h['max_beta']}, beta rate {h['beta_rate']} |")
    print(f"| optimiser | Adam {t.get('learning_rate')} x {t.get('decay_rate')}^step, batch {t.get('batch')}, clip {t.get('clip_norm')} |")
    print(f"| steps | {c.get('steps')} |")
    print(f"| training time | {c.get('training_seconds', 0) / 60:.1f} min on {c.get('training_hardware')} |")
    if m:
        print(f"| validation token accuracy | {m.get('validation_token_accuracy', 0):.4f} (argmax decoding of the encoder mean) |")
    print()
    if notes:
        print(notes)


def timbre_card(folder, c, notes):
    h, d, m, t = c["hparams"], c.get("data", {}), c.get("metrics", {}), c.get("training", {})
    name = folder.rstrip('/').split('/')[-1]
    print(f"# {name}: GANSynth timbre model ({d.get('kind', 'melodic')}, trained here)\n")
    print("| | |\n|---|---|")
    print(f"| architecture | GANSynth generator, channels {h['channels']}, latent {h['latent_size']}, MIDI {h['min_pitch']}..{h['min_pitch'] + h['pitches'] - 1}, "
          f"pitch template {h.get('pitch_template', False)}, time_depth_blocks {h.get('time_depth_blocks', 0)} |")
    print(f"| recipe | {c.get('recipe')} |")
    print(f"| training data | {d.get('folder')} ({d.get('train_notes')} notes of {d.get('presets')} presets; {d.get('validation_notes')} validation notes) |")
    print(f"| data licence | {d.get('licence')} |")
    print(f"| optimiser | Adam {t.get('learning_rate')}, batch {t.get('batch')}, IF weight {t.get('if_weight')}, seed {t.get('seed')} |")
    print(f"| steps | {c.get('steps')} |")
    print(f"| training time | {c.get('training_seconds', 0) / 60:.1f} min on {c.get('training_hardware')} |")
    if m:
        print(f"| validation loss | {m.get('validation_loss', 0):.4f} (final training loss {m.get('final_train_loss', 0):.4f}) |")
    print(f"| presets | {len(c.get('timbres', {}))}: {', '.join(sorted(c.get('timbres', {}).keys()))} |")
    print()
    if notes:
        print(notes)


if __name__ == "__main__":
    main()
