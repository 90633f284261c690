/**
 * What `teecast bench run` shows while a scenario runs: on a terminal (stderr is a TTY), a progress bar with the mode,
 * repetition, phase and sent / committed counts, the harness's messages printed above it; otherwise (CI, a pipe, a
 * file) plain time-stamped lines, the counters at most every `intervalMs`.
 */
import cliProgress from 'cli-progress'
import type { RunCounts } from './run.ts'

export interface BenchProgress {
  onProgress: (msg: string) => void
  onCounts: (c: RunCounts) => void
  stop: () => void
}

/** The counters as one short line: "stock #2/3 step 3/8 at 40 tx/s: sent 120/400, committed 98". */
export function countsLine(c: RunCounts): string {
  const rep = c.repetitions > 1 ? ` #${c.repetition}/${c.repetitions}` : ''
  return `${c.mode}${rep} ${c.phase}: sent ${c.sent}${c.total !== undefined ? `/${c.total}` : ''}, committed ${c.committed}`
}

export function benchProgress(o: { stream?: NodeJS.WriteStream; tty?: boolean; intervalMs?: number; now?: () => number } = {}): BenchProgress {
  const stream = o.stream ?? process.stderr
  const now = o.now ?? Date.now
  const t0 = now()
  const stamp = (): string => `[${((now() - t0) / 1000).toFixed(0)} s]`
  if (!(o.tty ?? stream.isTTY === true)) {
    const interval = o.intervalMs ?? 10_000
    let last = -Infinity
    let lastPhase = ''
    return {
      onProgress: (m) => void stream.write(`${stamp()} ${m}\n`),
      onCounts: (c) => {
        const key = `${c.mode}/${c.repetition}/${c.phase}`
        if (now() - last < interval && key === lastPhase) return
        last = now()
        lastPhase = key
        stream.write(`${stamp()} ${countsLine(c)}\n`)
      },
      stop: () => {},
    }
  }
  const multi = new cliProgress.MultiBar(
    { stream, hideCursor: true, clearOnComplete: true, format: '{run} |{bar}| {phase}: sent {value}/{total}, committed {committed}', barsize: 30, fps: 4 },
    cliProgress.Presets.shades_classic,
  )
  let bar: cliProgress.SingleBar | undefined
  let run = ''
  return {
    onProgress: (m) => multi.log(`${stamp()} ${m}\n`),
    onCounts: (c) => {
      const name = `${c.mode}${c.repetitions > 1 ? ` #${c.repetition}/${c.repetitions}` : ''}`
      const total = Math.max(c.total ?? 0, c.sent, 1)
      const payload = { run: name, phase: c.phase, committed: c.committed }
      if (bar === undefined || name !== run) {
        if (bar !== undefined) multi.remove(bar)
        bar = multi.create(total, c.sent, payload)
        run = name
      } else {
        bar.setTotal(total)
        bar.update(c.sent, payload)
      }
    },
    stop: () => multi.stop(),
  }
}
