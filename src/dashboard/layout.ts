import { html, raw } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'

/** What a page handler returns: HTML whose every interpolated value went through the escaping template. */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>

export type Section = 'runs' | 'failed' | 'signals' | 'workflows'

const SECTIONS: { key: Section; label: string; path: string }[] = [
  { key: 'runs', label: 'Runs', path: '/runs' },
  { key: 'failed', label: 'Failed', path: '/failed' },
  { key: 'signals', label: 'Signals', path: '/signals' },
  { key: 'workflows', label: 'Workflows', path: '/workflows' },
]

/**
 * The page around every view. Values reach the markup only through `html` templates, which
 * escape them; `raw` is used for nothing but fixed markup. No inline script or style: the
 * Content-Security-Policy allows only the two assets served from the package.
 */
export function layout(options: { base: string; title: string; section?: Section; live?: string; notice?: string }, body: Html): Html {
  const { base, title, section, live, notice } = options
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · pulse-engine</title>
<link rel="stylesheet" href="${base}/assets/dashboard.css">
<script src="${base}/assets/dashboard.js" defer></script>
</head>
<body>
<header class="top">
<a class="brand" href="${base}/runs">pulse-engine</a>
<nav aria-label="Sections"><ul>${SECTIONS.map(
    (s) => html`<li><a href="${base}${s.path}"${s.key === section ? raw(' aria-current="page"') : ''}>${s.label}</a></li>`,
  )}</ul></nav>
</header>
<main id="main"${live ? html` data-live="${live}"` : ''}>
<h1>${title}</h1>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
${body}
</main>
</body>
</html>`
}

/** A status as a badge; the status is one of the fixed words, and escaped like anything else. */
export function statusBadge(status: string): Html {
  return html`<span class="badge status-${status}">${status}</span>`
}

/** A small page that says what went wrong (not found, forbidden, bad filter), with nothing from the database in it. */
export function messagePage(base: string, title: string, message: string): Html {
  return layout({ base, title }, html`<p>${message}</p><p><a href="${base}/runs">Back to the runs</a></p>`)
}
