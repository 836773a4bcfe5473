#!/bin/sh
# .deb post-remove: undo after-install (sandboxes and user data stay in the users' homes).
set -e
rm -f /usr/bin/sandtray-desktop /usr/bin/sandtray /usr/share/mime/packages/sandtray.xml
rm -f /usr/share/man/man1/sandtray.1 /usr/share/bash-completion/completions/sandtray /usr/share/zsh/vendor-completions/_sandtray /usr/share/fish/vendor_completions.d/sandtray.fish
if command -v update-mime-database >/dev/null 2>&1; then update-mime-database /usr/share/mime || true; fi
if [ -f /usr/lib/sandtray/apparmor-setup ]; then sh /usr/lib/sandtray/apparmor-setup remove || true; fi
rm -f /usr/lib/sandtray/sandtray-launch /usr/lib/sandtray/apparmor-setup
rmdir /usr/lib/sandtray 2>/dev/null || true
