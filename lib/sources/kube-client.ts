// The parts of @kubernetes/client-node the API source uses, in one module. In dist/ this module is
// a tree-shaken bundle of just these (scripts/bundle-client.mjs, run by `npm run build`): the
// package's own index loads all of its ~1,000 generated modules, 27 MB of JavaScript. Measured on
// the host, a process that loaded the compiled API source and CLI resided in 144 MB with the
// package, 100 MB with the bundle (V8 heap 42 -> 24 MB). The bundle has no source map: a map of
// generated code would cost heap for traces that point into it.
export { KubeConfig, ListWatch, Watch, RequestContext, HttpMethod } from '@kubernetes/client-node';
export type { KubernetesObject, V1Node } from '@kubernetes/client-node';
// The fetch of the undici the package's own Watch uses: its dispatchers (TLS, proxies) are that undici's.
export { fetch } from 'undici';
