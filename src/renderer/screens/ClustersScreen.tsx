// Clusters: the library split into groups that look alike, each shown by its medoid (its most
// typical photo) with its size and, with a CLIP model, a label. The k in use sits beside the
// curves that argue for it, and any other k can be picked; a cluster opens to its members,
// nearest the medoid first, and exports as a CSV of paths.
import { useCallback, useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import type { ClusterMembersPage, ClustersView } from '../../shared/domain.ts';
import { LineChart } from '../components/LineChart.tsx';
import { Viewer } from '../components/Viewer.tsx';
import { fileName, formatCount } from '../format.ts';
import { useApi, useLibrary } from '../hooks/api.tsx';
import type { ApiClient } from '../api/client.ts';

const MEMBERS_PAGE = 200;
const EXPORT_PAGE = 5000;

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

  useEffect(() => {
    let live = true;
    setLoading(true);
    api.invoke('clusters.list', k === undefined ? {} : { k }).then(
      (next) => {
        if (!live) return;
        setView(next);
        setError(null);
        setLoading(false);
      },
      (e: Error) => {
        if (!live) return;
        setError(e.message);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [api, k, photosVersion]);

  const setParam = (key: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value === null) next.delete(key);
    else next.set(key, value);
    if (key === 'k') next.delete('cluster');
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
                <span className="count">
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
          {open && <ExportCsv clusterId={open.id} name={open.label ?? `cluster-${open.id + 1}`} />}
        </header>
        {error && (
          <p className="error-text clusters-error" role="alert">
            {error}
          </p>
        )}
        {!view && !error && <p className="muted clusters-wait">Working out clusters…</p>}
        {view && open ? (
          <Members key={`${open.id}-${view.k}`} clusterId={open.id} total={open.size} />
        ) : view ? (
          <ol className="cluster-cards" aria-busy={loading}>
            {view.clusters.map((cluster) => (
              <li key={cluster.id}>
                <button
                  type="button"
                  className="cluster-card"
                  data-testid="cluster-card"
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
              ? `k = ${view.k} was chosen from the curves below.`
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

function modelName(model: string): string {
  return model === 'fingerprint' ? 'the built-in fingerprint' : model;
}

function Members({ clusterId, total }: { clusterId: number; total: number }) {
  const api = useApi();
  const [members, setMembers] = useState<ClusterMembersPage['members']>([]);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<number | null>(null);

  const more = useCallback(
    (offset: number) => {
      api.invoke('clusters.members', { id: clusterId, offset, limit: MEMBERS_PAGE }).then(
        (page) => setMembers((list) => (offset === 0 ? page.members : [...list, ...page.members])),
        (e: Error) => setError(e.message),
      );
    },
    [api, clusterId],
  );
  useEffect(() => more(0), [more]);

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
