// Who answers when a start needs a secret it does not have: the CLI's terminal, or the desktop's
// dialog. A part of its own: the CLI sets it up front and must load nothing else for it.
export { askSecret, setSecretPrompt, type SecretPrompt, type SecretQuestion } from '../secrets/prompt.js';
