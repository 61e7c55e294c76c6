/** Stroke icons drawn for Sigil (24×24, currentColor), built as SVG DOM so no markup is parsed. */

type Shape = ['path', string] | ['circle', number, number, number] | ['rect', number, number, number, number, number]

const ICONS = {
  key: [['circle', 7.5, 15.5, 3.5], ['path', 'M10 13l8.5-8.5M15.5 7.5l2.5 2.5M13.5 9.5l2 2']],
  cloud: [['path', 'M7 18.5h9.5a4.5 4.5 0 0 0 .7-8.95A6 6 0 0 0 5.7 9.3 4.6 4.6 0 0 0 7 18.5z'], ['path', 'M12 11.5v4M10 13.5h4']],
  securityKey: [['path', 'M9 2.5h6v6H9z'], ['rect', 6, 8.5, 12, 13, 3], ['circle', 12, 15, 2]],
  device: [['rect', 4, 4.5, 16, 11, 2], ['path', 'M2.5 19.5h19M10 15.5v4M14 15.5v4']],
  phone: [['rect', 7, 2.5, 10, 19, 2.5], ['path', 'M11 18.5h2']],
  shield: [['path', 'M12 3l7.5 3v5.5c0 4.6-3.2 8-7.5 9.5-4.3-1.5-7.5-4.9-7.5-9.5V6z'], ['path', 'M9 12l2.2 2.2L15.5 10']],
  lifebuoy: [['circle', 12, 12, 8.5], ['circle', 12, 12, 3.5], ['path', 'M6 6l3.5 3.5M14.5 14.5L18 18M18 6l-3.5 3.5M9.5 14.5L6 18']],
  plus: [['path', 'M12 5v14M5 12h14']],
  pencil: [['path', 'M4 20h4.5L19.5 9a2.1 2.1 0 0 0-3-3L5.5 17z'], ['path', 'M14.5 8l2.5 2.5']],
  trash: [['path', 'M4 7h16M9.5 7V4.5h5V7M6.5 7l1 13h9l1-13M10 11v5.5M14 11v5.5']],
  copy: [['rect', 9, 9, 11.5, 11.5, 2], ['path', 'M5.5 15H5a1.5 1.5 0 0 1-1.5-1.5V5A1.5 1.5 0 0 1 5 3.5h8.5A1.5 1.5 0 0 1 15 5v.5']],
  download: [['path', 'M12 4v11M7 10.5l5 5 5-5M4.5 20h15']],
  logout: [['path', 'M14.5 4H18a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-3.5M10 16.5L5.5 12 10 7.5M5.5 12H15']],
  check: [['path', 'M5 12.5l4.5 4.5L19 7.5']],
  checkCircle: [['circle', 12, 12, 9], ['path', 'M8.2 12.3l2.6 2.6 5-5.3']],
  alert: [['path', 'M12 3.5L2.5 20h19z'], ['path', 'M12 10v4.5M12 17.2v.3']],
  info: [['circle', 12, 12, 9], ['path', 'M12 11v5.5M12 7.8v.3']],
  user: [['circle', 12, 8, 4], ['path', 'M4.5 20.5c.8-3.7 3.9-5.5 7.5-5.5s6.7 1.8 7.5 5.5']],
  approvals: [['rect', 4, 4, 16, 16, 3], ['path', 'M8.5 12.2l2.4 2.4 4.6-5']],
  wallet: [['path', 'M4 7.5A2.5 2.5 0 0 1 6.5 5H18v3'], ['rect', 4, 8, 16.5, 11.5, 2.5], ['path', 'M16 13.8h1.5']],
  compliance: [['path', 'M6 2.5h8.5l4.5 4.5v14.5H6z'], ['path', 'M14 2.5V7.5h5M9 13h6M9 16.5h4']],
  verifier: [['path', 'M4 8.5V4h4.5M15.5 4H20v4.5M20 15.5V20h-4.5M8.5 20H4v-4.5M8.5 12.2l2.4 2.4 4.6-5']],
  docs: [['path', 'M5 4.5A1.5 1.5 0 0 1 6.5 3H19v15H6.5A1.5 1.5 0 0 0 5 19.5zM5 19.5A1.5 1.5 0 0 0 6.5 21H19']],
  spinner: [['path', 'M12 3a9 9 0 1 0 9 9']],
  fingerprint: [['path', 'M7.5 19.5c1.3-2 2-4.5 2-7a2.5 2.5 0 0 1 5 0c0 1.2-.1 2.4-.3 3.5M12 12.5c0 3.4-.9 6.4-2.5 8.5M16.8 19c.5-1.6.7-3.6.7-6.5a5.5 5.5 0 0 0-11 0c0 1.5-.3 3-.9 4.3M4.5 9.5A8 8 0 0 1 19.4 9.7']],
  logIn: [['path', 'M9.5 4H6a2 2 0 0 0-2 2v12a2 2 0 0 0 2 2h3.5M14 16.5l4.5-4.5L14 7.5M18.5 12H9']],
  menu: [['path', 'M4 7h16M4 12h16M4 17h16']],
  clock: [['circle', 12, 12, 9], ['path', 'M12 7.5V12l3 2']],
  eye: [['path', 'M2.5 12S6 5.5 12 5.5 21.5 12 21.5 12 18 18.5 12 18.5 2.5 12 2.5 12z'], ['circle', 12, 12, 3]],
} satisfies Record<string, Shape[]>

export type IconName = keyof typeof ICONS

const NS = 'http://www.w3.org/2000/svg'

export function icon(name: IconName, size: '' | 'sm' | 'lg' = ''): SVGSVGElement {
  const svg = document.createElementNS(NS, 'svg')
  svg.setAttribute('viewBox', '0 0 24 24')
  svg.setAttribute('class', size ? `icon icon-${size}` : 'icon')
  svg.setAttribute('aria-hidden', 'true')
  svg.setAttribute('focusable', 'false')
  for (const shape of ICONS[name] as Shape[]) {
    const el = document.createElementNS(NS, shape[0])
    if (shape[0] === 'path') el.setAttribute('d', shape[1])
    else if (shape[0] === 'circle') for (const [k, v] of [['cx', shape[1]], ['cy', shape[2]], ['r', shape[3]]] as const) el.setAttribute(k, String(v))
    else for (const [k, v] of [['x', shape[1]], ['y', shape[2]], ['width', shape[3]], ['height', shape[4]], ['rx', shape[5]]] as const) el.setAttribute(k, String(v))
    svg.append(el)
  }
  return svg
}

/** Replaces elements written as `<span data-icon="name"></span>` in the static HTML with their icon. */
export function hydrateIcons(root: ParentNode = document): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-icon]')) {
    const name = el.dataset.icon as IconName
    if (name in ICONS) el.replaceWith(icon(name, (el.dataset.size as 'sm' | 'lg' | undefined) ?? ''))
  }
}
