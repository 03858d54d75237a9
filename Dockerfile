# ipvs-proxy container image.
#   docker build -t ipvs-proxy .
# Without a registry (as this project's tests build it, scripts/image-build): a Debian base made by
# mmdebstrap and a Node image made from it, given as BASE_IMAGE and NODE_IMAGE.
ARG NODE_IMAGE=node:24-bookworm-slim
ARG BASE_IMAGE=debian:bookworm-slim

# Build: bundle the program into dist/ (scripts/bundle.mjs), then keep only what the bundle leaves
# out: netlink, whose native addon is found from its own path.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY lib ./lib
COPY bin ./bin
COPY scripts/bundle.mjs ./scripts/
RUN IPVS_PROXY_WARM_CACHE=0 npm run build \
 && npm prune --omit=dev --omit=optional --ignore-scripts \
 # the image's own Node runs the proxy; the npm "node" package's copy is not needed
 && rm -rf node_modules/node node_modules/.bin/node node_modules/.package-lock.json dist/compile-cache \
 && find node_modules -name '*.md' -delete \
 && find node_modules -name '*.ts' -not -name '*.d.ts' -delete

FROM ${NODE_IMAGE} AS node

# Run: Debian with the distribution's ipset, iptables (nf_tables and legacy backends), conntrack,
# iproute2 (explain's route lookups), kmod (modprobe of ip_vs) and tini as PID 1, so SIGTERM
# reaches the proxy and zombies are reaped.
# A base that already has them (scripts/image-build's) installs nothing; apt lists never stay.
FROM ${BASE_IMAGE}
RUN missing=; for p in ipset iptables conntrack iproute2 kmod tini ca-certificates; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done; \
    if [ -n "$missing" ]; then apt-get update && apt-get install -y --no-install-recommends $missing && apt-get clean && rm -rf /var/lib/apt/lists/*; fi
COPY --from=node /usr/local/bin/node /usr/local/bin/node
WORKDIR /opt/ipvs-proxy
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin/ipvs-proxy ./bin/ipvs-proxy
# `ipvs-proxy status` and `explain` for operators in the pod (kubectl exec)
RUN ln -s /opt/ipvs-proxy/bin/ipvs-proxy /usr/local/bin/ipvs-proxy
# Node's compile cache of every module, made here because its entries are keyed by path; a
# start then deserializes the code instead of compiling it.
RUN IPVS_PROXY_WARM_CACHE=1 /opt/ipvs-proxy/bin/ipvs-proxy
# Root inside the container: IPVS, rtnetlink, ipset and iptables need CAP_NET_ADMIN, module
# loading CAP_SYS_MODULE, and /proc/sys writes a privileged container (see manifests/daemonset.yaml).
USER root
# bin/ipvs-proxy sets Node's flags, MALLOC_ARENA_MAX and the compile cache (why: see there).
ENTRYPOINT ["/usr/bin/tini", "--", "/opt/ipvs-proxy/bin/ipvs-proxy"]
CMD ["run"]
