# One image for nodepool-launcher, nodepool-builder and the nodepool CLI (the compose file picks
# the command). diskimage-builder comes from Debian, as on the machines this project is tested on.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY tsconfig.json ./
COPY lib lib
COPY drivers drivers
COPY workflows workflows
COPY activities activities
COPY workers workers
COPY cli cli
COPY simulator simulator
COPY tools tools
COPY test test
COPY bench bench
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3-diskimage-builder qemu-utils sudo kpartx debootstrap ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/nodepool
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/dist dist
COPY package.json ./
COPY bin bin
RUN ln -s /opt/nodepool/bin/nodepool.js /usr/local/bin/nodepool \
 && ln -s /opt/nodepool/bin/nodepool-launcher.js /usr/local/bin/nodepool-launcher \
 && ln -s /opt/nodepool/bin/nodepool-builder.js /usr/local/bin/nodepool-builder \
 && ln -s /opt/nodepool/bin/openstack-simulator.js /usr/local/bin/openstack-simulator \
 && mkdir -p /etc/nodepool /var/lib/nodepool/images /var/log/nodepool/builds /var/run/nodepool
ENV NODE_ENV=production
CMD ["nodepool", "--help"]
