// Profiles: the list, and an editor that validates as you type. Problems show inline on their lines
// and in a list before anything is saved; saving is only possible once the profile is valid.
import type { ProfileEntry, ProfileIssue } from '../../main/ipc/contract.js';
import { call } from '../api.js';
import { h, icon, replace } from '../dom.js';
import { confirmDialog } from '../ui/dialog.js';
import { toast, toastError } from '../ui/toast.js';
import { issuesView, profileSummaryView } from './summary.js';

const NAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const TEMPLATE = `# A new sandbox profile. Keys: hostname, command, env, workdir, home, shell,
# mounts (source, target, readOnly, optional), network (mode), idmap (mode, size), nesting.
apiVersion: sandtray/v1
description: My sandbox
network:
  mode: none
mounts: []
`;

export class ProfilesPage {
  readonly el: HTMLElement;
  private readonly list = h('div', { class: 'plist-items' });
  private readonly nameInput = h('input', { class: 'input input-name', id: 'profile-name', spellcheck: 'false', placeholder: 'profile-name', 'aria-label': 'Profile name' });
  private readonly textarea = h('textarea', { class: 'code-input', id: 'profile-text', spellcheck: 'false', autocomplete: 'off', wrap: 'off', 'aria-label': 'Profile text' });
  private readonly backdrop = h('div', { class: 'code-backdrop', 'aria-hidden': 'true' });
  private readonly gutter = h('div', { class: 'code-gutter', 'aria-hidden': 'true' });
  private readonly status = h('span', { class: 'editor-status', id: 'profile-status' });
  private readonly problems = h('div', { class: 'problems', id: 'profile-problems' });
  private readonly summary = h('div', { class: 'editor-summary-body' });
  private readonly note = h('p', { class: 'editor-note muted small' });
  private readonly save = h('button', { class: 'btn primary', id: 'profile-save' }, icon('check', 14), 'Save');
  private readonly createBtn = h('button', { class: 'btn', id: 'profile-create' }, icon('plus', 14), 'Create a sandbox from it');
  private timer: number | null = null;
  private seq = 0;
  private valid = false;
  private current: string | null = null;
  private dirty = false;
  private shipped = false;

  constructor(private readonly onCreateFrom: (profile: string) => void) {
    const newBtn = h('button', { class: 'btn btn-small', id: 'profile-new' }, icon('plus', 14), 'New');
    newBtn.addEventListener('click', () => void this.confirmLeave().then((ok) => (ok ? this.load(null) : undefined)));
    this.textarea.addEventListener('input', () => {
      this.dirty = true;
      this.renderLines([]);
      this.schedule();
    });
    this.textarea.addEventListener('scroll', () => this.syncScroll());
    this.textarea.addEventListener('keydown', (e) => {
      // Tab inserts two spaces (YAML has no tabs) instead of leaving the editor.
      if (e.key === 'Tab' && !e.shiftKey && !e.ctrlKey) {
        e.preventDefault();
        const { selectionStart: a, selectionEnd: b, value } = this.textarea;
        this.textarea.value = `${value.slice(0, a)}  ${value.slice(b)}`;
        this.textarea.selectionStart = this.textarea.selectionEnd = a + 2;
        this.textarea.dispatchEvent(new Event('input'));
      }
      if (e.key === 's' && e.ctrlKey) {
        e.preventDefault();
        void this.doSave();
      }
    });
    this.nameInput.addEventListener('input', () => this.renderStatus());
    this.save.addEventListener('click', () => void this.doSave());
    this.createBtn.addEventListener('click', () => {
      if (this.current) this.onCreateFrom(this.current);
    });
    this.el = h('div', { class: 'profiles-page' },
      h('aside', { class: 'plist' }, h('header', { class: 'plist-head' }, h('h2', {}, 'Profiles'), newBtn), this.list),
      h('section', { class: 'editor-pane' },
        h('header', { class: 'editor-head' },
          h('div', { class: 'editor-title' }, icon('file', 16), this.nameInput, h('span', { class: 'muted' }, '.sandtray'), this.status),
          h('div', { class: 'actions' }, this.save),
        ),
        this.note,
        h('div', { class: 'code' }, this.gutter, h('div', { class: 'code-area' }, this.backdrop, this.textarea)),
        this.problems,
      ),
      h('aside', { class: 'editor-summary' }, h('h3', { class: 'section-title' }, 'What it allows'), this.summary, h('div', { class: 'summary-foot' }, this.createBtn)),
    );
  }

  async show(name: string | null): Promise<void> {
    await this.refreshList();
    if (name === this.current && this.textarea.value) return;
    if (!(await this.confirmLeave())) {
      history.replaceState(null, '', this.current ? `#/profiles/${this.current}` : '#/profiles');
      for (const el of Array.from(this.list.querySelectorAll('.plist-item'))) el.classList.toggle('active', (el as HTMLElement).dataset['name'] === this.current);
      return;
    }
    await this.load(name);
  }

  /** Switching profiles would throw unsaved edits away: asks first; true when the editor may change. */
  private async confirmLeave(): Promise<boolean> {
    if (!this.dirty) return true;
    const ok = await confirmDialog('Discard your changes?', `${this.current ? `"${this.current}"` : 'The new profile'} has changes that are not saved.`, 'Discard changes', true);
    if (!ok) this.textarea.focus();
    return ok;
  }

  /** True while the editor holds edits that are not saved. */
  get unsaved(): boolean {
    return this.dirty;
  }

  private async refreshList(): Promise<void> {
    let entries: ProfileEntry[] = [];
    try {
      entries = await call('list-profiles', {});
    } catch (err) {
      toastError(err);
    }
    replace(this.list, entries.map((p) => {
      const item = h('button', { class: `plist-item${p.name === this.current ? ' active' : ''}`, 'data-name': p.name },
        h('span', { class: 'plist-name' }, p.name, h('span', { class: `badge ${p.shipped ? '' : 'badge-ok'}` }, p.shipped ? 'example' : 'yours')),
        h('span', { class: 'plist-desc' }, p.description || '—'),
      );
      item.addEventListener('click', () => {
        location.hash = `#/profiles/${p.name}`;
      });
      return item;
    }));
  }

  private async load(name: string | null): Promise<void> {
    this.current = name;
    this.dirty = false;
    this.shipped = false;
    if (!name) {
      this.nameInput.value = '';
      this.nameInput.disabled = false;
      this.textarea.value = TEMPLATE;
      this.note.textContent = 'A new profile is saved in your profiles folder.';
    } else {
      try {
        const p = await call('read-profile', { name });
        this.shipped = p.shipped;
        // An example is a read-only template: saving makes a copy under a name of the user's own.
        this.nameInput.value = p.shipped ? `my-${p.name}` : p.name;
        this.textarea.value = p.text;
        this.note.textContent = p.shipped
          ? 'An example shipped with Sandtray, read-only. "Save as copy" writes your own profile under the name above; folders it names relative to the example must be named in full there.'
          : p.file;
      } catch (err) {
        toastError(err);
      }
    }
    for (const el of Array.from(this.list.querySelectorAll('.plist-item'))) el.classList.toggle('active', (el as HTMLElement).dataset['name'] === name);
    this.renderLines([]);
    await this.validate();
  }

  private schedule(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.validate(), 150);
  }

  private async validate(): Promise<void> {
    const seq = ++this.seq;
    try {
      const r = await call('validate-profile-text', { text: this.textarea.value });
      if (seq !== this.seq) return; // a newer keystroke is being checked
      this.valid = r.valid;
      r.issues.sort((a, b) => (a.line ?? 1e9) - (b.line ?? 1e9));
      this.renderLines(r.issues);
      replace(this.problems, r.issues.length ? [h('div', { class: 'problems-head' }, icon('alert', 14), `${r.issues.length} problem${r.issues.length === 1 ? '' : 's'}`), issuesView(r.issues, (line) => this.goToLine(line))] : []);
      replace(this.summary, r.summary ? profileSummaryView(r.summary) : h('p', { class: 'muted' }, 'Fix the problems to see what this profile allows.'));
      this.renderStatus();
    } catch (err) {
      toastError(err);
    }
  }

  private renderStatus(): void {
    const nameOk = NAME_RE.test(this.nameInput.value);
    const problems = this.problems.querySelectorAll('.issue').length;
    replace(this.status, this.valid
      ? h('span', { class: 'badge badge-ok' }, icon('check', 12), 'valid')
      : h('span', { class: 'badge badge-err' }, icon('alert', 12), `${problems} problem${problems === 1 ? '' : 's'}`));
    this.save.disabled = !this.valid || !nameOk;
    this.save.replaceChildren(icon('check', 14), this.shipped ? 'Save as copy' : 'Save');
    this.save.title = !nameOk ? 'Give the profile a name: lowercase letters, digits and "-"' : this.valid ? 'Save (Ctrl+S)' : 'Fix the problems first';
    this.createBtn.disabled = !this.current || this.dirty;
  }

  /** Line numbers in the gutter, and a marker behind every line with a problem. */
  private renderLines(issues: readonly ProfileIssue[]): void {
    const count = this.textarea.value.split('\n').length;
    const bad = new Map<number, string>();
    for (const i of issues) if (i.line && !bad.has(i.line)) bad.set(i.line, i.path.startsWith('(') ? i.message : `${i.path.replace(/^.*\./, '')}: ${i.message}`);
    replace(this.gutter, Array.from({ length: count }, (_, n) => h('div', { class: `ln${bad.has(n + 1) ? ' ln-err' : ''}`, title: bad.get(n + 1) }, String(n + 1))));
    const lines = this.textarea.value.split('\n');
    // The backdrop repeats each line in transparent ink, so a message lands right after the text.
    replace(this.backdrop, lines.map((text, n) => {
      const msg = bad.get(n + 1);
      return h('div', { class: `bl${msg ? ' bl-err' : ''}` }, h('span', { class: 'bl-ghost' }, text || '\u200b'), msg ? h('span', { class: 'bl-msg' }, `← ${msg}`) : null);
    }));
    this.syncScroll();
  }

  private syncScroll(): void {
    this.gutter.scrollTop = this.textarea.scrollTop;
    this.backdrop.scrollTop = this.textarea.scrollTop;
    this.backdrop.scrollLeft = this.textarea.scrollLeft;
  }

  private goToLine(line: number): void {
    const lines = this.textarea.value.split('\n');
    const at = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
    this.textarea.focus();
    this.textarea.setSelectionRange(at, at + (lines[line - 1]?.length ?? 0));
  }

  private async doSave(): Promise<void> {
    if (this.save.disabled) return;
    const name = this.nameInput.value;
    try {
      const r = await call('save-profile', { name, text: this.textarea.value });
      toast('ok', `Saved ${r.name}`, r.file);
      this.dirty = false;
      location.hash = `#/profiles/${r.name}`;
      this.current = r.name;
      await this.refreshList();
      await this.load(r.name);
    } catch (err) {
      toastError(err, 'Not saved');
    }
  }
}
