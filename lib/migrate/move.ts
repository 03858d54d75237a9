// Moves nodes between the proxies, a batch at a time: each node walks nextAction's steps to the
// other side and passes its gates there; a node whose step or gate fails in time walks back, is
// gated on its old proxy, and stops the run with the reason. An interruption (the signal) sends a
// node not yet through its gates back the same way, so every node ends fully on one proxy.
import { setTimeout as sleep } from 'node:timers/promises';
import { passGates, type GateApi, type GateOptions } from './gates.js';
import { nextAction, other, type NodeView, type ProxySide } from './node-steps.js';

export interface MoveApi extends GateApi {
  view(node: string): Promise<NodeView>;
  setLabel(node: string, value: string | undefined): Promise<void>;
}

export interface MoveOptions {
  readonly to: ProxySide;
  /** how many nodes move at once */
  readonly batch: number;
  /** how long a step (a pod to go or to be ready) may take */
  readonly stepTimeoutMs: number;
  /** the gates; probe per node, by its name */
  readonly gates: (node: string, side: ProxySide) => GateOptions;
  readonly pollMs?: number;
  /** Ctrl-C: nodes not yet through their gates go back */
  readonly signal?: AbortSignal;
  readonly say: (node: string, line: string) => void;
}

export interface NodeOutcome {
  readonly node: string;
  /** where it ended */
  readonly on: ProxySide;
  readonly moved: boolean;
  readonly seconds: number;
  /** why it went back */
  readonly reason?: string;
}

/** Moves the nodes in batches; stops after the first batch in which a node went back. */
export async function moveNodes(api: MoveApi, nodes: readonly string[], o: MoveOptions): Promise<NodeOutcome[]> {
  const out: NodeOutcome[] = [];
  for (let i = 0; i < nodes.length; i += o.batch) {
    if (o.signal?.aborted) break;
    const batch = await Promise.all(nodes.slice(i, i + o.batch).map((n) => moveNode(api, n, o)));
    out.push(...batch);
    if (batch.some((b) => !b.moved)) break;
  }
  return out;
}

/** One node to o.to and through its gates, or back to where it was. Throws only when it cannot get back. */
export async function moveNode(api: MoveApi, node: string, o: MoveOptions): Promise<NodeOutcome> {
  const t0 = Date.now();
  let target = o.to;
  let reason: string | undefined;
  let waiting: { for: string; since: number } | undefined;
  const back = (why: string) => {
    reason = why;
    target = other(o.to);
    waiting = undefined;
    o.say(node, `${why}: back to ${target}`);
  };
  for (;;) {
    if (o.signal?.aborted && target === o.to) back('interrupted');
    const v = await api.view(node);
    const a = nextAction(target, v);
    if (a.kind === 'label') {
      o.say(node, a.says);
      await api.setLabel(node, a.value);
      waiting = undefined;
      continue;
    }
    if (a.kind === 'wait') {
      if (waiting?.for !== a.for) {
        waiting = { for: a.for, since: Date.now() };
        o.say(node, `waiting for ${a.for}`);
      } else if (Date.now() - waiting.since > o.stepTimeoutMs) {
        const why = `waited ${Math.round(o.stepTimeoutMs / 1000)} s for ${a.for}`;
        if (target !== o.to) throw new Error(`${node} is between the proxies: ${why} on the way back (${reason}); run the command again once the pods settle`);
        back(why);
        continue;
      }
      await sleep(o.pollMs ?? 1000);
      continue;
    }
    // on the target side: its gates
    try {
      await passGates(api, target, a.pod, { ...o.gates(node, target), ...(target === o.to && o.signal ? { signal: o.signal } : {}) }, (line) => o.say(node, `${target} ${line}`));
    } catch (e) {
      const why = o.signal?.aborted && target === o.to ? 'interrupted' : `gate ${(e as Error).message}`;
      if (target !== o.to) throw new Error(`${node} is back on ${target} after "${reason}", but fails its gate there: ${(e as Error).message}`);
      back(why);
      continue;
    }
    const seconds = (Date.now() - t0) / 1000;
    o.say(node, target === o.to ? `on ${target} (${seconds.toFixed(0)} s)` : `back on ${target} (${seconds.toFixed(0)} s)`);
    return { node, on: target, moved: target === o.to, seconds, ...(reason ? { reason } : {}) };
  }
}
