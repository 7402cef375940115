import { html } from 'hono/html'
import type { WorkflowStep } from '../types.js'
import type { Html } from './layout.js'

const BOX_W = 170
const BOX_H = 40
const GAP = 22

interface Placed {
  width: number
  height: number
  draw: (x: number, y: number) => Html[]
}

function describe(step: WorkflowStep): string {
  switch (step.type) {
    case 'delay':
      return `delay ${Math.round((step.delayMs ?? 0) / 1000)} s`
    case 'wait_for_signal':
      return `wait for ${(step.signalTypes ?? []).join(' | ')}`
    case 'condition':
      return `if, else ${String(step.onFalse ?? 'complete')}`
    default:
      return step.type
  }
}

/** Lays out a chain of steps top to bottom; a parallel step's branches sit side by side under it. */
function chain(steps: readonly WorkflowStep[]): Placed {
  const parts = steps.map(node)
  const width = Math.max(BOX_W, ...parts.map((p) => p.width))
  const height = parts.reduce((h, p) => h + p.height, 0) + GAP * Math.max(0, parts.length - 1)
  return {
    width,
    height,
    draw: (x, y) => {
      const out: Html[] = []
      let top = y
      parts.forEach((p, i) => {
        const left = x + (width - p.width) / 2
        out.push(...p.draw(left, top))
        if (i < parts.length - 1) {
          const cx = x + width / 2
          out.push(html`<line class="edge" x1="${cx}" y1="${top + p.height}" x2="${cx}" y2="${top + p.height + GAP}"></line>`)
        }
        top += p.height + GAP
      })
      return out
    },
  }
}

function box(step: WorkflowStep, x: number, y: number): Html {
  return html`<g class="node node-${step.type}" data-step="${step.name}"><rect x="${x}" y="${y}" width="${BOX_W}" height="${BOX_H}" rx="6"></rect>
<text x="${x + BOX_W / 2}" y="${y + 16}" class="node-name">${step.name}</text><text x="${x + BOX_W / 2}" y="${y + 31}" class="node-type">${describe(step)}</text>
<title>${step.name}: ${describe(step)}</title></g>`
}

function node(step: WorkflowStep): Placed {
  if (step.type !== 'parallel' || !step.branches) return { width: BOX_W, height: BOX_H, draw: (x, y) => [box(step, x, y)] }
  const branches = step.branches.map(chain)
  const inner = branches.reduce((w, b) => w + b.width, 0) + GAP * (branches.length - 1)
  const width = Math.max(BOX_W, inner)
  const branchH = Math.max(...branches.map((b) => b.height))
  return {
    width,
    height: BOX_H + GAP + branchH,
    draw: (x, y) => {
      const cx = x + width / 2
      const out: Html[] = [box(step, cx - BOX_W / 2, y)]
      let left = x + (width - inner) / 2
      for (const b of branches) {
        const bx = left + b.width / 2
        out.push(html`<line class="edge" x1="${cx}" y1="${y + BOX_H}" x2="${bx}" y2="${y + BOX_H + GAP}"></line>`)
        out.push(...b.draw(left, y + BOX_H + GAP))
        left += b.width + GAP
      }
      return out
    },
  }
}

/** A workflow's steps as an SVG flow chart: one box per step, parallel branches side by side. */
export function stepGraphSvg(name: string, steps: readonly WorkflowStep[]): Html {
  const graph = chain(steps)
  const width = graph.width + 20
  const height = graph.height + 20
  return html`<svg class="graph" role="img" aria-labelledby="graph-title" viewBox="0 0 ${width} ${height}" width="${Math.min(width, 900)}" xmlns="http://www.w3.org/2000/svg">
<title id="graph-title">Steps of ${name}</title>${graph.draw(10, 10)}</svg>`
}
