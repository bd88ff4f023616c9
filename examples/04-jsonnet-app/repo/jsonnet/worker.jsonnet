local labels = import 'labels.libsonnet';

function(replicas=1, image='busybox:1.36')
  local app = std.extVar('app');
  local env = std.extVar('env');
  local meta = { name: app, labels: labels.standard(app, env) };
  [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta { name: app + '-config' },
      data: { ENVIRONMENT: env, QUEUE: 'orders-' + env },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta,
      spec: {
        replicas: replicas,
        selector: { matchLabels: { 'app.kubernetes.io/name': app } },
        template: {
          metadata: { labels: labels.standard(app, env) },
          spec: {
            containers: [{
              name: 'worker',
              image: image,
              command: ['sh', '-c', 'while true; do sleep 3600; done'],
              envFrom: [{ configMapRef: { name: app + '-config' } }],
            }],
          },
        },
      },
    },
  ]
