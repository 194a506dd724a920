import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import './shared/i18n';
import { SessionProvider } from './shared/session';
import { App } from './shell/App';

/**
 * The console keeps no data of its own: every view is a query of the public API, re-fetched when the window
 * regains focus and, for inboxes and lists, polled every few seconds (new work appears without a reload).
 */
const queryClient = new QueryClient({
  defaultOptions: { queries: { retry: 1, staleTime: 5_000, refetchOnWindowFocus: true } },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <SessionProvider>
        <App />
      </SessionProvider>
    </QueryClientProvider>
  </StrictMode>,
);
