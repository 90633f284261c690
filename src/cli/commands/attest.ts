/** `teecast attest init|quote|verify|inspect`: testnet attestation root, simulated quotes and their verification. */
import type { Argv, CommandModule } from 'yargs'
import { SUMMARIES } from './summaries.ts'
import { createECDH } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { badInput, CliError } from '../errors.ts'
import { fromHex, toHex } from '../../tee/crypto.ts'
import { initAttestDir, loadAttestDir, loadPolicy } from '../../tee/attest-dir.ts'
import { isTeeError } from '../../tee/errors.ts'
import { produceQuote, SimulatedQuotingEnclave } from '../../tee/qe.ts'
import { verifyQuote } from '../../tee/verifier.ts'
import { parseQuote, QuoteParseError } from '../../tee/quote/quote.ts'
import { describeQuote } from '../../tee/describe.ts'
import { bundleProgram } from '../../tee/sim/bundle.ts'
import { checkSigStruct, mrSignerOf, signEnclave } from '../../tee/sim/sigstruct.ts'
import { CURRENT_PROGRAM } from '../../tee/programs/index.ts'

const hexArg = (name: string, v: string, n: number): Uint8Array => {
  const b = fromHex(v, n)
  if (b === null) throw badInput(`${name} must be ${n} bytes of hex (${n * 2} hex digits)`)
  return b
}

/** Library errors (missing dir, bad policy) are failures, exit 1, printed without a stack. */
function run<T>(f: () => T): T {
  try {
    return f()
  } catch (e) {
    if (isTeeError(e)) throw new CliError(e.message)
    throw e
  }
}

function readBytes(file: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file))
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as Error).message}`)
  }
}

/** devp2p node id (64 bytes, no 0x04 prefix) of a secp256k1 private key. */
function nodeIdOf(priv: Uint8Array): Uint8Array {
  const ecdh = createECDH('secp256k1')
  try {
    ecdh.setPrivateKey(Buffer.from(priv))
  } catch {
    throw badInput('--node-key is not a valid secp256k1 private key')
  }
  return new Uint8Array(ecdh.getPublicKey()).subarray(1)
}

const init: CommandModule<object, { dir: string }> = {
  command: 'init',
  describe: 'Create a testnet attestation root, an enclave-signing key and a policy in DIR',
  builder: (y: Argv) => y.option('dir', { type: 'string', demandOption: true, describe: 'Attestation directory' }) as Argv<{ dir: string }>,
  handler: (a) => {
    const d = run(() => initAttestDir(a.dir))
    process.stdout.write(`root    ${toHex(d.root.publicKey)}\nsigner  ${toHex(mrSignerOf(d.signer.publicKey))} (MRSIGNER)\npolicy  ${a.dir}/policy.json\n`)
  },
}

interface QuoteArgs {
  dir: string
  'node-key': string
  challenge: string
  out: string
  debug?: boolean
}

const quote: CommandModule<object, QuoteArgs> = {
  command: 'quote',
  describe: 'Quote the current enclave program (simulated), binding the node key and a challenge',
  builder: (y: Argv) =>
    y
      .option('dir', { type: 'string', demandOption: true, describe: 'Attestation directory (from attest init)' })
      .option('node-key', { type: 'string', demandOption: true, describe: 'secp256k1 private key of the node, 32 bytes hex' })
      .option('challenge', { type: 'string', demandOption: true, describe: "Verifier's challenge, 32 bytes hex" })
      .option('out', { type: 'string', demandOption: true, describe: 'Quote output file (binary)' })
      .option('debug', { type: 'boolean', describe: 'Launch the enclave in DEBUG mode' }) as Argv<QuoteArgs>,
  handler: (a) => {
    const nodeId = nodeIdOf(hexArg('--node-key', a['node-key'], 32))
    const challenge = hexArg('--challenge', a.challenge, 32)
    const bytes = run(() => {
      const d = loadAttestDir(a.dir)
      const bundle = bundleProgram(CURRENT_PROGRAM.entry)
      const debug = a.debug === true
      // EINIT: the signer's SIGSTRUCT must name exactly this measurement.
      const sig = signEnclave(d.signer, bundle.measurement, CURRENT_PROGRAM.isvProdId, CURRENT_PROGRAM.isvSvn)
      checkSigStruct(sig, bundle.measurement, debug)
      const qe = SimulatedQuotingEnclave.create(d.root, () => Date.now())
      const identity = { mrEnclave: bundle.measurement, mrSigner: mrSignerOf(sig.signerPublicKey), isvProdId: sig.isvProdId, isvSvn: sig.isvSvn, debug }
      return produceQuote(qe, identity, nodeId, challenge)
    })
    writeFileSync(a.out, bytes)
    process.stdout.write(`quote   ${a.out} (${bytes.length} bytes)\nnode-id ${toHex(nodeId)}\n`)
  },
}

interface VerifyArgs {
  dir: string
  quote: string
  'node-pubkey': string
  challenge: string
}

const verify: CommandModule<object, VerifyArgs> = {
  command: 'verify',
  describe: "Verify a quote against DIR's policy; prints its fields, then OK or REJECT <reason>",
  builder: (y: Argv) =>
    y
      .option('dir', { type: 'string', demandOption: true, describe: 'Attestation directory (its policy.json)' })
      .option('quote', { type: 'string', demandOption: true, describe: 'Quote file' })
      .option('node-pubkey', { type: 'string', demandOption: true, describe: 'devp2p node id, 64 bytes hex' })
      .option('challenge', { type: 'string', demandOption: true, describe: 'The expected challenge, 32 bytes hex' }) as Argv<VerifyArgs>,
  handler: (a) => {
    const nodePublicKey = hexArg('--node-pubkey', a['node-pubkey'], 64)
    const challenge = hexArg('--challenge', a.challenge, 32)
    const policy = run(() => loadPolicy(a.dir))
    const r = verifyQuote(readBytes(a.quote), { policy, nodePublicKey, challenge, now: Date.now() })
    const q = r.ok ? r.quote : r.quote
    if (q !== undefined) process.stdout.write(`${describeQuote(q).join('\n')}\n`)
    if (r.ok) {
      process.stdout.write('OK\n')
      return
    }
    process.stdout.write(`REJECT ${r.reason}\n`)
    throw new CliError(`quote rejected: ${r.reason}: ${r.detail}`)
  },
}

const inspect: CommandModule<object, { file: string }> = {
  command: 'inspect <file>',
  describe: 'Print the fields of a quote file (no verification)',
  builder: (y: Argv) => y.positional('file', { type: 'string', demandOption: true, describe: 'Quote file' }) as Argv<{ file: string }>,
  handler: (a) => {
    try {
      process.stdout.write(`${describeQuote(parseQuote(readBytes(a.file))).join('\n')}\n`)
    } catch (e) {
      if (e instanceof QuoteParseError) throw new CliError(`not a quote: ${e.reason}: ${e.message}`)
      throw e
    }
  },
}

export const attestCommand: CommandModule = {
  command: 'attest <command>',
  describe: SUMMARIES.attest,
  builder: (y) =>
    y
      .command(init as CommandModule)
      .command(quote as CommandModule)
      .command(verify as CommandModule)
      .command(inspect as CommandModule)
      .demandCommand(1, 'Name an attest command: init, quote, verify or inspect.'),
  handler: () => {},
}
