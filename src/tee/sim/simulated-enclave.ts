/**
 * The host side of a simulated enclave: a worker_thread running exactly the bundled program bytes (loaded from a
 * data: URL, not from disk, so what runs is what was measured). Launch checks the SIGSTRUCT first (EINIT). Only
 * structured messages (messages.ts) cross; every ecall is validated both ways and bounded by a timeout.
 */
import { Worker } from 'node:worker_threads'
import { bundleProgram, type ProgramBundle } from './bundle.ts'
import { checkSigStruct, mrSignerOf, type SigStruct } from './sigstruct.ts'
import { isEcallValue, type EcallValue, type EnclaveToHost } from './messages.ts'
import { TeeError } from '../errors.ts'
import { DEFAULT_ECALL_TIMEOUT_MS, ENCLAVE_HEAP_MB } from '../constants.ts'
import type { ProgramDescriptor } from '../programs/index.ts'
import type { EnclaveIdentity } from '../qe.ts'

export interface LaunchOptions {
  debug?: boolean
  timeoutMs?: number
  /** Sees every message the worker posts (tests use it to check nothing secret crosses). */
  tap?: (m: unknown) => void
}

interface Pending {
  resolve: (v: EcallValue) => void
  reject: (e: TeeError) => void
  timer: NodeJS.Timeout
}

export class SimulatedEnclave {
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private lost: TeeError | null = null

  private constructor(
    private readonly worker: Worker,
    readonly bundle: ProgramBundle,
    readonly identity: EnclaveIdentity,
    readonly publicKey: Uint8Array,
    readonly ecalls: readonly string[],
    private readonly timeoutMs: number,
  ) {
    worker.on('message', (m: unknown) => this.onMessage(m))
    worker.on('error', (e) => this.fail(new TeeError('ENCLAVE_LOST', `enclave crashed: ${e.message}`)))
    worker.on('exit', (code) => this.fail(new TeeError('ENCLAVE_LOST', `enclave exited (${code})`)))
  }

  static async launch(program: ProgramDescriptor, sig: SigStruct, o: LaunchOptions = {}): Promise<SimulatedEnclave> {
    const bundle = bundleProgram(program.entry)
    const debug = o.debug === true
    checkSigStruct(sig, bundle.measurement, debug)
    const url = new URL(`data:text/javascript;base64,${Buffer.from(bundle.code).toString('base64')}`)
    const worker = new Worker(url, { resourceLimits: { maxOldGenerationSizeMb: ENCLAVE_HEAP_MB }, stdout: false, stderr: false })
    if (o.tap !== undefined) worker.on('message', o.tap)
    const ready = await new Promise<Extract<EnclaveToHost, { t: 'ready' }>>((resolve, reject) => {
      const fail = (why: string) => {
        void worker.terminate()
        reject(new TeeError('ENCLAVE_LOST', `enclave did not start: ${why}`))
      }
      // Start-up (module load) gets the default budget even when ecalls get a short one.
      const timer = setTimeout(() => fail('timeout'), Math.max(o.timeoutMs ?? 0, DEFAULT_ECALL_TIMEOUT_MS))
      worker.once('error', (e) => fail(e.message))
      worker.once('message', (m: unknown) => {
        clearTimeout(timer)
        const r = m as { t?: unknown; publicKey?: unknown; ecalls?: unknown }
        if (r?.t !== 'ready' || !(r.publicKey instanceof Uint8Array) || !Array.isArray(r.ecalls)) return fail('bad ready message')
        resolve({ t: 'ready', publicKey: r.publicKey, ecalls: r.ecalls.filter((e): e is string => typeof e === 'string') })
      })
    })
    const identity: EnclaveIdentity = { mrEnclave: bundle.measurement, mrSigner: mrSignerOf(sig.signerPublicKey), isvProdId: sig.isvProdId, isvSvn: sig.isvSvn, debug }
    return new SimulatedEnclave(worker, bundle, identity, ready.publicKey, ready.ecalls, o.timeoutMs ?? DEFAULT_ECALL_TIMEOUT_MS)
  }

  ecall(name: string, ...args: EcallValue[]): Promise<EcallValue> {
    if (this.lost !== null) return Promise.reject(this.lost)
    if (!isEcallValue(args)) return Promise.reject(new TeeError('ECALL_BAD_ARGS', 'ecall arguments must be plain data'))
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new TeeError('ECALL_TIMEOUT', `ecall ${name} took over ${this.timeoutMs} ms`))
        // A stuck enclave would hold its thread (and CPU) forever: destroy it; later ecalls fail ENCLAVE_LOST.
        this.fail(new TeeError('ENCLAVE_LOST', `enclave destroyed after ecall ${name} timed out`))
        void this.worker.terminate()
      }, this.timeoutMs)
      this.pending.set(id, { resolve, reject, timer })
      this.worker.postMessage({ t: 'ecall', id, name, args })
    })
  }

  async close(): Promise<void> {
    this.fail(new TeeError('ENCLAVE_LOST', 'enclave closed'))
    await this.worker.terminate()
  }

  private onMessage(raw: unknown): void {
    const m = raw as { t?: unknown; id?: unknown; value?: unknown; code?: unknown; message?: unknown }
    if (typeof m?.id !== 'number') return
    const p = this.pending.get(m.id)
    if (p === undefined) return
    this.pending.delete(m.id)
    clearTimeout(p.timer)
    if (m.t === 'return' && isEcallValue(m.value)) p.resolve(m.value)
    else if (m.t === 'fail' && (m.code === 'ECALL_UNKNOWN' || m.code === 'ECALL_BAD_ARGS' || m.code === 'ECALL_FAILED')) p.reject(new TeeError(m.code, String(m.message)))
    else p.reject(new TeeError('ECALL_BAD_ARGS', 'enclave answered with a malformed message'))
  }

  private fail(e: TeeError): void {
    if (this.lost === null) this.lost = e
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer)
      p.reject(e)
      this.pending.delete(id)
    }
  }
}
