// Which embedding the library uses, and keeping it complete. The built-in fingerprint is always
// there; when a CLIP model is installed and active, the indexer embeds every photo with it (from
// the same decode) and a model switch queues the photos that lack its vectors. Until every photo
// has them, analysis keeps using the fingerprint, so screens never mix two models.
import type { Catalog } from './catalog/catalog.ts';
import { loadEmbeddingSet } from './catalog/embedding-sets.ts';
import { FINGERPRINT_DIM } from './features/fingerprint.ts';
import { FINGERPRINT_VERSION } from './features/versions.ts';
import { EmbeddingService } from './embed/embedding-service.ts';
import {
  BUILTIN_MODEL_ID,
  resolveActiveModel,
  setActiveModel,
  type ActiveModel,
  type StoreOptions,
} from './embed/model-store.ts';
import type { Indexer } from './index/indexer.ts';

/** An embedding as stored in the catalog: the feature kind, its version and its length. */
export interface EmbeddingSpace {
  modelId: string;
  kind: string;
  version: string;
  dim: number;
}

/** Photo vectors of one embedding space, row i belonging to photo ids[i]. */
export interface EmbeddingSet {
  ids: Int32Array;
  vectors: Float32Array;
  dim: number;
  modelId: string;
}

export const FINGERPRINT_SPACE: EmbeddingSpace = {
  modelId: BUILTIN_MODEL_ID,
  kind: 'fingerprint',
  version: FINGERPRINT_VERSION,
  dim: FINGERPRINT_DIM,
};

export interface ModelStatus {
  id: string;
  dim: number;
  /** Photos embedded with the active model so far, of all indexed photos. */
  embedded: number;
  total: number;
}

export class ModelManager {
  private active: ActiveModel = { id: BUILTIN_MODEL_ID, dim: FINGERPRINT_DIM, model: null };
  private service: EmbeddingService | null = null;

  constructor(
    private readonly libraryDir: string,
    private readonly catalog: Catalog,
    private readonly indexer: Indexer,
    private readonly store: StoreOptions = {},
  ) {}

  /** Reads the active model and wires the pipeline to it; returns photos queued to embed. */
  async refresh(): Promise<number> {
    const next = await resolveActiveModel(this.libraryDir, this.store);
    const same = next.id === this.active.id && next.model?.revision === this.active.model?.revision;
    if (!same) {
      await this.service?.close();
      this.service = next.model ? EmbeddingService.forModel(next.model) : null;
      this.active = next;
    }
    const space = this.activeSpace();
    if (!this.service || !space) {
      this.indexer.setEmbedding(null);
      return 0;
    }
    this.indexer.setEmbedding({ kind: space.kind, version: space.version, embedder: this.service });
    const queued = this.catalog.enqueueMissingFeature(space.kind, space.version);
    if (queued > 0) this.indexer.kick();
    return queued;
  }

  /** Makes `id` the active model (it must be installed) and starts re-embedding. */
  async use(id: string): Promise<number> {
    await setActiveModel(this.libraryDir, id, this.store);
    return this.refresh();
  }

  status(): ModelStatus {
    const space = this.activeSpace();
    const total = this.catalog.countByStatus().indexed;
    return {
      id: this.active.id,
      dim: this.active.dim,
      embedded: space ? this.catalog.countWithFeature(space.kind, space.version) : total,
      total,
    };
  }

  /** The active model's space, or null when the fingerprint is active. */
  activeSpace(): EmbeddingSpace | null {
    const model = this.active.model;
    if (!model) return null;
    return {
      modelId: model.id,
      kind: `embedding:${model.id}`,
      version: model.revision,
      dim: model.dim,
    };
  }

  /**
   * The space analysis should use now: the active model once every photo has its vector,
   * otherwise the fingerprint (re-embedding runs in the background meanwhile).
   */
  effectiveSpace(): EmbeddingSpace {
    const space = this.activeSpace();
    if (!space) return FINGERPRINT_SPACE;
    const status = this.status();
    return status.embedded >= status.total ? space : FINGERPRINT_SPACE;
  }

  /** The loaded text-and-image model, when the active model has a text encoder. */
  embedder(): EmbeddingService | null {
    return this.service;
  }

  loadSet(space: EmbeddingSpace): EmbeddingSet {
    return loadEmbeddingSet(this.catalog, space);
  }

  async close(): Promise<void> {
    await this.service?.close();
    this.service = null;
  }
}

export { loadEmbeddingSet };
