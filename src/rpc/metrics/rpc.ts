/**
 * JSON-RPC request rate and latency per method. The label is the method name for the methods the server serves
 * (a fixed set), so a client that sends arbitrary names cannot grow the label set.
 */
import promClient from 'prom-client'

export type RpcObserver = (method: string, seconds: number, ok: boolean) => void

export function createRpcMetrics(register: promClient.Registry): RpcObserver {
  const requests = new promClient.Counter({
    name: 'teecast_rpc_requests_total',
    help: 'JSON-RPC calls by method and outcome (ok, error)',
    labelNames: ['method', 'outcome'],
    registers: [register],
  })
  const duration = new promClient.Histogram({
    name: 'teecast_rpc_request_duration_seconds',
    help: 'JSON-RPC call duration by method, seconds',
    labelNames: ['method'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [register],
  })
  return (method, seconds, ok) => {
    requests.inc({ method, outcome: ok ? 'ok' : 'error' })
    duration.observe({ method }, seconds)
  }
}

/** Wraps every method of a jayson method table so that each call reports its duration and outcome to `observe`. */
export function instrumentRpcMethods<M extends Record<string, unknown>>(methods: M, observe: RpcObserver | undefined): M {
  if (observe === undefined) return methods
  const out: Record<string, unknown> = {}
  for (const [name, fn] of Object.entries(methods)) {
    if (typeof fn !== 'function') {
      out[name] = fn
      continue
    }
    out[name] = async (...args: unknown[]) => {
      const t0 = performance.now()
      let ok = false
      try {
        const r = await (fn as (...a: unknown[]) => unknown)(...args)
        ok = true
        return r
      } finally {
        observe(name, (performance.now() - t0) / 1000, ok)
      }
    }
  }
  return out as M
}
