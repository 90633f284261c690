/** The client's three LevelDB stores (chain, state, meta), opened the way its own CLI does. */
import { mkdirSync } from 'node:fs'
import { Level } from 'level'
import { DataDirectory, type Config } from '@ethereumjs/client/dist/esm/src/config.js'

export interface NodeDbs {
  chainDB: Level<string | Uint8Array, string | Uint8Array>
  stateDB: Level<string | Uint8Array, string | Uint8Array>
  metaDB: Level<string | Uint8Array, string | Uint8Array>
}

export function openDbs(config: Config): NodeDbs {
  const open = (which: DataDirectory): Level<string | Uint8Array, string | Uint8Array> => {
    const dir = config.getDataDirectory(which)
    mkdirSync(dir, { recursive: true })
    return new Level<string | Uint8Array, string | Uint8Array>(dir)
  }
  return { chainDB: open(DataDirectory.Chain), stateDB: open(DataDirectory.State), metaDB: open(DataDirectory.Meta) }
}

export async function closeDbs(dbs: NodeDbs): Promise<void> {
  await Promise.all([dbs.chainDB.close(), dbs.stateDB.close(), dbs.metaDB.close()])
}
