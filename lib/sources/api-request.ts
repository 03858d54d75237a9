// One request to the API server as plain JSON, authenticated and sent as client-node's own Watch
// sends (its RequestContext and undici): for pages of lists, for Events and for a migration's
// applies, where client-node's typed API classes would build typed copies of every object.
import { HttpMethod, type KubeConfig, RequestContext, fetch } from './kube-client.js';

export interface ApiAnswer {
  readonly status: number;
  readonly text: string;
}

export async function apiRequest(
  kc: KubeConfig, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string,
  o: {
    readonly params?: Readonly<Record<string, string | number | undefined>>; readonly body?: unknown; readonly timeoutMs: number;
    /** of the body; PATCH needs the kind of patch, e.g. application/apply-patch+yaml */
    readonly contentType?: string;
  },
): Promise<ApiAnswer> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(cluster.server + path);
  for (const [k, v] of Object.entries(o.params ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
  const ctx = new RequestContext(url.toString(), HttpMethod[method]);
  await kc.applySecurityAuthentication(ctx);
  const headers = { ...ctx.getHeaders(), ...(o.body === undefined ? {} : { 'content-type': o.contentType ?? 'application/json' }) };
  const res = await fetch(url, {
    method, headers, dispatcher: ctx.getDispatcher(), signal: AbortSignal.timeout(o.timeoutMs),
    ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }),
  });
  return { status: res.status, text: await res.text() };
}

/** A GET of one object or list as parsed JSON; undefined when it does not exist (404). */
export async function apiGet(kc: KubeConfig, path: string, o: { readonly params?: Readonly<Record<string, string>>; readonly timeoutMs: number }): Promise<unknown> {
  const r = await apiRequest(kc, 'GET', path, o);
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
  return JSON.parse(r.text) as unknown;
}
