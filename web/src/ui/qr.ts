import { h } from './dom.ts'

/**
 * A QR code the server generated, as an image. It is SVG text from our own server, but it is still never parsed
 * into this document: as an <img> data URL it cannot run script or reach the page, and the CSP allows `img-src data:`.
 */
export function qrImage(svg: string, id: string, alt: string): HTMLImageElement {
  return h('img', { class: 'qr', id, width: 240, height: 240, src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`, alt })
}
