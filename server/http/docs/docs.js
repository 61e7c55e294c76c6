// Renders /openapi.json as a browsable list of operations (no framework, no CDN: the page's CSP allows only 'self').
const el = (tag, props = {}, ...children) => {
  const e = document.createElement(tag)
  Object.assign(e, props)
  for (const c of children) e.append(c)
  return e
}
const pretty = (v) => el('pre', {}, el('code', { textContent: JSON.stringify(v, null, 2) }))

const res = await fetch('/openapi.json')
const doc = await res.json()
const main = document.getElementById('ops')
main.replaceChildren()
const byTag = new Map()
for (const [path, ops] of Object.entries(doc.paths)) {
  for (const [method, op] of Object.entries(ops)) {
    const tag = op.tags?.[0] ?? 'Other'
    if (!byTag.has(tag)) byTag.set(tag, [])
    byTag.get(tag).push({ path, method, op })
  }
}
for (const [tag, ops] of byTag) {
  main.append(el('h2', { textContent: tag }))
  for (const { path, method, op } of ops) {
    const auth = (op.security ?? []).map((s) => Object.keys(s)[0]).join(' or ') || 'none'
    const d = el('details', {},
      el('summary', {}, el('span', { className: 'method', textContent: method }), el('code', { textContent: path }), el('span', { textContent: op.summary })))
    if (op.description) d.append(el('p', { textContent: op.description }))
    d.append(el('p', { className: 'muted', textContent: `Auth: ${auth}${op['x-sigil-fresh-verification'] ? ' · needs a fresh passkey verification' : ''}` }))
    const body = op.requestBody?.content?.['application/json']?.schema
    if (body) d.append(el('h3', { textContent: 'Request body' }), pretty(body))
    for (const [status, r] of Object.entries(op.responses)) {
      d.append(el('h3', { textContent: `${status}: ${r.description}` }))
      const s = r.content && Object.values(r.content)[0]?.schema
      if (s && !s.$ref) d.append(pretty(s))
    }
    main.append(d)
  }
}
