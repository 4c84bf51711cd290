// Zero-shot cluster labels: with a CLIP model, each cluster is named by the phrase from a built-in
// vocabulary whose text embedding is closest to the cluster's mean image embedding. The
// vocabulary covers what personal photo libraries hold; labels are short and plain.

export const LABEL_VOCABULARY: readonly string[] = [
  'beach',
  'mountains',
  'forest',
  'lake',
  'the sea',
  'a river',
  'a waterfall',
  'the desert',
  'snow',
  'a sunset',
  'the night sky',
  'clouds',
  'flowers',
  'a garden',
  'trees',
  'a park',
  'a field',
  'a city street',
  'buildings',
  'a bridge',
  'a church',
  'a castle',
  'a museum',
  'an airport',
  'a train',
  'a car',
  'a bicycle',
  'a boat',
  'an aeroplane',
  'a road trip',
  'a dog',
  'a cat',
  'a horse',
  'birds',
  'fish',
  'wild animals',
  'insects',
  'a portrait',
  'a group of people',
  'a family',
  'children',
  'a baby',
  'a wedding',
  'a party',
  'a concert',
  'sports',
  'a birthday cake',
  'food',
  'a meal at a restaurant',
  'drinks',
  'coffee',
  'a kitchen',
  'a living room',
  'a bedroom',
  'an office',
  'a house',
  'a selfie',
  'a screenshot',
  'a document',
  'a receipt',
  'a whiteboard',
  'a map',
  'text',
  'a drawing',
  'a cartoon',
  'an emoji',
  'a logo',
  'a video game',
  'toys',
  'books',
  'clothes',
  'shoes',
  'a computer',
  'a phone',
  'art',
  'a painting',
  'a statue',
  'fireworks',
  'Christmas',
  'Halloween',
];

/** The prompt CLIP was trained to match: "a photo of …". */
export function labelPrompt(label: string): string {
  return `a photo of ${label}`;
}

/**
 * For each cluster, the vocabulary entry nearest to the cluster's mean embedding (all vectors
 * unit length; the mean is renormalised).
 */
export function labelClusters(
  clusters: readonly { memberRows: ArrayLike<number> }[],
  vectors: Float32Array,
  dim: number,
  labelVectors: readonly Float32Array[],
  vocabulary: readonly string[],
): string[] {
  return clusters.map(({ memberRows }) => {
    const mean = new Float32Array(dim);
    for (let i = 0; i < memberRows.length; i++) {
      const offset = memberRows[i]! * dim;
      for (let d = 0; d < dim; d++) mean[d]! += vectors[offset + d]!;
    }
    let best = 0;
    let bestScore = -Infinity;
    labelVectors.forEach((label, index) => {
      let score = 0;
      for (let d = 0; d < dim; d++) score += mean[d]! * label[d]!;
      if (score > bestScore) {
        bestScore = score;
        best = index;
      }
    });
    return vocabulary[best] ?? '';
  });
}
