/**
 * report.html from a recorded run (test/bench/fixtures/report: stock and tee, 2 repetitions each, on 3 nodes; how to
 * re-record is in its scenario.yaml), opened in headless Chromium (Debian's chromium, installed by the Makefile;
 * driven with playwright-core): it renders without a console error, every chart is an SVG with marks in it, every
 * table fits a 1280 px page, and the numbers in the headline table are the fixture's. Set
 * TEECAST_REPORT_SCREENSHOT=FILE.png to keep a full-page screenshot.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium } from 'playwright-core'
import { renderHtml } from '../../bench/report/html.ts'
import { aggregate } from '../../bench/report/aggregate.ts'
import { parseNodesCsv, type Summary } from '../../bench/report/summary.ts'

const FIXTURE = 'test/bench/fixtures/report'
const CHROMIUM = '/usr/bin/chromium'

test('report.html renders in headless Chromium: charts, tables that fit, no console errors', { timeout: 180_000 }, async () => {
  const s = JSON.parse(readFileSync(join(FIXTURE, 'summary.json'), 'utf8')) as Summary
  const nodes = parseNodesCsv(readFileSync(join(FIXTURE, 'nodes.csv'), 'utf8'))
  assert.equal(nodes.length, 2 * 2 * 3, 'modes x repetitions x nodes')
  const dir = mkdtempSync(join(tmpdir(), 'tc-report-'))
  const browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1280, height: 900 },
  })
  try {
    const file = join(dir, 'report.html')
    writeFileSync(file, await renderHtml(s, nodes))
    const page = await browser.newPage()
    const problems: string[] = []
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`)
    })
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`))
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' })

    const charts = await page.$$eval('figure > svg', (svgs) => svgs.map((el) => ({ w: el.getBoundingClientRect().width, h: el.getBoundingClientRect().height, marks: el.querySelectorAll('path, line, rect').length, title: el.querySelector('.role-title-text')?.textContent ?? '' })))
    // Cost: 3 figures + 2 stacked; latency: 3 CDFs + 2 figures; over time: 2 series + throughput; per node: 3 boxes.
    assert.equal(charts.length, 5 + 5 + 3 + 3, JSON.stringify(charts.map((c) => c.title)))
    for (const c of charts) assert.ok(c.w > 100 && c.h > 100 && c.marks > 5, `chart "${c.title}" is drawn (${c.w}x${c.h}, ${c.marks} marks)`)
    assert.ok(charts.some((c) => c.title === 'bytes in / tx / node by message'))
    assert.ok(charts.some((c) => c.title === 'block to every node (CDF)'))

    const tables = await page.$$eval('table', (ts) => ts.map((t) => ({ right: t.getBoundingClientRect().right, rows: t.querySelectorAll('tr').length })))
    const bodyRight = await page.$eval('body', (b) => b.getBoundingClientRect().right)
    assert.ok(tables.length >= 3)
    for (const t of tables) assert.ok(t.right <= bodyRight + 1, `a table of ${t.rows} rows ends at ${t.right} px, past the page (${bodyRight} px)`)
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'no horizontal scroll')

    // The headline table: baseline first, and the tee / stock ratio of tx bytes is the fixture's.
    const heads = await page.$$eval('table.grid:first-of-type thead th', (ths) => ths.map((th) => th.textContent ?? ''))
    assert.match(heads[1]!, /^stock \(baseline\)/)
    const agg = aggregate(s)
    const ratio = agg[1]!.ratio.txBytesIn!
    assert.ok(ratio > 0 && ratio < 1, 'tee received fewer tx bytes than stock in the fixture')
    const text = await page.textContent('body')
    assert.ok(text!.includes(`×${ratio.toFixed(2)}`), `ratio ×${ratio.toFixed(2)} shown`)
    assert.match(text!, /Node\.js\s*v\d+/)
    assert.match(text!, /load average/)

    const shot = process.env.TEECAST_REPORT_SCREENSHOT
    if (shot !== undefined) await page.screenshot({ path: shot, fullPage: true })
    assert.deepEqual(problems, [])
  } finally {
    await browser.close()
    rmSync(dir, { recursive: true, force: true })
  }
})
