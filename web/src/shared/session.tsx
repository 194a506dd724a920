import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { $api, useTokenForRequests, type Schemas } from './api';

/**
 * Who is signed in. The token lives in sessionStorage only — closing the tab at a shared service window signs
 * the user out — and is sent as a bearer token on every API call (shared/api.ts). The role and scope shown and
 * routed by come from `GET /api/me`, i.e. from the server's reading of the token, never from the client.
 */

const storageKey = 'stationflow.token';

export type Me = Schemas['Me'];
export type Role = Me['role'];

interface Session {
  token?: string;
  me?: Me;
  loading: boolean;
  signIn(token: string): void;
  signOut(): void;
}

const SessionContext = createContext<Session | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [token, setToken] = useState<string | undefined>(() => sessionStorage.getItem(storageKey) ?? undefined);
  const queryClient = useQueryClient();
  const signOut = useCallback(() => {
    sessionStorage.removeItem(storageKey);
    setToken(undefined);
    queryClient.clear();
  }, [queryClient]);
  const signIn = useCallback(
    (t: string) => {
      queryClient.clear();
      sessionStorage.setItem(storageKey, t);
      setToken(t);
    },
    [queryClient],
  );
  useTokenForRequests(token, signOut);
  useEffect(() => useTokenForRequests(token, signOut), [token, signOut]);
  const me = $api.useQuery('get', '/api/me', {}, { enabled: token !== undefined, staleTime: 60_000, retry: false });
  const value = useMemo<Session>(
    () => ({ token, me: token ? me.data : undefined, loading: token !== undefined && me.isPending, signIn, signOut }),
    [token, me.data, me.isPending, signIn, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

/** The signed-in caller (pages render only when signed in). */
export function useMe(): Me {
  const { me } = useSession();
  if (!me) throw new Error('useMe before sign-in');
  return me;
}
