import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as TfCore from '@tensorflow/tfjs-core';
import type { Config, FaceResult, Human } from '@vladmandic/human';
import { FaceDetectorLoadError, type FaceBox, type FaceDetector, type MouthFace, type RgbFrame } from './face.ts';
import { mouthOpenness } from './mouth-openness.ts';

export interface DetectorOptions {
  /** Faces at most per frame (BlazeFace's best first). Default 4. */
  maxFaces?: number;
  /** Below this detection score a box is dropped. Default 0.5. */
  minScore?: number;
  /** Folder URL (ending in `/`) holding blazeface.json and facemesh.json; default: the package's `models/`. */
  modelBasePath?: string;
}

type HumanConstructor = new (config?: Partial<Config>) => Human;

// The package's "exports" lists its builds as conditions, so the wasm build has no importable
// subpath: it is found next to the Node build the package does export.
function humanWasmBuild(): HumanConstructor {
  const nodeBuild = fileURLToPath(import.meta.resolve('@vladmandic/human'));
  const require = createRequire(import.meta.url);
  const mod = require(join(dirname(nodeBuild), 'human.node-wasm.js')) as { Human?: HumanConstructor };
  if (typeof mod.Human !== 'function') throw new FaceDetectorLoadError('the human package has no Human class');
  return mod.Human;
}

/** A folder's files, for the package's models (read from disk: nothing is downloaded). */
function packageDir(specifier: string, fromFile: string): string {
  return join(dirname(fileURLToPath(import.meta.resolve(specifier))), fromFile);
}

// human types its `tf` as any; at run time it is the tfjs-core module this package also depends on.
type Tf = typeof TfCore;

/** tfjs in Node has no `file://` loader without tfjs-node: a load router that reads the model's JSON and weights from disk. */
function registerFileRouter(tf: Tf): void {
  // A router answers null for URLs it does not handle (tfjs's typing says it never does).
  const router = (url: string | string[]) => {
    const path = Array.isArray(url) ? url[0] : url;
    if (typeof path !== 'string' || !path.startsWith('file://')) return null;
    return {
      load: async () => {
        const file = fileURLToPath(path);
        const json = JSON.parse(await readFile(file, 'utf8')) as TfCore.io.ModelJSON;
        const buffers: Buffer[] = [];
        const weightSpecs: TfCore.io.WeightsManifestEntry[] = [];
        for (const group of json.weightsManifest) {
          for (const p of group.paths) buffers.push(await readFile(join(dirname(file), p)));
          weightSpecs.push(...group.weights);
        }
        const all = Buffer.concat(buffers);
        const artifacts: TfCore.io.ModelArtifacts = {
          modelTopology: json.modelTopology,
          weightSpecs,
          weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
          ...(json.format ? { format: json.format } : {}),
          ...(json.generatedBy ? { generatedBy: json.generatedBy } : {}),
          ...(json.convertedBy ? { convertedBy: json.convertedBy } : {}),
          ...(json.userDefinedMetadata ? { userDefinedMetadata: json.userDefinedMetadata } : {}),
        };
        return artifacts;
      },
    };
  };
  tf.io.registerLoadRouter(router as Parameters<Tf['io']['registerLoadRouter']>[0]);
}

/**
 * Human with BlazeFace and the face mesh (the mesh runs only when a call turns it on: see
 * `meshOn`), nothing else (no iris, emotion, body, hand…); no result caching between frames.
 */
function detectorConfig(o: Required<DetectorOptions>): Partial<Config> {
  const off = { enabled: false };
  return {
    backend: 'wasm',
    wasmPath: `${packageDir('@tensorflow/tfjs-backend-wasm', '')}/`,
    modelBasePath: o.modelBasePath,
    debug: false,
    async: true,
    warmup: 'none',
    cacheModels: false,
    cacheSensitivity: 0,
    filter: { enabled: false },
    gesture: off,
    body: off,
    hand: off,
    object: off,
    segmentation: off,
    face: {
      enabled: true,
      detector: {
        modelPath: 'blazeface.json',
        rotation: false,
        maxDetected: o.maxFaces,
        minConfidence: o.minScore,
        skipFrames: 0,
        skipTime: 0,
        return: false,
      },
      mesh: { enabled: true, modelPath: 'facemesh.json', keepInvalid: false },
      attention: off,
      iris: off,
      description: off,
      emotion: off,
      antispoof: off,
      liveness: off,
      gear: off,
    },
  };
}

// human merges a call's config into its own for good, so every call says whether the mesh runs.
const meshOn = (enabled: boolean): Partial<Config> => ({ face: { mesh: { enabled } } });

/**
 * Builds a detector on the calling thread: loads the wasm backend, BlazeFace and the face mesh
 * from the installed packages. The service runs it inside the detector worker (load-detector.ts).
 */
export async function createHumanDetector(options: DetectorOptions = {}): Promise<FaceDetector> {
  const o = {
    maxFaces: options.maxFaces ?? 4,
    minScore: options.minScore ?? 0.5,
    modelBasePath:
      options.modelBasePath ?? `${pathToFileURL(join(packageDir('@vladmandic/human', '..'), 'models')).href}/`,
  };
  let human: Human;
  try {
    const HumanClass = humanWasmBuild();
    human = new HumanClass(detectorConfig(o));
    registerFileRouter(human.tf as Tf);
    await human.load();
    // models.loaded() lists a model whose files failed to load (it keeps an empty shell): the stats say which loaded.
    const loaded = human.models
      .stats()
      .modelStats.filter((m) => m.loaded)
      .map((m) => m.name);
    if (!loaded.includes('blazeface')) throw new Error(`BlazeFace did not load from ${o.modelBasePath}`);
    if (!loaded.includes('facemesh')) throw new Error(`the face mesh did not load from ${o.modelBasePath}`);
  } catch (err) {
    if (err instanceof FaceDetectorLoadError) throw err;
    throw new FaceDetectorLoadError(`the face detector did not load: ${(err as Error).message}`, { cause: err });
  }
  const tf = human.tf as Tf;
  const run = async <T>(frame: RgbFrame, mesh: boolean, pick: (face: FaceResult) => T): Promise<T[]> => {
    if (frame.data.length !== frame.width * frame.height * 3)
      throw new RangeError(`a ${frame.width}×${frame.height} RGB frame needs ${frame.width * frame.height * 3} bytes`);
    const input = tf.tensor(frame.data, [1, frame.height, frame.width, 3], 'int32');
    try {
      const result = await human.detect(input, meshOn(mesh));
      return result.face.filter((f) => f.boxScore >= o.minScore).map(pick);
    } finally {
      tf.dispose(input);
    }
  };
  const box = (f: FaceResult): FaceBox => ({
    x: f.box[0],
    y: f.box[1],
    width: f.box[2],
    height: f.box[3],
    score: f.boxScore,
  });
  return {
    detect: (frame) => run(frame, false, box),
    mouths: (frame) =>
      run(frame, true, (f): MouthFace => ({ box: box(f), openness: mouthOpenness(f.mesh) })).then((faces) =>
        faces.filter((f) => Number.isFinite(f.openness)),
      ),
  };
}
