import { describe, expect, it } from 'vitest';
import { LABEL_VOCABULARY, labelClusters, labelPrompt } from './labels.ts';

const unit = (values: number[]): Float32Array => {
  const norm = Math.hypot(...values);
  return Float32Array.from(values, (v) => v / norm);
};

describe('zero-shot cluster labels', () => {
  it('names each cluster by the label nearest its mean embedding', () => {
    const vectors = new Float32Array([
      ...unit([1, 0.1, 0]),
      ...unit([0.9, 0, 0.1]),
      ...unit([0, 1, 0.2]),
      ...unit([0.1, 0.9, 0]),
    ]);
    const labels = ['beach', 'a dog', 'snow'];
    const labelVectors = [unit([1, 0, 0]), unit([0, 1, 0]), unit([0, 0, 1])];
    expect(
      labelClusters(
        [{ memberRows: [0, 1] }, { memberRows: [2, 3] }],
        vectors,
        3,
        labelVectors,
        labels,
      ),
    ).toEqual(['beach', 'a dog']);
  });

  it('has a vocabulary of distinct short phrases, prompted as CLIP was trained', () => {
    expect(new Set(LABEL_VOCABULARY).size).toBe(LABEL_VOCABULARY.length);
    expect(LABEL_VOCABULARY.every((label) => label.split(' ').length <= 5)).toBe(true);
    expect(labelPrompt('a dog')).toBe('a photo of a dog');
  });
});
