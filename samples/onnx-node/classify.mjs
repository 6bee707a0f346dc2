// npm install onnxruntime-node@1.30.0    ·    node classify.mjs cnn3.onnx image.raw
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';

const session = await ort.InferenceSession.create(process.argv[2]);     // the file `fmnist export` wrote
const image = readFileSync(process.argv[3]);                             // 784 raw pixels (0-255), row by row
const pixels = new ort.Tensor('float32', Float32Array.from(image), [1, 1, 28, 28]);
const { probabilities, label } = await session.run({ pixels });
const best = Number(label.data[0]);
console.log(`class ${best}, probability ${probabilities.data[best].toFixed(4)}`);
