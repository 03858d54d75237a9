// Events the proxy records about objects: kube-proxy's start Event on the Node, and the problems
// of single Services, so that `kubectl describe service` shows why one does not work. The
// recorder that sends them is lib/sources/api-events.ts (loaded only with the API source).

export interface ObjectRef {
  readonly kind: 'Node' | 'Service';
  readonly apiVersion: 'v1';
  readonly name: string;
  /** absent for a Node */
  readonly namespace?: string;
  readonly uid?: string;
}

export interface ProxyEvent {
  readonly regarding: ObjectRef;
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly action: string;
  readonly note: string;
}

export interface EventRecorder {
  record(e: ProxyEvent): void;
  /** The object's cause is gone: the same Event may be sent again if it comes back. */
  forget(regarding: ObjectRef, reason: string): void;
}

/** A recorder that sends nothing (a file source has no API server). */
export const NO_EVENTS: EventRecorder = { record: () => undefined, forget: () => undefined };

/** A Service as Events name it (with its uid when known, which kubectl describe matches on). */
export const serviceRef = (namespace: string, name: string, uid: string | undefined): ObjectRef =>
  ({ kind: 'Service', apiVersion: 'v1', namespace, name, ...(uid ? { uid } : {}) });
