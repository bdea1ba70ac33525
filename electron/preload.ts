import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_CALL, IPC_EVENT, type PreloadBridge } from '../engine/contract/ipc.ts';

/**
 * The renderer's one door to the main process. It forwards calls and events and nothing
 * else; the main process validates every payload and checks which frame sent it.
 */
const bridge: PreloadBridge = {
  call: (method, params) => ipcRenderer.invoke(IPC_CALL, { id: 0, method, params }),
  onEvent(listener) {
    const forward = (_: IpcRendererEvent, event: unknown) => listener(event);
    ipcRenderer.on(IPC_EVENT, forward);
    return () => void ipcRenderer.removeListener(IPC_EVENT, forward);
  },
};

contextBridge.exposeInMainWorld('trm', bridge);
