// Which API server the proxy reaches and how it authenticates: kubeadm's kube-proxy kubeconfig
// (tokenFile), --master with the pod's service-account credentials, the in-cluster Service as the
// last resort (its error names the fix), and the error a node with no API server gets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiEndpoint } from '../../../lib/sources/api-endpoint.js';
import { HttpMethod, RequestContext, type KubeConfig } from '../../../lib/sources/kube-client.js';
import { tempDir } from '../../helpers/temp-dir.js';

const bearer = async (kc: KubeConfig) => {
  const ctx = new RequestContext(`${kc.getCurrentCluster()!.server}/api`, HttpMethod.GET);
  await kc.applySecurityAuthentication(ctx);
  return ctx.getHeaders().Authorization ?? ctx.getHeaders().authorization;
};
const serviceAccountDir = (token: string) => {
  const dir = tempDir('sa-');
  writeFileSync(join(dir, 'token'), token);
  writeFileSync(join(dir, 'ca.crt'), 'not read until a TLS connection');
  writeFileSync(join(dir, 'namespace'), 'kube-system');
  return dir;
};

test("API endpoint: kubeadm's kube-proxy kubeconfig.conf (tokenFile, CA of the service account) authenticates with the token file", async () => {
  const sa = serviceAccountDir('token-from-file');
  const dir = tempDir('kc-');
  // as kubeadm writes it into the kube-proxy ConfigMap (kubeconfig.conf)
  writeFileSync(join(dir, 'kubeconfig.conf'), `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority: ${sa}/ca.crt
    server: https://10.0.0.10:6443
  name: default
contexts:
- context:
    cluster: default
    namespace: default
    user: default
  name: default
current-context: default
users:
- name: default
  user:
    tokenFile: ${sa}/token
`);
  const api = apiEndpoint({ kubeconfig: join(dir, 'kubeconfig.conf'), env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' } });
  assert.equal(api.origin, 'kubeconfig');
  assert.equal(api.server, 'https://10.0.0.10:6443');
  assert.equal(await bearer(api.kubeConfig), 'Bearer token-from-file');
  assert.equal(api.kubeConfig.getCurrentCluster()!.caFile, `${sa}/ca.crt`);
  assert.match(api.fix, /10\.0\.0\.10:6443.*--kubeconfig/);
  // --master overrides the kubeconfig's server, keeping its credentials
  const over = apiEndpoint({ kubeconfig: join(dir, 'kubeconfig.conf'), master: 'https://192.168.1.1:6443' });
  assert.equal(over.server, 'https://192.168.1.1:6443');
  assert.equal(over.kubeConfig.getCurrentCluster()!.server, 'https://192.168.1.1:6443');
  assert.equal(await bearer(over.kubeConfig), 'Bearer token-from-file');
});

test('API endpoint: --master uses the service-account token and CA, and wins over KUBERNETES_SERVICE_HOST', async () => {
  const sa = serviceAccountDir('sa-token');
  const api = apiEndpoint({ master: 'https://10.0.0.10:6443', serviceAccountDir: sa, env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' } });
  assert.equal(api.origin, 'master');
  assert.equal(api.server, 'https://10.0.0.10:6443');
  assert.equal(await bearer(api.kubeConfig), 'Bearer sa-token');
  assert.equal(api.kubeConfig.getCurrentCluster()!.caFile, join(sa, 'ca.crt'));
  assert.equal(api.kubeConfig.getCurrentCluster()!.skipTLSVerify, false);
  // outside a pod (no token): unauthenticated, as against a local open server
  const bare = apiEndpoint({ master: 'http://127.0.0.1:8080', serviceAccountDir: join(sa, 'missing') });
  assert.equal(await bearer(bare.kubeConfig), undefined);
  assert.throws(() => apiEndpoint({ master: 'https://CONTROL_PLANE_ENDPOINT:6443' }), /placeholder: set apiServer in the ipvs-proxy ConfigMap/);
  assert.throws(() => apiEndpoint({ master: 'CONTROL_PLANE:6443' }), /--master CONTROL_PLANE:6443: not an http\(s\) URL|not a URL/);
});

test('API endpoint: in-cluster only is the last resort, and its fix names the settings of the control-plane endpoint', async () => {
  const sa = serviceAccountDir('sa-token');
  const api = apiEndpoint({ serviceAccountDir: sa, env: { KUBERNETES_SERVICE_HOST: 'fd00:10:96::1', KUBERNETES_SERVICE_PORT: '443' } });
  assert.equal(api.origin, 'in-cluster');
  assert.equal(api.server, 'https://[fd00:10:96::1]:443');
  assert.equal(await bearer(api.kubeConfig), 'Bearer sa-token');
  assert.match(api.fix, /ClusterIP/);
  assert.match(api.fix, /--master/);
  assert.match(api.fix, /IPVS_PROXY_MASTER/);
  assert.throws(() => apiEndpoint({ env: {} }), /no API server configured: set the control-plane endpoint with --master.*IPVS_PROXY_MASTER.*--objects/);
});

test('API endpoint: a kubeconfig token file given relative to the kubeconfig is found beside it', async () => {
  const dir = tempDir('kc-');
  mkdirSync(join(dir, 'sa'));
  writeFileSync(join(dir, 'sa', 'token'), 'relative');
  writeFileSync(join(dir, 'config'), JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'k', cluster: { server: 'https://10.0.0.10:6443' } }],
    users: [{ name: 'u', user: { tokenFile: 'sa/token' } }], contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
  }));
  assert.equal(await bearer(apiEndpoint({ kubeconfig: join(dir, 'config') }).kubeConfig), 'Bearer relative');
});
