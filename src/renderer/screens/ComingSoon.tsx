// Screens whose engine work lands in a later issue. They exist now as routes, so navigation and
// links are real, and say plainly what they will do rather than show invented data.
import { Link, useSearchParams } from 'react-router';

const descriptions = {
  map: {
    title: 'Map',
    text: 'Every photo as a point on one canvas, placed so that similar pictures sit together. Hover for a larger preview, colour the points by cluster, duplicates or dominant colour, and lasso a region to act on it.',
  },
  clusters: {
    title: 'Clusters',
    text: 'Your library split into groups of photos that look alike, each shown by its most typical photo. Choose how many groups, with the curves that suggest a good number beside the control.',
  },
  duplicates: {
    title: 'Duplicates',
    text: 'Groups of identical and near-identical photos, with a similarity slider and a histogram to set how close counts as a duplicate. Compare side by side, see which copy Shoebox suggests keeping and why, and move the rest to the app’s trash, where they can be restored.',
  },
  similar: {
    title: 'Similar',
    text: 'Start from a photo, or drop a file, and see the photos that look most like it, with their similarity scores.',
  },
  colours: {
    title: 'Colours',
    text: 'Pick a few colours, or start from a photo’s palette, and find the photos whose palettes match them best.',
  },
} as const;

export type ComingSoonScreen = keyof typeof descriptions;

export function ComingSoon({ screen }: { screen: ComingSoonScreen }) {
  const { title, text } = descriptions[screen];
  const [params] = useSearchParams();
  const from = params.get('photo');
  return (
    <div className="screen coming-soon" data-testid={`coming-soon-${screen}`}>
      <div className="empty-card">
        <p className="eyebrow">Coming soon</p>
        <h1>{title}</h1>
        <p>{text}</p>
        {from && (
          <p className="muted">
            You came here from photo {from}: once this screen is ready it will start from it.
          </p>
        )}
        <Link to="/library" className="button-link">
          Back to the library
        </Link>
      </div>
    </div>
  );
}
