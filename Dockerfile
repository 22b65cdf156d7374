# syntax=docker/dockerfile:1
# ehbox-bridge: one image for every role (api, worker, sandbox, all).
#   docker build -t ehbox-bridge .
#   docker run --rm -e REDIS_URL=redis://… ehbox-bridge api

# Stage 1: production dependencies only, from the lock file.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Stage 2: the runtime. openssl and xmllint are called by the crypto
# interop paths and the XSD validation of every SOAP message.
FROM node:20-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl libxml2-utils ca-certificates \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    EHBOX_DATA_DIR=/data
WORKDIR /app
# Application files belong to root and are read-only for the service user.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY schemas ./schemas
COPY src ./src
# The data directory (and the sandbox's) belong to the unprivileged `node` user (uid 1000).
RUN mkdir -p /data/sandbox && chown -R node:node /data
USER node
EXPOSE 8080 8081
ENTRYPOINT ["node", "bin/ehbox-bridge"]
CMD ["all"]
