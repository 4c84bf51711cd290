import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { createApiClient } from './api/client.ts';
import { App } from './App.tsx';
import { LibraryProvider } from './hooks/api.tsx';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element.');

createRoot(root).render(
  <StrictMode>
    <LibraryProvider api={createApiClient()}>
      <BrowserRouter>
        <App />
      </BrowserRouter>
    </LibraryProvider>
  </StrictMode>,
);
