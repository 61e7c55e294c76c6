import { get, type ApprovalView } from '../api.ts'
import { requestList } from '../approval/requestList.ts'
import { errorMessage } from '../messages.ts'
import { endedElsewhere, requireUser } from '../session.ts'
import { byId, h } from '../ui/dom.ts'
import { icon } from '../ui/icons.ts'
import { go, say } from '../ui/status.ts'
import { mountShell, startPage } from './common.ts'

/** The approvals area: requests waiting for this person's decision, then recent requests they can see. */

startPage()

function waitingSection(views: ApprovalView[]): HTMLElement {
  const n = views.length
  return h('section', { class: 'card section', 'aria-labelledby': 'waiting-title' },
    h('div', { class: 'section-head' },
      h('div', null,
        h('h2', { id: 'waiting-title' }, 'Waiting for you'),
        h('p', null, n === 0 ? 'Nothing needs your approval right now.' : `${n} ${n === 1 ? 'request needs' : 'requests need'} your decision before ${n === 1 ? 'it expires' : 'they expire'}.`),
      ),
    ),
    n === 0
      ? h('div', { class: 'stat' }, icon('checkCircle'), h('p', null, 'You’re all caught up. New requests for your groups appear here.'))
      : requestList(views, 'waiting-title', true),
  )
}

/** `views` leaves out those waiting for this person, which the section above lists (`othersAbove`: there are some). */
function recentSection(views: ApprovalView[], othersAbove: boolean): HTMLElement {
  return h('section', { class: 'card section', 'aria-labelledby': 'recent-title' },
    h('div', { class: 'section-head' },
      h('div', null,
        h('h2', { id: 'recent-title' }, 'Recent requests'),
        h('p', null, othersAbove ? 'Other requests for your groups, whatever their state.' : 'Requests for your groups, whatever their state.'),
      ),
    ),
    views.length === 0
      ? h('p', { class: 'empty-inline muted' }, othersAbove ? 'No other requests yet.' : 'No requests yet.')
      : requestList(views, 'recent-title', false),
  )
}

async function main(): Promise<void> {
  const me = await requireUser()
  if (me.session.kind === 'recovery') return go('/upgrade.html', 'Add a new passkey to finish signing in.', 'info')
  mountShell(me.user, '/approvals.html')
  const [waiting, all] = await Promise.all([
    get<{ approvals: ApprovalView[] }>('/v1/approvals'),
    get<{ approvals: ApprovalView[] }>('/v1/approvals?scope=all'),
  ])
  const waitingIds = new Set(waiting.approvals.map((v) => v.id))
  const groups = me.user.roles.length ? `Your groups: ${me.user.roles.join(', ')}.` : 'You aren’t in any approver group yet, so no request will wait for you.'
  byId('approvals-summary').textContent = `Transfers and policy changes that need approval with a passkey. ${groups}`
  byId('sections').replaceChildren(waitingSection(waiting.approvals), recentSection(all.approvals.filter((v) => !waitingIds.has(v.id)), waitingIds.size > 0))
  byId('main').removeAttribute('aria-busy')
}

main().catch((err: unknown) => {
  if (endedElsewhere(err)) return
  byId('main').removeAttribute('aria-busy')
  byId('approvals-summary').textContent = 'The approval requests couldn’t be loaded.'
  byId('sections').replaceChildren()
  say(`${errorMessage(err, 'get')} Reload the page to try again.`, 'error')
})
