/**
 * `teecast testnet k8s`: Kubernetes manifests for a testnet (testnets/k8s/), and the two pod-side steps they run:
 * `testnet k8s-init` (resolve the peers, write the pod's testnet.json) and `testnet k8s-shape` (tc on the pod's
 * interface).
 */
import type { Argv, CommandModule } from 'yargs'
import { existsSync, readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'
import { DEFAULT_TESTNET } from '../../../testnets/create.ts'
import { readTestnet, testnetFile } from '../../../testnets/description.ts'
import { parseLinkSpec } from '../../shared/linkemu/spec.ts'
import { DNS_LABEL, LINK_SHAPINGS, type LinkShaping } from '../../../testnets/k8s/layout.ts'
import { initBenchPod, initNodePod, SHAPE_FILE, type ShapeFile } from '../../../testnets/k8s/pod-init.ts'
import { tcCommands } from '../../../testnets/link-shaping/kernel.ts'
import { PROPAGATION_MODES } from '../../propagation/interface.ts'
import { badInput, CliError } from '../errors.ts'
import { networkFromFlags, type NetworkFlags } from './testnet-flags.ts'

const STANDARD_SCENARIO = fileURLToPath(new URL('../../../bench/scenarios/standard.yaml', import.meta.url))

interface K8sArgs extends NetworkFlags {
  out: string
  dir?: string
  namespace: string
  prefix: string
  image: string
  'image-pull-policy'?: 'Always' | 'IfNotPresent' | 'Never'
  'link-shaping': string
  scenario: string
  cpu: string
  memory: string
  'results-storage': string
  'data-storage'?: string
  'log-level': string
}

const k8s: CommandModule<object, K8sArgs> = {
  command: 'k8s',
  describe: 'Write Kubernetes manifests for a testnet: from `testnet up` flags, or from an existing --dir',
  builder: (y: Argv) =>
    y
      .option('out', { type: 'string', demandOption: true, describe: 'Output dir: teecast.yaml and testnet/ (holds keys)' })
      .option('dir', { type: 'string', describe: 'Use this existing testnet (keys, genesis, topology) instead of creating one' })
      .option('nodes', { type: 'number', default: 4 })
      .option('signers', { type: 'number', default: DEFAULT_TESTNET.signers })
      .option('degree', { type: 'number' })
      .option('seed', { type: 'string', default: DEFAULT_TESTNET.seed })
      .option('propagation', { type: 'string', array: true, default: [DEFAULT_TESTNET.propagation], describe: `${PROPAGATION_MODES.join('|')}, plus overrides like n3=flood; one StatefulSet per mode` })
      .option('period', { type: 'number', default: DEFAULT_TESTNET.period })
      .option('accounts', { type: 'number', default: DEFAULT_TESTNET.accounts })
      .option('delay', { type: 'string' })
      .option('jitter', { type: 'string' })
      .option('rate', { type: 'string' })
      .option('loss', { type: 'string' })
      .option('tee-fraction', { type: 'number' })
      .option('tee-epoch', { type: 'number', describe: 'seconds' })
      .option('namespace', { type: 'string', default: 'teecast' })
      .option('prefix', { type: 'string', default: 'tc', describe: 'Prefix of every object name (two testnets can share a namespace)' })
      .option('image', { type: 'string', default: 'teecast:dev', describe: 'Node image (see Containerfile), as your cluster pulls it' })
      .option('image-pull-policy', { type: 'string', choices: ['Always', 'IfNotPresent', 'Never'] })
      .option('link-shaping', { type: 'string', default: 'tc', choices: LINK_SHAPINGS as string[], describe: 'tc (init container, NET_ADMIN, netem), chaos-mesh (NetworkChaos), userspace (the node\'s emulator), none' })
      .option('scenario', { type: 'string', default: STANDARD_SCENARIO, describe: 'Scenario whose workload the bench Job runs' })
      .option('cpu', { type: 'string', default: '500m', describe: 'CPU request per pod' })
      .option('memory', { type: 'string', default: '768Mi', describe: 'Memory request per pod' })
      .option('results-storage', { type: 'string', default: '1Gi' })
      .option('data-storage', { type: 'string', describe: 'A PVC of this size per node for the chain (default: emptyDir)' })
      .option('log-level', { type: 'string', default: 'info', choices: ['error', 'warn', 'info', 'debug'] }) as unknown as Argv<K8sArgs>,
  handler: async (a) => {
    for (const [flag, v] of [['namespace', a.namespace], ['prefix', a.prefix]] as const) {
      if (!DNS_LABEL.test(v)) throw badInput(`--${flag} must be a DNS label (lower-case letters, digits, '-'; at most 42 characters), got "${v}"`)
    }
    const names = { namespace: a.namespace, prefix: a.prefix }
    if (existsSync(join(a.out, 'testnet', 'testnet.json'))) throw new CliError(`${a.out} already holds a testnet; pick another --out or remove it`)
    let scenarioYaml: string
    try {
      scenarioYaml = readFileSync(a.scenario, 'utf8')
      parseYaml(scenarioYaml)
    } catch (err) {
      throw badInput(`--scenario ${a.scenario}: ${(err as Error).message}`)
    }
    // kubernetes-models is loaded only once the flags are checked (about 2 s of CPU)
    const { createK8sTestnet, rehostTestnet, writeManifests } = await import('../../../testnets/k8s/generate.ts')
    let d
    if (a.dir !== undefined) {
      if (!existsSync(testnetFile(a.dir))) throw badInput(`--dir ${a.dir}: no testnet.json there`)
      d = rehostTestnet(readTestnet(a.dir), names, a.out)
    } else {
      d = createK8sTestnet(
        { ...DEFAULT_TESTNET, ...networkFromFlags(a) },
        names,
        a.out,
      )
    }
    let file
    try {
      ;({ file } = writeManifests(
        d,
        {
          ...names,
          image: a.image,
          ...(a['image-pull-policy'] !== undefined ? { imagePullPolicy: a['image-pull-policy'] } : {}),
          linkShaping: a['link-shaping'] as LinkShaping,
          scenarioYaml,
          scenarioName: basename(a.scenario).replace(/\.ya?ml$/, ''),
          cpu: a.cpu,
          memory: a.memory,
          resultsStorage: a['results-storage'],
          ...(a['data-storage'] !== undefined ? { dataStorage: a['data-storage'] } : {}),
          logLevel: a['log-level'],
        },
        a.out,
      ))
    } catch (err) {
      throw new CliError(`manifests: ${(err as Error).message}`)
    }
    process.stdout.write(`${file}\n`)
    process.stderr.write(`${d.nodes.length} nodes in namespace ${a.namespace}; apply with: kubectl apply -f ${file}\n`)
  },
}

interface InitArgs {
  config: string
  out: string
  keys?: string
  attestation?: string
  accounts?: string
  pod?: string
  'pod-ip'?: string
}

const k8sInit: CommandModule<object, InitArgs> = {
  command: 'k8s-init',
  describe: false,
  builder: (y) =>
    y
      .option('config', { type: 'string', demandOption: true })
      .option('out', { type: 'string', demandOption: true })
      .option('keys', { type: 'string' })
      .option('attestation', { type: 'string' })
      .option('accounts', { type: 'string', describe: 'Bench pod: the accounts Secret' })
      .option('pod', { type: 'string' })
      .option('pod-ip', { type: 'string' }) as unknown as Argv<InitArgs>,
  handler: async (a) => {
    if (a.accounts !== undefined) {
      const d = initBenchPod({ config: a.config, accounts: a.accounts, out: a.out })
      process.stderr.write(`bench: ${d.nodes.length} nodes described in ${testnetFile(a.out)}\n`)
      return
    }
    if (a.keys === undefined || a.attestation === undefined || a.pod === undefined || a['pod-ip'] === undefined) {
      throw badInput('k8s-init for a node needs --keys, --attestation, --pod and --pod-ip (or --accounts for the bench)')
    }
    const d = await initNodePod({ config: a.config, keys: a.keys, attestation: a.attestation, out: a.out, pod: a.pod, podIp: a['pod-ip'] })
    process.stderr.write(`${a.pod}: ${d.nodes.length} nodes, peers resolved; ${testnetFile(a.out)}\n`)
  },
}

const k8sShape: CommandModule<object, { dir: string; dev: string }> = {
  command: 'k8s-shape',
  describe: false,
  builder: (y) => y.option('dir', { type: 'string', demandOption: true }).option('dev', { type: 'string', default: 'eth0' }),
  handler: (a) => {
    const f = join(a.dir, SHAPE_FILE)
    if (!existsSync(f)) return
    const s = JSON.parse(readFileSync(f, 'utf8')) as ShapeFile
    const spec = parseLinkSpec(s.link)
    for (const args of tcCommands(a.dev, s.peers.map((ip) => ({ ip, spec })), { netem: true })) {
      try {
        execFileSync('tc', args, { stdio: ['ignore', 'inherit', 'pipe'] })
      } catch (err) {
        throw new CliError(`tc ${args.join(' ')}: ${(err as { stderr?: Buffer }).stderr?.toString().trim() ?? (err as Error).message}`)
      }
    }
    process.stderr.write(`shaped ${s.peers.length} links on ${a.dev}: ${JSON.stringify(s.link)}\n`)
  },
}

export const k8sCommands = [k8s, k8sInit, k8sShape] as CommandModule[]
