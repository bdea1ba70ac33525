import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { createContext, memo, useContext } from 'react';
import type { Diagnostic, PortInfo } from '../../../engine/contract/api.ts';
import { formatCount } from '../format.ts';
import './trm-node.css';

export interface TrmNodeData extends Record<string, unknown> {
  kind: string;
  title: string;
  category: string;
  inputs: PortInfo[];
  outputs: PortInfo[];
  shapes: Record<string, string>;
  params: number;
  /** Short parameter summary, e.g. `width D · heads H · rope`. */
  detail: string;
  diagnostics: Diagnostic[];
  /** Component instances and recursions: the component, coloured so instances look linked. */
  link?: { component: string; color: string; note: string };
  /** Another instance of the selected node's component (same weights). */
  linked?: boolean;
}

export type TrmFlowNode = Node<TrmNodeData, 'trm'>;

/** What a node's own controls can do; the canvas provides it (nodes are memoised by data). */
export const NodeActions = createContext<{ toggleShared: (id: string) => void }>({
  toggleShared: () => undefined,
});

function spread(i: number, n: number): string {
  return `${((i + 1) / (n + 1)) * 100}%`;
}

function PortHandles({ ports, side }: { ports: PortInfo[]; side: 'in' | 'out' }) {
  return (
    <>
      {ports.map((p, i) => (
        <Handle
          key={p.name}
          id={p.name}
          type={side === 'in' ? 'target' : 'source'}
          position={side === 'in' ? Position.Top : Position.Bottom}
          className={`port port-${p.type}${p.optional ? ' port-optional' : ''}`}
          style={{ left: spread(i, ports.length) }}
          title={`${p.name} (${{ tokens: 'token ids', float: 'activations', any: 'any tensor' }[p.type]}${p.optional ? ', optional' : ''}): ${p.doc}`}
          data-port={p.name}
        >
          {ports.length > 1 || p.name !== 'out' ? (
            <span className={`port-label port-label-${side}`}>{p.name}</span>
          ) : null}
        </Handle>
      ))}
    </>
  );
}

function LinkIcon() {
  return (
    <svg
      width="10"
      height="10"
      viewBox="0 0 16 16"
      aria-hidden="true"
      style={{ verticalAlign: '-1px' }}
    >
      <path
        d="M6.5 9.5l3-3M7 4.5l1.2-1.2a3 3 0 014.3 4.3L11.3 8.8M9 11.5l-1.2 1.2a3 3 0 01-4.3-4.3L4.7 7.2"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.8"
        strokeLinecap="round"
      />
    </svg>
  );
}

function TrmNodeView({ id, data, selected }: NodeProps<TrmFlowNode>) {
  const { toggleShared } = useContext(NodeActions);
  const errors = data.diagnostics.filter((d) => d.severity === 'error');
  const warnings = data.diagnostics.filter((d) => d.severity === 'warning');
  const state = errors.length ? ' has-error' : warnings.length ? ' has-warning' : '';
  const shown = errors[0] ?? warnings[0];
  return (
    <div
      className={`trm-node cat-${data.category}${state}${selected ? ' selected' : ''}`}
      data-node-id={id}
      style={
        data.link
          ? {
              boxShadow: `inset 3px 0 0 ${data.link.color}${data.linked ? `, 0 0 0 2px ${data.link.color}` : ''}`,
            }
          : undefined
      }
    >
      <PortHandles ports={data.inputs} side="in" />
      <div className="trm-node-head">
        <span className="trm-node-dot" />
        <span className="trm-node-title">{data.title}</span>
        <span className="trm-node-id">{id}</span>
      </div>
      {data.link ? (
        <div className="trm-node-link" style={{ color: data.link.color }}>
          <span className="link-chip" style={{ borderColor: data.link.color }}>
            <LinkIcon /> {data.link.component}
          </span>
          {/* A switch only once selected: a click that selects the node never flips its weights. */}
          {data.kind === 'component' && selected ? (
            <button
              className="link-note link-toggle nodrag"
              data-testid="shared-toggle"
              aria-pressed={data.link.note === 'shared weights'}
              title="Click to switch between weights shared with the component's other instances and weights of its own"
              onClick={(e) => {
                e.stopPropagation();
                toggleShared(id);
              }}
            >
              {data.link.note} ⇄
            </button>
          ) : (
            <span className="link-note">{data.link.note}</span>
          )}
        </div>
      ) : null}
      {data.detail ? <div className="trm-node-detail">{data.detail}</div> : null}
      <div className="trm-node-foot">
        <span className="trm-node-params" data-testid="param-count">
          {data.params > 0 ? `${formatCount(data.params)} params` : 'no weights'}
        </span>
        {Object.keys(data.shapes).length === 1 && !data.outputs.length ? (
          <span className="trm-node-shape">{Object.values(data.shapes)[0]}</span>
        ) : null}
      </div>
      {shown ? (
        <div
          className={`trm-node-diag ${shown.severity}`}
          data-testid="node-diagnostic"
          title={data.diagnostics.map((d) => d.message).join('\n')}
        >
          {shown.message}
          {errors.length + warnings.length > 1
            ? ` (+${errors.length + warnings.length - 1} more)`
            : ''}
        </div>
      ) : null}
      <PortHandles ports={data.outputs} side="out" />
    </div>
  );
}

export const TrmNode = memo(TrmNodeView);
