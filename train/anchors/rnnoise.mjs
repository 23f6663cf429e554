// RNNoise anchors for the dev-set evaluation, run under Node.js from their npm WebAssembly builds.
//
//   node train/anchors/rnnoise.mjs [--engine v0.2|master] IN.f32 OUT.f32 [IN2.f32 OUT2.f32 ...]
//
// Each IN is raw little-endian float32 mono audio at 48 kHz in [-1, 1) (written by
// train/anchors/rnnoise_anchor.py); each OUT gets the denoised signal, same format, same length.
//   v0.2    @jitsi/rnnoise-wasm 0.2.1, dist/rnnoise-sync.js (the RNNoise 0.2 model)
//   master  @shiguredo/rnnoise-wasm (RNNoise master; its Emscripten glue refuses to load unless a
//           browser or worker global exists, so WorkerGlobalScope is defined before the import)
// Processing, as ../shared/data/devset-wb/README.md describes it: 480-sample frames, samples scaled
// by 32768 in and out (RNNoise expects 16-bit PCM magnitudes), a fresh denoiser state per file, the
// input zero-padded at the end by the 960-sample (2-frame) delay plus up to a whole frame, and the
// first 960 output samples dropped, so the output is aligned with the input and of its length.
// Exit status 1 with a message on any error (missing file, odd byte count, unknown option).

import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const FRAME = 480;   // RNNoise frame (10 ms at 48 kHz)
const DELAY = 960;   // both WASM builds: the output lags the input by two frames
const SCALE = 32768; // float [-1, 1) <-> 16-bit PCM range

function die(msg) {
  process.stderr.write(`rnnoise.mjs: ${msg}\n`);
  process.exit(1);
}

// Import an ES module that a package ships as plain .js without "type": "module". Node >= 20.19
// detects the syntax; Node 18 (Debian 12) does not, so a .mjs copy beside it (in node_modules) is
// imported instead.
async function importEsm(spec) {
  const path = createRequire(import.meta.url).resolve(spec);
  if (path.endsWith(".mjs")) return import(pathToFileURL(path).href);
  const copy = path.replace(/\.js$/, "") + ".esm.mjs";
  if (!existsSync(copy)) copyFileSync(path, copy);
  return import(pathToFileURL(copy).href);
}

// A denoiser factory per engine: () => { processFrame(Float32Array[480]) in place, destroy() }.
async function loadEngine(name) {
  if (name === "v0.2") {
    const { default: create } = await importEsm("@jitsi/rnnoise-wasm/dist/rnnoise-sync.js");
    const m = await create();
    return () => {
      const st = m._rnnoise_create(0); // NULL model: the built-in (0.2) weights
      const buf = m._malloc(FRAME * 4);
      if (!st || !buf) die("rnnoise_create/malloc failed");
      return {
        processFrame(f) {
          m.HEAPF32.set(f, buf >> 2);
          m._rnnoise_process_frame(st, buf, buf); // in place, as the library allows
          f.set(m.HEAPF32.subarray(buf >> 2, (buf >> 2) + FRAME));
        },
        destroy() { m._rnnoise_destroy(st); m._free(buf); },
      };
    };
  }
  if (name === "master") {
    globalThis.WorkerGlobalScope ??= class WorkerGlobalScope {};
    const { Rnnoise } = await import("@shiguredo/rnnoise-wasm");
    const r = await Rnnoise.load();
    if (r.frameSize !== FRAME) die(`unexpected frame size ${r.frameSize}`);
    return () => {
      const ds = r.createDenoiseState();
      return { processFrame(f) { ds.processFrame(f); }, destroy() { ds.destroy(); } };
    };
  }
  die(`unknown engine ${name} (v0.2 or master)`);
}

function denoise(make, x) {
  const n = x.length;
  const total = Math.ceil((n + DELAY) / FRAME) * FRAME; // zero tail flushes the delayed output
  const y = new Float32Array(total);
  const frame = new Float32Array(FRAME);
  const d = make();
  for (let p = 0; p < total; p += FRAME) {
    frame.fill(0);
    for (let i = 0; i < FRAME && p + i < n; i++) frame[i] = x[p + i] * SCALE;
    d.processFrame(frame);
    for (let i = 0; i < FRAME; i++) y[p + i] = frame[i] / SCALE;
  }
  d.destroy();
  return y.slice(DELAY, DELAY + n);
}

const args = process.argv.slice(2);
let engine = "v0.2";
if (args[0] === "--engine") {
  engine = args[1];
  args.splice(0, 2);
}
if (args.length === 0 || args.length % 2) die("usage: rnnoise.mjs [--engine v0.2|master] IN.f32 OUT.f32 ...");
const make = await loadEngine(engine);
for (let i = 0; i < args.length; i += 2) {
  let buf;
  try {
    buf = readFileSync(args[i]);
  } catch (e) {
    die(`cannot read ${args[i]}: ${e.message}`);
  }
  if (buf.length % 4) die(`${args[i]}: ${buf.length} bytes is not a whole number of float32 samples`);
  // Copy into an aligned Float32Array (a Buffer may sit at any byte offset of its pool).
  const x = new Float32Array(buf.length / 4);
  for (let k = 0; k < x.length; k++) x[k] = buf.readFloatLE(4 * k);
  const y = denoise(make, x);
  const out = Buffer.alloc(y.length * 4);
  for (let k = 0; k < y.length; k++) out.writeFloatLE(y[k], 4 * k);
  try {
    writeFileSync(args[i + 1], out);
  } catch (e) {
    die(`cannot write ${args[i + 1]}: ${e.message}`);
  }
}
