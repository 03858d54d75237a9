// Loading @kubernetes/client-node, the API client, without its source maps. The package ships a
// map for each of its ~1,000 generated modules; with --enable-source-maps (bin/ipvs-proxy) Node
// keeps every one of them, ~9 MB of heap for traces that would point into generated code. Our
// own modules keep theirs.

/** Load the API client once, with source maps off while it loads; later imports get it from the module cache. */
export async function loadApiClient(): Promise<void> {
  const enabled = process.sourceMapsEnabled;
  process.setSourceMapsEnabled(false);
  try {
    await import('@kubernetes/client-node');
  } finally {
    process.setSourceMapsEnabled(enabled);
  }
}
