// "Check for leaks": the engine's `sandtray vpn verify` run from inside the sandbox, its checks and
// its verdict, and the report to paste into a bug report.
import { call } from '../api.js';
import { h, icon } from '../dom.js';
import { openDialog } from '../ui/dialog.js';
import { VPN_NAME } from '../ui/format.js';
import { toast } from '../ui/toast.js';

export function showLeakCheck(name: string): void {
  const d = openDialog({ title: `Leak check of ${name}`, subtitle: 'Checked from inside the sandbox; no packet is sent.', icon: 'shield', className: 'dialog-medium leak-check' });
  const status = h('p', { class: 'muted', id: 'leak-status', role: 'status' }, 'Checking…');
  d.body.append(status);
  const close = h('button', { class: 'btn primary' }, 'Close');
  close.addEventListener('click', () => d.close());
  const copy = h('button', { class: 'btn', id: 'leak-copy', disabled: true }, icon('copy', 14), 'Copy report');
  d.footer.append(copy, close);
  close.focus();
  void call('vpn-verify', { name }).then((r) => {
    const leak = r.verdict !== 'no leak found';
    status.replaceWith(
      h('div', { class: `callout ${leak ? 'callout-err' : 'callout-ok'}`, id: 'leak-verdict', 'data-verdict': r.verdict }, icon(leak ? 'alert' : 'check', 18),
        h('div', {}, h('strong', {}, leak ? 'Leak found' : 'No leak found'), h('div', { class: 'small' }, `${VPN_NAME[r.type]} tunnel ${r.tunnel} on ${r.device}; ${r.checks.filter((c) => !c.ok).length} of ${r.checks.length} checks failed.`))),
      h('ul', { class: 'leak-checks' }, r.checks.map((c) => h('li', { class: c.ok ? 'ok' : 'leak', 'data-check': c.check },
        h('span', { class: `badge ${c.ok ? 'badge-ok' : 'badge-err'}` }, c.ok ? 'ok' : 'LEAK'), ' ', h('strong', {}, c.check), h('span', { class: 'muted' }, ` ${c.detail}`)))),
    );
    copy.disabled = false;
    copy.addEventListener('click', () => void navigator.clipboard.writeText(r.text).then(() => toast('ok', 'Report copied'), () => toast('error', 'Could not copy the report')));
  }, (err: unknown) => {
    status.remove();
    d.error(err, 'The check could not run');
  });
}
