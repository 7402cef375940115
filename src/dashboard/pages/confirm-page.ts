import { html } from 'hono/html'
import { layout, type Html } from '../layout.js'

/** Without the client script a button posts unconfirmed; the server then asks on this page, posting the same fields with confirm=yes. */
export function confirmPage(base: string, action: string, question: string, fields: Record<string, string>): Html {
  return layout(
    { base, title: 'Confirm' },
    html`<form method="post" action="${action}"><p>${question}</p>
${Object.entries(fields).map(([k, v]) => (k === 'confirm' ? '' : html`<input type="hidden" name="${k}" value="${v}">`))}
<input type="hidden" name="confirm" value="yes"><button type="submit" class="action">Yes, go ahead</button> <a href="${base}/runs">No, back to the runs</a></form>`,
  )
}
