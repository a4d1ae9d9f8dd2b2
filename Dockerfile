# syntax=docker/dockerfile:1
# make-otel-gateway: multi-stage build on the current Node.js LTS (slim), run as a non-root user.

FROM node:24-bookworm-slim AS toolchain
# better-sqlite3 compiles a native addon when no prebuilt binary matches the platform.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./

# Compile TypeScript with the dev dependencies.
FROM toolchain AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Production dependencies only.
FROM toolchain AS deps
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json otel-config.yaml ./
COPY proto ./proto
COPY examples ./examples
# Queue databases and Make cursors live here (file_storage directory: /var/lib/make-otel-gateway).
RUN mkdir -p /var/lib/make-otel-gateway && chown node:node /var/lib/make-otel-gateway
VOLUME ["/var/lib/make-otel-gateway"]
USER node
# 4317 OTLP/gRPC, 4318 OTLP/HTTP, 13133 health_check, 8888 self-metrics
EXPOSE 4317 4318 13133 8888
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:13133/').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["--config", "/app/otel-config.yaml"]
