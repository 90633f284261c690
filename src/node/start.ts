/**
 * Starts one patched EthereumJS client in this process: LevelDB on disk, devp2p on TCP with static peers, Clique
 * sealing when it has a signer key, and JSON-RPC over HTTP with the teecast_ namespace added.
 */
import { readFileSync } from 'node:fs'
import { CliqueConsensus, createBlockchain } from '@ethereumjs/blockchain'
import { ConsensusAlgorithm, createCommonFromGethGenesis, parseGethGenesisState } from '@ethereumjs/common'
import { EthereumClient } from '@ethereumjs/client/dist/esm/src/client.js'
import { Config } from '@ethereumjs/client/dist/esm/src/config.js'
import { LevelDB } from '@ethereumjs/client/dist/esm/src/execution/level.js'
import { getLogger } from '@ethereumjs/client/dist/esm/src/logging.js'
import type { FullEthereumService } from '@ethereumjs/client/dist/esm/src/service/fullethereumservice.js'
import { createAddressFromPrivateKey } from '@ethereumjs/util'
import type { NodeOptions } from './options.ts'
import { closeDbs, openDbs } from './storage.ts'
import { cryptoFunctions } from './crypto.ts'
import { keccakReady } from '../shared/keccak.ts'
import { parseEnode } from '../shared/enode.ts'
import { installPropagation, type InstalledPropagation } from '../p2p/install.ts'
import { startRpc } from '../rpc/server.ts'
import { applyClientRpcSettings, rpcSettings } from '../rpc/settings.ts'
import { createNodeMetrics } from '../rpc/metrics/index.ts'
import { LinkProxies } from '../shared/linkemu/proxies.ts'
import { DEFAULT_RPC_CORS, DEFAULT_RPC_VHOSTS } from '../rpc/access.ts'
import { startNodeEnclave } from './enclave-host.ts'
import { loadPolicy } from '../tee/attest-dir.ts'
import { paramsForEpoch } from '../propagation/tee/params.ts'

export interface RunningNode {
  options: NodeOptions
  client: EthereumClient
  service: FullEthereumService
  propagation: InstalledPropagation
  enode: string
  /** Where its JSON-RPC listens (the real port when rpcPort was 0); wsUrl when it has a WebSocket port. */
  rpcUrl: string
  wsUrl: string | undefined
  /** Stops networking, the client and the RPC server, then closes LevelDB. Idempotent. */
  stop(): Promise<void>
}

const cliquePeriod = (genesis: { config?: { clique?: { period?: number } } }): number => genesis.config?.clique?.period ?? 2

export async function startNode(o: NodeOptions): Promise<RunningNode> {
  const genesis = JSON.parse(readFileSync(o.genesisPath, 'utf8'))
  const common = createCommonFromGethGenesis(genesis, { chain: 'teecast' })
  // @ts-expect-error customCrypto is read-only in the types; the client's own CLI assigns it the same way.
  common.customCrypto = await cryptoFunctions(o.crypto ?? 'native')
  // tee/1 item ids hash every received payload: with the wasm hash from the first one.
  await keccakReady()
  const genesisState = parseGethGenesisState(genesis)
  const logger = getLogger({ logLevel: o.logLevel } as Parameters<typeof getLogger>[0])
  const accounts: [ReturnType<typeof createAddressFromPrivateKey>, Uint8Array][] =
    o.signerKey !== undefined ? [[createAddressFromPrivateKey(o.signerKey), o.signerKey]] : []
  const config = new Config({
    common,
    datadir: o.dataDir,
    key: o.nodeKey,
    logger,
    port: o.p2pPort,
    extIP: o.host,
    discV4: false,
    discDns: false,
    bootnodes: [],
    maxPeers: o.maxPeers,
    minPeers: 1,
    mine: o.signerKey !== undefined,
    accounts,
    saveReceipts: true,
    // Clique reorgs are a block or two deep; the default (100) made every catch-up re-fetch 100 blocks.
    safeReorgDistance: 4,
  })
  // Read by the catch-up patch: poll for a better peer twice per block period instead of every 8 s.
  ;(config as Config & { syncInterval?: number }).syncInterval = Math.max(250, Math.floor((cliquePeriod(genesis) * 1000) / 2))
  const rpcConf = rpcSettings(o.rpc)
  applyClientRpcSettings(config, rpcConf)
  // Read by patch client 044: devp2p binds here instead of 0.0.0.0.
  ;(config as Config & { p2pListenAddr?: string }).p2pListenAddr = o.p2pListenAddr ?? o.host
  const staticPeers = o.staticPeers.map(parseEnode)
  const links = o.link !== undefined ? new LinkProxies(o.link, o.p2pPort, o.linkFaultsPath) : undefined
  // The enclave first: tee/1 hellos quote from the first connection on.
  const enclave = o.attestationDir !== undefined ? await startNodeEnclave(o.attestationDir) : undefined
  const policyDir = o.teePolicyDir ?? o.attestationDir
  const tee =
    o.propagation === 'tee'
      ? {
          policy: policyDir !== undefined ? loadPolicy(policyDir) : undefined,
          enclave,
          // Epochs count from genesis so that every node agrees on the current one.
          params: { epochZeroMs: Number(BigInt(genesis.timestamp ?? '0x0')) * 1000, ...(o.teeEpochMs !== undefined ? paramsForEpoch(o.teeEpochMs) : {}) },
        }
      : undefined
  const propagation = installPropagation(config, { name: o.name, mode: o.propagation, staticPeers, dialTarget: links?.dialTarget, tee, ...(o.adversaryOmit === true ? { omitForwards: true } : {}) })

  const dbs = openDbs(config)
  let validateConsensus = false
  const consensusDict: Record<string, CliqueConsensus> = {}
  if (common.consensusAlgorithm() === ConsensusAlgorithm.Clique) {
    consensusDict[ConsensusAlgorithm.Clique] = new CliqueConsensus()
    validateConsensus = true
  }
  const blockchain = await createBlockchain({
    db: new LevelDB(dbs.chainDB as never),
    common,
    hardforkByHeadBlockNumber: true,
    validateBlocks: true,
    validateConsensus,
    consensusDict,
    genesisState,
  })
  // Required on a custom chain before any peer connects, or the eth handshake fails (field notes).
  common.setForkHashes(blockchain.genesisBlock.hash())
  const client = await EthereumClient.create({ config, blockchain, genesisState, ...(dbs as never as Record<string, never>) })
  await client.open()
  client.config.updateSynchronizedState(client.chain.headers.latest ?? undefined)
  const service = client.service as FullEthereumService
  if (client.config.synchronized) service.txPool.checkRunState()
  await client.start()
  propagation.attach(service)

  const nodeMetrics = o.metricsPort > 0 ? createNodeMetrics(propagation, client, service) : undefined
  const rpc = await startRpc(client, propagation, {
    host: o.host,
    port: o.rpcPort,
    ...(o.wsPort !== undefined ? { wsPort: o.wsPort } : {}),
    access: { cors: o.rpcCors ?? DEFAULT_RPC_CORS, vhosts: o.rpcVhosts ?? DEFAULT_RPC_VHOSTS },
    logger,
    enclave,
    observe: nodeMetrics?.rpc,
    apis: rpcConf.apis,
    limits: rpcConf.limits,
  })
  const metrics = nodeMetrics?.listen({ host: o.host, port: o.metricsPort })
  const enode = `enode://${propagation.selfId}@${o.host}:${o.p2pPort}`

  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await rpc.close()
      metrics?.closeAllConnections()
      metrics?.close()
      propagation.detach()
      await client.stop()
      await service.execution.stop()
      await links?.close()
      await enclave?.close()
      await closeDbs(dbs)
    })()
    return stopping
  }
  return { options: o, client, service, propagation, enode, rpcUrl: rpc.url, wsUrl: rpc.wsUrl, stop }
}
