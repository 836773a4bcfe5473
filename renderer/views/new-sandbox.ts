// "New sandbox": a name, the profiles to layer (in the order picked), start now or later.
import type { ProfileEntry } from '../../main/ipc/contract.js';
import { call } from '../api.js';
import { h } from '../dom.js';
import { errorParts, openDialog } from '../ui/dialog.js';
import { profileSummaryView } from './summary.js';
import { toast } from '../ui/toast.js';

const NAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export async function showNewSandbox(onCreated: (name: string) => void, preselect?: string): Promise<void> {
  let profiles: ProfileEntry[] = [];
  let listError: unknown = null;
  try {
    profiles = await call('list-profiles', {});
  } catch (err) {
    listError = err;
  }
  const d = openDialog({ title: 'New sandbox', subtitle: 'Profiles are applied in the order you pick them; later ones win key by key.', icon: 'plus', className: 'dialog-medium' });
  if (listError) d.error(listError, 'Cannot list the profiles');
  const name = h('input', { class: 'input', id: 'new-name', placeholder: 'e.g. dev or work-vpn', spellcheck: 'false', autocomplete: 'off' });
  const nameHint = h('span', { class: 'field-hint' }, 'Lowercase letters, digits and "-".');
  const picked: string[] = preselect ? [preselect] : [];
  const order = h('div', { class: 'chips' });
  // What it will see, from main's expansion of the picked profiles, before anything is created.
  const preview = h('div', { class: 'new-preview', id: 'new-preview', 'aria-live': 'polite' });
  let previewSeq = 0;
  const renderPreview = async (): Promise<void> => {
    const seq = ++previewSeq;
    try {
      const sum = await call('preview-sandbox', { name: NAME_RE.test(name.value) ? name.value : 'preview', profiles: picked });
      if (seq === previewSeq) preview.replaceChildren(profileSummaryView(sum));
    } catch (err) {
      if (seq === previewSeq) preview.replaceChildren(h('p', { class: 'field-error' }, errorParts(err).message));
    }
  };
  const renderOrder = (): void => {
    order.replaceChildren(...(picked.length ? picked.map((p, i) => h('span', { class: 'chip' }, `${i + 1}. ${p}`)) : [h('span', { class: 'muted small' }, 'No profile: the defaults (private home, no network).')]));
    void renderPreview();
  };
  const list = h('div', { class: 'profile-picks' }, profiles.map((p) => {
    const box = h('input', { type: 'checkbox', value: p.name, checked: picked.includes(p.name) });
    box.addEventListener('change', () => {
      const at = picked.indexOf(p.name);
      if (box.checked && at < 0) picked.push(p.name);
      if (!box.checked && at >= 0) picked.splice(at, 1);
      renderOrder();
    });
    return h('label', { class: 'pick' }, box, h('span', { class: 'pick-text' }, h('span', { class: 'pick-name' }, p.name, p.shipped ? h('span', { class: 'badge' }, 'example') : null), h('span', { class: 'muted small' }, p.description || p.file)));
  }));
  const start = h('input', { type: 'checkbox', id: 'new-start', checked: true });
  renderOrder();
  d.body.append(
    h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Name'), name, nameHint),
    h('div', { class: 'field' }, h('span', { class: 'field-label' }, 'Profiles'), list, order),
    h('div', { class: 'field' }, h('span', { class: 'field-label' }, 'What it will see'), preview),
    h('label', { class: 'check' }, start, h('span', {}, 'Start it right away')),
  );
  const create = h('button', { class: 'btn primary', id: 'new-create' }, 'Create');
  const cancel = h('button', { class: 'btn' }, 'Cancel');
  cancel.addEventListener('click', () => d.close());
  name.addEventListener('input', () => {
    const ok = !name.value || NAME_RE.test(name.value);
    nameHint.textContent = ok ? 'Lowercase letters, digits and "-".' : 'Use 1–63 lowercase letters, digits or "-", not starting or ending with "-".';
    nameHint.classList.toggle('field-error', !ok);
  });
  create.addEventListener('click', () => void (async () => {
    if (!NAME_RE.test(name.value)) {
      name.focus();
      nameHint.classList.add('field-error');
      return;
    }
    create.disabled = true;
    create.classList.add('busy');
    d.error(null);
    try {
      await call('create-from-profile', { name: name.value, profiles: picked, start: start.checked });
      toast('ok', `${start.checked ? 'Created and started' : 'Created'} ${name.value}`);
      d.close();
      onCreated(name.value);
    } catch (err) {
      d.error(err);
      name.focus();
    } finally {
      create.disabled = false;
      create.classList.remove('busy');
    }
  })());
  d.footer.append(cancel, create);
  name.focus();
}
