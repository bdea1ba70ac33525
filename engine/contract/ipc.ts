import type { Reply } from './api.ts';

/** IPC channels between Electron's main process and its preload (kept free of zod, so tiny). */
export const IPC_CALL = 'trm:call';
export const IPC_EVENT = 'trm:event';

/** What the Electron preload exposes on `window.trm` (the one bridge, no raw ipcRenderer). */
export interface PreloadBridge {
  call(method: string, params: unknown): Promise<Reply>;
  onEvent(listener: (event: unknown) => void): () => void;
}
