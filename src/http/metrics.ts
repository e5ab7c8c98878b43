/** Prometheus metrics at /metrics: process, HTTP, WebSocket and chat counters. */
import type { FastifyPluginAsync, preHandlerHookHandler } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Services } from '../actions/context.js';
import type { GatewayMetrics } from '../realtime/gateway.js';

export class Metrics implements GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests = new Histogram({
    name: 'stoa_http_request_duration_seconds',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly sockets = new Gauge({ name: 'stoa_websocket_connections', help: 'Open WebSocket connections', registers: [this.registry] });
  private readonly frames = new Counter({ name: 'stoa_websocket_frames_sent_total', help: 'Frames sent to WebSocket clients', registers: [this.registry] });
  readonly events = new Counter({ name: 'stoa_events_total', help: 'Committed domain events by type', labelNames: ['type'], registers: [this.registry] });
  private readonly refusals = new Counter({ name: 'stoa_limit_refusals_total', help: 'Connections, frames and commands refused by a limit (D9)', labelNames: ['limit'], registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'stoa_' });
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    this.requests.labels(method, route, String(status)).observe(seconds);
  }

  connections(n: number): void {
    this.sockets.set(n);
  }

  delivered(frames: number): void {
    this.frames.inc(frames);
  }

  refused(limit: string): void {
    this.refusals.labels(limit).inc();
  }
}

/** `allow` decides who may read them (config `metrics`); without it, anyone. */
export const metricsRoutes: FastifyPluginAsync<{ metrics: Metrics; services: Services; allow?: preHandlerHookHandler }> = async (app, { metrics, services, allow }) => {
  services.bus.subscribe((event) => {
    metrics.events.labels(event.type).inc();
  });
  app.get('/metrics', { schema: { hide: true }, ...(allow === undefined ? {} : { preHandler: allow }) }, async (_request, reply) => {
    return reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });
};
