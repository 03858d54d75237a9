# ipvs-proxy container image. Build: docker build -t ipvs-proxy .
# (Not built in this project's CI: its machines have no container engine.)

# Build: compile TypeScript and bundle the API client, then keep only the runtime dependencies.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY lib ./lib
COPY scripts/bundle-client.mjs ./scripts/
# tsc, then the API client's tree-shaken bundle (scripts/bundle-client.mjs)
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts \
 # the image's own Node runs the proxy; the pinned Node binary of the npm "node" package is not needed
 && rm -rf node_modules/node node_modules/.bin/node

# Run: Node 24 LTS, the distribution's ipset, iptables (nft and legacy backends), conntrack and
# kmod (modprobe for ip_vs), and tini as PID 1 so SIGTERM reaches the proxy and zombies are reaped.
FROM node:24-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ipset iptables conntrack kmod tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/ipvs-proxy
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
# Root inside the container: IPVS, rtnetlink, ipset and iptables need CAP_NET_ADMIN, module
# loading CAP_SYS_MODULE, and /proc/sys writes a privileged container (see manifests/daemonset.yaml).
USER root
# Node flags and MALLOC_ARENA_MAX as in bin/ipvs-proxy (why: see there).
ENV MALLOC_ARENA_MAX=2
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--enable-source-maps", "--max-semi-space-size=4", "--heap-growing-percent=10", "/opt/ipvs-proxy/dist/cli/entry.js"]
CMD ["run"]
