#!/usr/bin/env node
// Golden reference data from Magenta's DDSP violin model, run the way magenta.js 1.23.1 runs it
// (tf.loadGraphModel + its custom 'Roll' op), on the pure-JS tfjs CPU backend in Node.
// Used by the C++ DDSP parity tests.
//
// Versions: Node v20.20.2, @tensorflow/tfjs 2.7.0 (all @tensorflow/tfjs-* 2.7.0; @magenta/music
// 1.23.1 declares "@tensorflow/tfjs": "^2.7.0"). No native build, no @tensorflow/tfjs-node.
//
// Run:
//   cd tests/golden && npm ci && node make_ddsp_golden.mjs ../../../shared/models-ext/ddsp/violin ../data/ddsp
//   (args: MODEL_DIR holding model.json + group1-shard1of1.bin, OUT_DIR)
//
// Graph nodes read (prefix P = StatefulPartitionedCall/autoencoder/StatefulPartitionedCall/):
//   amplitude              P/processor_group/add    = 2*sigmoid(a)^ln10 + 1e-7        [1,1250,1]
//   harmonic_distribution  P/processor_group/add_1  = 2*sigmoid(h)^ln10 + 1e-7        [1,1250,60]
//                          (raw exp_sigmoid: BEFORE the Nyquist mask and renormalisation)
//   noise_magnitudes       P/processor_group/add_4  = 2*sigmoid(n - 5)^ln10 + 1e-7    [1,1250,65]
//   harmonic_audio         P/processor_group/Sum_1  = sum_k Aup*sin(phase), the harmonic input of add_5 [1,80000]
//   audio                  Identity:0               = add_5 = noise (strided_slice_10) + Sum_1 [1,80000]
// The noise branch draws RandomUniform, which tfjs seeds from Math.random(); Math.random is replaced
// below by a fixed-seed PRNG so that reruns give identical files. The noise itself is therefore tfjs's
// (alea) sequence, not TensorFlow's: only its statistics, not its samples, are comparable elsewhere.
//
// Writes OUT_DIR/magentajs_violin_{f0_hz,loudness_db,amplitude,harmonic_distribution,
// noise_magnitudes,harmonic_audio,audio}.npy (float32, C order, leading batch dim squeezed).

import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';

const [modelDir, outDir] = process.argv.slice(2);
if (!modelDir || !outDir) {
  console.error('usage: node make_ddsp_golden.mjs MODEL_DIR OUT_DIR');
  process.exit(2);
}

// Deterministic Math.random (mulberry32). tfjs uses it only to pick the seed of RandomUniform.
let rngState = 0x5eed1234;
Math.random = () => {
  rngState = (rngState + 0x6d2b79f5) | 0;
  let t = Math.imul(rngState ^ (rngState >>> 15), 1 | rngState);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

// ---- inputs: exactly 1250 frames at 250 frames/s (computed in float64, stored as float32) ----
const T = 1250, FRAME_RATE = 250;
const f0 = new Float32Array(T), ld = new Float32Array(T);
for (let i = 0; i < T; i++) {
  if (i < 625) {
    f0[i] = 196 * Math.pow(880 / 196, i / 624);          // exponential glide: f0[0]=196, f0[624]=880
  } else if (i < 1100) {                                 // vibrato +-0.5 semitone at 5.5 Hz around 440
    f0[i] = 440 * Math.pow(2, (0.5 / 12) * Math.sin(2 * Math.PI * 5.5 * (i - 625) / FRAME_RATE));
  } else {
    f0[i] = 0;                                           // frames 1100..1249: unvoiced
  }
  if (i < 200) ld[i] = -80 + 50 * i / 200;              // -80 dB at i=0, rising 0.25 dB/frame
  else if (i < 1000) ld[i] = -30;                        // held at -30 dB for frames 200..999
  else ld[i] = -30 - 70 * (i - 999) / 250;               // falls to -100 dB at i=1249
}

// ---- model loading: a minimal file IOHandler (same artifacts tf.loadGraphModel(url) would fetch) ----
function fileHandler(dir) {
  return {
    load: async () => {
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
      const weightSpecs = [], buffers = [];
      for (const group of json.weightsManifest) {
        weightSpecs.push(...group.weights);
        for (const p of group.paths) buffers.push(fs.readFileSync(path.join(dir, p)));
      }
      const all = Buffer.concat(buffers);
      return {
        modelTopology: json.modelTopology, format: json.format, generatedBy: json.generatedBy,
        convertedBy: json.convertedBy, userDefinedMetadata: json.userDefinedMetadata, weightSpecs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
    },
  };
}

// ---- minimal .npy (v1.0) writer, float32 little-endian ----
function saveNpy(file, data, shape) {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${dims}, }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';   // 10 + len(header) % 64 == 0
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1; pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);  // host is little-endian
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

// ---- run ----
await tf.setBackend('cpu');
await tf.ready();

// Exactly as magenta.js 1.23.1 esm/ddsp/model.js DDSP.initialize(): swaps the two halves of axis 2
// (ignores the shift/axis inputs; equals roll by 64 on the last axis of the [1,1250,128] noise IR).
tf.registerOp('Roll', (node) => {
  const tensors = tf.split(node.inputs[0], 2, 2);
  const result = tf.concat([tensors[1], tensors[0]], 2);
  tensors.forEach((tensor) => tensor.dispose());
  return result;
});
tf.env().set('WEBGL_PACK', false);          // also as magenta.js (WebGL-only flags; no effect on CPU)
tf.env().set('WEBGL_CONV_IM2COL', false);

const model = await tf.loadGraphModel(fileHandler(modelDir));

const P = 'StatefulPartitionedCall/autoencoder/StatefulPartitionedCall/';
const outputs = {
  amplitude: P + 'processor_group/add',
  harmonic_distribution: P + 'processor_group/add_1',
  noise_magnitudes: P + 'processor_group/add_4',
  harmonic_audio: P + 'processor_group/Sum_1',
  audio: 'Identity:0',
};
const names = Object.keys(outputs);
const inputs = {f0_hz: tf.tensor1d(f0, 'float32'), loudness_db: tf.tensor1d(ld, 'float32')};
const results = model.execute(inputs, names.map((k) => outputs[k]));   // one pass, all five nodes

fs.mkdirSync(outDir, {recursive: true});
const save = (key, data, shape) => {
  const file = path.join(outDir, `magentajs_violin_${key}.npy`);
  saveNpy(file, data, shape);
  console.log(`${file}  [${shape}]`);
};
save('f0_hz', f0, [T]);
save('loudness_db', ld, [T]);
names.forEach((key, i) => {
  const t = results[i];
  if (t.shape[0] !== 1) throw new Error(`${key}: unexpected shape ${t.shape}`);
  save(key, t.dataSync(), t.shape.slice(1));                 // squeeze the batch dimension
});
