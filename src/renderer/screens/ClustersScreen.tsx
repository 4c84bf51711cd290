// Clusters: the library split into groups that look alike, each shown by its medoid (its most
// typical photo) with its size and, with a CLIP model, a label. The k in use sits beside the
// curves that argue for it, and any other k can be picked; a cluster opens to its members,
// nearest the medoid first, exports as a CSV of paths, or is copied into a folder. Everything
// shown follows the library live: photos that come or go change the cards and the open members.
// Opening the screen shows medoids at once when a clustering was saved before (marked as being
// brought up to date), and otherwise how far the engine is in working them out, never a blank.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import type { ClustersProgress, CopyOutcome } from '../../shared/api.ts';
import type { ClusterMembersPage, ClustersView } from '../../shared/domain.ts';
import { LineChart } from '../components/LineChart.tsx';
import { Viewer } from '../components/Viewer.tsx';
import { fileName, formatBytes, formatCount } from '../format.ts';
import { useApi, useEvent, useLibrary } from '../hooks/api.tsx';
import type { ApiClient } from '../api/client.ts';

const MEMBERS_PAGE = 200;
const EXPORT_PAGE = 5000;
/** How often the screen asks how far the clustering is while it waits for the answer. */
const PROGRESS_POLL_MS = 400;

export function ClustersScreen() {
  const api = useApi();
  const { photosVersion } = useLibrary();
  const [params, setParams] = useSearchParams();
  const kParam = Number(params.get('k'));
  const k = Number.isInteger(kParam) && kParam >= 2 ? kParam : undefined;
  const clusterParam = params.get('cluster');
  const openId = clusterParam !== null && /^\d+$/.test(clusterParam) ? Number(clusterParam) : null;
  const [view, setView] = useState<ClustersView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  // What the person is typing into the k field; null shows the k in use. Answers from the engine
  // never write here, so a refresh arriving mid-typing cannot undo what was typed.
  const [kDraft, setKDraft] = useState<string | null>(null);
  // Counts the views that arrived, so open members refetch once the engine has reclustered.
  const [viewVersion, setViewVersion] = useState(0);
  const [copyOpen, setCopyOpen] = useState(false);
  // While the answer is awaited: what the engine is doing, and whether the cards shown are the
  // clustering saved last time (provisional) rather than the answer.
  const [work, setWork] = useState<ClustersProgress['work']>(null);
  const [provisional, setProvisional] = useState(false);
  const viewShown = useRef(false);
  viewShown.current = view !== null;

  useEffect(() => {
    let live = true;
    let answered = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setLoading(true);
    api.invoke('clusters.list', k === undefined ? {} : { k }).then(
      (next) => {
        if (!live) return;
        answered = true;
        setView(next);
        setViewVersion((v) => v + 1);
        setError(null);
        setLoading(false);
        setProvisional(false);
        setWork(null);
      },
      (e: Error) => {
        if (!live) return;
        answered = true;
        setError(e.message);
        setLoading(false);
        setWork(null);
      },
    );
    // Until it answers, show the stored medoids (only for the automatic k, which is what is
    // stored, and only when nothing better is on screen) and the progress.
    let first = true;
    const poll = () => {
      api.invoke('clusters.progress', {}).then(
        (progress) => {
          if (!live || answered) return;
          const stored = progress.stored;
          if (
            first &&
            k === undefined &&
            stored &&
            stored.clusters.length > 0 &&
            !viewShown.current
          ) {
            setView(stored);
            setProvisional(true);
          }
          first = false;
          setWork(progress.work);
          timer = setTimeout(poll, PROGRESS_POLL_MS);
        },
        () => undefined,
      );
    };
    poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, k, photosVersion]);

  const setParam = (key: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value === null) next.delete(key);
    else next.set(key, value);
    if (key === 'k') next.delete('cluster');
    if (key === 'cluster' || key === 'k') setCopyOpen(false);
    setParams(next);
  };
  const pickK = (value: number) => {
    setKDraft(null);
    setParam('k', String(value));
  };

  const open = view?.clusters.find((c) => c.id === openId);

  return (
    <div className="screen clusters" data-testid="clusters">
      <section className="clusters-main" aria-label="Clusters">
        <header className="toolbar">
          {open ? (
            <>
              <button type="button" onClick={() => setParam('cluster', null)}>
                ← All clusters
              </button>
              <h1 className="toolbar-title">
                {open.label ?? `Cluster ${open.id + 1}`}
                <span className="count" data-testid="open-cluster-size">
                  {formatCount(open.size)} photos, nearest the medoid first
                </span>
              </h1>
            </>
          ) : (
            <h1 className="toolbar-title">
              Clusters
              <span className="count">
                {view
                  ? `${view.clusters.length} groups · ${view.method} over ${modelName(view.model)}`
                  : ''}
              </span>
            </h1>
          )}
          <span className="spacer" />
          {open && (
            <>
              <button
                type="button"
                aria-expanded={copyOpen}
                aria-controls="copy-to-folder"
                onClick={() => setCopyOpen((shown) => !shown)}
              >
                Copy to folder…
              </button>
              <ExportCsv clusterId={open.id} name={open.label ?? `cluster-${open.id + 1}`} />
            </>
          )}
        </header>
        {open && copyOpen && (
          <CopyToFolder
            key={open.id}
            clusterId={open.id}
            size={open.size}
            name={open.label ?? `Cluster ${open.id + 1}`}
            onClose={() => setCopyOpen(false)}
          />
        )}
        {error && (
          <p className="error-text clusters-error" role="alert">
            {error}
          </p>
        )}
        {loading && (!view || provisional) && !error && (
          <ClustersWork work={work} provisional={provisional} />
        )}
        {view && open ? (
          <Members
            key={`${open.id}-${view.k}`}
            clusterId={open.id}
            total={open.size}
            viewVersion={viewVersion}
          />
        ) : view && view.clusters.length === 0 && !loading ? (
          <p className="muted clusters-wait" data-testid="clusters-empty">
            No photos to group yet. Add a folder in the Library, and its groups appear here.
          </p>
        ) : view ? (
          <ol className="cluster-cards" aria-busy={loading}>
            {view.clusters.map((cluster) => (
              <li key={cluster.id}>
                <button
                  type="button"
                  className="cluster-card"
                  data-testid="cluster-card"
                  // The saved clustering opens once it is confirmed current (its members may move).
                  disabled={provisional}
                  onClick={() => setParam('cluster', String(cluster.id))}
                >
                  <img src={api.thumbUrl(cluster.medoid)} alt="" loading="lazy" />
                  <span className="cluster-card-text">
                    <strong>{cluster.label ?? `Cluster ${cluster.id + 1}`}</strong>
                    <span className="muted" data-testid="cluster-size">
                      {formatCount(cluster.size)} photos
                    </span>
                  </span>
                </button>
              </li>
            ))}
          </ol>
        ) : null}
      </section>
      <aside className="clusters-side" aria-label="Number of clusters">
        <h2>How many clusters</h2>
        <form
          className="k-control"
          onSubmit={(e) => {
            e.preventDefault();
            const value = Number(kDraft ?? view?.k);
            if (Number.isInteger(value) && value >= 2 && value <= 200) pickK(value);
          }}
        >
          <label>
            k
            <input
              type="number"
              min={2}
              max={200}
              value={kDraft ?? (view ? String(view.k) : '')}
              onChange={(e) => setKDraft(e.target.value)}
              aria-label="Number of clusters"
            />
          </label>
          <button type="submit" disabled={loading}>
            Use
          </button>
          <button
            type="button"
            disabled={loading || k === undefined}
            onClick={() => {
              setKDraft(null);
              setParam('k', null);
            }}
          >
            Best
          </button>
        </form>
        <p className="muted">
          {view
            ? k === undefined
              ? view.reason || `k = ${view.k} was chosen from the curves below.`
              : `k = ${view.k}, picked by you.`
            : ''}
          {loading && view ? ' Recomputing…' : ''}
        </p>
        {view && (
          <>
            <LineChart
              title="Silhouette"
              hint="higher is better"
              points={view.scores.silhouette}
              current={view.k}
              onPick={pickK}
            />
            <LineChart
              title="Davies-Bouldin"
              hint="lower is better"
              points={view.scores.daviesBouldin}
              current={view.k}
              onPick={pickK}
            />
            <LineChart
              title="Elbow (total distance)"
              hint="look for the bend"
              points={view.scores.elbow.map((p) => ({ k: p.k, value: p.cost }))}
              current={view.k}
              onPick={pickK}
            />
          </>
        )}
      </aside>
    </div>
  );
}

/** What the engine is doing towards the clusters, as a progress bar when it can count. */
function ClustersWork({
  work,
  provisional,
}: {
  work: ClustersProgress['work'];
  provisional: boolean;
}) {
  const counted = work !== null && work.total > 0;
  const doing =
    work?.stage === 'neighbours'
      ? 'Finding each photo’s nearest neighbours'
      : counted
        ? `Grouping the photos: step ${formatCount(work.done)} of ${formatCount(work.total)}`
        : 'Working out clusters';
  return (
    <div className="inline-progress clusters-wait" role="status" data-testid="clusters-work">
      <div
        className="progress"
        role="progressbar"
        aria-label="Working out clusters"
        aria-valuemin={0}
        aria-valuemax={counted ? work.total : undefined}
        aria-valuenow={counted ? work.done : undefined}
      >
        <div
          className={`progress-fill${counted ? '' : ' indeterminate'}`}
          style={{ width: counted ? `${(100 * work.done) / work.total}%` : '30%' }}
        />
      </div>
      <span className="muted">
        {provisional
          ? `Showing the clusters saved last time. ${doing} to bring them up to date…`
          : `${doing}…`}
      </span>
    </div>
  );
}

function modelName(model: string): string {
  return model === 'fingerprint' ? 'the built-in fingerprint' : model;
}

function Members({
  clusterId,
  total,
  viewVersion,
}: {
  clusterId: number;
  total: number;
  /** Changes with every clusters view: the members are fetched again, as many as were shown. */
  viewVersion: number;
}) {
  const api = useApi();
  const [members, setMembers] = useState<ClusterMembersPage['members']>([]);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const shown = useRef(MEMBERS_PAGE);

  useEffect(() => {
    let live = true;
    api.invoke('clusters.members', { id: clusterId, offset: 0, limit: shown.current }).then(
      (page) => {
        if (!live) return;
        setMembers(page.members);
        setError(null);
      },
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [api, clusterId, viewVersion]);

  const more = (offset: number) => {
    shown.current = Math.min(5000, offset + MEMBERS_PAGE);
    api.invoke('clusters.members', { id: clusterId, offset, limit: MEMBERS_PAGE }).then(
      (page) => setMembers((list) => [...list.slice(0, offset), ...page.members]),
      (e: Error) => setError(e.message),
    );
  };

  const current = open === null ? undefined : members[open];
  return (
    <div className="cluster-members">
      {error && <p className="error-text">{error}</p>}
      <ol className="results" aria-label="Members" data-testid="cluster-members">
        {members.map((member, i) => (
          <li key={member.photo.id} className="result">
            <button
              type="button"
              className="result-open"
              aria-label={`${fileName(member.photo.path)}, distance ${member.distance.toFixed(3)}`}
              onClick={() => setOpen(i)}
            >
              <img src={api.thumbUrl(member.photo)} alt="" loading="lazy" draggable={false} />
            </button>
            <div className="result-meta">
              <span className="result-score" title="distance to the medoid">
                {i === 0 && member.distance === 0 ? 'medoid' : member.distance.toFixed(3)}
              </span>
            </div>
            <span className="result-name" title={member.photo.path}>
              {fileName(member.photo.path)}
            </span>
          </li>
        ))}
      </ol>
      {members.length < total && (
        <button type="button" className="show-more" onClick={() => more(members.length)}>
          Show more ({formatCount(total - members.length)} left)
        </button>
      )}
      {current && open !== null && (
        <Viewer
          photo={current.photo}
          hasPrevious={open > 0}
          hasNext={open < members.length - 1}
          onPrevious={() => setOpen((i) => (i === null ? i : Math.max(0, i - 1)))}
          onNext={() => setOpen((i) => (i === null ? i : Math.min(members.length - 1, i + 1)))}
          onClose={() => setOpen(null)}
        />
      )}
    </div>
  );
}

/**
 * Copies the cluster's photos into a folder the person names (a path field, in the browser and
 * the desktop app alike). The engine only reads the originals, makes the folder if needed,
 * never overwrites (a taken name gets a number) and refuses a folder inside the library; what
 * it did is told here in words, with every photo it could not copy and why.
 */
function CopyToFolder({
  clusterId,
  size,
  name,
  onClose,
}: {
  clusterId: number;
  size: number;
  name: string;
  onClose(): void;
}) {
  const api = useApi();
  const [destination, setDestination] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<CopyOutcome | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const ticket = useRef<string | null>(null);
  useEvent('copy.progress', (p) => {
    if (p.ticket === ticket.current) setProgress({ done: p.done, total: p.total });
  });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!destination.trim()) {
      setError('Type the full path of the folder to copy to.');
      return;
    }
    const mine = `copy-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    ticket.current = mine;
    setBusy(true);
    setError(null);
    setOutcome(null);
    setProgress({ done: 0, total: size });
    try {
      setOutcome(
        await api.invoke('clusters.copyTo', {
          id: clusterId,
          destination: destination.trim(),
          ticket: mine,
        }),
      );
    } catch (e) {
      setError((e as Error).message);
    } finally {
      ticket.current = null;
      setBusy(false);
      setProgress(null);
    }
  };

  const plural = (n: number) => `${formatCount(n)} photo${n === 1 ? '' : 's'}`;
  return (
    <form
      id="copy-to-folder"
      className="copy-panel"
      aria-label="Copy to a folder"
      onSubmit={(e) => void submit(e)}
    >
      <label htmlFor="copy-destination">
        Copy the {plural(size)} of {name} to the folder
      </label>
      <div className="add-folder-row">
        <input
          id="copy-destination"
          type="text"
          placeholder={`~/Desktop/${name}`}
          value={destination}
          spellCheck={false}
          autoComplete="off"
          disabled={busy}
          aria-invalid={error !== null}
          aria-describedby={error ? 'copy-error' : busy || outcome ? undefined : 'copy-hint'}
          onChange={(e) => setDestination(e.target.value)}
        />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Copying…' : 'Copy'}
        </button>
        <button type="button" disabled={busy} onClick={onClose}>
          Close
        </button>
      </div>
      {busy && progress ? (
        <div className="inline-progress" role="status">
          <div
            className="progress"
            role="progressbar"
            aria-label="Copying"
            aria-valuemin={0}
            aria-valuemax={progress.total}
            aria-valuenow={progress.done}
          >
            <div
              className="progress-fill"
              style={{ width: `${(100 * progress.done) / Math.max(1, progress.total)}%` }}
            />
          </div>
          <span className="muted">
            Copying {formatCount(progress.done)} of {formatCount(progress.total)}…
          </span>
        </div>
      ) : error ? (
        <p id="copy-error" className="error-text" role="alert">
          {error}
        </p>
      ) : outcome ? (
        <CopyReport outcome={outcome} />
      ) : (
        <p id="copy-hint" className="hint muted">
          The full path of a folder on the computer running Shoebox, outside the library; it is made
          if it does not exist. Only copies are made: the originals stay where they are, and nothing
          already in that folder is overwritten.
        </p>
      )}
    </form>
  );
}

/** What a copy did, in plain words. */
export function copySentences(outcome: CopyOutcome): string[] {
  const photos = (n: number) => `${formatCount(n)} photo${n === 1 ? '' : 's'}`;
  const were = (n: number) => (n === 1 ? 'was' : 'were');
  const lines: string[] = [];
  const allThere = outcome.copied === 0 && outcome.skipped === outcome.total && outcome.total > 0;
  if (outcome.copied > 0) {
    lines.push(
      `Copied ${photos(outcome.copied)} (${formatBytes(outcome.bytes)}) to ${outcome.destination}${outcome.created ? ', a new folder' : ''}.`,
    );
  } else if (allThere) {
    lines.push(
      `Nothing new to copy: ${outcome.total === 1 ? 'the photo is' : `all ${photos(outcome.total)} are`} already in ${outcome.destination}.`,
    );
  } else {
    lines.push(`No photo was copied to ${outcome.destination}.`);
  }
  if (outcome.renamed > 0) {
    lines.push(
      `${formatCount(outcome.renamed)} ${were(outcome.renamed)} given a numbered name, such as “IMG_1 (2).jpg”, because the name was taken there.`,
    );
  }
  if (outcome.skipped > 0 && !allThere) {
    lines.push(
      `${formatCount(outcome.skipped)} ${were(outcome.skipped)} already there with the same content, so not copied again.`,
    );
  }
  if (outcome.failed.length > 0) {
    lines.push(`${photos(outcome.failed.length)} could not be copied:`);
  }
  return lines;
}

function CopyReport({ outcome }: { outcome: CopyOutcome }) {
  const lines = copySentences(outcome);
  return (
    <div className="copy-report" role="status" data-testid="copy-result">
      <p>
        {lines.map((line, i) => (
          <span key={i}>{(i > 0 ? ' ' : '') + line}</span>
        ))}
      </p>
      {outcome.failed.length > 0 && (
        <ul className="refusals" aria-label="Photos not copied">
          {outcome.failed.slice(0, 50).map((f) => (
            <li key={f.path} title={f.path}>
              {fileName(f.path)}: {f.reason}
            </li>
          ))}
          {outcome.failed.length > 50 && (
            <li>…and {formatCount(outcome.failed.length - 50)} more.</li>
          )}
        </ul>
      )}
    </div>
  );
}

/** Every member's path (and distance), nearest first, as a CSV the browser downloads. */
function ExportCsv({ clusterId, name }: { clusterId: number; name: string }) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const csv = await clusterCsv(api, clusterId);
      const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `${name.replace(/[^\w.-]+/g, '-')}.csv`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      {error && <span className="error-text">{error}</span>}
      <button type="button" disabled={busy} onClick={() => void run()}>
        {busy ? 'Exporting…' : 'Export CSV'}
      </button>
    </>
  );
}

async function clusterCsv(api: ApiClient, id: number): Promise<string> {
  const rows = ['path,distance'];
  for (let offset = 0; ; offset += EXPORT_PAGE) {
    const page = await api.invoke('clusters.members', { id, offset, limit: EXPORT_PAGE });
    for (const member of page.members) {
      rows.push(`${csvField(member.photo.path)},${member.distance.toFixed(6)}`);
    }
    if (page.members.length === 0 || offset + page.members.length >= page.total) break;
  }
  return rows.join('\n') + '\n';
}

/** Quotes a field when it needs it (commas, quotes, newlines), doubling inner quotes. */
export function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
