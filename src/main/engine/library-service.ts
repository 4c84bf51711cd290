// The engine's face towards the transports (Electron IPC, the WebSocket of `shoebox serve`, the CLI).
// The Library class implements it; transports depend on this interface only.
import type { FailedPhoto, Folder, IndexProgress, ScoredPhoto } from '../../shared/domain.ts';
import type {
  LibraryStatus as ContractLibraryStatus,
  Notice,
  PhotoDetails,
  PhotoPage,
  PhotoSort,
  PhotosChanged,
} from '../../shared/api.ts';
import type { TrashService } from './trash/service.ts';
import type { AnalysisApi } from './analysis-api.ts';
import type { PeopleApi } from './faces/people-service.ts';
import type { ModelListEntry } from './embed/model-store.ts';

// The result shapes are the contract's: one declaration serves the engine and every transport.
export type { Notice, PhotoDetails, PhotoPage, PhotoSort, PhotosChanged };

/** What the engine reports; the transports add the library folder (`dir`). */
export type LibraryStatus = Omit<ContractLibraryStatus, 'dir'>;

export interface LibraryEvents {
  progress: [IndexProgress];
  photosChanged: [PhotosChanged];
  notice: [Notice];
  /** Indexing stopped for a condition outside any photo (a full disk); the reason is a phrase. */
  indexingPaused: [string];
}

export interface LibraryService {
  readonly dir: string;
  /** Shoebox's trash: remove (verified), list, restore, empty to the OS trash. */
  readonly trash: TrashService;
  /** Duplicates, clusters, the map, similar and colour search. */
  readonly analysis: AnalysisApi;
  /** Faces grouped into people: names, merges, faces moved out. */
  readonly people: PeopleApi;
  /** Photos best matching a text, by the active CLIP model (NoTextModelError without one). */
  searchText(text: string, k: number): Promise<ScoredPhoto[]>;
  /** The built-in fingerprint and every known model: installed, active, where from. */
  listModels(): Promise<ModelListEntry[]>;
  /** Makes an installed model active; returns how many photos are queued to re-embed. */
  useModel(id: string): Promise<number>;
  /** Installs a model from a folder (offline machines) and makes it active. */
  importModel(dir: string): Promise<void>;
  /** Downloads a known model (pinned revision, verified) and makes it active. */
  fetchModel(id: string, onProgress?: (fraction: number) => void): Promise<void>;
  listFolders(): Folder[];
  /** Adds a folder (validated: exists, is a folder, readable) and starts indexing it in the background. */
  addFolder(path: string): Promise<Folder>;
  /** Forgets a folder and its photos' catalog rows; never touches the files. */
  removeFolder(folderId: number): void;
  setReferenceFolder(folderId: number, isReference: boolean): void;
  status(): LibraryStatus;
  progress(): IndexProgress;
  listPhotos(query: {
    sort: PhotoSort;
    descending?: boolean;
    offset: number;
    limit: number;
    folderId?: number;
    /** Only photos in which this person's face was found. */
    personId?: number;
  }): PhotoPage;
  getPhoto(photoId: number): PhotoDetails | null;
  listFailures(): FailedPhoto[];
  /** Absolute path of a photo's cached thumbnail, for the thumbnail protocol; null if none yet. */
  thumbnailPath(photoId: number): string | null;
  /** Absolute path of the photo file itself, for the full-image protocol; null for unknown ids. */
  photoPath(photoId: number): string | null;
  on<E extends keyof LibraryEvents>(event: E, listener: (...args: LibraryEvents[E]) => void): this;
  off<E extends keyof LibraryEvents>(event: E, listener: (...args: LibraryEvents[E]) => void): this;
  close(): Promise<void>;
}
