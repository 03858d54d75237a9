// One node's move between the proxies as a pure function of what the cluster shows of it: its
// migration label and the two DaemonSets' pods on it. The label goes through "moving" both ways,
// and the next proxy is let in only once the last one's pod is gone, so no two proxies ever
// program a node at once; the kernel's state stays in place and keeps serving meanwhile. Taking
// the next step from what is seen, never from a record of what was done, makes every step
// resumable after an interruption, and a rollback the same walk the other way.
import { MIGRATION_LABEL, MOVING } from './facts.js';

export type ProxySide = 'ipvs-proxy' | 'kube-proxy';

/** A DaemonSet's pod on the node, as the API shows it. */
export type PodPhase = 'none' | 'starting' | 'ready' | 'terminating';

export interface NodeView {
  readonly name: string;
  /** the migration label's value, if any */
  readonly label?: string;
  readonly kubeProxy: { readonly phase: PodPhase; readonly pod?: string };
  readonly ipvsProxy: { readonly phase: PodPhase; readonly pod?: string };
}

export type NodeAction =
  | { readonly kind: 'label'; readonly value: string | undefined; readonly says: string }
  | { readonly kind: 'wait'; readonly for: string }
  | { readonly kind: 'gate'; readonly pod: string };

export const other = (side: ProxySide): ProxySide => (side === 'ipvs-proxy' ? 'kube-proxy' : 'ipvs-proxy');

/** The label a node carries once it is fully on a side. */
const finalLabel = (side: ProxySide) => (side === 'ipvs-proxy' ? 'true' : undefined);

/** What to do next to bring the node fully onto `to`; 'gate' once it is there. */
export function nextAction(to: ProxySide, v: NodeView): NodeAction {
  const [leaving, coming] = to === 'ipvs-proxy' ? [v.kubeProxy, v.ipvsProxy] : [v.ipvsProxy, v.kubeProxy];
  const from = other(to);
  if (v.label === finalLabel(to)) {
    if (leaving.phase !== 'none') return { kind: 'wait', for: `${from}'s pod to go` };
    if (coming.phase === 'ready' && coming.pod) return { kind: 'gate', pod: coming.pod };
    return { kind: 'wait', for: `${to}'s pod to be ready` };
  }
  if (v.label !== MOVING) {
    return { kind: 'label', value: MOVING, says: `${MIGRATION_LABEL}=${MOVING}: ${from} leaves, ${to} is not let in yet` };
  }
  // between the two: the next proxy only once neither pod is left
  if (leaving.phase !== 'none') return { kind: 'wait', for: `${from}'s pod to go` };
  if (coming.phase !== 'none') return { kind: 'wait', for: `${to}'s pod of an earlier step to go` };
  const value = finalLabel(to);
  return { kind: 'label', value, says: value === undefined ? `${MIGRATION_LABEL} removed: ${to} is let in` : `${MIGRATION_LABEL}=${value}: ${to} is let in` };
}

/** Where the node stands: fully on a side, or between them. */
export function standing(v: NodeView): ProxySide | 'between' {
  if (v.label === 'true' && v.ipvsProxy.phase === 'ready' && v.kubeProxy.phase === 'none') return 'ipvs-proxy';
  if (v.label === undefined && v.kubeProxy.phase === 'ready' && v.ipvsProxy.phase === 'none') return 'kube-proxy';
  return 'between';
}
