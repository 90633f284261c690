/** CPU seconds and peak RSS of a running process, from /proc (Linux). */
import { readFileSync } from 'node:fs'

/** USER_HZ: clock ticks per second in /proc/<pid>/stat, 100 on Linux. */
const TICKS_PER_SECOND = 100

export interface ProcessUsage {
  cpuSeconds: number
  peakRssMB: number
}

export function processUsage(pid: number): ProcessUsage | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the ")" closing the command name: utime and stime are the 12th and 13th of those.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[11]) + Number(fields[12])
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return { cpuSeconds: ticks / TICKS_PER_SECOND, peakRssMB: hwm !== null ? Number(hwm[1]) / 1024 : 0 }
  } catch {
    return null
  }
}
