/** A tiny element builder: text only ever becomes text nodes, never HTML, so nothing user-supplied is parsed. */

export type Child = Node | string | number | null | undefined | false
type AttrValue = string | number | boolean | null | undefined
export type Attrs = Record<string, AttrValue | ((e: Event) => void)>

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value)
    else if (value === true) el.setAttribute(name, '')
    else if (value !== false && value !== null && value !== undefined) el.setAttribute(name, String(value))
  }
  append(el, children)
  return el
}

export function append(parent: Element | DocumentFragment, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue
    parent.append(c instanceof Node ? c : String(c))
  }
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id)
  if (!el) throw new Error(`#${id} is missing from the page`)
  return el as T
}

/** Marks a button busy while `work` runs (and disables it), then restores it. */
export async function busy<T>(button: HTMLButtonElement | null, work: () => Promise<T>): Promise<T> {
  if (!button) return work()
  button.disabled = true
  button.setAttribute('aria-busy', 'true')
  try {
    return await work()
  } finally {
    button.disabled = false
    button.removeAttribute('aria-busy')
  }
}

/**
 * While one action runs, no other button in `root` may start another: `hold(root, true)` disables every enabled
 * button there and marks it; `hold(root, false)` enables again only the buttons it disabled.
 */
export function hold(root: ParentNode, on: boolean): void {
  if (on) {
    for (const b of root.querySelectorAll<HTMLButtonElement>('button:not(:disabled)')) {
      b.disabled = true
      b.dataset.held = ''
    }
    return
  }
  for (const b of root.querySelectorAll<HTMLButtonElement>('button[data-held]')) {
    b.disabled = false
    delete b.dataset.held
  }
}
