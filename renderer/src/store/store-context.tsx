import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { WorkbenchStore } from './create-workbench-store';
import type { WorkbenchState } from './types';

const StoreContext = createContext<WorkbenchStore | null>(null);

/** Makes the store available to the views below. */
export function StoreProvider({ store, children }: { store: WorkbenchStore; children: ReactNode }) {
  return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>;
}

/** Reads a narrow part of the store; re-renders only when that part changes. */
export function useWorkbench<T>(selector: (state: WorkbenchState) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useWorkbench needs a StoreProvider above it.');
  return useStore(store, selector);
}
