// What a found face is, kept apart from the detector so that reading faces (the catalog, grouping,
// the CLI) never loads the image decoder or the face models.
import type { FaceBox } from '../../../shared/domain.ts';

/** Length of a face's descriptor (face-api's recognition network). */
export const DESCRIPTOR_DIM = 128;

export interface DetectedFace {
  box: FaceBox;
  score: number;
  descriptor: Float32Array;
}

/** A people question that cannot be answered as asked: an unknown id, or a bad request. */
export class PeopleError extends Error {
  constructor(
    readonly code: 'not-found' | 'invalid-arguments',
    message: string,
  ) {
    super(message);
    this.name = 'PeopleError';
  }
}
