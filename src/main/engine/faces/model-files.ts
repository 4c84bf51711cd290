// Where face-api's model weights ship: the package's own model/ folder, read from disk by both
// the screening (ONNX Runtime, screening.ts) and the accurate look (TensorFlow.js, detector.ts).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export function modelDir(): string {
  return join(
    dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')),
    'model',
  );
}
