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
    if c.get("architecture") == "event_rnn":
        return event_rnn_card(folder, c, notes)
    h, d, m, t = c["hparams"], c.get("data", {}), c.get("metrics", {}), c.get("training", {})
    print(f"# {folder.rstrip('/').split('/')[-1]}: MusicVAE {h['kind']} model (2 bars, {h['steps']} steps)\n")
    print("| | |\n|---|---|")
    print(f"| architecture | bidirectional LSTM encoder {h['encoder']} per direction, LSTM decoder {h['decoder']}, z {h['z_size']}, {h['classes']} classes |")
    print(f"| weights | weights.safetensors ({c.get('weights_dtype', 'float32')}) |")
    for k in corpora(d):
        print(f"| training data | {k.get('folder')} ({k.get('train_files')} files, {k.get('train_windows')} windows) |")
        print(f"| split | {k.get('split')}; validation: {k.get('validation_files')} files, {k.get('validation_windows')} windows |")
        if "validation_token_accuracy" in k:
            print(f"| validation token accuracy, {k.get('folder')} | {k['validation_token_accuracy']:.4f} |")
    print(f"| data licence | {d.get('licence')} |")
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


def corpora(d):
    """The data folders of a card: "corpora" (several folders) or the older single "folder"."""
    return d.get("corpora") or [d]


def event_rnn_card(folder, c, notes):
    h, d, m, t = c["hparams"], c.get("data", {}), c.get("metrics", {}), c.get("training", {})
    name = folder.rstrip('/').split('/')[-1]
    what = "Melody RNN" if h["kind"] == "melody" else "Drums RNN"
    print(f"# {name}: {what} (Magenta's lookback configuration, trained here)\n")
    print("| | |\n|---|---|")
    rng = f", melody range MIDI {h['min_pitch']}..{h['max_pitch'] - 1}" if h["kind"] == "melody" else ", 9 drum classes -> 512 events"
    print(f"| architecture | LSTM {h['layers']}, dropout {h['dropout']}, lookbacks {h['lookbacks']} steps, {h['counter_bits']}-bit bar counter{rng} |")
    print(f"| weights | weights.safetensors (float32) |")
    for k in d.get("corpora", []):
        print(f"| training data | {k['folder']} ({k['train_files']} files, {k['train_windows']} windows of {d.get('window_steps')} steps) |")
        print(f"| split | {k['split']}; validation: {k['validation_files']} files, {k['validation_windows']} windows |")
    print(f"| data licence | {d.get('licence')} |")
    print(f"| augmentation | transposition +/-{d.get('transpose_semitones')} semitones |")
    print(f"| optimiser | Adam {t.get('learning_rate')}, batch {t.get('batch')}, clip {t.get('clip_norm')}, seed {t.get('seed')} |")
    print(f"| steps | {c.get('steps')} |")
    print(f"| training time | {c.get('training_seconds', 0) / 60:.1f} min on {c.get('training_hardware')} |")
    for v in m.get("validation", []):
        cont = v.get("continuation", {})
        line = f"| held out of {v['folder']} | next-event accuracy {v['accuracy']:.3f}, log-perplexity {v['log_perplexity']:.3f} nats/step"
        if "in_key" in cont:
            line += f"; continuations in key {cont['in_key']:.3f} (the real next bars: {cont['real_in_key']:.3f}, {cont['files']} files)"
        if "hits_per_bar" in cont:
            line += (f"; continuations {cont['hits_per_bar']:.1f} hits/bar (real: {cont['real_hits_per_bar']:.1f}), "
                     f"on the sixteenth grid {cont['on_grid']:.3f} ({cont['files']} files)")
        print(line + " |")
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
