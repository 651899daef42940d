# The service's production image: built in one stage, run from another that carries only the
# compiled code, the production dependencies and tini. docs/operations.md describes how to run it.
#
#   docker build -t conversation-work-items .
#   docker run --rm -p 3000:3000 -v work-items-data:/data conversation-work-items
#
# Every stage starts from the same pinned Debian (bookworm, glibc) Node 20 image, so the
# better-sqlite3 binary made in the build stage matches the libc and Node ABI it runs on.
# Linted by scripts/check-container-files.sh.

ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# ---------------------------------------------------------------------------------------------
# build: every dependency, the TypeScript compiler and a C++ toolchain (better-sqlite3 compiles
# from source when no prebuilt binary can be fetched); then the production dependencies only.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# DL3008 (apt packages without `=version`) is ignored on purpose, here and below: the base image
# pins the Debian release, and Debian drops superseded package versions from its mirrors, so
# exact pins would break the build at the next security update instead of taking it.
# The lockfile and package.json's allowScripts policy (only better-sqlite3 may run install
# scripts) are npm 11's; the base image ships npm 10, which would ignore that policy.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/* \
 && npm install -g npm@11.19.1 --no-audit --no-fund
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
# The desk's bundler script (npm run build runs it after tsc).
COPY scripts/build-desk.mjs ./scripts/
# Compile, then drop the dev dependencies in place: the native module built above is kept as is.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---------------------------------------------------------------------------------------------
# runtime: no compiler, no npm run, no dev dependencies; runs as the image's `node` user (uid 1000).
FROM ${NODE_IMAGE} AS runtime
# tini as PID 1 forwards SIGTERM/SIGINT to node and reaps zombies, whatever runs the container
# (compose, Kubernetes, plain docker run without --init). DL3008: see the build stage.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data \
 && chown node:node /data
WORKDIR /app
# HOST 0.0.0.0 so the port is reachable from outside the container. DATA_DIR holds the embedded
# signing key (and, with the default EVENT_STORE=sqlite, the event log and the views).
# TS_NODE_BASEURL points tsconfig-paths' @lib/* aliases at the compiled tree.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data \
    TS_NODE_BASEURL=/app/dist
# Owned by root and read-only for the service's user: only /data is writable.
COPY --from=build /app/package.json /app/tsconfig.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
VOLUME ["/data"]
EXPOSE 3000
# Liveness only (the process answers); readiness (/health/ready) is for the load balancer or
# orchestrator, see docker-compose.yml. Node's own fetch: the slim image has no curl.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# node directly, not `npm start`: npm would neither build here nor pass SIGTERM on reliably.
CMD ["node", "-r", "tsconfig-paths/register", "dist/apps/api/src/main.js"]
