/**
 * CPU seconds and RSS of a node that is not a local process (another host, a pod), from its Prometheus /metrics:
 * `process_cpu_seconds_total` and `process_resident_memory_bytes` (prom-client's default metrics). The RSS there is
 * the current one: the bench samples it at the start and end of the measured window and keeps the larger as peak.
 */
import type { ProcessUsage } from './process-usage.ts'

const sample = (text: string, name: string): number | undefined => {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+([0-9.eE+-]+)`, 'm').exec(text)
  return m !== null ? Number(m[1]) : undefined
}

export function usageFromMetrics(text: string): ProcessUsage | null {
  const cpu = sample(text, 'process_cpu_seconds_total')
  const rss = sample(text, 'process_resident_memory_bytes')
  if (cpu === undefined || rss === undefined) return null
  return { cpuSeconds: cpu, peakRssMB: rss / (1024 * 1024) }
}

export async function metricsUsage(metricsUrl: string, timeoutMs = 5_000): Promise<ProcessUsage | null> {
  try {
    const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(timeoutMs) })
    if (!res.ok) return null
    return usageFromMetrics(await res.text())
  } catch {
    return null
  }
}
