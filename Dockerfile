# syntax=docker/dockerfile:1
#
# One image for both stationflow processes; docker-compose.yml picks the command:
#   API (default): node --import tsx api/server.ts
#   worker:        node --import tsx temporal/worker-main.ts
# Both need DATABASE_URL, TEMPORAL_ADDRESS, AUTH_SECRET (32+ characters) and PAYLOAD_KEYS at run time.
#
# Debian (glibc), not Alpine: the Temporal SDK's native core-bridge module needs glibc.

# The web console (web/ → web/dist): built with the dev dependencies (Vite, React, Ant Design) in a stage
# of its own; the image takes only the built files, which the API serves under /console/.
FROM node:20-bookworm-slim AS console
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm install --ignore-scripts --no-audit --no-fund
COPY web ./web
COPY scripts/web-size.ts ./scripts/web-size.ts
RUN npx vite build --config web/vite.config.mts --logLevel warn && node --import tsx scripts/web-size.ts

FROM node:20-bookworm-slim

# MALLOC_ARENA_MAX=2: glibc's per-thread malloc arenas held ~80 MB of a worker's memory (README, Memory).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    MALLOC_ARENA_MAX=2

WORKDIR /app

# Dependencies first, so that a source change does not reinstall them. tsx (which runs the
# TypeScript sources) and everything else needed at run time are in "dependencies". Install
# scripts are skipped: the app needs none of them (native modules ship prebuilt in packages),
# and skipping them keeps the install offline-deterministic and the same as on developers' npm 11.
COPY package.json package-lock.json ./
# npm install, not npm ci: see README (the lockfile cannot list other platforms' optional native packages).
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force

# The whole source tree: the worker bundles workflows/ with webpack at startup, and both
# processes apply db/migrations at boot. Files stay root-owned, read-only for the app user.
COPY tsconfig.json ./
COPY config ./config
COPY db ./db
COPY activities ./activities
COPY workflows ./workflows
COPY temporal ./temporal
COPY api ./api
COPY scripts ./scripts
COPY --from=console /build/web/dist ./web/dist

USER node

EXPOSE 3000

# Liveness of the API process (GET /healthz). The worker serves no HTTP: compose disables this
# check for it. Readiness (/readyz: database, Temporal and a polling worker) is checked in compose.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["node", "--import", "tsx", "api/server.ts"]
