# dicom-tls-gateway container image.
#   docker build -t dicom-tls-gateway .
#   docker run -d --name dtg -p 2762:2762 -p 11112:11112 -p 127.0.0.1:9090:9090 \
#     -v /etc/dicom-tls-gateway:/app/config:ro -v /srv/dtg/certs:/app/certs:ro -v /srv/dtg/logs:/app/logs \
#     dicom-tls-gateway
# Reload: docker kill -s HUP dtg    Drain and stop: docker stop -t 60 dtg (SIGTERM, shutdownGraceMs)

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY docker/gateway.yaml ./config/gateway.yaml
RUN mkdir -p certs logs && chown -R node:node certs logs
USER node
# 2762 DICOM TLS, 11112 plain DICOM, 9090 admin (bind it to the host's loopback or a management network)
EXPOSE 2762 11112 9090
HEALTHCHECK --interval=30s --timeout=5s CMD node -e "fetch('http://127.0.0.1:9090/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "--max-semi-space-size=1", "bin/dicom-tls-gateway.js"]
CMD ["start", "--config", "config/gateway.yaml"]
