# syntax=docker/dockerfile:1
# One Dockerfile, one image per app:
#   docker build --build-arg APP=event-router --build-arg APP_PORT=3002 -t herald/event-router .
#   docker build --target migrate -t herald/migrate .      (both schemas' migrations, one-shot)
# `npm run docker:build` builds all of them. Details: docs/operations.md, "Images".
# Node 22 LTS (package.json `engines` also allows 20, which some development machines still run).
ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: all dependencies (swc is a devDependency), then compile apps/ and libs/ to dist/ --
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Install scripts are not needed to compile (swc's native binding is a plain optional package).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY .swcrc tsconfig.base.json ./
COPY deploy/docker/compile.js deploy/docker/compile.js
COPY libs libs
COPY apps apps
# Decorator metadata as in the tests; @herald/* aliases become relative requires.
RUN node deploy/docker/compile.js dist
# The operator console (React + Vite, static files) inside the registry's dist: only the
# registry image carries it, served at /console/.
RUN node node_modules/vite/bin/vite.js build --config apps/console/vite.config.mts --outDir /src/dist/apps/subscription-registry/console

# ---- runtime: production dependencies only, tini as PID 1, non-root -------------------------
FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# glibc malloc: large Buffers back to the system when freed, two arenas (~100 MB less RSS after
# load; tools/dev-infra/lib/services.js SERVICE_MALLOC_ENV, pinned by deploy/docker/dockerfile.spec.ts).
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=131072
COPY package.json package-lock.json ./
# --omit=dev: no swc, @swc-node, embedded-postgres, standardwebhooks, jest, Nx or TypeScript
# (all devDependencies): the compiled services load none of them (deploy/docker/compile.spec.ts
# checks every package their require graph reaches is a production dependency).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force
# Files stay root-owned and read-only for the service user; only /tmp is written (a tmpfs or
# emptyDir when the root filesystem is read-only).
USER node
# tini forwards SIGTERM to Node (PID 1 would ignore it) so the graceful shutdown runs.
ENTRYPOINT ["/usr/bin/tini", "--"]

# ---- migrate: both schemas' migrations, one after the other (compose `migrate` one-shot) ----
FROM runtime AS migrate
COPY --from=build /src/dist/libs dist/libs
COPY --from=build /src/dist/apps/domain-api dist/apps/domain-api
COPY --from=build /src/dist/apps/subscription-registry dist/apps/subscription-registry
CMD ["sh", "-c", "node --enable-source-maps dist/apps/domain-api/src/migrate.js && exec node --enable-source-maps dist/apps/subscription-registry/src/migrate.js"]

# ---- app (default target): one service ------------------------------------------------------
FROM runtime AS app
ARG APP
ARG APP_PORT=3000
RUN case "${APP}" in \
      domain-api|subscription-registry|event-router|delivery-dispatcher) ;; \
      *) echo "build with --build-arg APP=<domain-api|subscription-registry|event-router|delivery-dispatcher> (got '${APP}')" >&2; exit 1 ;; \
    esac
COPY --from=build /src/dist/libs dist/libs
COPY --from=build /src/dist/apps/${APP} dist/apps/${APP}
ENV HERALD_APP=${APP} \
    PORT=${APP_PORT}
EXPOSE ${APP_PORT}
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PORT+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# exec: node replaces the shell, so tini's SIGTERM reaches it directly. The node flags are the
# services' in every launcher (tools/dev-infra/lib/services.js SERVICE_NODE_FLAGS, pinned by
# deploy/docker/dockerfile.spec.ts); HERALD_SOURCE_MAPS=1 adds --enable-source-maps (stack traces
# in TypeScript, ~25-35 MB more RSS).
CMD ["sh", "-c", "exec node --max-semi-space-size=4 --heap-growing-percent=100 $([ \"$HERALD_SOURCE_MAPS\" = 1 ] && echo --enable-source-maps) dist/apps/${HERALD_APP}/src/main.js"]
