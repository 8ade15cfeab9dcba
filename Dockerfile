# The OTP subgraph's image. Build: docker build -t otp-subgraph .   Run: see docs/deploy.md.
# Two stages: the build stage compiles with the development dependencies; the runtime stage holds the compiled
# output and the production dependencies only, runs as the unprivileged `node` user, and has no secret in it
# (every secret comes from the environment or a mounted file at run time: docs/settings.md).
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The service only: scripts/ and bench/ (development tools the build config also names) are not copied.
RUN npx tsc -p tsconfig.build.json

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts stay off (package.json's allowScripts denies the three there are; docs/development.md).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
# The image's `node` user (uid 1000); Kubernetes can enforce it with runAsNonRoot (docs/deploy.md).
USER node
EXPOSE 4001
# node itself is PID 1's process (no npm, no shell), so SIGTERM reaches it and it drains before it exits. Its flags are
# NODE_FLAGS in src/node-version.ts (a capped young generation, so an idle replica gives memory back).
CMD ["node", "--max-semi-space-size=16", "dist/src/main.js"]
