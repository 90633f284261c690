/**
 * `teecast testnet up --prometheus`: a Prometheus server for the testnet, when the binary is on the machine
 * (Debian's prometheus package), scraping DIR/prometheus.yml into DIR/prometheus-data, listening on 127.0.0.1 only.
 * Its pid goes to DIR/prometheus.pid; `testnet down` stops exactly that pid (after checking it still runs with this
 * testnet's config).
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { isAlive, stopPid } from '../launcher.ts'

export const PROMETHEUS_BINARY = 'prometheus'

export function prometheusAvailable(): boolean {
  return spawnSync(PROMETHEUS_BINARY, ['--version'], { stdio: 'ignore' }).error === undefined
}

const pidFile = (dir: string): string => join(dir, 'prometheus.pid')
const configFile = (dir: string): string => resolve(dir, 'prometheus.yml')

/** Starts Prometheus detached; returns its pid and URL. */
export function startPrometheus(dir: string, port: number): { pid: number; url: string } {
  const log = openSync(join(dir, 'prometheus.log'), 'a')
  const child = spawn(
    PROMETHEUS_BINARY,
    [`--config.file=${configFile(dir)}`, `--storage.tsdb.path=${resolve(dir, 'prometheus-data')}`, `--web.listen-address=127.0.0.1:${port}`],
    { detached: true, stdio: ['ignore', log, log] },
  )
  if (child.pid === undefined) throw new Error(`prometheus did not start (see ${join(dir, 'prometheus.log')})`)
  child.unref()
  writeFileSync(pidFile(dir), `${child.pid}\n`)
  return { pid: child.pid, url: `http://127.0.0.1:${port}` }
}

function isOurPrometheus(pid: number, dir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(`--config.file=${configFile(dir)}`)
  } catch {
    return false
  }
}

/** Stops the testnet's Prometheus, if it runs; 'none' when there was none to stop. */
export async function stopPrometheus(dir: string): Promise<'stopped' | 'killed' | 'gone' | 'none'> {
  if (!existsSync(pidFile(dir))) return 'none'
  const pid = Number(readFileSync(pidFile(dir), 'utf8').trim())
  rmSync(pidFile(dir), { force: true })
  if (!Number.isInteger(pid) || !isAlive(pid) || !isOurPrometheus(pid, dir)) return 'gone'
  return stopPid(pid)
}
