// One face, cut square out of its photo by the face's box. The box is a fraction of the photo as
// displayed, so the crop only needs the image's own aspect ratio, read once it has loaded; until
// then the square shows the empty-thumbnail grey rather than a wrongly scaled picture.
import { useState } from 'react';
import type { FaceBox, Photo } from '../../shared/domain.ts';
import { faceCropStyle } from '../faces/geometry.ts';
import { useApi } from '../hooks/api.tsx';

/**
 * Thumbnails are 384 px on their long edge; a face smaller than this part of it would be a blur
 * of a few dozen pixels, so it is cut from the full image instead.
 */
const SMALL_FACE = 0.18;

export function FaceCrop({
  photo,
  box,
  className,
}: {
  photo: Photo;
  box: FaceBox;
  className?: string;
}) {
  const api = useApi();
  const [loaded, setLoaded] = useState<{ src: string; width: number; height: number } | null>(null);
  const small = Math.max(box.width, box.height) < SMALL_FACE;
  const src = small ? api.fullUrl(photo) : api.thumbUrl(photo);
  // Another photo's size would scale this one wrongly: only the loaded image's own counts.
  const crop = loaded?.src === src ? faceCropStyle(box, loaded.width, loaded.height) : null;
  return (
    <span className={`face-crop${className ? ` ${className}` : ''}`} aria-hidden="true">
      <img
        src={src}
        alt=""
        draggable={false}
        decoding="async"
        loading="lazy"
        onLoad={(e) =>
          setLoaded({
            src,
            width: e.currentTarget.naturalWidth,
            height: e.currentTarget.naturalHeight,
          })
        }
        style={
          crop
            ? {
                left: `${crop.left}%`,
                top: `${crop.top}%`,
                width: `${crop.width}%`,
                height: `${crop.height}%`,
              }
            : { visibility: 'hidden' }
        }
      />
    </span>
  );
}
