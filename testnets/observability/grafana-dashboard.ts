/**
 * DIR/grafana-dashboard.json for a testnet: every panel is repeated per value of the `propagation` label, so stock
 * and tee (or any modes scraped by one Prometheus) sit side by side, one column per mode, on the same queries.
 * Import it in Grafana (Dashboards > New > Import) and pick the Prometheus data source that scrapes prometheus.yml.
 * Typed against @grafana/schema (Grafana's own dashboard types); test/testnets/observability.test.ts validates the
 * JSON against the fields Grafana needs.
 */
import type { Dashboard, Panel, VariableModel } from '@grafana/schema'

const DS = { type: 'prometheus', uid: '${datasource}' }
/** Every query is restricted to the mode of its column and to the nodes of the chosen testnets. */
const SEL = 'propagation="$propagation",testnet=~"$testnet"'

interface PanelSpec {
  title: string
  description: string
  unit: string
  targets: { expr: string; legend: string }[]
  stack?: boolean
}

// Per node per committed tx: bytes every node received, summed over nodes, over the txs every node committed,
// summed over nodes (each node counts each committed tx once), so the node count cancels.
const perTx = (counter: string, by: string) =>
  `sum by (${by}) (rate(${counter}{${SEL},direction="in"}[$__rate_interval])) / ignoring(${by}) group_left sum(rate(teecast_chain_transactions_total{${SEL}}[$__rate_interval]))`
const quantiles = (hist: string) =>
  [0.5, 0.9, 0.99].map((q) => ({ expr: `histogram_quantile(${q}, sum by (le) (rate(${hist}_bucket{${SEL}}[$__rate_interval])))`, legend: `p${q * 100}` }))

export const DASHBOARD_PANELS: PanelSpec[] = [
  {
    title: 'committed tx/s',
    description: 'Rate of txs in blocks, per node (each node counts the blocks it came to hold)',
    unit: 'reqps',
    targets: [{ expr: `rate(teecast_chain_transactions_total{${SEL}}[$__rate_interval])`, legend: '{{node}}' }],
  },
  {
    title: 'bytes received per tx per node, by message type',
    description: 'devp2p framed bytes in, per committed tx and node, stacked by <protocol>/<message>',
    unit: 'decbytes',
    targets: [{ expr: perTx('teecast_p2p_bytes_total', 'protocol, message'), legend: '{{protocol}}/{{message}}' }],
    stack: true,
  },
  {
    title: 'messages received per tx per node, by message type',
    description: 'devp2p messages in, per committed tx and node, stacked by <protocol>/<message>',
    unit: 'short',
    targets: [{ expr: perTx('teecast_p2p_messages_total', 'protocol, message'), legend: '{{protocol}}/{{message}}' }],
    stack: true,
  },
  {
    title: 'block propagation latency',
    description: 'Header timestamp to first sighting, blocks received over the wire; all nodes of the mode',
    unit: 's',
    targets: quantiles('teecast_block_propagation_seconds'),
  },
  {
    title: 'tx inclusion latency',
    description: 'First sighting of a tx at a node to that node first holding a block with it',
    unit: 's',
    targets: quantiles('teecast_tx_inclusion_seconds'),
  },
  {
    title: 'chain head',
    description: 'Canonical head block number per node',
    unit: 'none',
    targets: [{ expr: `teecast_chain_head_block{${SEL}}`, legend: '{{node}}' }],
  },
  {
    title: 'tx pool',
    description: 'Pending (executable) and queued (nonce gap) txs, summed over nodes',
    unit: 'short',
    targets: [{ expr: `sum by (state) (teecast_txpool_transactions{${SEL}})`, legend: '{{state}}' }],
  },
  {
    title: 'tee/1 plan',
    description: 'Epoch of the newest plan, nodes in it, and how many nodes are attested and in the plan (tee nodes only)',
    unit: 'short',
    targets: [
      { expr: `max(teecast_tee_epoch{${SEL}})`, legend: 'epoch' },
      { expr: `max(teecast_tee_plan_nodes{${SEL}})`, legend: 'plan nodes' },
      { expr: `sum(teecast_tee_attested{${SEL}})`, legend: 'attested nodes' },
      { expr: `sum(teecast_tee_in_plan{${SEL}})`, legend: 'nodes in plan' },
    ],
  },
  {
    title: 'block import, execution and seal time',
    description: 'p90 over all nodes of the mode',
    unit: 's',
    targets: ['import', 'execution', 'seal'].map((k) => ({ expr: `histogram_quantile(0.9, sum by (le) (rate(teecast_chain_block_${k}_seconds_bucket{${SEL}}[$__rate_interval])))`, legend: `${k} p90` })),
  },
  {
    title: 'CPU per node',
    description: 'CPU seconds per second of each node process',
    unit: 'percentunit',
    targets: [{ expr: `rate(process_cpu_seconds_total{${SEL}}[$__rate_interval])`, legend: '{{node}}' }],
  },
  {
    title: 'RSS per node',
    description: 'Resident set size of each node process',
    unit: 'bytes',
    targets: [{ expr: `process_resident_memory_bytes{${SEL}}`, legend: '{{node}}' }],
  },
  {
    title: 'JSON-RPC',
    description: 'Requests per second by method, and p99 latency, over all nodes of the mode',
    unit: 'reqps',
    targets: [{ expr: `sum by (method) (rate(teecast_rpc_requests_total{${SEL}}[$__rate_interval]))`, legend: '{{method}}' }],
  },
]

/** Panel height in grid units; each column is half the 24-unit-wide grid. */
const H = 8

function toPanel(p: PanelSpec, i: number): Panel {
  return {
    id: i + 1,
    type: 'timeseries',
    title: p.title,
    description: p.description,
    datasource: DS,
    repeat: 'propagation',
    repeatDirection: 'h',
    maxPerRow: 2,
    gridPos: { h: H, w: 12, x: 0, y: i * H },
    fieldConfig: { defaults: { unit: p.unit, custom: p.stack === true ? { stacking: { mode: 'normal', group: 'A' }, fillOpacity: 60 } : {} }, overrides: [] },
    options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
    targets: p.targets.map((t, j) => ({ refId: String.fromCharCode(65 + j), datasource: DS, expr: t.expr, legendFormat: t.legend })),
  }
}

const variable = (name: string, label: string, query: string, all: boolean): VariableModel => ({
  name,
  label,
  type: 'query',
  datasource: DS,
  query: { query, refId: `${name}-var` },
  refresh: 2,
  multi: all,
  includeAll: all,
  ...(all ? { current: { text: ['All'], value: ['$__all'] } } : {}),
  sort: 1,
})

export function grafanaDashboard(o: { title: string }): Dashboard {
  return {
    uid: 'teecast-testnet',
    title: o.title,
    description: 'teecast testnet: stock and tee side by side (one column per propagation mode)',
    tags: ['teecast', 'ethereum', 'devp2p'],
    timezone: 'browser',
    editable: true,
    schemaVersion: 39,
    version: 1,
    refresh: '10s',
    time: { from: 'now-15m', to: 'now' },
    graphTooltip: 1,
    templating: {
      list: [
        { name: 'datasource', label: 'data source', type: 'datasource', query: 'prometheus' },
        variable('testnet', 'testnet', 'label_values(teecast_build_info, testnet)', true),
        variable('propagation', 'propagation', 'label_values(teecast_build_info{testnet=~"$testnet"}, propagation)', true),
      ],
    },
    annotations: { list: [] },
    panels: DASHBOARD_PANELS.map(toPanel),
  }
}
