// The app shell: one top bar of screens, each a route so it can be linked and reloaded, and
// the notices (engine restarts, watcher warnings) floating above whichever screen is showing.
import { useState } from 'react';
import { Navigate, NavLink, Outlet, Route, Routes } from 'react-router';
import { useLibrary } from './hooks/api.tsx';
import { Shortcuts } from './components/Shortcuts.tsx';
import { ClustersScreen } from './screens/ClustersScreen.tsx';
import { ColoursScreen } from './screens/ColoursScreen.tsx';
import { DuplicatesScreen } from './screens/DuplicatesScreen.tsx';
import { LibraryScreen } from './screens/LibraryScreen.tsx';
import { MapScreen } from './screens/MapScreen.tsx';
import { PeopleScreen } from './screens/PeopleScreen.tsx';
import { SimilarScreen } from './screens/SimilarScreen.tsx';
import { SettingsScreen } from './screens/SettingsScreen.tsx';

const screens = [
  { to: '/library', label: 'Library' },
  { to: '/map', label: 'Map' },
  { to: '/people', label: 'People' },
  { to: '/clusters', label: 'Clusters' },
  { to: '/duplicates', label: 'Duplicates' },
  { to: '/similar', label: 'Similar' },
  { to: '/colours', label: 'Colours' },
] as const;

function Shell() {
  const { notices, dismissNotice } = useLibrary();
  const [shortcutsOpen, setShortcutsOpen] = useState(false);
  return (
    <div className="app">
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand" aria-hidden="true">
          <img src="/icon.svg" alt="" width={20} height={20} />
          Shoebox
        </span>
        <nav aria-label="Screens" className="tabs">
          {screens.map((s) => (
            <NavLink key={s.to} to={s.to} className="tab">
              {s.label}
            </NavLink>
          ))}
        </nav>
        <span className="spacer" />
        <button
          type="button"
          className="icon-button help-button"
          aria-label="Keyboard shortcuts"
          title="Keyboard shortcuts (?)"
          onClick={() => setShortcutsOpen(true)}
        >
          ?
        </button>
        <NavLink to="/settings" className="tab">
          Settings
        </NavLink>
      </header>
      <main id="content" className="content">
        <Outlet />
      </main>
      <Shortcuts open={shortcutsOpen} setOpen={setShortcutsOpen} />
      <div className="notices" aria-live="polite">
        {notices.map((n) => (
          <div
            key={n.id}
            className={`notice ${n.level}`}
            role={n.level === 'error' ? 'alert' : 'status'}
          >
            <span>{n.message}</span>
            <button
              type="button"
              className="icon-button"
              aria-label="Dismiss"
              onClick={() => dismissNotice(n.id)}
            >
              ✕
            </button>
          </div>
        ))}
      </div>
    </div>
  );
}

export function App() {
  return (
    <Routes>
      <Route element={<Shell />}>
        <Route index element={<Navigate to="/library" replace />} />
        <Route path="library" element={<LibraryScreen />} />
        <Route path="map" element={<MapScreen />} />
        <Route path="people" element={<PeopleScreen />} />
        <Route path="clusters" element={<ClustersScreen />} />
        <Route path="duplicates" element={<DuplicatesScreen />} />
        <Route path="similar" element={<SimilarScreen />} />
        <Route path="colours" element={<ColoursScreen />} />
        <Route path="settings" element={<SettingsScreen />} />
        <Route path="*" element={<Navigate to="/library" replace />} />
      </Route>
    </Routes>
  );
}
