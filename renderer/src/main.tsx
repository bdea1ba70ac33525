// The base stylesheet comes before every component's (the app's imports bring those), so theirs
// refine it; React Flow's own comes first of all, for ours to refine.
import '@xyflow/react/dist/style.css';
import './base.css';
import { ReactFlowProvider } from '@xyflow/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createClient } from './api-client.ts';
import { App } from './app.tsx';

const client = createClient();

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <ReactFlowProvider>
      <App client={client} />
    </ReactFlowProvider>
  </StrictMode>,
);
