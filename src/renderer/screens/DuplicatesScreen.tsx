// Duplicates review: the threshold slider first (with the histogram of pair similarities under it
// and the live counts it produces), the groups on the left, the compare view on the right, and
// every action one key away. Removal goes to Shoebox's trash, verified against what the person
// saw, and is followed by an Undo.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import type { RemoveOutcome } from '../../shared/api.ts';
import type { DuplicateGroup, DuplicatesView, Photo } from '../../shared/domain.ts';
import { CompareView } from '../components/CompareView.tsx';
import { Histogram } from '../components/Histogram.tsx';
import { nextToastId, Toast, type ToastMessage } from '../components/Toast.tsx';
import { fileName, formatBytes, formatCount, formatSimilarity } from '../format.ts';
import { useApi, useLibrary } from '../hooks/api.tsx';
import { shortcutAllowed } from '../keys.ts';

/** Slider input is coalesced this long: the engine regroups in well under 100 ms. */
const REGROUP_DEBOUNCE_MS = 40;
const THRESHOLD_STEP = 0.001;

type RemoveItem = {
  path: string;
  expected: { size: number; mtimeMs: number; contentHash: string };
  keeper?: { path: string; expected: { size: number; mtimeMs: number; contentHash: string } };
  group?: string[];
};

/** The file as the person saw it: removal is refused if it changed since. */
function expectationOf(photo: Photo) {
  return { size: photo.size, mtimeMs: photo.mtimeMs, contentHash: photo.contentHash ?? '' };
}

/** Removal requests for one group: every member not kept, each naming the keeper it leaves. */
function removalsFor(group: DuplicateGroup, keep: ReadonlySet<number>): RemoveItem[] {
  const keeper = group.members.find((m) => keep.has(m.photo.id));
  if (!keeper) return [];
  const paths = group.members.map((m) => m.photo.path);
  return group.members
    .filter((m) => !keep.has(m.photo.id) && !m.inReferenceFolder && m.photo.contentHash)
    .map((m) => ({
      path: m.photo.path,
      expected: expectationOf(m.photo),
      keeper: { path: keeper.photo.path, expected: expectationOf(keeper.photo) },
      group: paths,
    }));
}

function suggestedKeep(group: DuplicateGroup): Set<number> {
  return new Set(group.members.filter((m) => m.keep).map((m) => m.photo.id));
}

function sizeOf(group: DuplicateGroup, paths: ReadonlySet<string>): number {
  return group.members.reduce((sum, m) => (paths.has(m.photo.path) ? sum + m.photo.size : sum), 0);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

export function DuplicatesScreen() {
  const api = useApi();
  const { photosVersion } = useLibrary();
  const [params, setParams] = useSearchParams();
  const [view, setView] = useState<DuplicatesView | null>(null);
  const [threshold, setThreshold] = useState<number | null>(() => {
    const t = Number(params.get('t'));
    return params.has('t') && t > 0 && t <= 1 ? t : null;
  });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [toast, setToast] = useState<ToastMessage | null>(null);
  const [confirmAll, setConfirmAll] = useState(false);
  const [keep, setKeep] = useState<Set<number>>(new Set());
  const [focus, setFocus] = useState(0);
  const [flicker, setFlicker] = useState(false);
  const position = useRef(0);
  const sequence = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const lastUndo = useRef<(() => Promise<void>) | null>(null);

  const load = useCallback(
    (at: number | null) => {
      const mine = ++sequence.current;
      api.invoke('duplicates.list', at === null ? {} : { threshold: at }).then(
        (next) => {
          // Slider moves fire requests in a row; only the latest answer counts.
          if (mine !== sequence.current) return;
          setView(next);
          setError(null);
          if (at === null) setThreshold(next.threshold);
        },
        (e: Error) => mine === sequence.current && setError(e.message),
      );
    },
    [api],
  );

  // The first load, and a reload whenever photos came, went or changed (including a removal
  // or its undo, once the engine has seen the files move).
  const thresholdRef = useRef(threshold);
  thresholdRef.current = threshold;
  useEffect(() => load(thresholdRef.current), [load, photosVersion]);
  useEffect(() => () => clearTimeout(timer.current ?? undefined), []);

  const setParam = useCallback(
    (changes: Record<string, string | null>) => {
      setParams(
        (current) => {
          const next = new URLSearchParams(current);
          for (const [key, value] of Object.entries(changes)) {
            if (value === null) next.delete(key);
            else next.set(key, value);
          }
          return next;
        },
        { replace: true },
      );
    },
    [setParams],
  );

  const moveThreshold = useCallback(
    (value: number) => {
      const clamped = Math.min(1, Math.max(0, Math.round(value / THRESHOLD_STEP) * THRESHOLD_STEP));
      setThreshold(clamped);
      if (timer.current) clearTimeout(timer.current);
      timer.current = setTimeout(() => {
        load(clamped);
        setParam({ t: clamped.toFixed(3) });
      }, REGROUP_DEBOUNCE_MS);
    },
    [load, setParam],
  );

  const groups = useMemo(() => view?.groups ?? [], [view]);
  // The group in the URL if it still exists; else the one now at the same place in the list,
  // so after a group is resolved the next one comes up.
  const wanted = params.get('group');
  const foundAt = wanted ? groups.findIndex((g) => g.id === wanted) : -1;
  const index =
    groups.length === 0
      ? -1
      : foundAt >= 0
        ? foundAt
        : Math.min(position.current, groups.length - 1);
  position.current = Math.max(0, index);
  const group = index >= 0 ? groups[index] : undefined;

  useEffect(() => {
    if (group && group.id !== wanted) setParam({ group: group.id });
  }, [group, wanted, setParam]);

  // A new group starts from the suggestion.
  const groupId = group?.id;
  useEffect(() => {
    setKeep(group ? suggestedKeep(group) : new Set());
    setFocus(0);
    // Only a different group resets the choice, not a refetch of the same one.
  }, [groupId]);

  const select = useCallback(
    (next: number) => {
      const target = groups[Math.max(0, Math.min(groups.length - 1, next))];
      if (!target) return;
      setParam({ group: target.id });
      document
        .querySelector(`[data-group-id="${CSS.escape(target.id)}"]`)
        ?.scrollIntoView({ block: 'nearest' });
    },
    [groups, setParam],
  );

  const undoFor = useCallback(
    (ids: number[]) => async () => {
      const outcomes = await api.invoke('trash.restore', { ids, onConflict: 'suffix' });
      const skipped = outcomes.filter((o) => o.outcome === 'skipped');
      lastUndo.current = null;
      setToast({
        id: nextToastId(),
        text: `Restored ${plural(outcomes.length - skipped.length, 'photo')}.`,
        details: skipped.map((o) => `${fileName(o.path)}: ${o.reason ?? 'not restored'}`),
      });
      load(thresholdRef.current);
    },
    [api, load],
  );

  const remove = useCallback(
    async (items: RemoveItem[], what: string) => {
      if (items.length === 0) return;
      setBusy(true);
      setError(null);
      try {
        const outcomes: RemoveOutcome[] = await api.invoke('trash.remove', { items });
        const trashed = outcomes.filter((o) => o.outcome === 'trashed');
        const ids = trashed.flatMap((o) => (o.trashId === undefined ? [] : [o.trashId]));
        const bytes = items
          .filter((item) => trashed.some((o) => o.path === item.path))
          .reduce((sum, item) => sum + item.expected.size, 0);
        const undo = ids.length > 0 ? undoFor(ids) : undefined;
        lastUndo.current = undo ?? null;
        setToast({
          id: nextToastId(),
          text:
            trashed.length > 0
              ? `Moved ${plural(trashed.length, 'photo')} (${formatBytes(bytes)}) ${what} to Shoebox’s trash.`
              : 'Nothing was removed.',
          details: outcomes
            .filter((o) => o.outcome === 'skipped')
            .map((o) => `${fileName(o.path)} was kept: ${o.reason ?? 'skipped'}`),
          undo,
        });
        load(thresholdRef.current);
      } catch (e) {
        setError((e as Error).message);
      } finally {
        setBusy(false);
      }
    },
    [api, load, undoFor],
  );

  const decide = useCallback(
    async (kind: 'keep-all' | 'not-duplicates') => {
      if (!group) return;
      setBusy(true);
      try {
        await api.invoke('duplicates.decide', {
          photoIds: group.members.map((m) => m.photo.id),
          kind,
        });
        setToast({
          id: nextToastId(),
          text:
            kind === 'keep-all'
              ? `Keeping all ${group.members.length} photos; this group will not be shown again.`
              : `Marked as not duplicates; Shoebox will not group these ${group.members.length} photos again.`,
        });
        load(thresholdRef.current);
      } catch (e) {
        setError((e as Error).message);
      } finally {
        setBusy(false);
      }
    },
    [api, group, load],
  );

  const groupRemovals = useMemo(() => (group ? removalsFor(group, keep) : []), [group, keep]);
  const removeOthers = useCallback(() => {
    if (group && groupRemovals.length > 0) void remove(groupRemovals, 'from this group');
  }, [group, groupRemovals, remove]);

  const allSuggested = useMemo(() => {
    const items = groups.flatMap((g) => removalsFor(g, suggestedKeep(g)));
    const bytes = items.reduce((sum, item) => sum + item.expected.size, 0);
    return { items, bytes };
  }, [groups]);

  const toggleKeep = useCallback((photoId: number) => {
    setKeep((current) => {
      const next = new Set(current);
      if (next.has(photoId)) next.delete(photoId);
      else next.add(photoId);
      return next;
    });
  }, []);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!shortcutAllowed(event) || event.ctrlKey || event.metaKey || event.altKey) return;
      const members = group?.members ?? [];
      const actions: Record<string, () => void> = {
        ArrowDown: () => select(index + 1),
        ArrowUp: () => select(index - 1),
        ArrowRight: () => setFocus((f) => Math.min(members.length - 1, f + 1)),
        ArrowLeft: () => setFocus((f) => Math.max(0, f - 1)),
        ' ': () => {
          const member = members[focus];
          if (member) toggleKeep(member.photo.id);
        },
        k: () => void decide('keep-all'),
        n: () => void decide('not-duplicates'),
        Delete: removeOthers,
        r: removeOthers,
        f: () => setFlicker((on) => !on),
        a: () => allSuggested.items.length > 0 && setConfirmAll(true),
        u: () => void lastUndo.current?.(),
        '[': () => threshold !== null && moveThreshold(threshold - 0.005),
        ']': () => threshold !== null && moveThreshold(threshold + 0.005),
      };
      const action = actions[event.key.length === 1 ? event.key.toLowerCase() : event.key];
      if (!action || busy) return;
      // The slider keeps its own arrow keys while it has the focus.
      if (event.key.startsWith('Arrow') && (event.target as HTMLElement).tagName === 'INPUT')
        return;
      event.preventDefault();
      action();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [
    group,
    index,
    focus,
    busy,
    threshold,
    select,
    decide,
    removeOthers,
    toggleKeep,
    allSuggested,
    moveThreshold,
  ]);

  const closeToast = useCallback(
    (id: number) => setToast((current) => (current?.id === id ? null : current)),
    [],
  );
  const shown = threshold ?? view?.threshold ?? 0.9;
  const histogram = view?.histogram;
  const min = histogram?.from ?? 0.5;
  const max = histogram?.to ?? 1;

  return (
    <div className="screen duplicates" data-testid="duplicates">
      <section className="dup-threshold" aria-label="Similarity threshold">
        <div className="dup-threshold-row">
          <label htmlFor="dup-slider" className="dup-threshold-label">
            Similarity threshold
            <output data-testid="threshold-value">{shown.toFixed(3)}</output>
          </label>
          <div className="dup-counts" data-testid="dup-counts" aria-live="polite">
            {view ? (
              <>
                <strong data-testid="group-count">{plural(view.totals.groups, 'group')}</strong>
                <span data-testid="grouped-photos">{plural(view.totals.photos, 'photo')}</span>
                <span>{formatBytes(view.totals.bytesFreed)} can be freed</span>
              </>
            ) : (
              <span className="muted">Finding duplicates…</span>
            )}
          </div>
          <span className="spacer" />
          {view && view.threshold !== view.defaultThreshold && (
            <button
              type="button"
              className="link-button"
              onClick={() => moveThreshold(view.defaultThreshold)}
            >
              Reset to {view.defaultThreshold.toFixed(3)}
            </button>
          )}
          <button
            type="button"
            className="primary"
            disabled={busy || allSuggested.items.length === 0}
            onClick={() => setConfirmAll(true)}
            title="Apply every suggestion (A)"
          >
            Apply suggestions…
          </button>
        </div>
        <div className="dup-slider">
          <input
            id="dup-slider"
            type="range"
            min={min}
            max={max}
            step={THRESHOLD_STEP}
            value={Math.min(max, Math.max(min, shown))}
            aria-valuetext={`${shown.toFixed(3)} cosine similarity`}
            onChange={(e) => moveThreshold(Number(e.target.value))}
            data-testid="threshold-slider"
          />
          {histogram && <Histogram histogram={histogram} threshold={shown} />}
          <div className="dup-scale muted" aria-hidden="true">
            <span>{min.toFixed(2)} looser</span>
            <span>
              pairs by cosine similarity (
              {view?.model === 'fingerprint' ? 'built-in fingerprint' : view?.model}), log scale
            </span>
            <span>identical {max.toFixed(2)}</span>
          </div>
        </div>
      </section>
      {error && (
        <p className="error-text dup-error" role="alert">
          {error}
        </p>
      )}
      {view && groups.length === 0 ? (
        <div className="dup-empty">
          <p>
            No duplicates at {shown.toFixed(3)}.
            {shown > min + 0.01 ? ' Move the slider left to find looser matches.' : ''}
          </p>
        </div>
      ) : (
        <div className="dup-body">
          <nav className="dup-groups" aria-label="Duplicate groups">
            <ol>
              {groups.map((g, i) => (
                <li key={g.id}>
                  <button
                    type="button"
                    className={`dup-group${i === index ? ' active' : ''}`}
                    aria-current={i === index ? 'true' : undefined}
                    data-group-id={g.id}
                    onClick={() => select(i)}
                  >
                    <span className="dup-group-thumbs" aria-hidden="true">
                      {g.members.slice(0, 3).map((m) => (
                        <img key={m.photo.id} src={api.thumbUrl(m.photo)} alt="" loading="lazy" />
                      ))}
                    </span>
                    <span className="dup-group-text">
                      <span>
                        {plural(g.members.length, 'photo')}
                        <span className={`tag tier-${g.tier}`}>{g.tier}</span>
                      </span>
                      <span className="muted">
                        {formatSimilarity(g.minSimilarity).startsWith('>') ? '' : '≥ '}
                        {formatSimilarity(g.minSimilarity)} · frees {formatBytes(g.bytesFreed)}
                      </span>
                    </span>
                  </button>
                </li>
              ))}
            </ol>
          </nav>
          <section className="dup-compare" aria-label="Compare">
            {group ? (
              <>
                <header className="dup-compare-head">
                  <h1>
                    Group {index + 1} of {groups.length}
                    <span className="count">
                      {group.tier === 'identical'
                        ? 'identical files'
                        : `near-identical, ${formatSimilarity(group.minSimilarity).startsWith('>') ? '' : '≥ '}${formatSimilarity(group.minSimilarity)}`}
                    </span>
                  </h1>
                  <span className="spacer" />
                  <button
                    type="button"
                    disabled={busy}
                    onClick={() => void decide('keep-all')}
                    title="K"
                  >
                    Keep all <kbd>K</kbd>
                  </button>
                  <button
                    type="button"
                    disabled={busy}
                    onClick={() => void decide('not-duplicates')}
                    title="N"
                  >
                    Not duplicates <kbd>N</kbd>
                  </button>
                  <button
                    type="button"
                    className="danger"
                    disabled={busy || groupRemovals.length === 0}
                    onClick={removeOthers}
                    title="Delete or R"
                  >
                    {groupRemovals.length > 0
                      ? `Remove ${plural(groupRemovals.length, 'other')} (${formatBytes(sizeOf(group, new Set(groupRemovals.map((r) => r.path))))})`
                      : 'Remove the others'}{' '}
                    <kbd>Del</kbd>
                  </button>
                </header>
                <CompareView
                  group={group}
                  keep={keep}
                  focus={focus}
                  flicker={flicker}
                  onFocus={setFocus}
                  onToggleKeep={toggleKeep}
                  onFlicker={setFlicker}
                />
              </>
            ) : (
              <p className="muted dup-loading">{view ? '' : 'Loading…'}</p>
            )}
          </section>
        </div>
      )}
      {confirmAll && (
        <ConfirmApply
          files={allSuggested.items.length}
          bytes={allSuggested.bytes}
          groups={groups.length}
          onCancel={() => setConfirmAll(false)}
          onConfirm={() => {
            setConfirmAll(false);
            void remove(allSuggested.items, `from ${plural(groups.length, 'group')}`);
          }}
        />
      )}
      <Toast toast={toast} onDone={closeToast} />
    </div>
  );
}

function ConfirmApply({
  files,
  bytes,
  groups,
  onCancel,
  onConfirm,
}: {
  files: number;
  bytes: number;
  groups: number;
  onCancel(): void;
  onConfirm(): void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const confirm = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    confirm.current?.focus();
    return () => element?.close();
  }, []);
  return (
    <dialog
      ref={dialog}
      className="confirm-dialog"
      aria-label="Apply suggestions"
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
    >
      <h2>Apply every suggestion?</h2>
      <p>
        Move <strong>{plural(files, 'file')}</strong> ({formatBytes(bytes)}) from{' '}
        {plural(groups, 'group')} to Shoebox’s trash. Each group keeps its suggested photo, and
        nothing in a reference folder is touched.
      </p>
      <p className="muted">
        Every file is checked again before it moves; you can undo right after, or restore from the
        trash in Settings.
      </p>
      <div className="confirm-buttons">
        <button ref={confirm} type="button" className="danger" onClick={onConfirm}>
          Move {plural(files, 'file')} to the trash
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}
