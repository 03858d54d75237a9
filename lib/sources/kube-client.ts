// The parts of @kubernetes/client-node the API source uses, in one module. In dist/ this module is
// a tree-shaken bundle of just these (scripts/bundle-client.mjs, run by `npm run build`): the
// package's own index loads all of its ~1,000 generated modules, which costs a resident process
// about a third of its memory. The bundle has no source map: a map of generated code would cost
// heap for traces that point into it.
export { KubeConfig, ListWatch, Watch, RequestContext, HttpMethod } from '@kubernetes/client-node';
export type { KubernetesObject, V1Node } from '@kubernetes/client-node';
// The fetch of the undici the package's own Watch uses: its dispatchers (TLS, proxies) are that undici's.
export { fetch } from 'undici';
