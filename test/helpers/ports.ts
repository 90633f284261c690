import net from 'node:net'

/** Free TCP ports on 127.0.0.1, found by binding port 0 and closing again. */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<net.Server>((resolve, reject) => {
      const s = net.createServer()
      s.once('error', reject)
      s.listen(0, '127.0.0.1', () => resolve(s))
    })),
  )
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port)
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  return ports
}

/** A block of `n` consecutive free ports (testnets number their ports from a base). */
export async function freePortRange(n: number, from = 20000, to = 60000): Promise<number> {
  for (let base = from + Math.floor(Math.random() * 1000) * 10; base + n < to; base += n + 7) {
    const ok = await Promise.all(
      Array.from({ length: n }, (_, i) => new Promise<boolean>((resolve) => {
        const s = net.createServer()
        s.once('error', () => resolve(false))
        s.listen(base + i, '127.0.0.1', () => s.close(() => resolve(true)))
      })),
    )
    if (ok.every(Boolean)) return base
  }
  throw new Error(`no ${n} consecutive free ports between ${from} and ${to}`)
}
