// Run a TF.js graph model with the pure-JavaScript TF.js CPU backend (the oracle for the
// TF.js -> ONNX converter; see scripts/setup_tfjs_oracle.sh and dev/tfjs_oracle.py).
//
// Usage: node dev/tfjs_oracle.js MODEL_JSON < jobs.json
//   jobs.json: [{"input": "in.bin", "shape": [1, H, W, 3], "dtype": "int32", "output": "out.bin"}]
//   Each input file holds the raw little-endian tensor; each output file gets the model's first
//   output as raw float32. One line of JSON per job goes to stdout: {"output", "shape", "ms"}.
// NODE_PATH must reach the oracle's node_modules (dev/tfjs_oracle.py sets it).
'use strict';
const fs = require('fs');
const path = require('path');
require('@tensorflow/tfjs-backend-cpu');
const tf = require('@tensorflow/tfjs-core');
const tfconv = require('@tensorflow/tfjs-converter');

function loadHandler(modelJson) {
  // An IOHandler reading model.json and its weight shards from disk (no fetch, no tfjs-node).
  return {
    load: async () => {
      const model = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
      const dir = path.dirname(modelJson);
      const specs = [];
      const buffers = [];
      for (const group of model.weightsManifest) {
        for (const p of group.paths) buffers.push(fs.readFileSync(path.join(dir, p)));
        specs.push(...group.weights);
      }
      const all = Buffer.concat(buffers);
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
      return {
        modelTopology: model.modelTopology, weightSpecs: specs, weightData,
        format: model.format, generatedBy: model.generatedBy, convertedBy: model.convertedBy,
        signature: model.signature, userDefinedMetadata: model.userDefinedMetadata,
      };
    },
  };
}

async function main() {
  await tf.setBackend('cpu');
  const model = await tfconv.loadGraphModel(loadHandler(process.argv[2]));
  const jobs = JSON.parse(fs.readFileSync(0, 'utf8'));
  for (const job of jobs) {
    const raw = fs.readFileSync(job.input);
    const Typed = job.dtype === 'float32' ? Float32Array : Int32Array;
    const data = new Typed(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const x = tf.tensor(data, job.shape, job.dtype);
    const t0 = process.hrtime.bigint();
    let y = await model.executeAsync(x);
    if (Array.isArray(y)) y = y[0];
    const values = await y.data();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    fs.writeFileSync(job.output, Buffer.from(new Float32Array(values).buffer));
    console.log(JSON.stringify({output: job.output, shape: y.shape, ms}));
    tf.dispose([x, y]);
  }
}

main().catch((e) => { console.error(`tfjs_oracle: ${e.stack || e}`); process.exit(1); });
